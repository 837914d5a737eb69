/**
 * The MuJoCo reference check: the official WebAssembly build (`@mujoco/mujoco`, pinned 3.14.0)
 * loads the scene as MJCF, simulates it, and returns the final object poses so they can be
 * compared with our engine's. MuJoCo's soft contacts and convex (multi-CCD) collision are a
 * different implementation from Rapier's and cannon-es's, which is what makes it a reference.
 */
import load from '@mujoco/mujoco';
import { Real2SimError } from '../../src/model/errors.ts';
import type { Plane, SceneObject } from '../../src/model/scene.ts';
import type { Pose } from '../../src/model/pose.ts';
import { referenceMjcf, type ReferenceMjcfOptions } from './mjcf.ts';

// The bindings' types are generated and very wide; this is the part used here.
interface MjModule {
  FS: { mkdir(p: string): void; writeFile(p: string, data: string | Uint8Array): void; unlink(p: string): void; analyzePath(p: string): { exists: boolean } };
  MjModel: { from_xml_path(p: string): MjModelHandle };
  MjData: new (m: MjModelHandle) => MjDataHandle;
  mj_step(m: MjModelHandle, d: MjDataHandle): void;
  mj_forward(m: MjModelHandle, d: MjDataHandle): void;
}
interface MjModelHandle {
  nbody: number;
  delete(): void;
}
interface MjDataHandle {
  xpos: Float64Array;
  xquat: Float64Array;
  time: number;
  delete(): void;
}

let mjPromise: Promise<MjModule> | null = null;
/** Loads the WASM module once per process (~150 ms). */
export function loadMujoco(): Promise<MjModule> {
  mjPromise ??= (load as unknown as () => Promise<MjModule>)().then((mj) => {
    if (!mj.FS.analyzePath('/r2s').exists) mj.FS.mkdir('/r2s');
    return mj;
  });
  return mjPromise;
}

export interface MujocoRunOptions extends ReferenceMjcfOptions {
  seconds?: number;
  /** Upper bound on bodies × steps (budget). */
  maxBodySteps?: number;
}

export interface MujocoRun {
  finalPoses: Pose[];
  seconds: number;
  budgetExceeded: boolean;
}

let fileCounter = 0;

export async function simulateMujoco(objects: readonly SceneObject[], support: Plane | undefined, options: MujocoRunOptions = {}): Promise<MujocoRun> {
  const mj = await loadMujoco();
  const timestep = options.timestep ?? 0.001;
  const xml = referenceMjcf(objects, support, options);
  const path = `/r2s/scene_${process.pid}_${fileCounter++}.xml`;
  mj.FS.writeFile(path, xml);
  let model: MjModelHandle;
  try {
    model = mj.MjModel.from_xml_path(path);
  } catch (cause) {
    throw new Real2SimError('PHYSICS', `MuJoCo could not load the scene's MJCF: ${describe(cause)}`, { path }, cause);
  } finally {
    mj.FS.unlink(path);
  }
  const data = new mj.MjData(model);
  try {
    const dynamic = objects.filter((o) => !o.isStatic).length;
    let steps = Math.round((options.seconds ?? 2) / timestep);
    let budgetExceeded = false;
    const budget = options.maxBodySteps ?? Infinity;
    if (dynamic * steps > budget) {
      budgetExceeded = true;
      steps = Math.floor(budget / Math.max(1, dynamic));
    }
    for (let s = 0; s < steps; s++) mj.mj_step(model, data);
    mj.mj_forward(model, data);
    const xpos = data.xpos, xquat = data.xquat;
    // body 0 is the world; object i is body i + 1
    const finalPoses = objects.map((_, i): Pose => {
      const b = i + 1;
      return {
        position: [xpos[b * 3]!, xpos[b * 3 + 1]!, xpos[b * 3 + 2]!],
        orientation: [xquat[b * 4 + 1]!, xquat[b * 4 + 2]!, xquat[b * 4 + 3]!, xquat[b * 4]!],
      };
    });
    return { finalPoses, seconds: steps * timestep, budgetExceeded };
  } finally {
    data.delete();
    model.delete();
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'number') return `WASM exception ${e}`;
  return String(e);
}
