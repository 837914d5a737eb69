/**
 * Model manifests: one JSON file per model, beside its `.onnx` file, saying what the model
 * does and exactly how to feed it and read it. The server and the local `onnx` backend read
 * the same manifests; `models/*.json` in the repository are examples for public models.
 *
 * A manifest may only name files inside its own folder: `file` is resolved (symbolic links
 * followed) and rejected when it leaves the folder, so no manifest (or request) can make the
 * server read anything else.
 */
import { readFile, readdir, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Real2SimError, type ValidationProblem } from '../model/errors.ts';
import { TASKS, type Task } from './protocol.ts';

export const MANIFEST_VERSION = 1;

export type Layout = 'NCHW' | 'NHWC';
export type ColourOrder = 'rgb' | 'bgr';

/** An image input: how a colour image becomes a float32 tensor. */
export interface ImageInputSpec {
  name: string;
  kind: 'image';
  layout: Layout;
  /** [width, height] the image is resized to (bilinear, stretched). */
  size: [number, number];
  colorOrder: ColourOrder;
  /** 3 = colour, 4 = colour + alpha (alpha is the object/visible mask, 0..1 before normalisation). */
  channels: 3 | 4;
  /** value = (pixel · scale − mean[c]) / std[c]; per channel in the tensor's channel order. */
  scale: number;
  mean: number[];
  std: number[];
}
/** A point-cloud input `[1, N, 3]` float32 metres (N dynamic), world frame z up. */
export interface PointsInputSpec {
  name: string;
  kind: 'points';
}
/** The canonical mesh's box extents `[1, 3]` float32 (unit-scale frame). */
export interface ExtentInputSpec {
  name: string;
  kind: 'extent';
}
export type InputSpec = ImageInputSpec | PointsInputSpec | ExtentInputSpec;

export type OutputMeaning =
  | 'logits' // segment: [1, C, H, W] class scores, channel k = labels[k], 0 = background
  | 'depth' // depth: [1, 1, H, W] (or [1, H, W]) in `units`
  | 'focal' // depth: [1] or [1, 1] focal length in pixels at the model's input resolution
  | 'rgba' // deocclude: [1, 4, H, W] / [1, H, W, 4] with the input's normalisation
  | 'occupancy' // shape: [1, D, H, W] or [1, 1, D, H, W] occupancy/probability, axes z, y, x
  | 'rotation' // pose: [1, 4] quaternion (x, y, z, w) canonical → world
  | 'translation' // pose: [1, 3] metres, world
  | 'scale'; // pose: [1, 3] per-axis scale of the canonical mesh

export interface OutputSpec {
  name: string;
  meaning: OutputMeaning;
  /** depth: 'metres' | 'millimetres' | 'inverse-metres'; others: free text for the reader. */
  units?: string;
  layout?: Layout;
}

export interface ModelManifest {
  manifestVersion: number;
  id: string;
  task: Task;
  /** Path of the ONNX file relative to the manifest's folder. */
  file: string;
  inputs: InputSpec[];
  outputs: OutputSpec[];
  /** segment: class names per logits channel; index 0 is the background. */
  labels?: string[];
  /** segment: smallest instance kept, in pixels of the output image. */
  minPixels?: number;
  /** depth: horizontal field of view assumed when the model gives no focal length and none is sent. */
  defaultFovDeg?: number;
  /** shape: occupancy grid bounds in the canonical frame and iso threshold. */
  grid?: { min: [number, number, number]; max: [number, number, number]; threshold: number; upAxis: 'y' | 'z' };
  licence: string;
  /** Where the model comes from (paper / repository). */
  source: string;
  /** How a user gets the weights and exports them to ONNX. */
  weights: string;
  /** Requests run at once on this model (default 1); more wait in its queue. */
  concurrency?: number;
  /** Requests that may wait (default 32); beyond that the server answers 503 BUSY. */
  maxQueue?: number;
}

/** A manifest with its resolved model file path. */
export interface LoadedManifest {
  manifest: ModelManifest;
  /** Absolute, symlink-resolved path of the ONNX file, inside `dir`. */
  modelPath: string;
  dir: string;
  manifestPath: string;
}

const LAYOUTS: readonly string[] = ['NCHW', 'NHWC'];
const MEANINGS: readonly string[] = ['logits', 'depth', 'focal', 'rgba', 'occupancy', 'rotation', 'translation', 'scale'];
const REQUIRED_OUTPUTS: Record<Task, OutputMeaning[]> = {
  segment: ['logits'],
  depth: ['depth'],
  deocclude: ['rgba'],
  shape: ['occupancy'],
  pose: ['rotation', 'translation', 'scale'],
};

/** Validates parsed JSON as a manifest, listing every problem with its path. */
export function validateManifest(json: unknown): ValidationProblem[] {
  const p: ValidationProblem[] = [];
  const add = (path: string, message: string) => p.push({ path, message });
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return [{ path: '', message: 'must be a JSON object' }];
  const o = json as Record<string, unknown>;
  if (o['manifestVersion'] !== MANIFEST_VERSION) add('manifestVersion', `must be ${MANIFEST_VERSION}, got ${JSON.stringify(o['manifestVersion'])}`);
  for (const k of ['id', 'file', 'licence', 'source', 'weights']) {
    if (typeof o[k] !== 'string' || o[k].length === 0) add(k, 'must be a non-empty string');
  }
  if (typeof o['id'] === 'string' && !/^[A-Za-z0-9._-]+$/.test(o['id'])) add('id', 'may hold only letters, digits, ".", "_" and "-"');
  const task = o['task'];
  if (typeof task !== 'string' || !TASKS.includes(task as Task)) add('task', `must be one of ${TASKS.join(', ')}`);
  const inputs = o['inputs'];
  if (!Array.isArray(inputs) || inputs.length === 0) add('inputs', 'must be a non-empty array');
  else
    inputs.forEach((inp: unknown, i: number) => {
      const path = `inputs[${i}]`;
      if (typeof inp !== 'object' || inp === null) return add(path, 'must be an object');
      const q = inp as Record<string, unknown>;
      if (typeof q['name'] !== 'string') add(`${path}.name`, 'must be a string');
      if (q['kind'] === 'image') {
        if (!LAYOUTS.includes(q['layout'] as string)) add(`${path}.layout`, 'must be NCHW or NHWC');
        const size = q['size'];
        if (!Array.isArray(size) || size.length !== 2 || !size.every((s) => Number.isInteger(s) && s > 0)) add(`${path}.size`, 'must be [width, height], positive integers');
        if (q['colorOrder'] !== 'rgb' && q['colorOrder'] !== 'bgr') add(`${path}.colorOrder`, 'must be "rgb" or "bgr"');
        const ch = q['channels'];
        if (ch !== 3 && ch !== 4) add(`${path}.channels`, 'must be 3 or 4');
        if (typeof q['scale'] !== 'number' || !(q['scale'] > 0)) add(`${path}.scale`, 'must be a number > 0 (e.g. 1/255)');
        for (const k of ['mean', 'std']) {
          const v = q[k];
          if (!Array.isArray(v) || v.length !== ch || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) add(`${path}.${k}`, `must hold ${String(ch)} numbers (one per channel)`);
          else if (k === 'std' && !v.every((x) => x > 0)) add(`${path}.std`, 'must be > 0');
        }
      } else if (q['kind'] !== 'points' && q['kind'] !== 'extent') add(`${path}.kind`, 'must be "image", "points" or "extent"');
    });
  const outputs = o['outputs'];
  if (!Array.isArray(outputs) || outputs.length === 0) add('outputs', 'must be a non-empty array');
  else {
    outputs.forEach((out: unknown, i: number) => {
      const path = `outputs[${i}]`;
      if (typeof out !== 'object' || out === null) return add(path, 'must be an object');
      const q = out as Record<string, unknown>;
      if (typeof q['name'] !== 'string') add(`${path}.name`, 'must be a string');
      if (!MEANINGS.includes(q['meaning'] as string)) add(`${path}.meaning`, `must be one of ${MEANINGS.join(', ')}`);
      if (q['meaning'] === 'depth' && !['metres', 'millimetres', 'inverse-metres'].includes(q['units'] as string)) {
        add(`${path}.units`, 'depth units must be "metres", "millimetres" or "inverse-metres"');
      }
    });
    if (typeof task === 'string' && TASKS.includes(task as Task)) {
      for (const m of REQUIRED_OUTPUTS[task as Task]) {
        if (!outputs.some((x: unknown) => (x as Record<string, unknown> | null)?.['meaning'] === m)) add('outputs', `a ${task} model needs an output with meaning "${m}"`);
      }
    }
  }
  if (task === 'segment') {
    const labels = o['labels'];
    if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string')) add('labels', 'a segment model needs labels: one class name per logits channel, [0] = background');
  }
  if (task === 'shape') {
    const g = o['grid'] as Record<string, unknown> | undefined;
    const vec3 = (v: unknown) => Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number');
    if (!g || !vec3(g['min']) || !vec3(g['max']) || typeof g['threshold'] !== 'number' || (g['upAxis'] !== 'y' && g['upAxis'] !== 'z')) {
      add('grid', 'a shape model needs grid: {min: [x,y,z], max: [x,y,z], threshold, upAxis: "y"|"z"}');
    }
  }
  for (const k of ['concurrency', 'maxQueue'] as const) {
    if (o[k] !== undefined && (!Number.isInteger(o[k]) || (o[k] as number) < (k === 'concurrency' ? 1 : 0))) add(k, 'must be a positive integer');
  }
  return p;
}

/** True when `child` is `dir` itself or lies below it (both absolute, resolved). */
function isInside(dir: string, child: string): boolean {
  const rel = relative(dir, child);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('..');
}

/**
 * Reads and validates one manifest. Throws `BAD_FILE` when the JSON is invalid or `file`
 * points outside the manifest's folder (also through a symbolic link), or the file is missing.
 */
export async function loadManifest(manifestPath: string): Promise<LoadedManifest> {
  const abs = resolve(manifestPath);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (cause) {
    throw new Real2SimError('BAD_FILE', `Cannot read model manifest ${abs}: ${(cause as Error).message}`, { manifest: abs }, cause);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new Real2SimError('BAD_FILE', `Model manifest ${abs} is not valid JSON: ${(cause as Error).message}`, { manifest: abs }, cause);
  }
  const problems = validateManifest(json);
  if (problems.length > 0) {
    const lines = problems.map((q) => `  ${q.path}: ${q.message}`).join('\n');
    throw new Real2SimError('BAD_FILE', `Model manifest ${abs} is invalid:\n${lines}`, { manifest: abs, problems });
  }
  const manifest = json as ModelManifest;
  const dir = await realpath(resolve(abs, '..'));
  const outside = () =>
    new Real2SimError('BAD_FILE', `Model manifest ${abs}: file "${manifest.file}" points outside the model folder ${dir}; put the .onnx file in that folder and name it relative to it.`, {
      manifest: abs,
      file: manifest.file,
    });
  if (isAbsolute(manifest.file)) throw outside();
  const candidate = resolve(dir, manifest.file);
  if (!isInside(dir, candidate)) throw outside();
  let modelPath: string;
  try {
    modelPath = await realpath(candidate);
  } catch (cause) {
    throw new Real2SimError('BAD_FILE', `Model manifest ${abs}: model file ${candidate} does not exist. ${manifest.weights}`, { manifest: abs }, cause);
  }
  if (!isInside(dir, modelPath)) throw outside();
  return { manifest, modelPath, dir, manifestPath: abs };
}

/** Loads every `*.json` manifest in a folder (not recursive). Ids must be unique. */
export async function loadModelDir(dir: string): Promise<LoadedManifest[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (cause) {
    throw new Real2SimError('BAD_FILE', `Cannot list the model folder ${dir}: ${(cause as Error).message}`, { dir }, cause);
  }
  const out: LoadedManifest[] = [];
  const ids = new Set<string>();
  for (const n of names) {
    const m = await loadManifest(join(dir, n));
    if (ids.has(m.manifest.id)) throw new Real2SimError('BAD_FILE', `Two manifests in ${dir} use the model id "${m.manifest.id}"; ids must be unique.`, { dir });
    ids.add(m.manifest.id);
    out.push(m);
  }
  return out;
}
