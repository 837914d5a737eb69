/** Piscina worker thread: runs batch jobs (one at a time per thread). */
import { workerData } from 'node:worker_threads';
import { preferOptimisedMujoco } from '../../sim/mujoco/reference.ts';
import { runJob, type JobOutcome, type JobSpec } from './job.ts';
import type { JobPoolOptions } from './pool.ts';

// A thread that will run many frames loads MuJoCo optimised, when its first validating job needs it.
if ((workerData as JobPoolOptions | undefined)?.optimiseMujoco) preferOptimisedMujoco();

export default function run(spec: JobSpec): Promise<JobOutcome> {
  return runJob(spec);
}
