/**
 * Per-object work that may run on other threads. A stage names the work as a `TaskRef` (the
 * module that exports it, the export's name, and the function itself) and hands its inputs to
 * a `TaskRunner`; the core only runs tasks in this thread (`inThread`). A runner that uses
 * worker threads lives outside the core (`src/app/pool.ts`) and is passed in through the
 * pipeline's config. A task must be a pure function of its (structured-cloneable) input, so
 * every runner returns the same results in the same order.
 */
export interface TaskRef<I, O> {
  /** URL of the module exporting the task (`import.meta.url` of that module). */
  module: string;
  /** Name of the export. */
  name: string;
  fn: (input: I) => O | Promise<O>;
}

/** Runs `task` on each input; resolves to the outputs in input order. */
export type TaskRunner = <I, O>(task: TaskRef<I, O>, inputs: readonly I[]) => Promise<O[]>;

/** One input after the other, in this thread. */
export const inThread: TaskRunner = async <I, O>(task: TaskRef<I, O>, inputs: readonly I[]): Promise<O[]> => {
  const out: O[] = [];
  for (const input of inputs) out.push(await task.fn(input));
  return out;
};
