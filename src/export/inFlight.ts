/**
 * `task` over `items` with a few in flight at once (hundreds of small files: one at a time
 * waits on each system call in turn). On the first failure the others stop taking work, and
 * every task in flight settles before the failure is thrown: no write lands in a folder that
 * is being deleted.
 */
export async function inFlight<T>(items: readonly T[], task: (item: T) => Promise<void>, width = 16): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
}
