/**
 * One batch job = one frame → one bundle. The job is plain data (it travels through Redis to
 * any worker), names its inputs by path (workers share the input and output folders), and
 * carries its key: a content hash of the inputs and the options. A bundle whose scene.json
 * records the same key is finished: running the job again returns it without work, so a job
 * can be retried, redelivered after a crash, or enqueued twice without harm.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { frameToBundle } from '../app/frameToBundle.ts';
import { loadFrame } from '../io/frame.ts';
import type { CameraIntrinsics } from '../model/camera.ts';
import { Real2SimError, type ErrorCode } from '../model/errors.ts';
import type { RgbdFrame } from '../model/frame.ts';
import { Recording } from '../recordings/mcap.ts';
import { recordedFrames, type BagTopics } from '../recordings/frames.ts';
import { remoteSegmentationReconstructor } from '../commands/reconstruct.ts';
import { GpuHostClient } from '../gpu/client.ts';
import { GpuHostPool, type GpuCaller } from '../gpu/hostPool.ts';

export type FrameSource =
  | { kind: 'files'; rgb: string; depth: string; camera: string; masks?: string; depthScale?: number }
  | {
      kind: 'bag';
      path: string;
      topics: BagTopics;
      /** Colour stamp and log time, ns, as decimal strings (JSON has no bigint). */
      stampNs: string;
      logTimeNs: string;
      camera: CameraIntrinsics;
      depthScale?: number;
      tolerance?: number;
    }
  /** No reconstruction: sleeps or spins `ms` (queue overhead and fault benchmarks). */
  | { kind: 'noop'; ms: number; busy?: boolean; fail?: ErrorCode };

export interface JobOptions {
  validate: boolean;
  /**
   * false: bundles without debug products (`FrameToBundleOptions.debug`). Absent means with them,
   * so that the keys of jobs made before the option existed stay the same.
   */
  debug?: false;
  segmentation: 'auto' | 'given' | 'geometric';
  density?: number;
  seed?: number;
  /**
   * GPU hosts that segment the frames (several: a pool with least-outstanding routing, health
   * checks and failover; unreachable: the CPU segmentation, as in `reconstruct`). The addresses
   * are not part of the job key (the same models behind other addresses give the same bundle),
   * only that a GPU host segments. The bearer token comes from each worker's $REAL2SIM_GPU_TOKEN,
   * never through the queue.
   */
  gpuHosts?: string[];
}

export interface JobSpec {
  /** Content hash of the inputs, the options and the output path: the queue's job id. */
  key: string;
  /** What the input was (file or recording), for the index. */
  input: string;
  /** Frame name within the input. */
  frame: string;
  /** Absolute bundle folder. */
  out: string;
  source: FrameSource;
  options: JobOptions;
}

/** One row of index.json / index.csv. */
export interface JobResult {
  key: string;
  input: string;
  frame: string;
  bundle: string;
  status: 'done' | 'cached' | 'failed';
  objects?: number;
  verdict?: string;
  confidence?: string;
  confidenceScore?: number;
  timeMs: number;
  attempts?: number;
  error?: { code: string; message: string };
}

/** What a job returns across threads and Redis (errors as data: an Error loses its code there). */
export type JobOutcome = { ok: true; result: JobResult } | { ok: false; code: ErrorCode; message: string };

/** Codes that come out the same on every attempt: retrying them only wastes time. */
const DETERMINISTIC: ReadonlySet<string> = new Set([
  'BAD_INPUT',
  'BAD_IMAGE',
  'BAD_DEPTH',
  'BAD_CAMERA',
  'BAD_MESH',
  'BAD_SCENE',
  'BAD_FILE',
  'SIZE_MISMATCH',
  'UNSUPPORTED',
  'TOO_LARGE',
  'NO_PLANE',
  'NO_OBJECTS',
]);
export const isRetryable = (code: string): boolean => !DETERMINISTIC.has(code);

export function hashKey(parts: readonly (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? `${p.length}:${p}` : p);
  return h.digest('hex');
}

/** The job key of a frame source: its content, the options and the output folder. */
export async function sourceKey(source: FrameSource, options: JobOptions, out: string, contentHash?: string): Promise<string> {
  const { gpuHosts, ...rest } = options;
  const parts: (string | Uint8Array)[] = [JSON.stringify(gpuHosts?.length ? { ...rest, gpu: true } : rest), out];
  if (source.kind === 'files') {
    for (const p of [source.rgb, source.depth, source.camera, source.masks]) {
      if (!p) continue;
      try {
        parts.push(new Uint8Array(await readFile(p)));
      } catch (e) {
        throw new Real2SimError('BAD_FILE', `Cannot read '${p}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}.`, { path: p });
      }
    }
    parts.push(String(source.depthScale ?? ''));
  } else if (source.kind === 'bag') {
    parts.push(contentHash ?? `${source.path}@${source.stampNs}`);
  } else {
    parts.push(JSON.stringify(source));
  }
  return hashKey(parts);
}

interface Finished {
  objects: number;
  verdict?: string;
  confidence?: string;
  confidenceScore?: number;
}

function summarise(scene: { objects: unknown[]; physics?: { verdict?: string }; confidence?: { level?: string; score?: number } }): Finished {
  return {
    objects: scene.objects.length,
    ...(scene.physics?.verdict ? { verdict: scene.physics.verdict } : {}),
    ...(scene.confidence?.level ? { confidence: scene.confidence.level } : {}),
    ...(typeof scene.confidence?.score === 'number' ? { confidenceScore: scene.confidence.score } : {}),
  };
}

/** The finished bundle of this job, if its scene.json carries the job's key. */
export async function finishedBundle(spec: JobSpec): Promise<Finished | null> {
  if (spec.source.kind === 'noop') return null;
  let text: string;
  try {
    text = await readFile(join(spec.out, 'scene.json'), 'utf8');
  } catch {
    return null;
  }
  try {
    const scene = JSON.parse(text) as Parameters<typeof summarise>[0] & { meta?: { jobKey?: string } };
    return scene.meta?.jobKey === spec.key ? summarise(scene) : null;
  } catch {
    return null;
  }
}

/** Temporary folders an earlier attempt killed mid-write left beside the bundle. */
async function removeStaleTemporaries(out: string): Promise<void> {
  const parent = dirname(out);
  const prefix = `.${basename(out)}.`;
  const names = await readdir(parent).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(prefix) && /\.(tmp|old)-/.test(n)).map((n) => rm(join(parent, n), { recursive: true, force: true })));
}

let openRecording: { path: string; rec: Promise<Recording> } | undefined;
/** One recording kept open per thread: the frames of a recording usually come one after another. */
async function recordingFor(path: string): Promise<Recording> {
  if (openRecording?.path !== path) {
    const previous = openRecording;
    openRecording = { path, rec: Recording.open(path) };
    if (previous)
      void previous.rec.then(
        (r) => r.close(),
        () => {},
      );
    openRecording.rec.catch(() => {
      if (openRecording?.path === path) openRecording = undefined;
    });
  }
  return openRecording.rec;
}

async function loadSourceFrame(source: FrameSource): Promise<RgbdFrame> {
  if (source.kind === 'files') {
    return loadFrame({
      rgb: source.rgb,
      depth: source.depth,
      camera: source.camera,
      ...(source.masks ? { masks: source.masks } : {}),
      ...(source.depthScale !== undefined ? { depthScale: source.depthScale } : {}),
    });
  }
  if (source.kind !== 'bag') throw new Real2SimError('INTERNAL', 'not a frame source');
  const rec = await recordingFor(source.path);
  const logTime = BigInt(source.logTimeNs);
  // depth may be logged a little before or after its colour image
  const window = { start: logTime > 2_000_000_000n ? logTime - 2_000_000_000n : 0n, end: logTime + 2_000_000_000n };
  for await (const f of recordedFrames(rec, {
    topics: source.topics,
    select: { stampNs: BigInt(source.stampNs) },
    window,
    cameraInfo: source.camera,
    ...(source.depthScale !== undefined ? { depthScale: source.depthScale } : {}),
    ...(source.tolerance !== undefined ? { tolerance: source.tolerance } : {}),
  })) {
    return f.assemble();
  }
  throw new Real2SimError('BAD_FILE', `The frame at ${source.stampNs} ns is no longer in '${source.path}' (or lost its depth partner): was the recording replaced?`, { path: source.path });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const gpuCallers = new Map<string, GpuCaller>();
/** One client (or pool) per host list and thread: its health state and connections carry over between jobs. */
function gpuCallerFor(urls: readonly string[]): GpuCaller {
  const id = urls.join(',');
  let c = gpuCallers.get(id);
  if (!c) {
    const token = process.env['REAL2SIM_GPU_TOKEN'];
    c = urls.length > 1 ? new GpuHostPool({ urls, ...(token ? { token } : {}) }) : new GpuHostClient({ url: urls[0]!, ...(token ? { token } : {}) });
    gpuCallers.set(id, c);
  }
  return c;
}

/** Runs one job: returns the finished bundle when there is one, else reconstructs and writes it. */
export async function runJob(spec: JobSpec): Promise<JobOutcome> {
  const t0 = performance.now();
  const base = { key: spec.key, input: spec.input, frame: spec.frame, bundle: spec.out };
  try {
    const src = spec.source;
    if (src.kind === 'noop') {
      if (src.busy) {
        const end = performance.now() + src.ms;
        while (performance.now() < end);
      } else if (src.ms > 0) await sleep(src.ms);
      if (src.fail) return { ok: false, code: src.fail, message: `noop job failing with ${src.fail} as asked` };
      return { ok: true, result: { ...base, status: 'done', timeMs: performance.now() - t0 } };
    }
    const done = await finishedBundle(spec);
    if (done) return { ok: true, result: { ...base, status: 'cached', ...done, timeMs: 0 } };
    await removeStaleTemporaries(spec.out);
    const frame = await loadSourceFrame(src);
    const stageOptions = {
      ...(spec.options.density !== undefined ? { compose: { defaultDensity: spec.options.density } } : {}),
      ...(spec.options.seed !== undefined ? { ground: { seed: spec.options.seed } } : {}),
    };
    const gpu = spec.options.gpuHosts?.length ? gpuCallerFor(spec.options.gpuHosts) : undefined;
    const { scene } = await frameToBundle(frame, {
      out: spec.out,
      title: `real2sim · ${spec.input} · ${spec.frame}`,
      validate: spec.options.validate,
      ...(spec.options.debug === false ? { debug: false } : {}),
      // frames are the batch's unit of parallelism (worker threads here, worker processes on a
      // queue): a per-object pool inside each job would only compete with the other jobs for the cores
      pool: null,
      ...(gpu ? { reconstruct: remoteSegmentationReconstructor(gpu, stageOptions) } : {}),
      pipeline: { segmentation: spec.options.segmentation, ...stageOptions },
      meta: { input: spec.input, frame: spec.frame, jobKey: spec.key, ...(gpu ? { gpuHost: gpu.url } : {}) },
    });
    return { ok: true, result: { ...base, status: 'done', ...summarise(scene), timeMs: performance.now() - t0 } };
  } catch (err) {
    if (err instanceof Real2SimError) return { ok: false, code: err.code, message: err.message };
    return { ok: false, code: 'INTERNAL', message: `${(err as Error)?.message ?? String(err)} (a bug: please report it with this frame)` };
  }
}
