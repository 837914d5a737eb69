/** Piscina worker thread: runs batch jobs (one at a time per thread). */
import { workerData } from 'node:worker_threads';
import { loadMujoco } from '../../sim/mujoco/reference.ts';
import { runJob, type JobOutcome, type JobSpec } from './job.ts';
import type { JobPoolOptions } from './pool.ts';

// A thread that will run many frames loads MuJoCo now, optimised, before its first job (a
// failure to load surfaces in the job's validation, where MuJoCo is used).
if ((workerData as JobPoolOptions | undefined)?.optimiseMujoco) void loadMujoco({ optimise: true }).catch(() => {});

export default function run(spec: JobSpec): Promise<JobOutcome> {
  return runJob(spec);
}
