import { threadId } from 'node:worker_threads';

/** Test task: the id of the thread it ran on (0 = the main thread). */
export function threadOf(x: number): { x: number; thread: number } {
  return { x, thread: threadId };
}
