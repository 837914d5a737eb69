/**
 * Exported files run in native engines, as a user would load them:
 * - MuJoCo 2.2 (Debian's libmujoco): `mjsim.c`, compiled at first use with `cc`, loads
 *   `scene.xml`, or `scene.urdf` through its `<mujoco>` block (MuJoCo's URDF import has no floor:
 *   the file is loaded, written back as MJCF by MuJoCo itself, and a floor plane is added on the
 *   support plane before it is simulated);
 * - Bullet 3.24 (Debian's libbullet-dev): `btsim.cc`, compiled at first use with `g++`. Debian
 *   ships no Bullet URDF importer (it lives in Bullet's examples, as in PyBullet), so each
 *   `models/<name>/model.urdf` is parsed here with the project's XML reader and its link —
 *   inertial, collision shapes (sphere, box, mesh → convex hull), `<contact>` friction — is
 *   passed to the harness; objects are placed at `models/index.json`'s poses.
 * Each run: contacts at t = 0 (penetration), 2 s of simulation, per-object displacement.
 * Binaries are cached in the temp folder by a hash of their source and flags.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attr, child, children, numAttr, parseXml } from '../../../src/io/readers/xml.ts';
import { decodeMesh } from '../../../src/io/mesh.ts';
import { quatFromRpy, type Quat, type Vec3 } from '../../../src/model/pose.ts';
import type { ModelIndex } from '../../../src/export/modelIndex.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface BodyRun {
  name: string;
  start: Vec3;
  end: Vec3;
  displacement: number;
}

export interface NativeRun {
  /** null when the file loaded; else the engine's message. */
  error: string | null;
  bodies: BodyRun[];
  /** Deepest penetration at t = 0 per touching pair `a|b` (sorted names; 'floor' or 'world' for the ground), metres, > 0. */
  penetrations: Map<string, number>;
  /** MuJoCo warnings (contactfull, cnstrfull, badqacc …) with counts. */
  warnings: Record<string, number>;
  /** MuJoCo: most contacts and constraint rows in a step, and the buffers. */
  peak?: { ncon: number; nefc: number; nconmax: number; njmax: number };
}

function which(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

function compile(name: string, src: string, compiler: string, pkg: string, fallbackLibs: string): string | null {
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', pkg], { encoding: 'utf8' });
  const libs = flags.status === 0 ? flags.stdout.trim() : fallbackLibs;
  if (!which(compiler)) return null;
  const hash = createHash('sha256').update(readFileSync(src)).update(libs).digest('hex').slice(0, 12);
  const bin = join(tmpdir(), `real2sim-${name}-${hash}`);
  if (!existsSync(bin)) {
    const tmp = `${bin}.${process.pid}`;
    const std = compiler === 'g++' ? '-std=c++17' : '';
    const r = spawnSync('sh', ['-c', `${compiler} -O2 ${std} -o '${tmp}' '${src}' ${libs}`], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) return null;
    renameSync(tmp, bin);
  }
  return bin;
}

let mjBin: string | null | undefined;
let btBin: string | null | undefined;

/** The MuJoCo 2.2 harness, or null (with the reason in `nativeMissing`) when libmujoco-dev or cc is missing. */
export function mujocoHarness(): string | null {
  if (mjBin === undefined) mjBin = existsSync('/usr/include/mujoco/mujoco.h') ? compile('mjsim', join(here, 'mjsim.c'), 'cc', 'mujoco', '-lmujoco') : null;
  return mjBin;
}

/** The Bullet harness, or null when libbullet-dev or g++ is missing. */
export function bulletHarness(): string | null {
  if (btBin === undefined)
    btBin = existsSync('/usr/include/bullet/btBulletDynamicsCommon.h') ? compile('btsim', join(here, 'btsim.cc'), 'g++', 'bullet', '-lBulletDynamics -lBulletCollision -lLinearMath') : null;
  return btBin;
}

function parseRun(stdout: string, floorNames: string[]): NativeRun {
  const run: NativeRun = { error: null, bodies: [], penetrations: new Map(), warnings: {} };
  let loaded = false;
  for (const line of stdout.split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'error') run.error = line.slice(6);
    else if (f[0] === 'ok' || f[0] === 'done') loaded = true;
    else if (f[0] === 'contact') {
      const [a, b] = [f[1]!, f[2]!].map((n) => (floorNames.includes(n) ? 'floor' : n)).sort();
      const depth = -Number(f[3]);
      if (depth > 0 && a !== b) run.penetrations.set(`${a}|${b}`, Math.max(run.penetrations.get(`${a}|${b}`) ?? 0, depth));
    } else if (f[0] === 'body') {
      const v = f.slice(2, 8).map(Number);
      const start: Vec3 = [v[0]!, v[1]!, v[2]!],
        end: Vec3 = [v[3]!, v[4]!, v[5]!];
      run.bodies.push({ name: f[1]!, start, end, displacement: Math.hypot(end[0] - start[0], end[1] - start[1], end[2] - start[2]) });
    } else if (f[0] === 'peak') {
      const [ncon, nefc, nconmax, njmax] = f.slice(1, 5).map(Number) as [number, number, number, number];
      run.peak = { ncon, nefc, nconmax, njmax };
    } else if (f[0] === 'warn') run.warnings[f[1]!] = Number(f[2]);
  }
  if (!loaded && !run.error) run.error = `no result from the harness: ${stdout.slice(0, 500)}`;
  return run;
}

/** `scene.xml` (or any MJCF) in MuJoCo 2.2 for `seconds`. */
export function runMujocoFile(file: string, seconds = 2): NativeRun {
  const bin = mujocoHarness();
  if (!bin) throw new Error('the MuJoCo harness needs libmujoco-dev and cc (see .ci/run)');
  const r = spawnSync(bin, [file, String(seconds)], { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) return { error: `harness exited ${r.status} ${r.signal ?? ''}: ${r.stderr}`, bodies: [], penetrations: new Map(), warnings: {} };
  return parseRun(r.stdout, ['world']);
}

/**
 * `scene.urdf` in MuJoCo 2.2 with a floor: MuJoCo loads the URDF (its `<mujoco>` block gives
 * meshdir and buffer sizes) and writes it back as MJCF; a floor plane is added on the support
 * plane (`n·p + d = 0`) and that file is simulated. The written MJCF goes beside the URDF (its
 * mesh paths are relative) and is removed afterwards.
 */
export function runMujocoUrdf(urdf: string, support: { normal: Vec3; d: number }, seconds = 2): NativeRun {
  const bin = mujocoHarness();
  if (!bin) throw new Error('the MuJoCo harness needs libmujoco-dev and cc (see .ci/run)');
  const saved = join(dirname(urdf), `.mjsim-${process.pid}-${Date.now()}.xml`);
  try {
    const r = spawnSync(bin, ['--save', urdf, saved], { encoding: 'utf8', timeout: 120_000 });
    const first = r.stdout.split('\n')[0] ?? '';
    if (!first.startsWith('ok')) return { error: first.replace(/^error /, '') || `harness exited ${r.status}: ${r.stderr}`, bodies: [], penetrations: new Map(), warnings: {} };
    const n = support.normal;
    const origin = n.map((x) => -support.d * x);
    // zaxis = plane normal: MuJoCo orients the plane by it
    const floor = `<geom name="floor" type="plane" size="5 5 0.05" pos="${origin.join(' ')}" zaxis="${n.join(' ')}"/>`;
    const xml = readFileSync(saved, 'utf8').replace('<worldbody>', `<worldbody>\n    ${floor}`);
    writeFileSync(saved, xml);
    return runMujocoFile(saved, seconds);
  } finally {
    rmSync(saved, { force: true });
  }
}

function pose(el: ReturnType<typeof child>, where: string): { c: Vec3; q: Quat } {
  const o = el ? child(el, 'origin') : undefined;
  const xyz = (numAttr(o, 'xyz', where, 3) ?? [0, 0, 0]) as Vec3;
  const rpy = numAttr(o, 'rpy', where, 3) ?? [0, 0, 0];
  return { c: xyz, q: quatFromRpy(rpy[0]!, rpy[1]!, rpy[2]!) };
}

/** Harness input for one `model.urdf` placed at `position`/`orientation`. */
export async function bulletBodyRecords(file: string, position: Vec3, orientation: Quat, isStatic: boolean): Promise<string[]> {
  const robot = parseXml(readFileSync(file, 'utf8'), file);
  const links = children(robot, 'link');
  if (links.length !== 1) throw new Error(`${file}: expected one link, found ${links.length}`);
  const link = links[0]!;
  const name = attr(robot, 'name') ?? 'object';
  const inertial = child(link, 'inertial');
  const mass = numAttr(child(inertial!, 'mass'), 'value', `${file} mass`, 1)![0]!;
  const com = pose(inertial, `${file} inertial`).c;
  const I = child(inertial!, 'inertia')!;
  const i = (k: string) => numAttr(I, k, `${file} inertia`, 1)![0]!;
  const contact = child(link, 'contact');
  const cv = (k: string, dflt: number) => (contact && child(contact, k) ? numAttr(child(contact, k), 'value', `${file} contact`, 1)![0]! : dflt);
  const out = [
    `body ${name} ${isStatic ? 1 : 0} ${mass} ${position.join(' ')} ${orientation.join(' ')}`,
    `inertial ${com.join(' ')} ${i('ixx')} ${i('iyy')} ${i('izz')} ${i('ixy')} ${i('ixz')} ${i('iyz')}`,
    `surface ${cv('lateral_friction', 0.5)} ${cv('rolling_friction', 0)} ${cv('spinning_friction', 0)} ${cv('restitution', 0)}`,
  ];
  for (const col of children(link, 'collision')) {
    const { c, q } = pose(col, `${file} collision`);
    const shape = children(child(col, 'geometry')!)[0]!;
    if (shape.tagName === 'sphere') out.push(`sphere ${c.join(' ')} ${numAttr(shape, 'radius', file, 1)![0]}`);
    else if (shape.tagName === 'box') out.push(`box ${c.join(' ')} ${q.join(' ')} ${numAttr(shape, 'size', file, 3)!.join(' ')}`);
    else if (shape.tagName === 'mesh') {
      const path = join(dirname(file), attr(shape, 'filename')!);
      const mesh = await decodeMesh(new Uint8Array(readFileSync(path)), 'obj', path);
      out.push(`hull ${c.join(' ')} ${q.join(' ')} ${mesh.positions.length / 3} ${Array.from(mesh.positions).join(' ')}`);
    } else throw new Error(`${file}: collision geometry <${shape.tagName}> is not handled by the Bullet harness`);
  }
  out.push('end');
  return out;
}

/** Every `models/<name>/model.urdf` of a bundle in Bullet, placed by `models/index.json`, on a floor at the support plane. */
export async function runBulletBundle(dir: string, seconds = 2, hz = 240): Promise<NativeRun> {
  const bin = bulletHarness();
  if (!bin) throw new Error('the Bullet harness needs libbullet-dev and g++ (see .ci/run)');
  const index = JSON.parse(readFileSync(join(dir, 'models', 'index.json'), 'utf8')) as ModelIndex;
  const lines: string[] = [];
  // friction 1 like PyBullet's plane.urdf: Bullet multiplies the two bodies' coefficients
  lines.push(`floor ${index.support.normal.join(' ')} ${index.support.d} 1 0`);
  for (const o of index.objects) {
    try {
      lines.push(...(await bulletBodyRecords(join(dir, 'models', o.urdf), o.position, o.orientation, o.static)));
    } catch (e) {
      return { error: `${o.urdf}: ${(e as Error).message}`, bodies: [], penetrations: new Map(), warnings: {} };
    }
  }
  lines.push(`run ${seconds} ${hz}`);
  const work = mkdtempSync(join(tmpdir(), 'r2s-bt-'));
  try {
    const input = join(work, 'in.txt');
    writeFileSync(input, lines.join('\n') + '\n');
    const r = spawnSync('sh', ['-c', `'${bin}' < '${input}'`], { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 });
    if (r.status !== 0) return { error: `harness exited ${r.status} ${r.signal ?? ''}: ${r.stderr}`, bodies: [], penetrations: new Map(), warnings: {} };
    return parseRun(r.stdout, ['floor']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Objects whose frame origin ended below the support plane: they fell through the floor. */
export function throughFloor(run: NativeRun, support: { normal: Vec3; d: number }): string[] {
  const n = support.normal;
  return run.bodies.filter((b) => n[0] * b.end[0] + n[1] * b.end[1] + n[2] * b.end[2] + support.d < 0).map((b) => b.name);
}
