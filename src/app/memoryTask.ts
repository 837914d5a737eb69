/**
 * A pool task that reports the heap of the worker thread it runs on (each worker has a V8 heap of
 * its own, which the main thread's `process.memoryUsage()` does not include): after a full GC
 * where node runs with --expose-gc (V8 flags reach every thread).
 */
import { threadId } from 'node:worker_threads';
import type { TaskRef } from '../stages/tasks.ts';

export interface ThreadHeap {
  threadId: number;
  heapUsedMb: number;
  /** What the thread's heap holds from the system (committed), after the GC. */
  heapTotalMb: number;
  afterGc: boolean;
}

export function threadHeap(): ThreadHeap {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === 'function') gc();
  const m = process.memoryUsage();
  return { threadId, heapUsedMb: m.heapUsed / 2 ** 20, heapTotalMb: m.heapTotal / 2 ** 20, afterGc: typeof gc === 'function' };
}

export const THREAD_HEAP_TASK: TaskRef<null, ThreadHeap> = { module: import.meta.url, name: 'threadHeap', fn: () => threadHeap() };
