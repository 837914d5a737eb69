/**
 * The node process's memory, as `real2sim ros` reports it (on `diagnostics`, in `--stats`, and
 * on SIGUSR2). Resident memory alone says little about a leak: V8 grows its heap in steps and
 * returns pages lazily, WebAssembly memories (the manifold, the physics engines) only grow, and
 * freed ArrayBuffers wait for a GC. What a leak shows as is the JavaScript heap still in use
 * after a full garbage collection, growing run after run; `heapUsed` is that figure when the
 * process runs with `node --expose-gc` (`afterGc: true`), otherwise whatever the heap holds at
 * the moment, garbage included.
 */
import { getHeapSpaceStatistics } from 'node:v8';

/**
 * glibc malloc settings the node runs with (the launch file sets them; `real2sim ros` says at
 * start when they are missing). Image messages arrive as ~1 MB native buffers (rclnodejs hands
 * rmw's allocation to an ArrayBuffer, freed when the GC collects it). glibc serves a block of
 * 128 KiB or more with mmap and returns it on free, but each such free raises its mmap threshold
 * to the freed size (up to 32 MiB): from the first freed image on, images and the pipeline's
 * large typed arrays come from the brk heap and per-thread arenas, whose free pages stay
 * resident and fragment (measured: 150–200 MB of the node's RSS, rising for tens of minutes). A
 * fixed threshold (setting it turns the dynamic one off) keeps large blocks mmapped, returned on
 * free; the trim threshold is set alike so that the heap top is returned too.
 */
export const NODE_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' };

/**
 * A note when this process runs on glibc without a fixed mmap threshold (NODE_MALLOC_ENV or
 * GLIBC_TUNABLES glibc.malloc.mmap_threshold), else null. glibc reads these only at start.
 */
export function mallocNote(env: NodeJS.ProcessEnv = process.env, glibc = isGlibc()): string | null {
  if (!glibc || env['MALLOC_MMAP_THRESHOLD_'] || /glibc\.malloc\.mmap_threshold=/.test(env['GLIBC_TUNABLES'] ?? '')) return null;
  const vars = Object.entries(NODE_MALLOC_ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `glibc's dynamic mmap threshold is on: freed image buffers stay resident in malloc's heap (60–110 MB more RSS in 10–30 min soaks, creeping up); start the node with ${vars} in its environment (the launch file does)`;
}

function isGlibc(): boolean {
  const header = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return typeof header?.header?.glibcVersionRuntime === 'string';
}

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
  /** The worker threads' heaps committed (held from the system) together, MB. */
  workerHeapTotalMb?: number;
  workers?: number;
  /**
   * The main heap's spaces, committed (what V8 holds from the system) and used, MB: which part of
   * the heap resident memory sits in (new space is sized by --max-semi-space-size).
   */
  spaces?: Record<string, { committedMb: number; usedMb: number }>;
}

const MB = 2 ** 20;

/** Samples this process's memory; with `collect`, after a full GC where `--expose-gc` allows one. */
export function memorySample(collect = false): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  const afterGc = collect && typeof gc === 'function';
  if (afterGc) gc();
  const m = process.memoryUsage();
  const spaces = Object.fromEntries(
    getHeapSpaceStatistics()
      .filter((s) => s.space_size > 0)
      .map((s) => [s.space_name.replace(/_space$/, ''), { committedMb: s.space_size / MB, usedMb: s.space_used_size / MB }]),
  );
  return { rssMb: m.rss / MB, heapUsedMb: m.heapUsed / MB, heapTotalMb: m.heapTotal / MB, externalMb: m.external / MB, arrayBuffersMb: m.arrayBuffers / MB, afterGc, spaces };
}

/** As memorySample, with the heaps of the task pool's worker threads when a pool is running. */
export async function memorySampleWithWorkers(collect = false): Promise<MemorySample> {
  const { sharedPoolIfMade } = await import('../src/app/pool.ts');
  const heaps = (await sharedPoolIfMade()?.workerHeaps()) ?? [];
  const m = memorySample(collect);
  return heaps.length > 0 ? { ...m, workerHeapMb: heaps.reduce((a, h) => a + h.heapUsedMb, 0), workerHeapTotalMb: heaps.reduce((a, h) => a + h.heapTotalMb, 0), workers: heaps.length } : m;
}

/** One line, parsed back by `parseMemoryLines` (the soak reads the node's output). */
export function formatMemory(m: MemorySample): string {
  const f = (x: number) => x.toFixed(1);
  const workers = m.workerHeapMb !== undefined ? `, worker heaps ${f(m.workerHeapMb)} MB (${m.workers} thread(s))${m.workerHeapTotalMb !== undefined ? ` of ${f(m.workerHeapTotalMb)} MB` : ''}` : '';
  const spaces = m.spaces
    ? `; heap spaces (committed/used MB): ${Object.entries(m.spaces)
        .map(([k, v]) => `${k} ${f(v.committedMb)}/${f(v.usedMb)}`)
        .join(', ')}`
    : '';
  return `memory: rss ${f(m.rssMb)} MB, heap used ${f(m.heapUsedMb)} MB ${m.afterGc ? '(after GC)' : '(no GC: node without --expose-gc)'} of ${f(m.heapTotalMb)} MB, external ${f(m.externalMb)} MB, array buffers ${f(m.arrayBuffersMb)} MB${workers}${spaces}`;
}

const LINE =
  /memory: rss ([\d.]+) MB, heap used ([\d.]+) MB \((after GC|no GC[^)]*)\) of ([\d.]+) MB, external ([\d.]+) MB, array buffers ([\d.]+) MB(?:, worker heaps ([\d.]+) MB \((\d+) thread\(s\)\)(?: of ([\d.]+) MB)?)?(?:; heap spaces \(committed\/used MB\): ([^\n]*))?/g;

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
    ...(m[9] !== undefined ? { workerHeapTotalMb: Number(m[9]) } : {}),
    ...(m[10] !== undefined ? { spaces: Object.fromEntries([...m[10].matchAll(/(\w+) ([\d.]+)\/([\d.]+)/g)].map((x) => [x[1]!, { committedMb: Number(x[2]), usedMb: Number(x[3]) }])) } : {}),
  }));
}
