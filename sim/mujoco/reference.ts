/**
 * The MuJoCo reference check: the official WebAssembly build (`@mujoco/mujoco`, pinned 3.14.0)
 * loads the scene exactly as the bundle exports it (`toMjcf` + its OBJ meshes, written into
 * MuJoCo's in-memory file system), simulates it, and returns the final object poses so they can
 * be compared with our engine's. MuJoCo's soft contacts and convex (multi-CCD, on by default in
 * 3.x) collision are a different implementation from Rapier's and cannon-es's, which is what
 * makes it a reference — and it checks the file users will actually load.
 */
import load from '@mujoco/mujoco';
import { Real2SimError } from '../../src/model/errors.ts';
import { SCENE_VERSION, type Plane, type Scene, type SceneObject } from '../../src/model/scene.ts';
import type { Pose } from '../../src/model/pose.ts';
import { prepareScene } from '../../src/export/prepare.ts';
import { toMjcf, type MjcfOptions } from '../../src/export/mjcf.ts';
import { encodeObj } from '../../src/io/mesh.ts';

// The bindings' types are generated and very wide; this is the part used here.
interface MjModule {
  FS: { mkdir(p: string): void; rmdir(p: string): void; writeFile(p: string, data: string | Uint8Array): void; unlink(p: string): void; analyzePath(p: string): { exists: boolean } };
  MjModel: { from_xml_path(p: string): MjModelHandle };
  mj_name2id(m: MjModelHandle, type: number, name: string): number;
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

export interface MujocoRunOptions extends MjcfOptions {
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

const MJ_OBJ_BODY = 1;

export async function simulateMujoco(objects: readonly SceneObject[], support: Plane | undefined, options: MujocoRunOptions = {}): Promise<MujocoRun> {
  const mj = await loadMujoco();
  const scene: Scene = { version: SCENE_VERSION, frameId: 'world', objects: [...objects], reports: [], ...(support ? { support } : {}) };
  const prep = prepareScene(scene);
  const { seconds: _s, maxBodySteps: _m, ...mjcfOptions } = options;
  const xml = toMjcf(prep, mjcfOptions);
  const timestep = options.timestep ?? 0.001;
  // the bundle's layout, in MuJoCo's in-memory file system: scene.xml + meshes/*.obj
  const dir = `/r2s/run_${process.pid}_${fileCounter++}`;
  const files: string[] = [];
  mj.FS.mkdir(dir);
  mj.FS.mkdir(`${dir}/meshes`);
  const put = (rel: string, text: string) => {
    mj.FS.writeFile(`${dir}/${rel}`, text);
    files.push(`${dir}/${rel}`);
  };
  let model: MjModelHandle;
  try {
    for (const ob of prep.objects) {
      put(ob.visualFile, encodeObj(ob.visual, ob.name));
      ob.collisionFiles.forEach((f, k) => put(f, encodeObj(ob.collision[k]!, `${ob.name}_collision_${k}`)));
    }
    put('scene.xml', xml);
    try {
      model = mj.MjModel.from_xml_path(`${dir}/scene.xml`);
    } catch (cause) {
      throw new Real2SimError('PHYSICS', `MuJoCo could not load the scene's exported MJCF: ${describe(cause)}`, { dir }, cause);
    }
  } finally {
    for (const f of files) mj.FS.unlink(f);
    mj.FS.rmdir(`${dir}/meshes`);
    mj.FS.rmdir(dir);
  }
  const data = new mj.MjData(model);
  try {
    const bodies = prep.objects.map((ob) => mj.mj_name2id(model, MJ_OBJ_BODY, ob.name));
    if (bodies.some((b) => b < 1)) throw new Real2SimError('PHYSICS', 'The exported MJCF lacks a body for some object', { names: prep.objects.map((o) => o.name) });
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
    const finalPoses = bodies.map((b): Pose => ({
      position: [xpos[b * 3]!, xpos[b * 3 + 1]!, xpos[b * 3 + 2]!],
      orientation: [xquat[b * 4 + 1]!, xquat[b * 4 + 2]!, xquat[b * 4 + 3]!, xquat[b * 4]!],
    }));
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
