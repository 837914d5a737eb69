/**
 * MuJoCo itself (the official WebAssembly build, `@mujoco/mujoco`, pinned 3.14.0): loads a model
 * given as MJCF text and OBJ meshes into MuJoCo's in-memory file system, simulates it and returns
 * the final body poses. Only the bindings are imported here (no exporter); the model is written
 * by `reference.ts`.
 */
import v8 from 'node:v8';
import load from '@mujoco/mujoco';
import { Real2SimError } from '../../src/model/errors.ts';
import type { Pose } from '../../src/model/pose.ts';
import type { MjcfOptions } from '../../src/export/mjcf.ts';
import { MIN_SECONDS, RestWatch, type RestTest } from '../rest.ts';

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
/**
 * Loads the WASM module once per process (~150 ms); the first call's options decide how.
 *
 * By default it is compiled with V8's baseline compiler only (Liftoff, no tier-up to TurboFan):
 * a CLI run does one or two reference runs, and optimising the hot functions of the 10 MB module
 * costs more CPU than it saves there (a real scene, 84 convex pieces: the first load + 750 steps
 * took 0.7 s of CPU with tier-up, 0.28 s without) and keeps ~25 MB of optimised code. A process
 * that validates frame after frame (the ROS node) asks for `optimise`: optimised steps are ~1.5×
 * faster, which repays the compilation after ~10 runs. WebAssembly semantics do not depend on
 * the compiler: the same poses come out either way. The flag is V8's and global, so it is set
 * only while this module compiles and put back after (unless the user set it).
 */
export function loadMujoco(options: { optimise?: boolean } = {}): Promise<MjModule> {
  mjPromise ??= (async () => {
    const userSet = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)].includes('--liftoff-only');
    const baseline = !options.optimise && !userSet;
    if (baseline) setV8Flag('--liftoff-only');
    try {
      const mj = await (load as unknown as () => Promise<MjModule>)();
      if (!mj.FS.analyzePath('/r2s').exists) mj.FS.mkdir('/r2s');
      return mj;
    } finally {
      if (baseline) setV8Flag('--no-liftoff-only');
    }
  })();
  return mjPromise;
}

/** A V8 flag, best effort: a V8 without it keeps its defaults (only speed differs). */
function setV8Flag(flag: string): void {
  try {
    v8.setFlagsFromString(flag);
  } catch {
    // keep the defaults
  }
}

export interface MujocoRunOptions extends MjcfOptions, Partial<RestTest> {
  seconds?: number;
  /**
   * Stops the run between steps (it then rejects with code ABORTED). The run hands the thread
   * back every `YIELD_STEPS` steps, so a caller that no longer needs it (our engine has already
   * found the scene unstable) can stop it, and the thread's other work goes on meanwhile.
   */
  signal?: AbortSignal;
  /** Upper bound on bodies × steps (budget). */
  maxBodySteps?: number;
  /** Early stop at rest (`rest.ts`): the window, seconds. Off when absent. */
  restSeconds?: number;
}

export interface MujocoRun {
  finalPoses: Pose[];
  seconds: number;
  budgetExceeded: boolean;
}

/** A scene as MuJoCo loads it: the MJCF, its meshes, and each object's body name and whether it is static, in object order. */
export interface MujocoModelFiles {
  xml: string;
  /** [path relative to scene.xml, OBJ text] */
  meshes: [string, string][];
  names: string[];
  isStatic: boolean[];
}

let fileCounter = 0;

/** Steps between hand-backs of the thread: ~5–15 ms of a real scene's stepping. */
const YIELD_STEPS = 64;
const handBack = () => new Promise<void>((resolve) => setImmediate(resolve));

const MJ_OBJ_BODY = 1;

export async function runMujoco(scene: MujocoModelFiles, options: MujocoRunOptions = {}): Promise<MujocoRun> {
  const mj = await loadMujoco();
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
    for (const [rel, text] of scene.meshes) put(rel, text);
    put('scene.xml', scene.xml);
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
    const bodies = scene.names.map((name) => mj.mj_name2id(model, MJ_OBJ_BODY, name));
    if (bodies.some((b) => b < 1)) throw new Real2SimError('PHYSICS', 'The exported MJCF lacks a body for some object', { names: scene.names });
    const dynamic = scene.isStatic.filter((s) => !s).length;
    let steps = Math.round((options.seconds ?? 2) / timestep);
    let budgetExceeded = false;
    const budget = options.maxBodySteps ?? Infinity;
    if (dynamic * steps > budget) {
      budgetExceeded = true;
      steps = Math.floor(budget / Math.max(1, dynamic));
    }
    const poses = (): Pose[] => {
      const xpos = data.xpos,
        xquat = data.xquat;
      return bodies.map((b): Pose => ({
        position: [xpos[b * 3]!, xpos[b * 3 + 1]!, xpos[b * 3 + 2]!],
        orientation: [xquat[b * 4 + 1]!, xquat[b * 4 + 2]!, xquat[b * 4 + 3]!, xquat[b * 4]!],
      }));
    };
    const free = scene.isStatic.map((s, k) => (s ? -1 : k)).filter((k) => k >= 0);
    const window = options.restSeconds ? Math.max(1, Math.round(options.restSeconds / timestep)) : Infinity;
    const minSteps = Math.round(MIN_SECONDS / timestep);
    mj.mj_forward(model, data);
    const start = poses();
    const watch = new RestWatch(
      free.map((k) => start[k]!),
      { ...options, restMove: options.restMove ?? 5e-4, restTurn: options.restTurn ?? 5e-3 },
    );
    let s = 0;
    for (; s < steps; s++) {
      if (s % YIELD_STEPS === YIELD_STEPS - 1) {
        await handBack();
        if (options.signal?.aborted) throw new Real2SimError('ABORTED', 'The MuJoCo run was stopped: its result is no longer needed');
      }
      mj.mj_step(model, data);
      if ((s + 1) % window !== 0) continue;
      mj.mj_forward(model, data);
      const now = poses();
      const rest = watch.atRest(
        free.map((k) => now[k]!),
        Math.ceil((steps - s - 1) / window),
      );
      if (rest && s + 1 >= minSteps) {
        s++;
        break;
      }
    }
    mj.mj_forward(model, data);
    return { finalPoses: poses(), seconds: s * timestep, budgetExceeded };
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
