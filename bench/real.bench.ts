/**
 * The product's own `reconstruct` job on real frames, against Open3D's minimal tabletop pipeline
 * on the same frames as the floor.
 *
 * `npm run bench -- real` (frames: `BENCH_REAL_FRAMES=uoc,720` keeps those whose name contains
 * one of the words; `BENCH_REAL_REPS=3` runs each frame that often and takes medians;
 * `BENCH_REAL_DEBUG=0` runs the jobs without debug products, as `reconstruct --no-debug`).
 *
 * Ours: `frameToBundle` exactly as `real2sim reconstruct` calls it (geometric segmentation,
 * physics validation and repair, export with debug products and report.html) into a temporary
 * folder; per stage the wall time and the process CPU time (all threads: worker threads count),
 * and the process's peak RSS after each frame. One warm-up run first (JIT, WASM modules, the
 * viewer script); its wall time is printed as the cold start. MuJoCo is loaded optimised, as
 * the processes that run frame after frame load it (a long batch, a queue worker, the ROS node).
 *
 * Floor: `bench/peers/open3d_tabletop.py` under Debian's /usr/bin/python3 with python3-open3d,
 * OMP_NUM_THREADS=1 (depth → cloud, 5 mm voxels, RANSAC plane, DBSCAN clusters, a hull per
 * cluster), run in the same bench right after ours. Ratios: whole job / floor and stages 1–6 /
 * floor, in wall and in CPU time. The machine may be shared: the CPU ratios are the steadier.
 *
 * Frames: ../shared/data uoc_demo (3), posecnn_lov_demo (2), real_gt/osd_mosd (7), and — since
 * none of the real frames is 1280×720 — a 1280×720 frame made here from uoc_demo/000000: its
 * central 640×360 crop upsampled ×2 (nearest neighbour, so depth edges stay sharp; intrinsics
 * scaled to match). The crop itself runs too, at 640×360: the same objects at a quarter of the
 * pixels, for the 1280×720 / 640×360 ratio.
 *
 * ROS node: the node in continuous mode over the in-process transport with its default
 * pipeline (the same job), a camera publishing uoc_demo/000000 at 10 Hz with fresh stamps (the
 * messages encoded once: a camera driver is another process);
 * reconstructions per second = finished runs 2…9 over their span (run 1 pays the cold start);
 * then again with `debug_products: false` (bundles without debug/).
 * `BENCH_REAL_ROS=0` skips it.
 *
 * Segmentation at half resolution (frames above 2× 640×480 segment on every 2nd pixel of every
 * 2nd row, `stages/decimate.ts`): its accuracy cost, as mask IoU against the full-resolution
 * segmentation on the 1280×720 frame, and against the ground-truth labels of the osd_mosd
 * frames upsampled ×2 (1280×960), with and without decimation. `BENCH_REAL_SEG=0` skips it.
 * Without ../shared/data the bench prints why and
 * returns; without Open3D it prints ours only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { frameToBundle, STAGE_ORDER, type BundleFrame } from '../src/app/frameToBundle.ts';
import { decodeColorImage, decodeDepthPng, decodeLabelPng, encodeDepthPng, encodePng } from '../src/io/image.ts';
import { reconstructDetailed } from '../src/pipeline.ts';
import type { CameraIntrinsics } from '../src/model/camera.ts';
import { POSECNN, PRIMESENSE, UOC } from '../test/realframes/frames.ts';
import type { RgbdFrame } from '../src/model/frame.ts';
import { CHANNELS } from '../src/model/image.ts';
import { sharedPool } from '../src/app/pool.ts';
import { loadMujoco } from '../sim/mujoco/reference.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = resolve(repoRoot, '../shared/data');
const PEER = resolve(repoRoot, 'bench/peers/open3d_tabletop.py');
const PYTHON = '/usr/bin/python3';
const STAGES_1_6 = ['perceive', 'lift', 'ground', 'shape', 'place', 'compose'];
/** `BENCH_REAL_DEBUG=0`: the jobs write no debug products (`reconstruct --no-debug`). */
const DEBUG_PRODUCTS = process.env['BENCH_REAL_DEBUG'] !== '0';

interface BenchFrame {
  name: string;
  camera: CameraIntrinsics;
  /**
   * Decodes the frame (each call): the bench holds no frame between jobs, so the peak RSS it
   * reports is the job's, as in a CLI run or the ROS node, not the bench's frame list (~30 MB).
   */
  load(): RgbdFrame;
  /** Depth PNG the peer reads (the original file, or one written here), and its metres per unit. */
  depthPng: string;
  depthScale: number;
  /** Colour image file (the original, or one written here): the compiled program's run reads it. */
  rgbPng: string;
}

function load(name: string, rgb: string, depth: string, camera: CameraIntrinsics, depthScale: number): BenchFrame {
  const frame = (): RgbdFrame => ({
    color: decodeColorImage(new Uint8Array(readFileSync(join(DATA, rgb))), rgb),
    depth: decodeDepthPng(new Uint8Array(readFileSync(join(DATA, depth))), depthScale, depth),
    camera,
  });
  return { name, camera, load: frame, depthPng: join(DATA, depth), depthScale, rgbPng: join(DATA, rgb) };
}

/** Pixels [x0, x0 + w) × [y0, y0 + h) of a frame, upsampled `k`× by nearest neighbour, with matching intrinsics. */
export function cropUpsample(f: RgbdFrame, x0: number, y0: number, w: number, h: number, k: number): RgbdFrame {
  const ch = CHANNELS[f.color.encoding];
  const W = w * k,
    H = h * k;
  const color = new Uint8Array(W * H * ch);
  const depth = new Float32Array(W * H);
  const srcW = f.camera.width;
  for (let v = 0; v < H; v++) {
    const sv = y0 + Math.floor(v / k);
    for (let u = 0; u < W; u++) {
      const s = sv * srcW + x0 + Math.floor(u / k);
      depth[v * W + u] = f.depth!.data[s]!;
      for (let c = 0; c < ch; c++) color[(v * W + u) * ch + c] = f.color.data[s * ch + c]!;
    }
  }
  // the centre of new pixel u' samples old pixel ⌊u'/k⌋: old coordinate (u' + ½)/k − ½
  const cam = f.camera;
  const camera: CameraIntrinsics = { width: W, height: H, fx: cam.fx * k, fy: cam.fy * k, cx: (cam.cx - x0 + 0.5) * k - 0.5, cy: (cam.cy - y0 + 0.5) * k - 0.5 };
  return { color: { ...f.color, width: W, height: H, data: color }, depth: { width: W, height: H, data: depth }, camera };
}

function frames(tmp: string): BenchFrame[] {
  const out: BenchFrame[] = [];
  for (const id of ['000000', '000003', '000006']) out.push(load(`uoc_demo/${id}`, `uoc_demo/${id}-color.png`, `uoc_demo/${id}-depth.png`, UOC, 0.001));
  for (const id of ['000001', '000003']) out.push(load(`posecnn_lov_demo/${id}`, `posecnn_lov_demo/${id}-color.png`, `posecnn_lov_demo/${id}-depth.png`, POSECNN, 0.0001));
  for (const t of ['test0', 'test13', 'test16', 'test26', 'test31', 'test45', 'test55']) {
    const dir = `real_gt/osd_mosd/${t}`;
    if (existsSync(join(DATA, dir))) out.push(load(`osd_mosd/${t}`, `${dir}/color.png`, `${dir}/depth.png`, PRIMESENSE, 0.001));
  }
  const base = out[0]!;
  for (const [name, k] of [
    ['uoc_demo/000000 crop 640×360', 1],
    ['uoc_demo/000000 crop ×2 = 1280×720 (upsampled here)', 2],
  ] as const) {
    const crop = () => cropUpsample(base.load(), 0, 60, 640, 360, k);
    const frame = crop();
    const png = join(tmp, `crop${k}.png`);
    writeFileSync(png, encodeDepthPng(frame.depth!, 0.001));
    // lossless: the colour as it is, the depth in whole millimetres as uoc_demo stores it
    const rgbPng = join(tmp, `crop${k}-color.png`);
    writeFileSync(rgbPng, encodePng(frame.color));
    out.push({ name, camera: frame.camera, load: crop, depthPng: png, depthScale: 0.001, rgbPng });
  }
  return out;
}

interface Run {
  wallMs: number;
  cpuMs: number;
  stages: Map<string, { wall: number; cpu: number }>;
  objects: number;
  verdict: string;
}

async function runJob(f: BenchFrame, out: string): Promise<Run> {
  const stages = new Map<string, { wall: number; cpu: number }>();
  const open = new Map<string, { t: number; c: NodeJS.CpuUsage }>();
  const onProgress = (stage: string, fraction: number) => {
    if (fraction === 0) open.set(stage, { t: performance.now(), c: process.cpuUsage() });
    else if (fraction >= 1) {
      const o = open.get(stage);
      if (!o) return;
      const c = process.cpuUsage(o.c);
      stages.set(stage, { wall: performance.now() - o.t, cpu: (c.user + c.system) / 1000 });
    }
  };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const frame: BundleFrame = f.load();
  const { scene } = await frameToBundle(frame, {
    out,
    title: `real2sim · ${f.name}`,
    validate: true,
    ...(DEBUG_PRODUCTS ? {} : { debug: false }),
    pipeline: { segmentation: 'geometric' },
    onProgress,
    meta: { rgb: f.name },
  });
  const c = process.cpuUsage(c0);
  return { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, stages, objects: scene.objects.length, verdict: scene.physics?.verdict ?? 'none' };
}

interface PeerResult {
  name: string;
  ms: Record<string, number>;
  counts: Record<string, number>;
}

function rssMb(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 1048576;
}

/** Whether dist/ holds a build at least as new as every TypeScript source (the test `bin/real2sim.js` makes). */
function freshBuild(): boolean {
  const stamp = join(repoRoot, 'dist/.build-stamp');
  if (!existsSync(join(repoRoot, 'dist/src/cli.js')) || !existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  for (const dir of ['src', 'sim', 'ros']) {
    for (const f of readdirSync(join(repoRoot, dir), { recursive: true, withFileTypes: true })) {
      if (f.isFile() && f.name.endsWith('.ts') && statSync(join(f.parentPath, f.name)).mtimeMs > built) return false;
    }
  }
  return true;
}

/** The peak RSS after each frame of the compiled program running the same jobs (bench/realCompiled.mjs), or why not. */
function runCompiled(list: BenchFrame[], tmp: string): Map<string, number> | string {
  if (!freshBuild()) return 'dist/ is missing or older than the sources (`npm run build` first)';
  const spec = join(tmp, 'compiled.json');
  writeFileSync(spec, JSON.stringify(list.map((f) => ({ name: f.name, rgb: f.rgbPng, depth: f.depthPng, depthScale: f.depthScale, camera: f.camera }))));
  // no execArgv: the child must not load tsx
  const r = spawnSync(process.execPath, [join(repoRoot, 'bench/realCompiled.mjs'), spec, join(repoRoot, 'dist'), join(tmp, 'compiled')], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  if (r.status !== 0) return `the compiled run failed: ${(r.stderr || String(r.error)).trim().split('\n').slice(-3).join(' | ')}`;
  const out = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const p = JSON.parse(line) as { name: string; rssMb: number };
    out.set(p.name, p.rssMb);
  }
  return out.size === list.length ? out : `the compiled run reported ${out.size} of ${list.length} frames`;
}

function runPeer(list: BenchFrame[], tmp: string, reps: number): Map<string, PeerResult> | string {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  const probe = spawnSync(PYTHON, ['-c', 'import open3d'], { encoding: 'utf8' });
  if (probe.status !== 0) return `Open3D is not importable by ${PYTHON} (apt-get install -y python3-open3d)`;
  const spec = list.map((f) => ({
    name: f.name,
    depth: f.depthPng,
    scale: f.depthScale,
    width: f.camera.width,
    height: f.camera.height,
    fx: f.camera.fx,
    fy: f.camera.fy,
    cx: f.camera.cx,
    cy: f.camera.cy,
  }));
  const specFile = join(tmp, 'frames.json');
  writeFileSync(specFile, JSON.stringify(spec));
  const r = spawnSync(PYTHON, [PEER, specFile, '--reps', String(reps)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, maxBuffer: 1 << 24 });
  if (r.status !== 0) return `the Open3D peer failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  const out = new Map<string, PeerResult>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const p = JSON.parse(line) as PeerResult;
    out.set(p.name, p);
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const f0 = (x: number) => x.toFixed(0);

export default async function realBench(): Promise<void> {
  if (!existsSync(DATA)) {
    console.log(`real frames bench skipped: ../shared/data is missing (${DATA})`);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'real2sim-bench-real-'));
  try {
    const words = (process.env['BENCH_REAL_FRAMES'] ?? '')
      .split(',')
      .map((w) => w.trim())
      .filter(Boolean);
    const reps = Math.max(1, Number(process.env['BENCH_REAL_REPS'] ?? 1) || 1);
    const list = frames(tmp).filter((f) => words.length === 0 || words.some((w) => f.name.includes(w)));
    console.log('1280×720: no real frame of that size in ../shared/data; made here from uoc_demo/000000 (central 640×360 crop upsampled ×2, nearest neighbour)');
    // what this process holds before any job: under tsx, its loader and the sources it transformed
    const restMb = rssMb();
    // This process runs frame after frame, as a long batch thread and the ROS node do, and loads
    // MuJoCo as they load it: optimised (`MUJOCO_OPTIMISE_PAYS_AFTER`). The cold start below
    // includes that load; a single `real2sim reconstruct` loads it baseline, which compiles less.
    // warm-up: module loads, JIT, WASM, the viewer script; a CLI run pays this once per process
    const c0 = process.cpuUsage();
    const tw = performance.now();
    await loadMujoco({ optimise: true });
    await runJob(list[0]!, join(tmp, 'warm'));
    const cw = process.cpuUsage(c0);
    console.log(`cold start (first job in this process, ${list[0]!.name}): ${f0(performance.now() - tw)} ms wall, ${f0((cw.user + cw.system) / 1000)} ms CPU`);

    const ours = new Map<string, { run: Run; rssMb: number }>();
    for (const f of list) {
      const runs: Run[] = [];
      for (let r = 0; r < reps; r++) runs.push(await runJob(f, join(tmp, 'out')));
      const pick = runs.sort((a, b) => a.wallMs - b.wallMs)[runs.length >> 1]!;
      const stages = new Map<string, { wall: number; cpu: number }>();
      for (const s of STAGE_ORDER) {
        const xs = runs.map((r) => r.stages.get(s)).filter((x) => x !== undefined);
        if (xs.length) stages.set(s, { wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) });
      }
      ours.set(f.name, { run: { ...pick, wallMs: median(runs.map((r) => r.wallMs)), cpuMs: median(runs.map((r) => r.cpuMs)), stages }, rssMb: process.resourceUsage().maxRSS / 1024 });
    }
    const compiled = process.env['BENCH_REAL_COMPILED'] === '0' ? 'skipped (BENCH_REAL_COMPILED=0)' : runCompiled(list, tmp);
    const peer = runPeer(list, tmp, Math.max(3, reps));
    if (typeof peer === 'string') console.log(`Open3D floor not measured: ${peer}`);

    console.log(
      `\nreconstruct job (${reps === 1 ? 'one run' : `median of ${reps}`} per frame${DEBUG_PRODUCTS ? '' : ', WITHOUT debug products (BENCH_REAL_DEBUG=0, as --no-debug)'}), wall / CPU ms per stage; CPU counts every thread of the process`,
    );
    const head = ['frame'.padEnd(52), ...STAGE_ORDER.map((s) => s.slice(0, 8).padStart(13)), '1–6'.padStart(13), 'total'.padStart(13), ' obj', 'RSS MB'.padStart(7)];
    console.log(head.join(''));
    for (const f of list) {
      const { run, rssMb } = ours.get(f.name)!;
      const cell = (w: number, c: number) => `${f0(w)}/${f0(c)}`.padStart(13);
      const s16 = STAGES_1_6.map((s) => run.stages.get(s) ?? { wall: 0, cpu: 0 });
      const w16 = s16.reduce((a, x) => a + x.wall, 0),
        c16 = s16.reduce((a, x) => a + x.cpu, 0);
      console.log(
        [
          f.name.padEnd(52),
          ...STAGE_ORDER.map((s) => (run.stages.has(s) ? cell(run.stages.get(s)!.wall, run.stages.get(s)!.cpu) : '—'.padStart(13))),
          cell(w16, c16),
          cell(run.wallMs, run.cpuMs),
          String(run.objects).padStart(4),
          f0(rssMb).padStart(7),
        ].join(''),
      );
    }
    const pool = sharedPool();
    console.log(`per-object work: ${pool ? `${pool.threads} worker threads${pool.failure ? ` — NOT USED: ${pool.failure}` : ''}` : 'this thread (one core)'}`);
    // maxRSS: the high-water mark of the whole process (every thread) since it started
    console.log(`peak RSS of this process: ${f0(process.resourceUsage().maxRSS / 1024)} MB; it ran under tsx (TypeScript sources, development only), which held ${f0(restMb)} MB before the first job`);
    if (typeof compiled === 'string') console.log(`peak RSS of the compiled program: not measured, ${compiled}`);
    else
      console.log(
        `peak RSS of the compiled program (dist/, as \`real2sim\` and the ROS node run it), the same warm-up and frames in a child process without tsx: ${f0(Math.max(...compiled.values()))} MB (target ≤ 400); after each frame: ${[...compiled].map(([n, mb]) => `${n} ${f0(mb)}`).join(', ')}`,
      );

    if (typeof peer !== 'string') {
      console.log('\nOpen3D 0.16 minimal tabletop pipeline, one thread (median ms) and the ratios, measured in this run:');
      console.log(
        [
          'frame'.padEnd(52),
          'O3D wall'.padStart(9),
          'O3D cpu'.padStart(8),
          ' clust',
          ' hullV',
          'job/O3D'.padStart(9),
          '1–6/O3D'.padStart(9),
          'job cpu/O3D'.padStart(12),
          '1–6 cpu/O3D'.padStart(12),
        ].join(''),
      );
      for (const f of list) {
        const p = peer.get(f.name);
        if (!p) continue;
        const { run } = ours.get(f.name)!;
        const s16 = STAGES_1_6.map((s) => run.stages.get(s) ?? { wall: 0, cpu: 0 });
        const w16 = s16.reduce((a, x) => a + x.wall, 0),
          c16 = s16.reduce((a, x) => a + x.cpu, 0);
        const pw = p.ms['total']!,
          pc = p.ms['cpu']!;
        console.log(
          [
            f.name.padEnd(52),
            f0(pw).padStart(9),
            f0(pc).padStart(8),
            String(p.counts['clusters']).padStart(6),
            String(p.counts['hullVertices']).padStart(6),
            `${(run.wallMs / pw).toFixed(1)}×`.padStart(9),
            `${(w16 / pw).toFixed(1)}×`.padStart(9),
            `${(run.cpuMs / pc).toFixed(1)}×`.padStart(12),
            `${(c16 / pc).toFixed(1)}×`.padStart(12),
          ].join(''),
        );
      }
      console.log('targets: whole job ≤ 5× the floor, stages 1–6 ≤ 2× (640×480 frames)');
    }
    const crop = [...ours.keys()].find((k) => k.includes('640×360'));
    const big = [...ours.keys()].find((k) => k.includes('1280×720'));
    if (crop && big) {
      const a = ours.get(crop)!.run,
        b = ours.get(big)!.run;
      const full = ours.get('uoc_demo/000000')?.run;
      console.log(
        `\n1280×720 vs the same objects at 640×360: whole job ${(b.wallMs / a.wallMs).toFixed(2)}× wall, ${(b.cpuMs / a.cpuMs).toFixed(2)}× CPU` +
          (full ? `; vs uoc_demo/000000 at 640×480: ${(b.wallMs / full.wallMs).toFixed(2)}× wall, ${(b.cpuMs / full.cpuMs).toFixed(2)}× CPU` : '') +
          ' (target ≤ 1.5×)',
      );
    }
    if (process.env['BENCH_REAL_SEG'] !== '0') await segmentationCost(list);
    if (process.env['BENCH_REAL_ROS'] !== '0') {
      const f = list.find((x) => x.name === 'uoc_demo/000000') ?? list[0]!;
      await rosContinuous(f, tmp, true);
      await rosContinuous(f, tmp, false);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Finished reconstructions per second of the ROS node in continuous mode (in-process transport). */
async function rosContinuous(f: BenchFrame, tmp: string, debugProducts: boolean): Promise<void> {
  // loaded here, after the frames: the reconstruct jobs above do not use them, and the peak RSS
  // printed for them is the jobs'
  const [{ frameMessages }, { TYPES }, { startSceneNode }, { MemoryGraph }, { QOS_LATCHED, QOS_SENSOR }, { defaultPipeline }] = await Promise.all([
    import('../ros/encode.ts'),
    import('../ros/messages.ts'),
    import('../ros/node.ts'),
    import('../ros/transport/memory.ts'),
    import('../ros/transport/types.ts'),
    import('../ros/wiring.ts'),
  ]);
  const frame = f.load();
  const graph = new MemoryGraph();
  const node = await startSceneNode({
    transport: graph.participant('real2sim', { quiet: true }),
    makePipeline: defaultPipeline,
    params: { mode: 'continuous', rate_hz: 20, output_dir: join(tmp, debugProducts ? 'ros' : 'ros-lean'), debug_products: debugProducts },
  });
  const cam = graph.participant('camera');
  const done: number[] = [];
  const want = 9;
  const finished = new Promise<void>((resolve) => {
    cam.subscribe(
      '/scene/urdf',
      TYPES.string,
      () => {
        done.push(performance.now());
        if (done.length === want) resolve();
      },
      { qos: QOS_LATCHED },
    );
  });
  const pubs = {
    image: cam.advertise('/image', TYPES.image, { qos: QOS_SENSOR }),
    depth: cam.advertise('/depth', TYPES.image, { qos: QOS_SENSOR }),
    info: cam.advertise('/camera_info', TYPES.cameraInfo, { qos: QOS_SENSOR }),
  };
  // encoded once: a camera driver is another process, so its encoding is no part of the node's
  // time; each tick publishes the same data with a fresh header
  const m = frameMessages(frame, 100);
  let k = 0;
  const send = () => {
    k++;
    const stamp = { sec: 100 + Math.floor(k / 10), nanosec: (k % 10) * 100_000_000 };
    pubs.info.publish({ ...m.info, header: { stamp, frame_id: 'cam' } });
    pubs.depth.publish({ ...m.depth, header: { stamp, frame_id: 'cam' } });
    pubs.image.publish({ ...m.image, header: { stamp, frame_id: 'cam' } });
  };
  const camera = setInterval(send, 100);
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 180_000));
  await Promise.race([finished, timeout]);
  clearInterval(camera);
  await node.close();
  if (done.length < 3) {
    console.log(`\nROS node, continuous (debug_products ${debugProducts}): only ${done.length} runs finished in 180 s`);
    return;
  }
  const span = (done[done.length - 1]! - done[0]!) / 1000;
  const rate = (done.length - 1) / span;
  console.log(
    `\nROS node, continuous mode, in-process transport, ${f.name} at 10 Hz, debug_products ${debugProducts}${debugProducts ? ' (the default)' : ''}: ${rate.toFixed(2)} reconstructions/s (runs 2–${done.length}, ${(span / (done.length - 1)).toFixed(2)} s each; target ≥ 1)`,
  );
}

/** For each label of `a`: its best IoU with any label of `b`. */
function bestIous(a: Uint16Array, b: Uint16Array): number[] {
  const inter = new Map<number, number>(),
    ca = new Map<number, number>(),
    cb = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!,
      y = b[i]!;
    if (x) ca.set(x, (ca.get(x) ?? 0) + 1);
    if (y) cb.set(y, (cb.get(y) ?? 0) + 1);
    if (x && y) inter.set(x * 65536 + y, (inter.get(x * 65536 + y) ?? 0) + 1);
  }
  return [...ca].map(([x, nx]) =>
    Math.max(
      0,
      ...[...cb].map(([y, ny]) => {
        const n = inter.get(x * 65536 + y) ?? 0;
        return n / (nx + ny - n);
      }),
    ),
  );
}

async function segmentationCost(list: BenchFrame[]): Promise<void> {
  const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / Math.max(1, x.length);
  // completion does not change the masks: keep it cheap here
  const masks = async (frame: RgbdFrame, k: number) => {
    const c0 = process.cpuUsage();
    let cpu = 0;
    const d = await reconstructDetailed(frame, {
      segmentation: 'geometric',
      segmentationDecimation: k,
      shape: { geometric: { carve: false, mirror: false } },
      onProgress: (s, fr) => {
        if (s === 'perceive' && fr >= 1) {
          const c = process.cpuUsage(c0);
          cpu = (c.user + c.system) / 1000;
        }
      },
    });
    return { masks: d.masks.data, objects: d.scene.objects.length, cpu };
  };
  console.log('\nsegmentation on every 2nd pixel of every 2nd row (default above 2× 640×480), accuracy cost:');
  const big = list.find((f) => f.name.includes('1280×720'));
  if (big) {
    const bigFrame = big.load();
    const full = await masks(bigFrame, 1),
      dec = await masks(bigFrame, 2);
    const iou = bestIous(full.masks, dec.masks);
    console.log(
      `  ${big.name}: ${full.objects} → ${dec.objects} objects; per full-resolution segment, IoU with the decimated one: mean ${mean(iou).toFixed(3)}, min ${Math.min(...iou).toFixed(3)}; ground + perceive CPU ${full.cpu.toFixed(0)} → ${dec.cpu.toFixed(0)} ms`,
    );
  }
  const osd = list.filter((f) => f.name.startsWith('osd_mosd/'));
  const all: [number[], number[], number[]] = [[], [], []];
  for (const f of osd) {
    const gt = decodeLabelPng(new Uint8Array(readFileSync(join(DATA, 'real_gt', f.name, 'labels.png'))));
    const frame = f.load();
    const up = cropUpsample(frame, 0, 0, frame.camera.width, frame.camera.height, 2);
    const W = up.camera.width,
      w = frame.camera.width;
    const gtUp = new Uint16Array(W * up.camera.height);
    for (let i = 0; i < gtUp.length; i++) gtUp[i] = gt.data[(Math.floor(i / W) >> 1) * w + ((i % W) >> 1)]!;
    const r = [bestIous(gt.data, (await masks(frame, 1)).masks), bestIous(gtUp, (await masks(up, 1)).masks), bestIous(gtUp, (await masks(up, 2)).masks)];
    r.forEach((x, k) => all[k]!.push(...x));
  }
  if (osd.length) {
    console.log(
      `  osd_mosd, ${all[0].length} ground-truth objects in ${osd.length} frames, mean best mask IoU: 640×480 ${mean(all[0]).toFixed(3)}; ×2 (nearest) full resolution ${mean(all[1]).toFixed(3)}, decimated ${mean(all[2]).toFixed(3)}` +
        ' (decimating a ×2 nearest-neighbour frame gives back the 640×480 pixels (principal point ¼ pixel off): the difference is what the label upsampling costs against segmenting every pixel)',
    );
  }
}
