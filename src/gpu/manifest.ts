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
import { describeValue, hasShape, OneOf, shapeProblems, sortProblems, toJsonSchema, Type, Vec, type Static } from '../model/shapes.ts';
import { TASKS, type Task } from './protocol.ts';

export const MANIFEST_VERSION = 1;

const LAYOUTS = ['NCHW', 'NHWC'] as const;
export type Layout = (typeof LAYOUTS)[number];
const MEANINGS = [
  'logits', // segment: [1, C, H, W] class scores, channel k = labels[k], 0 = background
  'depth', // depth: [1, 1, H, W] (or [1, H, W]) in `units`
  'focal', // depth: [1] or [1, 1] focal length in pixels at the model's input resolution
  'rgba', // deocclude: [1, 4, H, W] / [1, H, W, 4] with the input's normalisation
  'occupancy', // shape: [1, D, H, W] or [1, 1, D, H, W] occupancy/probability, axes z, y, x
  'rotation', // pose: [1, 4] quaternion (x, y, z, w) canonical → world
  'translation', // pose: [1, 3] metres, world
  'scale', // pose: [1, 3] per-axis scale of the canonical mesh
] as const;
export type OutputMeaning = (typeof MEANINGS)[number];
const DEPTH_UNITS = ['metres', 'millimetres', 'inverse-metres'];

const Name = () => Type.String();
const Text = () => Type.String({ minLength: 1 });

/** An image input: how a colour image becomes a float32 tensor. */
export const ImageInputShape = Type.Object({
  name: Name(),
  kind: Type.Literal('image'),
  layout: OneOf(LAYOUTS),
  /** [width, height] the image is resized to (bilinear, stretched). */
  size: Type.Unsafe<[number, number]>(Type.Array(Type.Integer({ minimum: 1 }), { minItems: 2, maxItems: 2, expected: '[width, height], positive integers' })),
  colorOrder: OneOf(['rgb', 'bgr'] as const),
  /** 3 = colour, 4 = colour + alpha (alpha is the object/visible mask, 0..1 before normalisation). */
  channels: Type.Union([Type.Literal(3), Type.Literal(4)]),
  /** value = (pixel · scale − mean[c]) / std[c]; per channel in the tensor's channel order. */
  scale: Type.Number({ exclusiveMinimum: 0, expected: 'a number > 0 (e.g. 1/255)' }),
  mean: Type.Array(Type.Number(), { description: 'one per channel' }),
  std: Type.Array(Type.Number(), { description: 'one per channel, > 0' }),
});
export type ImageInputSpec = Static<typeof ImageInputShape>;
/** A point-cloud input `[1, N, 3]` float32 metres (N dynamic), world frame z up. */
const PointsInputShape = Type.Object({ name: Name(), kind: Type.Literal('points') });
/** The canonical mesh's box extents `[1, 3]` float32 (unit-scale frame). */
const ExtentInputShape = Type.Object({ name: Name(), kind: Type.Literal('extent') });
export type InputSpec = Static<typeof ImageInputShape> | Static<typeof PointsInputShape> | Static<typeof ExtentInputShape>;

const OutputShape = Type.Object({
  name: Name(),
  meaning: OneOf(MEANINGS),
  /** depth: 'metres' | 'millimetres' | 'inverse-metres'; others: free text for the reader. */
  units: Type.Optional(Type.String({ description: `depth: one of ${DEPTH_UNITS.join(', ')}; others: free text for the reader` })),
  layout: Type.Optional(OneOf(LAYOUTS)),
});
export type OutputSpec = Static<typeof OutputShape>;

export const ModelManifestShape = Type.Object({
  manifestVersion: Type.Unsafe<number>(Type.Literal(MANIFEST_VERSION)),
  id: Type.String({ pattern: '^[A-Za-z0-9._-]+$', expected: 'a non-empty string of letters, digits, ".", "_" and "-"' }),
  task: OneOf(TASKS),
  /** Path of the ONNX file relative to the manifest's folder. */
  file: Text(),
  inputs: Type.Array(Type.Union([ImageInputShape, PointsInputShape, ExtentInputShape]), { minItems: 1 }),
  outputs: Type.Array(OutputShape, { minItems: 1 }),
  /** segment: class names per logits channel; index 0 is the background. */
  labels: Type.Optional(Type.Array(Type.String(), { description: 'segment (required): one class name per logits channel, [0] = background' })),
  /** segment: smallest instance kept, in pixels of the output image. */
  minPixels: Type.Optional(Type.Number()),
  /** depth: horizontal field of view assumed when the model gives no focal length and none is sent. */
  defaultFovDeg: Type.Optional(Type.Number()),
  /** shape: occupancy grid bounds in the canonical frame and iso threshold. */
  grid: Type.Optional(Type.Object({ min: Vec(3), max: Vec(3), threshold: Type.Number(), upAxis: OneOf(['y', 'z'] as const) }, { description: 'shape (required)' })),
  licence: Text(),
  /** Where the model comes from (paper / repository). */
  source: Text(),
  /** How a user gets the weights and exports them to ONNX. */
  weights: Text(),
  /** Requests run at once on this model (default 1); more wait in its queue. */
  concurrency: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Requests that may wait (default 32); beyond that the server answers 503 BUSY. */
  maxQueue: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type ModelManifest = Static<typeof ModelManifestShape>;

/** The published JSON Schema of a manifest (docs/model-manifest.schema.json, written by `npm run schemas`). */
export function manifestJsonSchema(): unknown {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://real2sim.local/model-manifest/v1.schema.json',
    title: 'real2sim model manifest, version 1',
    description:
      "Generated from src/gpu/manifest.ts (npm run schemas); do not edit by hand. Beyond the shape here: an image input has one mean and one std (> 0) per channel; a depth output says its units (metres, millimetres or inverse-metres); each task needs its outputs (segment: logits; depth: depth; deocclude: rgba; shape: occupancy; pose: rotation, translation, scale); a segment model needs at least two labels and a shape model a grid; file names a file inside the manifest's folder.",
    ...(toJsonSchema(ModelManifestShape) as object),
  };
}

/** A manifest with its resolved model file path. */
export interface LoadedManifest {
  manifest: ModelManifest;
  /** Absolute, symlink-resolved path of the ONNX file, inside `dir`. */
  modelPath: string;
  dir: string;
  manifestPath: string;
}

const REQUIRED_OUTPUTS: Record<Task, OutputMeaning[]> = {
  segment: ['logits'],
  depth: ['depth'],
  deocclude: ['rgba'],
  shape: ['occupancy'],
  pose: ['rotation', 'translation', 'scale'],
};

const PerChannel = Type.Pick(ImageInputShape, ['channels', 'mean', 'std']);

/** Validates parsed JSON as a manifest, listing every problem with its path. */
export function validateManifest(json: unknown): ValidationProblem[] {
  const p = shapeProblems(ModelManifestShape, json);
  if (!hasShape(Type.Object({}), json)) return p;
  const o = json as Record<string, unknown>;
  const inputs = o['inputs'];
  if (Array.isArray(inputs)) {
    inputs.forEach((inp: unknown, i: number) => {
      // checked whenever these three fields have their shape, whatever else is wrong with the input
      if (!hasShape(PerChannel, inp) || (inp as { kind?: unknown }).kind !== 'image') return;
      for (const k of ['mean', 'std'] as const) {
        const v = inp[k];
        if (v.length !== inp.channels) p.push({ path: `inputs[${i}].${k}`, message: `must hold ${inp.channels} numbers (one per channel), got ${v.length}` });
        else if (k === 'std' && !v.every((x) => x > 0)) p.push({ path: `inputs[${i}].std`, message: 'must be > 0' });
      }
    });
  }
  const outputs = o['outputs'];
  if (Array.isArray(outputs)) {
    outputs.forEach((out: unknown, i: number) => {
      if (hasShape(OutputShape, out) && out.meaning === 'depth' && !DEPTH_UNITS.includes(out.units ?? '')) {
        p.push({ path: `outputs[${i}].units`, message: `depth units must be ${DEPTH_UNITS.map((u) => JSON.stringify(u)).join(', ')}, got ${describeValue(out.units)}` });
      }
    });
    const task = o['task'];
    if (typeof task === 'string' && (TASKS as readonly string[]).includes(task)) {
      for (const m of REQUIRED_OUTPUTS[task as Task]) {
        if (!outputs.some((x: unknown) => (x as Record<string, unknown> | null)?.['meaning'] === m)) p.push({ path: 'outputs', message: `a ${task} model needs an output with meaning "${m}"` });
      }
    }
  }
  if (o['task'] === 'segment' && !(Array.isArray(o['labels']) && o['labels'].length >= 2)) {
    p.push({ path: 'labels', message: 'a segment model needs labels: one class name per logits channel, [0] = background' });
  }
  if (o['task'] === 'shape' && o['grid'] === undefined) p.push({ path: 'grid', message: 'a shape model needs grid: {min: [x,y,z], max: [x,y,z], threshold, upAxis: "y"|"z"}' });
  return sortProblems(ModelManifestShape, p);
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
