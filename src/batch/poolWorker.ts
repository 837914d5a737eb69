/** Piscina worker thread: runs batch jobs (one at a time per thread). */
import { runJob, type JobOutcome, type JobSpec } from './job.ts';

export default function run(spec: JobSpec): Promise<JobOutcome> {
  return runJob(spec);
}
