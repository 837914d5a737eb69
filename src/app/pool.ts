/**
 * Worker-thread pool for per-object work (shape completion, compose), on piscina. A generic
 * runner of `TaskRef`s (src/stages/tasks.ts): any module exporting a pure function can use it,
 * the pipeline's stages or `sim/`. Kept outside the core, which only knows the `TaskRunner`
 * type and passes one down.
 *
 * Results are the same as in one thread: a task is a pure function of its cloned input and the
 * runner returns outputs in input order. If a worker cannot run a task (a module that fails to
 * load in a worker, a worker that dies) the batch runs again in this thread, so a broken pool
 * costs time, never the result; an error the task itself throws is thrown again in this thread
 * with its own class and message.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { inThread, type TaskRef, type TaskRunner } from '../stages/tasks.ts';
import { THREAD_HEAP_TASK, type ThreadHeap } from './memoryTask.ts';

export interface TaskPool {
  readonly threads: number;
  run: TaskRunner;
  /** Why the pool stopped using its workers (every batch then runs in this thread), or null. */
  readonly failure: string | null;
  /** One task on a worker, leaving this thread free for other work (in this thread if the pool has failed). */
  spawn<I, O>(task: TaskRef<I, O>, input: I): Promise<O>;
  /**
   * The heap of each worker thread (after a full GC under --expose-gc): one task per worker, sent
   * together so that idle workers take one each; a worker busy with a run may answer twice or
   * not at all (deduplicated by thread id). Empty when the pool has failed.
   */
  workerHeaps(): Promise<ThreadHeap[]>;
  /** Starts the workers and loads these task modules in each (calling their `warmUp` export). */
  warm(modules: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export interface PoolOptions {
  /** Worker threads besides this one (default: the machine's available parallelism − 1, at least 1, at most 7). */
  threads?: number;
}

export function createPool(options: PoolOptions = {}): TaskPool {
  // This thread takes tasks too (it would only wait otherwise): on two cores one worker keeps
  // both busy, and each worker costs its own heap and module copies (tens of MB of RSS).
  const threads = Math.max(1, options.threads ?? Math.min(7, availableParallelism() - 1));
  const piscina = new Piscina({
    filename: new URL('./poolWorker.mjs', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    // a worker takes the tasks spawned for it (debug pictures) at once, one after the other,
    // instead of each waiting for this thread to hand it over when the previous one ends: this
    // thread may be in a long stage (segmentation) with no turn of its event loop for 300 ms
    concurrentTasksPerWorker: 4,
    // A worker's young generation at most 8 MB (V8 sizes it up to 16–32 MB by itself): the worker
    // now runs its tasks while this thread holds a frame's working set, and the two peaks add up.
    // The 1280×720 frame of `bench real`, compiled program, 3–5 runs each: peak RSS 369–383 MB
    // with the limit, 386–410 without (379 median before the worker did as much); job times unchanged.
    resourceLimits: { maxYoungGenerationSizeMb: 8 },
    // idle workers are unref'd by piscina: a pool never keeps a finished CLI run alive
    idleTimeout: 60_000,
  });
  let failure: string | null = null;
  const warmed = new Set<string>();
  // Workers busy with spawned tasks (debug pictures, snapshots): a batch hands them no input
  // until they are free, since piscina would queue it behind the spawned task while this thread
  // waits for its result (test0: compose 1 → 30 ms behind the mask picture's encoding).
  let spawned = 0;
  let freed: (() => void)[] = [];
  const spawnDone = () => {
    spawned--;
    const waiting = freed;
    freed = [];
    for (const resolve of waiting) resolve();
  };
  const run: TaskRunner = async <I, O>(task: TaskRef<I, O>, inputs: readonly I[]): Promise<O[]> => {
    if (failure !== null || inputs.length < 2) return inThread(task, inputs);
    // one shared queue: each worker and this thread take the next input when free
    const out = new Array<O>(inputs.length);
    let next = 0;
    // lanes waiting for a free worker; woken too when this thread has taken the last input
    const waiting: (() => void)[] = [];
    let running = 0;
    const worker = async () => {
      while (next < inputs.length) {
        if (spawned + running >= threads) {
          await new Promise<void>((resolve) => {
            freed.push(resolve);
            waiting.push(resolve);
          });
          continue;
        }
        const i = next++;
        running++;
        try {
          out[i] = (await piscina.run({ module: task.module, name: task.name, input: inputs[i] })) as O;
        } finally {
          running--;
        }
      }
    };
    const here = async () => {
      try {
        while (next < inputs.length) {
          const i = next++;
          out[i] = await task.fn(inputs[i]!);
          // back to the event loop before the next input: a task that awaits only settled promises
          // never yields there, so the workers' finished results would wait unread and this thread
          // would take the whole queue (uoc_demo/000003: 8 of 10 objects here, the worker idle)
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      } finally {
        for (const wake of waiting) wake();
      }
    };
    const settled = await Promise.allSettled([...Array.from({ length: threads }, worker), here()]);
    const failed = settled.find((r) => r.status === 'rejected');
    if (!failed) return out;
    // the task's own error, or a pool failure: this thread answers either way (same result or
    // the same error with its class); a pool that failed where this thread did not is not used again
    const again = await inThread(task, inputs);
    failure = `${task.name} (${task.module}): ${(failed.reason as Error).message}`;
    return again;
  };
  return {
    threads,
    run,
    get failure() {
      return failure;
    },
    async spawn<I, O>(task: TaskRef<I, O>, input: I): Promise<O> {
      if (failure !== null) return task.fn(input);
      spawned++;
      try {
        return (await piscina.run({ module: task.module, name: task.name, input }).finally(spawnDone)) as O;
      } catch (err) {
        const out = await task.fn(input);
        failure = `${task.name} (${task.module}): ${(err as Error).message}`;
        return out;
      }
    },
    async workerHeaps() {
      if (failure !== null) return [];
      // a worker in the middle of a long task answers later: not waited for past 5 s
      const one = () =>
        Promise.race([
          piscina.run({ module: THREAD_HEAP_TASK.module, name: THREAD_HEAP_TASK.name, input: null }) as Promise<ThreadHeap>,
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('worker busy')), 5000).unref()),
        ]);
      const all = await Promise.allSettled(Array.from({ length: threads }, one));
      const byThread = new Map<number, ThreadHeap>();
      for (const r of all) if (r.status === 'fulfilled') byThread.set(r.value.threadId, r.value);
      return [...byThread.values()];
    },
    async warm(modules) {
      // once per module: each job asks (warmBundlePool), and every queued task, however short,
      // waits for this thread to hand it over (piscina dispatches from its event loop), so
      // repeated warm-ups would hold back the job's own tasks behind them
      const fresh = modules.filter((m) => !warmed.has(m));
      for (const m of fresh) warmed.add(m);
      try {
        await Promise.all(fresh.flatMap((module) => Array.from({ length: threads }, () => piscina.run({ module, name: null, input: null }))));
      } catch (err) {
        failure = `warm-up: ${(err as Error).message}`;
      }
    },
    close: () => piscina.destroy(),
  };
}

let shared: TaskPool | null = null;

/** The shared pool if one was made (for reports that must not start one). */
export function sharedPoolIfMade(): TaskPool | null {
  return shared;
}

/** One pool per process, made on first use; null on a one-core machine (nothing to share). */
export function sharedPool(): TaskPool | null {
  if (availableParallelism() < 2) return null;
  shared ??= createPool();
  return shared;
}
