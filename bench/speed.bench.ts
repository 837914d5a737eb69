/**
 * Speed of the geometry kernels against Open3D 0.16 (one thread), on exactly the peer's inputs.
 *
 * `npm run bench -- speed`. When `/usr/bin/python3 -c 'import open3d'` works, runs
 * `OMP_NUM_THREADS=1 /usr/bin/python3 ../shared/peers/open3d_bench.py --out <tmp>`, reads the
 * timings it prints and the inputs it writes (depth.f32, object.ply, object_moved.ply), then
 * times ours on the same files in this process (10 runs after a warm-up of ≥ 3 calls) and prints
 * ours / Open3D / ratio. The two run one after the other on a shared machine: compare ratios,
 * not absolute times. Without Open3D (or without ../shared), the same kind of inputs are
 * generated here and only our times are printed.
 *
 * The kernels timed are the ones the stages run: depth → cloud is the organised cloud every
 * RGB-D frame goes through (stages/organized.ts), the plane fit the ground stage's RANSAC
 * (stages/local/plane.ts), the hull the one shape and compose call. Voxel down-sampling and
 * normals run in no stage: their rows time the reference kernels in bench/kernels/, marked so.
 * Hulls are compared on equal output: the vertices left after merging coplanar faces (a vertex
 * counts when its faces span three or more planes), of ours and of Open3D's hull of the same
 * points (bench/peers/open3d_tabletop.py --hull).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convexHull } from '../src/geometry/convexHull.ts';
import { depthToCloud } from '../src/geometry/depthCloud.ts';
import { icp } from '../src/geometry/icp.ts';
import { estimateNormals } from './kernels/normals.ts';
import { createRng } from '../src/geometry/random.ts';
import { fitPlaneRansac } from '../src/stages/local/plane.ts';
import { organizedCloud } from '../src/stages/organized.ts';
import { voxelDownsample } from './kernels/voxel.ts';
import { meshVolume } from '../src/geometry/massProperties.ts';
import type { CameraIntrinsics } from '../src/model/camera.ts';
import type { DepthImage } from '../src/model/image.ts';
import type { Mesh } from '../src/model/geometry.ts';
import { quatFromAxisAngle, quatAngle, transformPositions, type Pose } from '../src/model/pose.ts';

const W = 640,
  H = 480;
const CAMERA: CameraIntrinsics = { width: W, height: H, fx: 525, fy: 525, cx: 319.5, cy: 239.5 };
const REPS = 10;
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PEER = resolve(repoRoot, '../shared/peers/open3d_bench.py');
/** The true motion of object_moved.ply (see the peer script). */
const TRUE_POSE: Pose = { position: [0.02, -0.01, 0.015], orientation: quatFromAxisAngle([1, 2, 3], (10 * Math.PI) / 180) };

/** Peer step label prefix → our row. */
const ROWS = [
  { key: '(a)', name: 'depth → organised cloud (307k)', target: 1.5 },
  { key: '(b)', name: 'voxel 1 cm (no stage; reference)', target: 1.0 },
  { key: '(c3)', name: 'RANSAC plane, 1000 its forced', target: 1.0 },
  { key: '(c1)', name: 'RANSAC plane, early stop, full', target: null },
  { key: '(d1)', name: 'ICP p2p 20k→20k, 50 its', target: 1.0 },
  { key: '(e)', name: 'convex hull 20k', target: 2.0 },
  { key: '(f1)', name: 'normals 20k (no stage; reference)', target: null },
] as const;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** A full collection before each step, so one step's garbage is not collected on the next one's clock. */
const collect: () => void = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return () => {};
  }
})();

/** Wall median and minimum, and median process CPU time (user + system), in ms. */
function time<T>(fn: () => T): { ms: number; min: number; cpu: number; out: T } {
  collect();
  // warm-up: V8 needs a few calls before a kernel runs optimised (one call left the hull's
  // median in baseline code); at least 3 calls, up to 20 or 300 ms
  let out = fn();
  const w0 = performance.now();
  for (let w = 1; w < 20 && (w < 3 || performance.now() - w0 < 300); w++) out = fn();
  collect();
  const ts: number[] = [];
  const cs: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    out = fn();
    ts.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cs.push((c.user + c.system) / 1000);
  }
  return { ms: median(ts), min: Math.min(...ts), cpu: median(cs), out };
}

/** Vertex xyz of a PLY file (binary little-endian or ASCII; float or double x, y, z). */
function readPlyPoints(bytes: Uint8Array): Float32Array {
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 4096)));
  const end = text.indexOf('end_header\n');
  if (end < 0) throw new Error('PLY without end_header');
  const header = text
    .slice(0, end)
    .split('\n')
    .map((l) => l.trim());
  const format = header.find((l) => l.startsWith('format'))!.split(/\s+/)[1]!;
  let count = 0;
  const props: { name: string; type: string }[] = [];
  let inVertex = false;
  for (const l of header) {
    const f = l.split(/\s+/);
    if (f[0] === 'element') {
      inVertex = f[1] === 'vertex';
      if (inVertex) count = Number(f[2]);
    } else if (f[0] === 'property' && inVertex) props.push({ type: f[1]!, name: f[2]! });
  }
  const size: Record<string, number> = {
    float: 4,
    float32: 4,
    double: 8,
    float64: 8,
    uchar: 1,
    uint8: 1,
    char: 1,
    int8: 1,
    short: 2,
    ushort: 2,
    int16: 2,
    uint16: 2,
    int: 4,
    uint: 4,
    int32: 4,
    uint32: 4,
  };
  const out = new Float32Array(count * 3);
  const body = end + 'end_header\n'.length;
  if (format === 'ascii') {
    const lines = new TextDecoder('latin1').decode(bytes.subarray(body)).split('\n');
    const xi = props.findIndex((p) => p.name === 'x');
    for (let i = 0; i < count; i++) {
      const f = lines[i]!.trim().split(/\s+/).map(Number);
      out.set([f[xi]!, f[xi + 1]!, f[xi + 2]!], i * 3);
    }
    return out;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset + body);
  const stride = props.reduce((s, p) => s + size[p.type]!, 0);
  let off = 0;
  const offsets: Record<string, [number, string]> = {};
  for (const p of props) {
    offsets[p.name] = [off, p.type];
    off += size[p.type]!;
  }
  for (let i = 0; i < count; i++) {
    for (const [a, name] of ['x', 'y', 'z'].entries()) {
      const [o, type] = offsets[name]!;
      out[i * 3 + a] = type.startsWith('double') || type === 'float64' ? dv.getFloat64(i * stride + o, true) : dv.getFloat32(i * stride + o, true);
    }
  }
  return out;
}

/** Stand-in inputs when the peer is missing: floor + 3 boxes seen from 1 m up, pitched 45°. */
function makeDepth(): Float32Array {
  const pitch = Math.PI / 4;
  const up = [0, -Math.cos(pitch), -Math.sin(pitch)];
  const xc = [1, 0, 0];
  const yc = [up[1]! * xc[2]! - up[2]! * xc[1]!, up[2]! * xc[0]! - up[0]! * xc[2]!, up[0]! * xc[1]! - up[1]! * xc[0]!];
  const boxes = [
    [
      [-0.45, 1.0, 0],
      [-0.25, 1.2, 0.2],
    ],
    [
      [-0.05, 1.3, 0],
      [0.15, 1.45, 0.1],
    ],
    [
      [0.25, 0.9, 0],
      [0.5, 1.1, 0.3],
    ],
  ] as const;
  const o = [0, 0, 1];
  const depth = new Float32Array(W * H);
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const r = [(u - 319.5) / 525, (v - 239.5) / 525, 1];
      const d = [xc, yc, up].map((row) => row[0]! * r[0]! + row[1]! * r[1]! + row[2]! * r[2]!);
      let t = d[2]! < -1e-9 ? -o[2]! / d[2]! : Infinity;
      for (const [lo, hi] of boxes) {
        let tmin = -Infinity,
          tmax = Infinity;
        for (let a = 0; a < 3; a++) {
          const t1 = (lo[a]! - o[a]!) / d[a]!,
            t2 = (hi[a]! - o[a]!) / d[a]!;
          if (!Number.isNaN(t1) && !Number.isNaN(t2)) {
            tmin = Math.max(tmin, Math.min(t1, t2));
            tmax = Math.min(tmax, Math.max(t1, t2));
          }
        }
        if (tmax >= tmin && tmin > 0 && tmin < t) t = tmin;
      }
      depth[v * W + u] = Number.isFinite(t) && t <= 10 ? t : 0;
    }
  }
  return depth;
}

function makeObject(): Float32Array {
  // surface samples of a 10×6×4 cm box and a cylinder (r 2 cm, h 8 cm) beside it, seed 1
  const rng = createRng(1);
  const n = 20000;
  const p = new Float32Array(n * 3);
  const boxArea = 2 * (0.1 * 0.06 + 0.1 * 0.04 + 0.06 * 0.04);
  const cylArea = 2 * Math.PI * 0.02 * 0.08 + 2 * Math.PI * 0.02 * 0.02;
  for (let i = 0; i < n; i++) {
    if (rng.next() < boxArea / (boxArea + cylArea)) {
      const f = rng.int(3),
        s = rng.int(2);
      const q = [rng.next() * 0.1, rng.next() * 0.06, rng.next() * 0.04];
      q[f] = s * [0.1, 0.06, 0.04][f]!;
      p.set(q, i * 3);
    } else {
      const a = rng.next() * 2 * Math.PI;
      const side = rng.next() < 0.8;
      const r = side ? 0.02 : 0.02 * Math.sqrt(rng.next());
      const z = side ? rng.next() * 0.08 : rng.int(2) * 0.08;
      p.set([0.08 + r * Math.cos(a), 0.03 + r * Math.sin(a), 0.02 + z], i * 3);
    }
  }
  return p;
}

function runPeer(): { dir: string; times: Map<string, number>; mins: Map<string, number>; cpus: Map<string, number>; log: string; keep?: boolean } | { missing: string } {
  // Development shortcut: reuse a folder the peer already wrote (its inputs and results_omp_1.json).
  const reuse = process.env['SPEED_PEER_DIR'];
  if (reuse) {
    const res = JSON.parse(readFileSync(join(reuse, 'results_omp_1.json'), 'utf8')) as Record<string, { median_ms: number; min_ms: number; cpu_over_wall: number }>;
    const times = new Map<string, number>();
    const mins = new Map<string, number>();
    const cpus = new Map<string, number>();
    for (const [k, v] of Object.entries(res)) {
      times.set(k.split(' ')[0]!, v.median_ms);
      mins.set(k.split(' ')[0]!, v.min_ms);
      cpus.set(k.split(' ')[0]!, v.median_ms * v.cpu_over_wall);
    }
    return { dir: reuse, times, mins, cpus, log: `(reused ${reuse}: peer timings from an earlier run, not this one)`, keep: true };
  }
  if (!existsSync(PEER)) return { missing: `${PEER} not found (no ../shared checkout)` };
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import open3d'], { stdio: 'ignore' });
  if (probe.status !== 0) return { missing: '/usr/bin/python3 cannot import open3d (apt-get install python3-open3d)' };
  const dir = mkdtempSync(join(tmpdir(), 'o3d-bench-'));
  const log = execFileSync('/usr/bin/python3', [PEER, '--out', dir, '--reps', String(REPS)], {
    env: { ...process.env, OMP_NUM_THREADS: '1' },
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const times = new Map<string, number>();
  const mins = new Map<string, number>();
  const cpus = new Map<string, number>();
  for (const line of log.split('\n')) {
    const m = /^(\([a-z0-9]+\)).*?median\s+([\d.]+) ms\s+min\s+([\d.]+) ms\s+cpu\/wall\s+([\d.]+)/.exec(line);
    if (m) {
      times.set(m[1]!, Number(m[2]));
      mins.set(m[1]!, Number(m[3]));
      // CPU time ≈ median wall × median cpu/wall (the peer prints no CPU median of its own)
      cpus.set(m[1]!, Number(m[2]) * Number(m[4]));
    }
  }
  return { dir, times, mins, cpus, log };
}

export default function speed(): void {
  const peer = runPeer();
  let depthData: Float32Array, object: Float32Array, moved: Float32Array;
  if ('dir' in peer) {
    console.log('Open3D peer (OMP_NUM_THREADS=1):');
    console.log(
      peer.log
        .trimEnd()
        .split('\n')
        .map((l) => `  | ${l}`)
        .join('\n'),
    );
    const raw = readFileSync(join(peer.dir, 'depth.f32'));
    depthData = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    object = readPlyPoints(readFileSync(join(peer.dir, 'object.ply')));
    moved = readPlyPoints(readFileSync(join(peer.dir, 'object_moved.ply')));
  } else {
    console.log(`Open3D peer missing: ${peer.missing}. Printing our times only, on inputs generated here.`);
    depthData = makeDepth();
    object = makeObject();
    moved = transformPositions(TRUE_POSE, object);
  }
  const depth: DepthImage = { width: W, height: H, data: depthData };

  const ours = new Map<string, number>();
  const oursMin = new Map<string, number>();
  const oursCpu = new Map<string, number>();
  const put = (key: string, t: { ms: number; min: number; cpu: number }) => {
    ours.set(key, t.ms);
    oursMin.set(key, t.min);
    oursCpu.set(key, t.cpu);
  };
  const notes = new Map<string, string>();
  const a = time(() => organizedCloud(depth, CAMERA));
  put('(a)', a);
  notes.set('(a)', `${a.out.validCount} valid points`);
  // the dense cloud (valid points only) the next steps take, as Open3D's
  const cloud = depthToCloud(depth, CAMERA).cloud;
  const b = time(() => voxelDownsample(cloud, 0.01));
  put('(b)', b);
  const down = b.out.positions;
  notes.set('(b)', `${down.length / 3} points`);
  const c3 = time(() => fitPlaneRansac(down, { threshold: 0.01, iterations: 1000, rng: createRng(0) }));
  put('(c3)', c3);
  notes.set('(c3)', `n=[${c3.out.normal.map((v) => v.toFixed(4)).join(',')}] d=${c3.out.d.toFixed(4)}, ${c3.out.inliers.length}/${down.length / 3} inliers`);
  const c1 = time(() => fitPlaneRansac(cloud.positions, { threshold: 0.01, iterations: 1000, rng: createRng(0), earlyStop: true }));
  put('(c1)', c1);
  notes.set('(c1)', `${c1.out.inliers.length}/${cloud.positions.length / 3} inliers`);
  const d1 = time(() => icp(object, moved, { iterations: 50, maxDistance: 0.05, tolerance: 0 }));
  put('(d1)', d1);
  const pe = Math.hypot(...d1.out.pose.position.map((v, k) => v - TRUE_POSE.position[k]!));
  notes.set(
    '(d1)',
    `fitness ${d1.out.fitness.toFixed(4)}, rmse ${d1.out.rmse.toExponential(2)}, |Δt| ${pe.toExponential(1)} m, ΔR ${((quatAngle(d1.out.pose.orientation, TRUE_POSE.orientation) * 180) / Math.PI).toExponential(1)}°`,
  );
  const e = time(() => convexHull(object));
  put('(e)', e);
  const theirs = 'dir' in peer ? open3dHull(peer.dir) : null;
  notes.set(
    '(e)',
    `${e.out.positions.length / 3} vertices, ${cornerCount(e.out)} after merging coplanar faces` +
      (theirs ? ` (Open3D: ${theirs.positions.length / 3}, ${cornerCount(theirs)} after merging)` : '') +
      `, volume ${(meshVolume(e.out) * 1e6).toFixed(2)} cm³` +
      (theirs ? ` (Open3D ${(meshVolume(theirs) * 1e6).toFixed(2)})` : ''),
  );
  const f1 = time(() => estimateNormals(object, 30));
  put('(f1)', f1);

  const times = 'dir' in peer ? peer.times : new Map<string, number>();
  const mins = 'dir' in peer ? peer.mins : new Map<string, number>();
  const cpus = 'dir' in peer ? peer.cpus : new Map<string, number>();
  console.log('\nours (TypeScript, one thread) vs Open3D (OMP_NUM_THREADS=1), 10 runs each after a warm-up, same machine, same run.');
  console.log('On a shared machine wall times swing with other load (the peer and ours run one after the other), and');
  console.log('under contention even CPU time grows (ours: process user+system; peer: median wall × its cpu/wall).');
  console.log('The ratio of minimums (each side\'s least-disturbed run) decides "ok"; all three are shown.');
  console.log(
    `${'step'.padEnd(32)}${'ours med'.padStart(9)}${'O3D med'.padStart(9)}${'ratio'.padStart(7)}${'ours min'.padStart(9)}${'O3D min'.padStart(9)}${'ratio'.padStart(7)}${'ours cpu'.padStart(9)}${'O3D cpu'.padStart(9)}${'ratio'.padStart(7)}${'target'.padStart(7)}  ok   notes`,
  );
  for (const row of ROWS) {
    const o = ours.get(row.key)!,
      om = oursMin.get(row.key)!,
      oc = oursCpu.get(row.key)!;
    const p = times.get(row.key),
      pm = mins.get(row.key),
      pc = cpus.get(row.key);
    const ratio = p ? o / p : NaN,
      ratioMin = pm ? om / pm : NaN,
      ratioCpu = pc ? oc / pc : NaN;
    const ok = row.target === null || !pm ? '  - ' : ratioMin <= row.target ? ' yes' : ' NO ';
    const f = (v: number | undefined, d = 2) => (v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(d));
    console.log(
      `${row.name.padEnd(32)}${f(o).padStart(9)}${f(p).padStart(9)}${(p ? f(ratio) + '×' : '').padStart(7)}${f(om).padStart(9)}${f(pm).padStart(9)}${(pm ? f(ratioMin) + '×' : '').padStart(7)}${f(oc).padStart(9)}${f(pc).padStart(9)}${(pc ? f(ratioCpu) + '×' : '').padStart(7)}${(row.target ? '≤' + row.target.toFixed(1) : '').padStart(7)} ${ok}  ${notes.get(row.key) ?? ''}`,
    );
  }
  if (!('dir' in peer)) console.log(`(peer missing: ${peer.missing})`);
  else if (!peer.keep) rmSync(peer.dir, { recursive: true, force: true });
}

/** Open3D's hull of the peer's object.ply (bench/peers/open3d_tabletop.py --hull), or null when it cannot run. */
function open3dHull(dir: string): Mesh | null {
  const out = join(dir, 'hull.json');
  const r = spawnSync('/usr/bin/python3', [resolve(repoRoot, 'bench/peers/open3d_tabletop.py'), '--hull', join(dir, 'object.ply'), out], { env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0 || !existsSync(out)) return null;
  const j = JSON.parse(readFileSync(out, 'utf8')) as { vertices: number[]; triangles: number[] };
  return { positions: Float32Array.from(j.vertices), indices: Uint32Array.from(j.triangles) };
}

/**
 * Vertices of a triangulated convex hull that stay after merging coplanar faces: those whose
 * incident faces span at least three planes (a vertex inside a flat face, or along a straight
 * edge between two, is not a vertex of the merged polytope). Planes within 1e-6 of each other
 * (normal difference) count as one: the sampled faces are flat to float32 rounding.
 */
function cornerCount(m: Mesh): number {
  const p = m.positions,
    idx = m.indices;
  const normals: [number, number, number][] = [];
  const faces: number[][] = Array.from({ length: p.length / 3 }, () => []);
  for (let t = 0; t < idx.length; t += 3) {
    const a = idx[t]! * 3,
      b = idx[t + 1]! * 3,
      c = idx[t + 2]! * 3;
    const ux = p[b]! - p[a]!,
      uy = p[b + 1]! - p[a + 1]!,
      uz = p[b + 2]! - p[a + 2]!;
    const vx = p[c]! - p[a]!,
      vy = p[c + 1]! - p[a + 1]!,
      vz = p[c + 2]! - p[a + 2]!;
    const nx = uy * vz - uz * vy,
      ny = uz * vx - ux * vz,
      nz = ux * vy - uy * vx;
    const l = Math.hypot(nx, ny, nz) || 1;
    normals.push([nx / l, ny / l, nz / l]);
    for (const v of [idx[t]!, idx[t + 1]!, idx[t + 2]!]) faces[v]!.push(t / 3);
  }
  let corners = 0;
  for (const fs of faces) {
    const planes: [number, number, number][] = [];
    for (const f of fs) {
      const n = normals[f]!;
      if (!planes.some((q) => Math.hypot(q[0] - n[0], q[1] - n[1], q[2] - n[2]) < 1e-6)) planes.push(n);
    }
    if (planes.length >= 3) corners++;
  }
  return corners;
}
