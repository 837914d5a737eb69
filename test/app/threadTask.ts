import { threadId } from 'node:worker_threads';

/** Test task: the id of the thread it ran on (0 = the main thread). */
export function threadOf(x: number): { x: number; thread: number } {
  return { x, thread: threadId };
}

/**
 * Test task: busy for `ms` on its thread, awaiting only settled promises (as a shape completion
 * does between its WebAssembly calls), so it never yields to the event loop by itself.
 */
export async function busyThreadOf(ms: number): Promise<{ x: number; thread: number }> {
  await Promise.resolve();
  const t = performance.now();
  while (performance.now() - t < ms);
  return { x: ms, thread: threadId };
}

let warmUps = 0;

/** Called by a pool's warm-up of this module (poolWorker.mjs), in each worker. */
export function warmUp(): void {
  warmUps++;
}

/** Test task: how many warm-ups this thread ran. */
export function warmUpCount(): number {
  return warmUps;
}

// Run as a script (`node --import tsx test/app/threadTask.ts`), as the CLI and the benches run:
// prints the threads a pool ran six tasks on.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { createPool } = await import('../../src/app/pool.ts');
  const pool = createPool({ threads: 2 });
  const out = await pool.run({ module: import.meta.url, name: 'threadOf', fn: threadOf }, [1, 2, 3, 4, 5, 6]);
  console.log(JSON.stringify({ threads: out.map((o) => o.thread), failure: pool.failure }));
  await pool.close();
}
