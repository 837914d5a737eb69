import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkOutDir, replaceDir } from '../export/outDir.ts';
import { parseCommandArgs } from './args.ts';
import { Real2SimError } from '../model/errors.ts';
import type { Scene } from '../model/scene.ts';
import { generateSynthScene, type SynthOptions } from '../synth/synth.ts';
import { encodeDepthPng, encodeLabelPng, encodePng } from '../io/image.ts';

const USAGE = '--seed N --out DIR [--force] [--noise] [--objects MIN..MAX] [--no-shared-meshes] [--meshes DIR]';

/**
 * `real2sim synth --seed N --out DIR [--noise]`: one synthetic RGB-D frame with its ground
 * truth. Writes, into DIR (replaced atomically):
 * - `rgb.png` (8-bit RGB), `depth.png` (16-bit, millimetres), `depth.f32` (raw little-endian
 *   float32 metres, row-major), `masks.png` (16-bit instance ids = `instanceId`),
 * - `camera.json` (`{width, height, fx, fy, cx, cy}`, the form `--camera` reads),
 * - `truth.json` (the ground-truth scene: objects, poses, sizes, masses, camera pose).
 */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'synth',
    argv,
    {
      seed: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
      noise: { type: 'boolean', default: false },
      objects: { type: 'string' },
      'no-shared-meshes': { type: 'boolean', default: false },
      meshes: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (values.help) {
    console.log(`usage: real2sim synth ${USAGE}`);
    return 0;
  }
  if (values.seed === undefined || !/^-?\d+$/.test(values.seed)) {
    throw new Real2SimError('BAD_INPUT', `--seed must be an integer, got ${values.seed ?? 'nothing'}\n\nusage: real2sim synth ${USAGE}`);
  }
  if (!values.out) throw new Real2SimError('BAD_INPUT', `--out DIR is required\n\nusage: real2sim synth ${USAGE}`);
  const opts: SynthOptions = { seed: Number(values.seed), noise: values.noise };
  if (values.objects !== undefined) {
    const m = /^(\d+)(?:\.\.(\d+))?$/.exec(values.objects);
    if (!m) throw new Real2SimError('BAD_INPUT', `--objects must be N or MIN..MAX, got ${values.objects}`);
    opts.minObjects = Number(m[1]);
    opts.maxObjects = Number(m[2] ?? m[1]);
    // a table holds a few dozen objects at most; more would only fail to place them (slowly)
    if (opts.minObjects < 1 || opts.minObjects > opts.maxObjects || opts.maxObjects > 30) {
      throw new Real2SimError('BAD_INPUT', `--objects must be N or MIN..MAX with 1 ≤ MIN ≤ MAX ≤ 30, got ${values.objects}`);
    }
  }
  if (values['no-shared-meshes']) opts.sharedMeshesDir = null;
  else if (values.meshes) opts.sharedMeshesDir = resolve(values.meshes);

  await checkOutDir(values.out, { force: values.force });
  const { scene, frame } = generateSynthScene(opts);
  const files = await synthFiles(scene, frame);
  const out = resolve(values.out);
  await writeAtomically(out, files, values.force);
  console.log(`synth seed ${opts.seed}: ${scene.objects.length} objects (${scene.objects.map((o) => o.label).join(', ')}) → ${out}`);
  return 0;
}

/** The files of one synthetic frame, by name. */
export async function synthFiles(scene: Scene, frame: ReturnType<typeof generateSynthScene>['frame']): Promise<Record<string, Uint8Array | string>> {
  const depth = frame.depth!;
  const f32 = new Uint8Array(depth.data.length * 4);
  const view = new DataView(f32.buffer);
  for (let i = 0; i < depth.data.length; i++) view.setFloat32(i * 4, depth.data[i]!, true);
  const c = frame.camera;
  return {
    'rgb.png': encodePng(frame.color),
    'depth.png': encodeDepthPng(depth),
    'depth.f32': f32,
    'masks.png': encodeLabelPng(frame.masks!),
    'labels.json': JSON.stringify(Object.fromEntries(frame.masks!.labels), null, 2) + '\n',
    'camera.json': JSON.stringify({ width: c.width, height: c.height, fx: c.fx, fy: c.fy, cx: c.cx, cy: c.cy, frame_id: c.frameId }, null, 2) + '\n',
    'truth.json': await truthJson(scene),
  };
}

/** The scene through `src/io/sceneJson.ts` when it is there; plain JSON of poses and sizes otherwise. */
async function truthJson(scene: Scene): Promise<string> {
  try {
    const io = (await import('../io/sceneJson.ts')) as { sceneToJson?: (s: Scene) => string };
    if (io.sceneToJson) return io.sceneToJson(scene) + '\n';
  } catch {
    // fall through to the plain form
  }
  return (
    JSON.stringify(
      {
        version: scene.version,
        frameId: scene.frameId,
        camera: scene.camera,
        support: scene.support,
        meta: scene.meta,
        objects: scene.objects.map((o) => ({
          id: o.id,
          label: o.label,
          instanceId: o.instanceId,
          pose: o.pose,
          size: o.size,
          mass: o.mass,
          centerOfMass: o.centerOfMass,
          inertia: o.inertia,
          symmetry: o.symmetry,
          color: o.color,
        })),
      },
      null,
      2,
    ) + '\n'
  );
}

/** Writes into a temporary folder beside `dir`, then swaps it in: never half a folder, and only
 * a folder real2sim wrote is replaced (`--force` keeps any other beside it). */
async function writeAtomically(dir: string, files: Record<string, Uint8Array | string>, force: boolean): Promise<void> {
  await replaceDir(
    dir,
    'synth',
    async (tmp) => {
      for (const [name, data] of Object.entries(files)) await writeFile(join(tmp, name), data, { flag: 'wx' });
      return Object.keys(files);
    },
    { force },
  );
}
