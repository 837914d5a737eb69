/**
 * The node process's memory, as `real2sim ros` reports it (on `diagnostics`, in `--stats`, and
 * on SIGUSR2). Resident memory alone says little about a leak: V8 grows its heap in steps and
 * returns pages lazily, WebAssembly memories (the manifold, the physics engines) only grow, and
 * freed ArrayBuffers wait for a GC. What a leak shows as is the JavaScript heap still in use
 * after a full garbage collection, growing run after run; `heapUsed` is that figure when the
 * process runs with `node --expose-gc` (`afterGc: true`), otherwise whatever the heap holds at
 * the moment, garbage included.
 */
export interface MemorySample {
  /** Resident set size of the whole process (heap, native allocations, WebAssembly, code). */
  rssMb: number;
  /** JavaScript heap in use (after a full GC when `afterGc`). */
  heapUsedMb: number;
  heapTotalMb: number;
  /** Memory of C++ objects bound to JavaScript ones, ArrayBuffers and WebAssembly memories included. */
  externalMb: number;
  /** ArrayBuffers and SharedArrayBuffers (typed arrays, image data; WebAssembly memories are ArrayBuffers). */
  arrayBuffersMb: number;
  afterGc: boolean;
  /** The worker threads' heaps together (the pool's per-object work), when sampled; each after a GC like the main one. */
  workerHeapMb?: number;
  workers?: number;
}

const MB = 2 ** 20;

/** Samples this process's memory; with `collect`, after a full GC where `--expose-gc` allows one. */
export function memorySample(collect = false): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  const afterGc = collect && typeof gc === 'function';
  if (afterGc) gc();
  const m = process.memoryUsage();
  return { rssMb: m.rss / MB, heapUsedMb: m.heapUsed / MB, heapTotalMb: m.heapTotal / MB, externalMb: m.external / MB, arrayBuffersMb: m.arrayBuffers / MB, afterGc };
}

/** As memorySample, with the heaps of the task pool's worker threads when a pool is running. */
export async function memorySampleWithWorkers(collect = false): Promise<MemorySample> {
  const { sharedPoolIfMade } = await import('../src/app/pool.ts');
  const heaps = (await sharedPoolIfMade()?.workerHeaps()) ?? [];
  const m = memorySample(collect);
  return heaps.length > 0 ? { ...m, workerHeapMb: heaps.reduce((a, h) => a + h.heapUsedMb, 0), workers: heaps.length } : m;
}

/** One line, parsed back by `parseMemoryLines` (the soak reads the node's output). */
export function formatMemory(m: MemorySample): string {
  const f = (x: number) => x.toFixed(1);
  const workers = m.workerHeapMb !== undefined ? `, worker heaps ${f(m.workerHeapMb)} MB (${m.workers} thread(s))` : '';
  return `memory: rss ${f(m.rssMb)} MB, heap used ${f(m.heapUsedMb)} MB ${m.afterGc ? '(after GC)' : '(no GC: node without --expose-gc)'} of ${f(m.heapTotalMb)} MB, external ${f(m.externalMb)} MB, array buffers ${f(m.arrayBuffersMb)} MB${workers}`;
}

const LINE = /memory: rss ([\d.]+) MB, heap used ([\d.]+) MB \((after GC|no GC[^)]*)\) of ([\d.]+) MB, external ([\d.]+) MB, array buffers ([\d.]+) MB(?:, worker heaps ([\d.]+) MB \((\d+) thread)?/g;

/** Every memory line in `text`, in order. */
export function parseMemoryLines(text: string): MemorySample[] {
  return [...text.matchAll(LINE)].map((m) => ({
    rssMb: Number(m[1]),
    heapUsedMb: Number(m[2]),
    afterGc: m[3] === 'after GC',
    heapTotalMb: Number(m[4]),
    externalMb: Number(m[5]),
    arrayBuffersMb: Number(m[6]),
    ...(m[7] !== undefined ? { workerHeapMb: Number(m[7]), workers: Number(m[8]) } : {}),
  }));
}
