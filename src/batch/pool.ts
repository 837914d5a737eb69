/**
 * A pool of worker threads on this machine (piscina) that runs batch jobs: the reconstruction
 * is CPU-bound JavaScript, so N jobs at once need N threads, not N promises on one thread.
 * Both the in-process batch and `real2sim worker` (behind BullMQ) run jobs through it.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { JobOutcome, JobSpec } from './job.ts';

export interface JobPool {
  run(spec: JobSpec): Promise<JobOutcome>;
  readonly threads: number;
  close(): Promise<void>;
}

export const defaultThreads = (): number => Math.max(1, availableParallelism());

export function createJobPool(threads = defaultThreads()): JobPool {
  // The build (.js) starts threads on the compiled worker; the sources (.ts, development) on a
  // small module that registers tsx in the thread first (threads do not inherit the loader).
  const filename = new URL(import.meta.url.endsWith('.ts') ? './tsxWorker.mjs' : './poolWorker.js', import.meta.url).href;
  const pool = new Piscina({
    filename,
    // threads start with the first job: a batch whose frames are all finished starts none
    minThreads: 0,
    maxThreads: threads,
    // one job per thread at a time; the queue of waiting jobs lives in the caller
    concurrentTasksPerWorker: 1,
    idleTimeout: 60_000,
  });
  return {
    threads,
    run: (spec) => pool.run(spec) as Promise<JobOutcome>,
    close: () => pool.destroy(),
  };
}
