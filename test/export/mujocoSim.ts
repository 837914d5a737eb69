/**
 * Loads an MJCF (or URDF) from a bundle folder into the official MuJoCo WebAssembly build
 * (`@mujoco/mujoco`, pinned 3.14.0) and lets it settle: returns, per body, how far it moved
 * over the simulated time. The files are copied into the module's in-memory file system under
 * a fresh folder; models and data are freed afterwards.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import loadMujoco from '@mujoco/mujoco';

type MujocoModule = Awaited<ReturnType<typeof loadMujoco>>;
let modulePromise: Promise<MujocoModule> | null = null;
let runCounter = 0;

export function mujoco(): Promise<MujocoModule> {
  modulePromise ??= loadMujoco();
  return modulePromise;
}

function copyTree(mj: MujocoModule, from: string, to: string): void {
  mj.FS.mkdir(to);
  for (const entry of readdirSync(from)) {
    const src = join(from, entry);
    const dst = `${to}/${entry}`;
    if (statSync(src).isDirectory()) copyTree(mj, src, dst);
    else mj.FS.writeFile(dst, readFileSync(src));
  }
}

export interface SettleResult {
  bodies: { name: string; displacement: number }[];
  maxDisplacement: number;
  nbody: number;
  /** World positions of the bodies right after loading (mj_forward), by name. */
  initial: Map<string, [number, number, number]>;
}

/** Loads `dir/file` and steps `seconds` of simulated time. Throws with MuJoCo's message when
 * the model does not load. */
export async function settleInMujoco(dir: string, file = 'scene.xml', seconds = 2): Promise<SettleResult> {
  const mj = await mujoco();
  const root = `/run${++runCounter}`;
  copyTree(mj, dir, root);
  let model: InstanceType<MujocoModule['MjModel']>;
  try {
    model = mj.MjModel.from_xml_path(`${root}/${file}`);
  } catch (e) {
    removeTree(mj, root);
    throw e;
  }
  const data = new mj.MjData(model);
  try {
    mj.mj_forward(model, data);
    const nbody = model.nbody;
    const x0 = Float64Array.from(data.xpos as ArrayLike<number>);
    const steps = Math.round(seconds / model.opt.timestep);
    for (let i = 0; i < steps; i++) mj.mj_step(model, data);
    const x1 = data.xpos as ArrayLike<number>;
    const bodies: SettleResult['bodies'] = [];
    const initial = new Map<string, [number, number, number]>();
    for (let b = 1; b < nbody; b++) {
      const name = mj.mj_id2name(model, mj.mjtObj.mjOBJ_BODY.value, b);
      initial.set(name, [x0[b * 3]!, x0[b * 3 + 1]!, x0[b * 3 + 2]!]);
      bodies.push({ name, displacement: Math.hypot(x1[b * 3]! - x0[b * 3]!, x1[b * 3 + 1]! - x0[b * 3 + 1]!, x1[b * 3 + 2]! - x0[b * 3 + 2]!) });
    }
    return { bodies, maxDisplacement: Math.max(0, ...bodies.map((b) => b.displacement)), nbody, initial };
  } finally {
    data.delete();
    model.delete();
    removeTree(mj, root);
  }
}

/** Frees the copied files: the module's file system lives in its (bounded) memory. */
function removeTree(mj: MujocoModule, path: string): void {
  for (const entry of mj.FS.readdir(path) as string[]) {
    if (entry === '.' || entry === '..') continue;
    const p = `${path}/${entry}`;
    if (mj.FS.isDir((mj.FS.stat(p, false) as { mode: number }).mode)) removeTree(mj, p);
    else mj.FS.unlink(p);
  }
  mj.FS.rmdir(path);
}
