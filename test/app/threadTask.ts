import { threadId } from 'node:worker_threads';

/** Test task: the id of the thread it ran on (0 = the main thread). */
export function threadOf(x: number): { x: number; thread: number } {
  return { x, thread: threadId };
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
