/**
 * A soak of the node in continuous mode: a camera publishing one frame in a loop (≥ 10 Hz),
 * the node reconstructing at `rate_hz`, optionally a client calling `reconstruct` back to back,
 * and every few seconds a sample of the node's bundles on disk and its memory: resident size, and
 * (every `heapEveryMs`) the JavaScript heap after a full GC, external and ArrayBuffer memory, as
 * the node prints them on SIGUSR2 (run with --expose-gc; see ros/memory.ts).
 *
 * On a real ROS 2 graph (`real2sim ros --transport rclnodejs` as its own process, the camera and
 * the client as probe participants, Cyclone DDS on loopback) where one is installed; otherwise
 * in this process on the in-process transport (the caller says so). The real graph gets a
 * ROS_DOMAIN_ID no other participant on the machine uses, and is checked to hold only the soak's
 * own node and probes, at the start and at the end. Used by `npm run bench --
 * soak` (minutes to hours) and `test/ros/real/soak.test.ts` (about a minute).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { folderBytes } from '../../../src/export/retention.ts';
import { memorySample, NODE_MALLOC_ENV, parseMemoryLines, type MemorySample } from '../../../ros/memory.ts';
import { frameMessages } from '../../../ros/encode.ts';
import { TYPES, timeFromSeconds, type TriggerResponse } from '../../../ros/messages.ts';
import { startSceneNode, type NodeStats } from '../../../ros/node.ts';
import { MemoryGraph } from '../../../ros/transport/memory.ts';
import { QOS_SENSOR } from '../../../ros/transport/types.ts';
import { defaultPipeline } from '../../../ros/wiring.ts';
import { flagOf } from '../../../src/commands/ros.ts';
import { cameraFrame, halfDepth, isBadFrame, type CameraSpec } from './cameraFrames.ts';
import { findRos2, freeDomainId, startProbe, startReal2simRos, type Probe, type Proc } from './ros2.ts';

export interface SoakOptions {
  seconds: number;
  /**
   * Go on past `seconds` until the node has made this many scenes and the client this many calls
   * (on a loaded machine runs are slower), but not past `maxSeconds` (default 4 × seconds).
   */
  atLeast?: { runs?: number; calls?: number; maxSeconds?: number };
  /** Node parameters (mode: continuous is set here). */
  params: Record<string, string | number | boolean>;
  camera: CameraSpec & { rateHz: number; bad?: number };
  /** A client calls `reconstruct` back to back during the soak (with queue_when_busy). */
  calls?: boolean;
  sampleMs?: number;
  /** How often the heap is sampled after a full GC in the node (ms; default 10 000). */
  heapEveryMs?: number;
  /**
   * Length of the windows memory is summarised over after warm-up (median and 10th percentile
   * each; default 600 s, shorter for a soak under 50 minutes: a fifth of it, at least 60 s).
   */
  windowSeconds?: number;
  /** Successful runs before memory counts as warmed up. */
  warmupRuns?: number;
  /** 'auto': a real ROS 2 graph when one is installed, else in-process. */
  transport?: 'auto' | 'memory';
  /**
   * Extra environment for the node process (real graph). Default: the glibc malloc settings the
   * launch file starts the node with (NODE_MALLOC_ENV); {} runs it with glibc's defaults.
   */
  nodeEnv?: Record<string, string>;
  /** Extra node (V8) flags for the node process (real graph), e.g. --max-semi-space-size=2. */
  nodeFlags?: string[];
  /** Write the node's output (log, --stats, memory lines) to this file when it stops (real graph). */
  nodeLog?: string;
  /** Default: a domain no participant on this machine uses (see freeDomainId). */
  domainId?: string;
  log?: (line: string) => void;
}

export interface SoakSample {
  t: number;
  /** The node's finished bundle folders in output_dir (not the hidden one being written). */
  bundles: number;
  /** Everything in output_dir, the folder being written included. */
  bytes: number;
  rssMb: number;
  /** The node's memory after a full GC (every heapEveryMs; absent in between). */
  mem?: MemorySample;
  runs: number;
}

/** A memory figure after warm-up: medians of the first and last quarter, and the fitted trend. */
export interface Growth {
  warm: number;
  end: number;
  /** end − warm */
  growth: number;
  /** Least-squares slope over the samples after warm-up, per hour. */
  perHour: number;
  max: number;
  /** 10th percentiles of the first and last quarter: the floor the series saws down to. */
  lowWarm: number;
  lowEnd: number;
  /**
   * Median and 10th percentile per window of `windowSeconds` after warm-up (the last one may be
   * shorter): whether the level drifts over the run or only saws around one.
   */
  windows: { from: number; to: number; median: number; p10: number; n: number }[];
}

export interface SoakResult {
  transport: 'rclnodejs' | 'memory';
  seconds: number;
  samples: SoakSample[];
  maxBundles: number;
  maxBytes: number;
  /** Largest single bundle seen at the end (for the bound keep_last × bundle). */
  largestBundleBytes: number;
  rssWarmMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  /** After warm-up (MB): resident size, and from the node's GC'd samples heap, external, ArrayBuffers. */
  memory: { rss: Growth; heap?: Growth; workerHeap?: Growth; external?: Growth; arrayBuffers?: Growth; afterGc: boolean };
  /** Nodes on the soak's graph other than its own node and probes, at the start and at the end (real graph). */
  foreignNodes: string[];
  domainId?: string;
  stats: Pick<NodeStats, 'runs' | 'failures' | 'bundlesWritten' | 'unchanged' | 'bundlesRemoved' | 'bundlesKept' | 'skippedInconsistent'> & {
    /** Colour images the node received (real graph: from --stats). */
    imagesReceived?: number;
  };
  /** Frames the camera published (real graph), for its real rate. */
  cameraFrames?: number;
  /** Error lines the node logged (failed reconstructions and anything else at error level). */
  errorLines: string[];
  /** Calls answered, and those made before the node had heard the camera (not counted in made). */
  calls: { made: number; ok: number; startup: number; busy: number; failures: string[] };
  outDir: string;
}

/** The q-quantile (nearest rank below) of xs; NaN for none. */
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};
const median = (xs: number[]) => quantile(xs, 0.5);

/** `--stats` text → counters (see formatStats in src/commands/ros.ts). */
export function parseStats(text: string): SoakResult['stats'] {
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  return {
    runs: num(/reconstructions (\d+)/),
    failures: num(/failures (\d+)/),
    bundlesWritten: num(/bundles written (\d+)/),
    unchanged: num(/unchanged scenes (\d+)/),
    bundlesRemoved: num(/removed (\d+), kept/),
    bundlesKept: num(/kept (\d+) \(/),
    skippedInconsistent: num(/skipped inconsistent (\d+)/),
    imagesReceived: num(/received: [^\n]*\/image (\d+)/),
  };
}

interface Running {
  rssMb(): number;
  /** The node's memory after a full GC (null when it did not answer). */
  memory(): Promise<MemorySample | null>;
  foreignNodes(): Promise<string[]>;
  domainId?: string;
  runs(): number;
  call(): Promise<TriggerResponse>;
  stop(): Promise<{ stats: SoakResult['stats']; errorLines: string[]; cameraFrames?: number }>;
}

async function startRos(o: SoakOptions, out: string, flags: string[]): Promise<Running> {
  const tried: string[] = [];
  for (;;) {
    const domainId = o.domainId ?? freeDomainId(65, 101, tried);
    tried.push(domainId);
    const r = await startRosOn(o, out, flags, domainId);
    // Another participant on this domain (a run that picked it at the same moment) would answer
    // our calls and feed the node its frames: start again on another domain (a given one fails).
    const foreign = await r.foreignNodes();
    if (foreign.length === 0) return r;
    await r.stop();
    // what the node wrote meanwhile is not this soak's
    for (const d of readdirSync(out)) rmSync(join(out, d), { recursive: true, force: true });
    if (o.domainId || tried.length >= 3) throw new Error(`soak: ROS_DOMAIN_ID ${domainId} also holds ${foreign.join(', ')}: not a graph of its own`);
    (o.log ?? (() => {}))(`  ROS_DOMAIN_ID ${domainId} also holds ${foreign.join(', ')}: starting again on another domain`);
  }
}

async function startRosOn(o: SoakOptions, out: string, flags: string[], domainId: string): Promise<Running> {
  const ros2 = findRos2().ros2!;
  const env = { ...ros2.env, ROS_DOMAIN_ID: domainId };
  const camera = await startProbe(env);
  const caller = o.calls ? await startProbe(env) : null;
  let node: Proc | undefined;
  try {
    // --expose-gc: the node's memory line on SIGUSR2 is taken after a full GC
    node = startReal2simRos({ ...env, ...(o.nodeEnv ?? NODE_MALLOC_ENV) }, ['--transport', 'rclnodejs', '--stats', '--output-dir', out, ...flags], ['--expose-gc', ...(o.nodeFlags ?? [])]);
    await node.waitFor(/ready \(rclnodejs\)/, 120_000);
    const { rateHz, bad, ...spec } = o.camera;
    await camera.ask({ op: 'camera', ...spec, rate: rateHz, bad: bad ?? 0, stamp0: 1000, quiet: true, topics: { image: '/image', depth: '/depth', info: '/camera_info' } });
  } catch (err) {
    await node?.stop('SIGKILL', 0);
    await camera.close();
    await caller?.close();
    throw err;
  }
  const n = node;
  const pid = n.child.pid!;
  const ours = new Set(['real2sim', `probe_${camera.proc.child.pid}`, ...(caller ? [`probe_${caller.proc.child.pid}`] : [])]);
  return {
    domainId,
    rssMb() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : NaN;
    },
    async memory() {
      const before = parseMemoryLines(n.output()).length;
      try {
        process.kill(pid, 'SIGUSR2');
      } catch {
        return null;
      }
      for (let t = 0; t < 300; t++) {
        await new Promise((res) => setTimeout(res, 50));
        const lines = parseMemoryLines(n.output());
        if (lines.length > before) return lines[lines.length - 1]!;
      }
      return null;
    },
    async foreignNodes() {
      // Our own node seen on the graph means discovery has run; a second more for the rest.
      for (let t = 0; t < 60; t++) {
        const g = await camera.ask<{ nodes: string[] }>({ op: 'graph' });
        if (g.nodes.includes('real2sim')) break;
        await new Promise((res) => setTimeout(res, 500));
      }
      await new Promise((res) => setTimeout(res, 1000));
      const g = await camera.ask<{ nodes: string[] }>({ op: 'graph' });
      const seen = [...g.nodes];
      // a second node named real2sim shows as a repeated name
      const dup = seen.filter((x) => x === 'real2sim').length > 1 ? ['real2sim (a second one)'] : [];
      return [...seen.filter((x) => !ours.has(x)), ...dup];
    },
    runs: () =>
      n
        .output()
        .split('\n')
        .filter((l) => l.includes('scene with')).length,
    async call() {
      const ev = await (caller as Probe).ask<{ res: TriggerResponse }>({ op: 'call', service: '/reconstruct', type: 'std_srvs/srv/Trigger', request: {}, timeoutMs: 300_000 }, 310_000);
      return ev.res;
    },
    async stop() {
      const cam = await camera.ask<{ frames: number }>({ op: 'stop_camera' }).catch(() => undefined);
      // The node finishes the run in progress before it exits (and prints --stats): on a loaded
      // machine a 640×480 run takes over 30 s.
      await n.stop('SIGINT', 180_000);
      await camera.close();
      await caller?.close();
      const text = n.output();
      if (o.nodeLog) writeFileSync(o.nodeLog, text);
      return {
        stats: parseStats(text.slice(text.lastIndexOf('real2sim ros counters:'))),
        errorLines: text.split('\n').filter((l) => /\[ERROR\]/.test(l)),
        ...(cam ? { cameraFrames: cam.frames } : {}),
      };
    },
  };
}

async function startMemory(o: SoakOptions, out: string): Promise<Running> {
  const graph = new MemoryGraph();
  const errorLines: string[] = [];
  const transport = graph.participant('real2sim', { quiet: true });
  const log = transport.log;
  const error = log.error.bind(log);
  log.error = (m: string) => {
    errorLines.push(m);
    error(m);
  };
  const node = await startSceneNode({ transport, makePipeline: (p) => defaultPipeline(p), params: { ...o.params, output_dir: out } });
  const cam = graph.participant('camera');
  const pubs = {
    image: cam.advertise('/image', TYPES.image, { qos: QOS_SENSOR }),
    depth: cam.advertise('/depth', TYPES.image, { qos: QOS_SENSOR }),
    info: cam.advertise('/camera_info', TYPES.cameraInfo, { qos: QOS_SENSOR }),
  };
  const frame = cameraFrame(o.camera);
  const good = frameMessages(frame, 0);
  const bad = o.camera.bad ? frameMessages({ ...frame, depth: halfDepth(frame.depth!) }, 0).depth : undefined;
  let k = 0;
  const timer = setInterval(() => {
    const stamp = 1000 + k * 0.1;
    const depth = bad && isBadFrame(k, o.camera.bad!) ? bad : good.depth!;
    k++;
    const t = timeFromSeconds(stamp);
    for (const m of [good.info, depth, good.image] as { header: { stamp: unknown } }[]) m.header.stamp = t;
    pubs.info.publish(good.info);
    pubs.depth.publish(depth);
    pubs.image.publish(good.image);
  }, 1000 / o.camera.rateHz);
  return {
    rssMb: () => process.memoryUsage().rss / 2 ** 20,
    // in this process: after a GC only where the test runner runs node with --expose-gc
    memory: () => Promise.resolve(memorySample(true)),
    foreignNodes: () => Promise.resolve([]),
    runs: () => node.stats.runs - node.stats.failures,
    call: async () => (await cam.callService('/reconstruct', TYPES.trigger, {}, { timeoutMs: 300_000 })) as TriggerResponse,
    async stop() {
      clearInterval(timer);
      await node.close();
      return { stats: { ...node.stats }, errorLines };
    },
  };
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const out = mkdtempSync(join(tmpdir(), 'real2sim-soak-'));
  const params = { ...o.params, mode: 'continuous', ...(o.calls ? { queue_when_busy: true } : {}) };
  const flags = Object.entries(params).flatMap(([k, v]) => [`--${flagOf(k)}`, String(v)]);
  const useRos = (o.transport ?? 'auto') === 'auto' && findRos2().ros2 !== null;
  const log = o.log ?? (() => {});
  let r: Running;
  try {
    r = useRos ? await startRos(o, out, flags) : await startMemory({ ...o, params }, out);
  } catch (err) {
    rmSync(out, { recursive: true, force: true });
    throw err;
  }
  const t0 = Date.now();
  const samples: SoakSample[] = [];
  let warmAt = -1;
  let lastHeap = -Infinity;
  const sample = async (final = false) => {
    const bundles = readdirSync(out).filter((n) => !n.startsWith('.')).length;
    const s: SoakSample = { t: (Date.now() - t0) / 1000, bundles, bytes: await folderBytes(out), rssMb: r.rssMb(), runs: r.runs() };
    if (final || Date.now() - lastHeap >= (o.heapEveryMs ?? 10_000)) {
      lastHeap = Date.now();
      const mem = await r.memory();
      if (mem) s.mem = mem;
    }
    samples.push(s);
    if (warmAt < 0 && s.runs >= (o.warmupRuns ?? 3)) warmAt = samples.length - 1;
  };
  const calls = { made: 0, ok: 0, startup: 0, busy: 0, failures: [] as string[] };
  let stopping = false;
  const caller = (async () => {
    if (!o.calls) return;
    while (!stopping) {
      const res = await r.call();
      // Before the node has heard the camera (discovery at start-up), a call answers what it is
      // waiting for: counted apart, as the real-graph tests wait for the camera the same way.
      if (!res.success && calls.ok === 0 && /received yet/.test(res.message)) {
        calls.startup++;
        await new Promise((res) => setTimeout(res, 200));
        continue;
      }
      // 'busy' is the node's documented answer to a call while a run and a queued one are pending
      // ("call again when it finishes"): the client does so; such answers are counted apart (they
      // say nothing about the frames), and the bench and the test print how many there were.
      if (!res.success && /^busy:/.test(res.message)) {
        calls.busy++;
        await new Promise((res) => setTimeout(res, 100));
        continue;
      }
      calls.made++;
      if (res.success) calls.ok++;
      else calls.failures.push(res.message);
      // In-process, a call can settle without ever leaving the microtask queue: give the
      // camera's and the sampler's timers their turn.
      await new Promise((res) => setTimeout(res, 10));
    }
  })();
  let lastLog = 0;
  const foreign: string[] = [];
  try {
    const enough = () => r.runs() >= (o.atLeast?.runs ?? 0) && calls.made >= (o.atLeast?.calls ?? 0);
    const maxMs = (o.atLeast?.maxSeconds ?? 4 * o.seconds) * 1000;
    while (Date.now() - t0 < o.seconds * 1000 || (!enough() && Date.now() - t0 < maxMs)) {
      await new Promise((res) => setTimeout(res, o.sampleMs ?? 2000));
      await sample();
      const s = samples[samples.length - 1]!;
      if (s.t - lastLog >= 30) {
        lastLog = s.t;
        log(
          `  t=${s.t.toFixed(0)} s: ${s.runs} runs, ${s.bundles} bundle(s), ${(s.bytes / 1e6).toFixed(1)} MB on disk, RSS ${s.rssMb.toFixed(1)} MB${heapNote(samples)}${o.calls ? `, calls ${calls.ok}/${calls.made} ok, ${calls.busy} busy` : ''}`,
        );
      }
    }
    stopping = true;
    await caller;
    await sample(true);
    foreign.push(...(await r.foreignNodes()));
  } catch (err) {
    // never leave the node (a process of its own on a real graph) running behind a failure
    stopping = true;
    await r.stop().catch(() => undefined);
    throw err;
  }
  const { stats, errorLines, cameraFrames } = await r.stop();
  const bundleDirs = readdirSync(out).filter((n) => !n.startsWith('.'));
  const largest = Math.max(0, ...(await Promise.all(bundleDirs.map((d) => folderBytes(join(out, d))))));
  const warm = warmAt >= 0 ? samples.slice(warmAt) : [];
  const win = o.windowSeconds ?? (o.seconds >= 3000 ? 600 : Math.max(60, o.seconds / 5));
  const rss = growth(
    warm.map((s) => [s.t, s.rssMb]),
    win,
  );
  const gcd = warm.filter((s) => s.mem);
  const of = (f: (m: MemorySample) => number | undefined) => {
    const pts = gcd.filter((s) => f(s.mem!) !== undefined).map((s): [number, number] => [s.t, f(s.mem!)!]);
    return pts.length >= 2 ? growth(pts, win) : undefined;
  };
  const workerHeap = of((m) => m.workerHeapMb);
  const heap = of((m) => m.heapUsedMb);
  const external = of((m) => m.externalMb);
  const arrayBuffers = of((m) => m.arrayBuffersMb);
  return {
    transport: useRos ? 'rclnodejs' : 'memory',
    seconds: (Date.now() - t0) / 1000,
    samples,
    maxBundles: Math.max(...samples.map((s) => s.bundles)),
    maxBytes: Math.max(...samples.map((s) => s.bytes)),
    largestBundleBytes: largest,
    rssWarmMb: rss.warm,
    rssEndMb: rss.end,
    rssMaxMb: Math.max(...samples.map((s) => s.rssMb)),
    memory: {
      rss,
      ...(heap ? { heap } : {}),
      ...(workerHeap ? { workerHeap } : {}),
      ...(external ? { external } : {}),
      ...(arrayBuffers ? { arrayBuffers } : {}),
      afterGc: gcd.length > 0 && gcd.every((s) => s.mem!.afterGc),
    },
    foreignNodes: [...new Set(foreign)],
    ...(r.domainId ? { domainId: r.domainId } : {}),
    stats,
    ...(cameraFrames !== undefined ? { cameraFrames } : {}),
    errorLines,
    calls,
    outDir: out,
  };
}

/**
 * A memory series after warm-up: RSS saws up and down by ~100 MB (garbage collection, V8 giving
 * pages back lazily), so medians of the first and last quarter, and the least-squares trend.
 */
export function growth(points: [number, number][], windowSeconds = 600): Growth {
  const k = Math.max(1, Math.floor(points.length / 4));
  const first = points.slice(0, k).map((p) => p[1]);
  const last = points.slice(-k).map((p) => p[1]);
  const warm = median(first);
  const end = median(last);
  const windows: Growth['windows'] = [];
  const t0 = points[0]?.[0] ?? 0;
  for (const p of points) {
    const from = t0 + Math.floor((p[0] - t0) / windowSeconds) * windowSeconds;
    if (windows[windows.length - 1]?.from !== from) windows.push({ from, to: from, median: NaN, p10: NaN, n: 0 });
  }
  for (const w of windows) {
    const vs = points.filter((p) => p[0] >= w.from && p[0] < w.from + windowSeconds);
    w.to = vs[vs.length - 1]![0];
    w.n = vs.length;
    w.median = median(vs.map((p) => p[1]));
    w.p10 = quantile(
      vs.map((p) => p[1]),
      0.1,
    );
  }
  const n = points.length;
  const mt = points.reduce((a, p) => a + p[0], 0) / n;
  const mv = points.reduce((a, p) => a + p[1], 0) / n;
  const sxx = points.reduce((a, p) => a + (p[0] - mt) ** 2, 0);
  const sxy = points.reduce((a, p) => a + (p[0] - mt) * (p[1] - mv), 0);
  return {
    warm,
    end,
    growth: end - warm,
    perHour: sxx > 0 ? (sxy / sxx) * 3600 : NaN,
    max: Math.max(...points.map((p) => p[1])),
    lowWarm: quantile(first, 0.1),
    lowEnd: quantile(last, 0.1),
    windows,
  };
}

function heapNote(samples: SoakSample[]): string {
  const m = [...samples].reverse().find((s) => s.mem)?.mem;
  return m
    ? `, heap ${m.heapUsedMb.toFixed(1)} MB${m.afterGc ? ' after GC' : ''} of ${m.heapTotalMb.toFixed(1)} MB${m.spaces?.['new'] ? ` (new space ${m.spaces['new'].committedMb.toFixed(1)} MB)` : ''}${m.workerHeapMb !== undefined ? ` (workers ${m.workerHeapMb.toFixed(1)} MB of ${m.workerHeapTotalMb?.toFixed(1) ?? '?'} MB)` : ''}, external ${m.externalMb.toFixed(1)} MB`
    : '';
}
