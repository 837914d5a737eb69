/**
 * The node's memory report (ros/memory.ts): the line `real2sim ros` prints (SIGUSR2, --stats) is
 * read back exactly by the soak, and a sample taken "after GC" in a process without --expose-gc
 * says it is not one.
 */
import { describe, expect, it } from 'vitest';
import { formatMemory, memorySample, parseMemoryLines, type MemorySample } from '../../ros/memory.ts';
import { threadId } from 'node:worker_threads';
import { threadHeap } from '../../src/app/memoryTask.ts';
import { createPool } from '../../src/app/pool.ts';

describe('memory report', () => {
  it('formats and parses back every figure, with and without the worker heaps', () => {
    const a: MemorySample = { rssMb: 412.3, heapUsedMb: 40.9, heapTotalMb: 52.1, externalMb: 14, arrayBuffersMb: 3.4, afterGc: true };
    const b: MemorySample = { ...a, rssMb: 500, afterGc: false, workerHeapMb: 21.5, workers: 1 };
    const text = `[INFO] ready\n${formatMemory(a)}\nnoise\n  ${formatMemory(b)}\n`;
    expect(parseMemoryLines(text)).toEqual([a, b]);
    expect(formatMemory(b)).toContain('(no GC: node without --expose-gc)');
    // the worker heaps' committed size and the main heap's spaces ride on the same line
    const c: MemorySample = { ...b, workerHeapTotalMb: 30.2, spaces: { new: { committedMb: 32, usedMb: 1.5 }, old: { committedMb: 60.1, usedMb: 44.7 }, large_object: { committedMb: 3, usedMb: 3 } } };
    expect(parseMemoryLines(`x ${formatMemory(c)}\n${formatMemory(a)}`)).toEqual([c, a]);
  });

  it("lists the heap's spaces, which add up to its committed total", () => {
    const m = memorySample();
    const spaces = Object.values(m.spaces ?? {});
    expect(Object.keys(m.spaces ?? {})).toEqual(expect.arrayContaining(['new', 'old', 'code']));
    const committed = spaces.reduce((a, s) => a + s.committedMb, 0);
    expect(Math.abs(committed - m.heapTotalMb)).toBeLessThan(0.5);
    for (const s of spaces) expect(s.usedMb).toBeLessThanOrEqual(s.committedMb + 1e-9);
  });

  it('says whether a sample followed a full GC (only possible with --expose-gc)', () => {
    const exposed = typeof (globalThis as { gc?: unknown }).gc === 'function';
    const m = memorySample(true);
    expect(m.afterGc).toBe(exposed);
    expect(memorySample(false).afterGc).toBe(false);
    // the figures are the process's own (MB), consistent with each other
    const raw = process.memoryUsage();
    expect(m.rssMb).toBeGreaterThan(m.heapUsedMb);
    expect(Math.abs(m.rssMb - raw.rss / 2 ** 20)).toBeLessThan(200);
    expect(threadHeap().afterGc).toBe(exposed);
  });

  it("samples each worker thread's own heap through the pool", async () => {
    const pool = createPool({ threads: 2 });
    try {
      await pool.warm([]);
      const heaps = await pool.workerHeaps();
      // two workers, each its own thread (not this one, thread 0), each with a heap of its own
      expect(heaps).toHaveLength(2);
      expect(new Set(heaps.map((h) => h.threadId)).size).toBe(2);
      for (const h of heaps) {
        expect(h.threadId).not.toBe(threadId);
        expect(h.heapUsedMb).toBeGreaterThan(0.5);
        expect(h.heapTotalMb).toBeGreaterThanOrEqual(h.heapUsedMb);
      }
    } finally {
      await pool.close();
    }
  }, 60_000);
});
