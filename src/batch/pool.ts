/**
 * A pool of worker threads on this machine (piscina) that runs batch jobs: the reconstruction
 * is CPU-bound JavaScript, so N jobs at once need N threads, not N promises on one thread.
 * Both the in-process batch and `real2sim worker` (behind BullMQ) run jobs through it.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { MUJOCO_OPTIMISE_PAYS_AFTER } from '../../sim/mujoco/reference.ts';
import type { JobOutcome, JobSpec } from './job.ts';

export interface JobPool {
  run(spec: JobSpec): Promise<JobOutcome>;
  readonly threads: number;
  close(): Promise<void>;
}

export const defaultThreads = (): number => Math.max(1, availableParallelism());

/** What each thread of a job pool is told at start (`workerData`). */
export interface JobPoolOptions {
  /**
   * The threads will run many frames each (a long batch, a queue worker): each loads MuJoCo, when
   * a job first needs it, with its hot code optimised (`loadMujoco`), which costs more CPU than
   * it saves over a few frames and less over many.
   */
  optimiseMujoco?: boolean;
}

/**
 * Whether a batch of `frames` frames on `threads` threads runs enough MuJoCo cross-checks per
 * thread to repay optimising MuJoCo's code (`MUJOCO_OPTIMISE_PAYS_AFTER` runs).
 */
export const optimiseMujocoFor = (frames: number, threads: number): boolean => frames >= MUJOCO_OPTIMISE_PAYS_AFTER * Math.max(1, threads);

export function createJobPool(threads = defaultThreads(), options: JobPoolOptions = {}): JobPool {
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
    workerData: { optimiseMujoco: options.optimiseMujoco === true } satisfies JobPoolOptions,
  });
  return {
    threads,
    run: (spec) => pool.run(spec) as Promise<JobOutcome>,
    close: () => pool.destroy(),
  };
}
