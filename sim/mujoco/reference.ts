/**
 * The MuJoCo reference check: the official WebAssembly build (`@mujoco/mujoco`, pinned 3.14.0)
 * loads the scene exactly as the bundle exports it (`toMjcf` + its OBJ meshes, written into
 * MuJoCo's in-memory file system), simulates it, and returns the final object poses so they can
 * be compared with our engine's. MuJoCo's soft contacts and convex (multi-CCD, on by default in
 * 3.x) collision are a different implementation from Rapier's and cannon-es's, which is what
 * makes it a reference — and it checks the file users will actually load. The model is written
 * here (`mujocoModelFiles`); `run.ts` loads and steps it.
 */
import { SCENE_VERSION, type Plane, type Scene, type SceneObject } from '../../src/model/scene.ts';
import { prepareScene } from '../../src/export/prepare.ts';
import { toMjcf, type MjcfOptions } from '../../src/export/mjcf.ts';
import { encodeObj } from '../../src/io/mesh.ts';
import type { MujocoModelFiles, MujocoRun, MujocoRunOptions } from './run.ts';

export type { MujocoModelFiles, MujocoRun, MujocoRunOptions } from './run.ts';

// MuJoCo's bindings (`run.ts`) are imported on first use: a process that never cross-checks never
// loads them (imported and loaded, they hold ~100 MB of RSS).

/**
 * Cross-checks after which loading MuJoCo with `optimise` has paid for itself (`run.ts`): a
 * process that will run more (the ROS node, a long batch thread) loads it so.
 */
export const MUJOCO_OPTIMISE_PAYS_AFTER = 10;

/** Loads MuJoCo's WebAssembly module in this thread (once; see `run.ts`). */
export async function loadMujoco(options: { optimise?: boolean } = {}): Promise<void> {
  await (await import('./run.ts')).loadMujoco(options);
}

let optimiseOnLoad = false;

/**
 * This thread will run many cross-checks (a long batch thread, a queue worker): when MuJoCo is
 * first needed here, load it optimised. Nothing is loaded now, so a thread whose jobs never
 * validate never pays for MuJoCo.
 */
export function preferOptimisedMujoco(): void {
  optimiseOnLoad = true;
}

export async function runMujoco(scene: MujocoModelFiles, options: MujocoRunOptions = {}): Promise<MujocoRun> {
  const run = await import('./run.ts');
  // the first load decides how the module is compiled (`run.ts`)
  if (optimiseOnLoad) await run.loadMujoco({ optimise: true });
  return run.runMujoco(scene, options);
}

/** The scene's MJCF (as the bundle exports it, without visual meshes) and its collision meshes. */
export function mujocoModelFiles(objects: readonly SceneObject[], support: Plane | undefined, options: MjcfOptions = {}): MujocoModelFiles {
  const scene: Scene = { version: SCENE_VERSION, frameId: 'world', objects: [...objects], reports: [], ...(support ? { support } : {}) };
  const prep = prepareScene(scene);
  // the exporter's options only (unset ones keep the exporter's defaults)
  const mjcfOptions: MjcfOptions = {};
  for (const key of ['model', 'timestep', 'solref', 'solimp', 'friction', 'meshDir'] as const) {
    if (options[key] !== undefined) Object.assign(mjcfOptions, { [key]: options[key] });
  }
  // Visual meshes do not collide and the inertia is explicit: leave them out of the reference
  // run (loading them was most of MuJoCo's compile time on real scenes). The exporter writes one
  // element per line; only visual-class geoms and their assets are dropped.
  const visual = new Set(prep.objects.filter((ob) => ob.visualIsSolid).map((ob) => ob.name));
  const xml = toMjcf(prep, mjcfOptions)
    .split('\n')
    .filter((line) => !/class="visual"/.test(line) && !(/^\s*<mesh name="([^"]+)" file=/.test(line) && visual.has(/<mesh name="([^"]+)"/.exec(line)![1]!)))
    .join('\n');
  const meshes: [string, string][] = [];
  for (const ob of prep.objects) ob.collisionFiles.forEach((f, k) => meshes.push([f, encodeObj(ob.collision[k]!, `${ob.name}_collision_${k}`)]));
  return { xml, meshes, names: prep.objects.map((ob) => ob.name), isStatic: objects.map((ob) => !!ob.isStatic) };
}

export function simulateMujoco(objects: readonly SceneObject[], support: Plane | undefined, options: MujocoRunOptions = {}): Promise<MujocoRun> {
  return runMujoco(mujocoModelFiles(objects, support, options), options);
}
