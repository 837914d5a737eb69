/**
 * The batch on BullMQ + Redis: every frame is a job on one queue; `real2sim worker` processes
 * run them on any number of machines (sharing the input and output folders).
 *
 * - Job id = the job's content key, so enqueueing a frame twice is one job; a finished bundle
 *   is found by its key and not redone even when Redis forgot the job.
 * - Retries with exponential backoff; deterministic errors (bad input) fail at once
 *   (`UnrecoverableError`); failures keep their coded error (`[CODE] message`) in the failed list.
 * - A worker killed mid-job loses its lock; BullMQ's stalled-job check hands the job to another
 *   worker, which removes the dead attempt's temporary folder before writing (no partial bundle).
 * - The producer keeps the list of its jobs and re-adds any Redis no longer knows (a Redis that
 *   restarted without persistence): no job is lost while the batch runs.
 */
import { Job, Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Real2SimError } from '../model/errors.ts';
import { finishedBundle, isRetryable, type JobResult, type JobSpec } from './job.ts';
import type { JobPool } from './pool.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './local.ts';

export const DEFAULT_QUEUE = 'real2sim-frames';

/** BullMQ job ids must not be plain integers: prefix the hex key. */
export const jobIdOf = (key: string): string => `frame-${key}`;

/** A Redis connection for BullMQ, checked with a PING so a wrong URL fails fast with advice. */
export async function connectRedis(url: string, timeoutMs = 5000): Promise<Redis> {
  let redis: Redis;
  try {
    // maxRetriesPerRequest null: commands wait through a Redis restart instead of failing
    redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, retryStrategy: (n) => Math.min(n * 200, 2000) });
  } catch (cause) {
    throw new Real2SimError('BAD_INPUT', `--redis '${url}' is not a Redis URL; give e.g. redis://127.0.0.1:6379.`, { url }, cause);
  }
  redis.on('error', () => {}); // reconnects are reported by the waits below, not as unhandled events
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (cause) {
    redis.disconnect();
    throw new Real2SimError('REMOTE', `Cannot reach Redis at ${url} (${(cause as Error).message}): start redis-server there or fix --redis.`, { url }, cause);
  } finally {
    clearTimeout(timer);
  }
  return redis;
}

/** A second connection to the same Redis (BullMQ's event stream blocks one), errors handled like the first. */
export function duplicateRedis(redis: Redis): Redis {
  const d = redis.duplicate();
  d.on('error', () => {});
  return d;
}

function parseFailure(reason: string | undefined): { code: string; message: string } {
  const m = /^\[([A-Z_]+)\] ([\s\S]*)$/.exec(reason ?? '');
  if (m) return { code: m[1]!, message: m[2]! };
  // BullMQ's own reasons (e.g. "job stalled more than allowable limit")
  return { code: 'INTERNAL', message: reason || 'failed without a reason' };
}

function failedRow(spec: JobSpec, job: Job | undefined): JobResult {
  return { key: spec.key, input: spec.input, frame: spec.frame, bundle: spec.out, status: 'failed', timeMs: 0, attempts: job?.attemptsMade ?? 0, error: parseFailure(job?.failedReason) };
}

/** Adds the jobs (ids = keys: a job already there is not added twice), 500 per round trip. */
export async function enqueueJobs(queue: Queue, specs: readonly JobSpec[], retry: RetryPolicy = DEFAULT_RETRY): Promise<void> {
  const opts = { attempts: retry.attempts, backoff: { type: 'exponential', delay: retry.backoffMs }, removeOnComplete: { age: 7 * 86400 }, removeOnFail: { age: 30 * 86400 } };
  for (let i = 0; i < specs.length; i += 500) {
    await queue.addBulk(specs.slice(i, i + 500).map((s) => ({ name: 'frame', data: s, opts: { ...opts, jobId: jobIdOf(s.key) } })));
  }
}

export interface QueueBatchOptions {
  redis: Redis;
  queue?: string;
  retry?: RetryPolicy;
  onResult?: (r: JobResult) => void;
  /** How often the producer checks its jobs' states beside the event stream (default 2000 ms). */
  reconcileMs?: number;
  signal?: AbortSignal;
}

/** Enqueues the jobs (again: ids dedupe) and waits until each is completed or failed. */
export async function runOnQueue(jobs: readonly JobSpec[], o: QueueBatchOptions): Promise<JobResult[]> {
  const name = o.queue ?? DEFAULT_QUEUE;
  const retry = o.retry ?? DEFAULT_RETRY;
  const queue = new Queue(name, { connection: o.redis });
  const eventsConnection = duplicateRedis(o.redis);
  const events = new QueueEvents(name, { connection: eventsConnection });
  queue.on('error', () => {});
  events.on('error', () => {});
  const byId = new Map(jobs.map((j) => [jobIdOf(j.key), j]));
  const pending = new Set(byId.keys());
  const results: JobResult[] = [];
  let wake: () => void = () => {};
  const finish = (id: string, r: JobResult) => {
    if (!pending.delete(id)) return;
    results.push(r);
    o.onResult?.(r);
    if (pending.size === 0) wake();
  };
  const add = (specs: readonly JobSpec[]) => enqueueJobs(queue, specs, retry);
  const settle = async (id: string, state: string) => {
    const spec = byId.get(id)!;
    if (state === 'completed') {
      const job = await Job.fromId(queue, id);
      const r = job?.returnvalue as JobResult | undefined;
      if (r && typeof r === 'object') finish(id, r);
    } else if (state === 'failed') {
      finish(id, failedRow(spec, await Job.fromId(queue, id)));
    }
  };

  try {
    await events.waitUntilReady();
    events.on('completed', ({ jobId, returnvalue }) => {
      if (!pending.has(jobId)) return;
      const r = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as JobResult;
      finish(jobId, r);
    });
    events.on('failed', ({ jobId }) => {
      if (pending.has(jobId)) void settle(jobId, 'failed').catch(() => {});
    });
    await add(jobs);
    // jobs this queue already knew: finished ones count now, failed ones get a fresh set of attempts
    const reconcile = async (initial: boolean) => {
      const ids = [...pending];
      for (let i = 0; i < ids.length; i += 200) {
        const chunk = ids.slice(i, i + 200);
        const states = await Promise.all(chunk.map((id) => queue.getJobState(id)));
        const lost: JobSpec[] = [];
        await Promise.all(
          chunk.map(async (id, k) => {
            const s = states[k]!;
            const spec = byId.get(id)!;
            if (s === 'unknown') lost.push(spec);
            else if (s === 'failed' && initial) await (await Job.fromId(queue, id))?.retry('failed');
            else if (s === 'completed' && initial && spec.source.kind !== 'noop' && !(await finishedBundle(spec))) {
              // completed in an earlier run, but its bundle is gone (deleted or moved): run it again
              await (await Job.fromId(queue, id))?.remove();
              lost.push(spec);
            } else await settle(id, s);
          }),
        );
        if (lost.length > 0) await add(lost);
      }
    };
    await reconcile(true);
    const every = o.reconcileMs ?? 2000;
    while (pending.size > 0 && !o.signal?.aborted) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, every);
        wake = () => {
          clearTimeout(t);
          res();
        };
        o.signal?.addEventListener('abort', wake, { once: true });
      });
      if (pending.size > 0 && !o.signal?.aborted) await reconcile(false).catch(() => {});
    }
    return results;
  } finally {
    await events.close().catch(() => {});
    await queue.close().catch(() => {});
    eventsConnection.disconnect();
  }
}

export interface QueueWorkerOptions {
  redis: Redis;
  pool: JobPool;
  queue?: string;
  /** Jobs at once (default: the pool's threads). */
  concurrency?: number;
  /** A job whose worker stops renewing its lock for this long is handed to another worker (default 30 s). */
  lockMs?: number;
  onResult?: (r: JobResult) => void;
  onError?: (e: Error) => void;
}

/** A BullMQ worker that runs jobs through the pool. Close it to finish active jobs and stop. */
export function startQueueWorker(o: QueueWorkerOptions): Worker {
  const lockDuration = o.lockMs ?? 30_000;
  const worker = new Worker(
    o.queue ?? DEFAULT_QUEUE,
    async (job: Job<JobSpec>) => {
      const done = await finishedBundle(job.data);
      if (done) {
        const res: JobResult = { key: job.data.key, input: job.data.input, frame: job.data.frame, bundle: job.data.out, status: 'cached', ...done, timeMs: 0, attempts: job.attemptsMade + 1 };
        o.onResult?.(res);
        return res;
      }
      const r = await o.pool.run(job.data);
      if (r.ok) {
        const res = { ...r.result, attempts: job.attemptsMade + 1 };
        o.onResult?.(res);
        return res;
      }
      const reason = `[${r.code}] ${r.message}`;
      o.onResult?.({ key: job.data.key, input: job.data.input, frame: job.data.frame, bundle: job.data.out, status: 'failed', timeMs: 0, error: { code: r.code, message: r.message } });
      throw isRetryable(r.code) ? new Error(reason) : new UnrecoverableError(reason);
    },
    {
      connection: o.redis,
      concurrency: o.concurrency ?? o.pool.threads,
      lockDuration,
      stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
      maxStalledCount: 2,
    },
  );
  worker.on('error', (e) => o.onError?.(e));
  return worker;
}
