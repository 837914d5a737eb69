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

/** One line, parsed back by `parseMemoryLine` (the soak reads the node's output). */
export function formatMemory(m: MemorySample): string {
  const f = (x: number) => x.toFixed(1);
  return `memory: rss ${f(m.rssMb)} MB, heap used ${f(m.heapUsedMb)} MB ${m.afterGc ? '(after GC)' : '(no GC: node without --expose-gc)'} of ${f(m.heapTotalMb)} MB, external ${f(m.externalMb)} MB, array buffers ${f(m.arrayBuffersMb)} MB`;
}

const LINE = /memory: rss ([\d.]+) MB, heap used ([\d.]+) MB \((after GC|no GC[^)]*)\) of ([\d.]+) MB, external ([\d.]+) MB, array buffers ([\d.]+) MB/g;

/** Every memory line in `text`, in order. */
export function parseMemoryLines(text: string): MemorySample[] {
  return [...text.matchAll(LINE)].map((m) => ({
    rssMb: Number(m[1]),
    heapUsedMb: Number(m[2]),
    afterGc: m[3] === 'after GC',
    heapTotalMb: Number(m[4]),
    externalMb: Number(m[5]),
    arrayBuffersMb: Number(m[6]),
  }));
}
