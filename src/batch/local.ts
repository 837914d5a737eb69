/**
 * The batch on this machine alone (no Redis): the same jobs through a thread pool, with the
 * same retry policy as the queue (attempts, exponential backoff, deterministic errors not
 * retried). Resumable by construction: finished bundles carry their job key and are skipped.
 */
import { finishedBundle, isRetryable, type JobResult, type JobSpec } from './job.ts';
import type { JobPool } from './pool.ts';

export interface RetryPolicy {
  /** Attempts in all (default 3). */
  attempts: number;
  /** First backoff, doubled each retry (default 1000 ms). */
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, backoffMs: 1000 };

export async function runLocal(jobs: readonly JobSpec[], pool: JobPool, o: { retry?: RetryPolicy; onResult?: (r: JobResult) => void; signal?: AbortSignal } = {}): Promise<JobResult[]> {
  const retry = o.retry ?? DEFAULT_RETRY;
  const results: JobResult[] = [];
  let next = 0;
  const one = async (spec: JobSpec): Promise<JobResult> => {
    // finished bundles are found here, without a thread
    const done = await finishedBundle(spec);
    if (done) return { key: spec.key, input: spec.input, frame: spec.frame, bundle: spec.out, status: 'cached', ...done, timeMs: 0, attempts: 0 };
    for (let attempt = 1; ; attempt++) {
      const r = await pool.run(spec);
      if (r.ok) return { ...r.result, attempts: attempt };
      if (attempt >= retry.attempts || !isRetryable(r.code) || o.signal?.aborted) {
        return { key: spec.key, input: spec.input, frame: spec.frame, bundle: spec.out, status: 'failed', timeMs: 0, attempts: attempt, error: { code: r.code, message: r.message } };
      }
      await new Promise((res) => setTimeout(res, retry.backoffMs * 2 ** (attempt - 1)));
    }
  };
  // as many jobs in flight as the pool has threads: the rest wait here, not in the pool's queue
  const lane = async () => {
    while (next < jobs.length && !o.signal?.aborted) {
      const r = await one(jobs[next++]!);
      results.push(r);
      o.onResult?.(r);
    }
  };
  await Promise.all(Array.from({ length: pool.threads }, lane));
  return results;
}
