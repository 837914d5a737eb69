import { describe, expect, it } from 'vitest';
import { weldRemap } from '../../src/geometry/weld.ts';

describe('weldRemap', () => {
  it('numbers positions in first-seen order, merges -0 with +0 and keeps near-equal positions apart', () => {
    const p = Float32Array.from([0, 0, 0, 1, 0, 0, -0, 0, 0, 1, 0, 0, 1, 0, 1e-7, 0.5, 0.5, 0.5, 0, -0, 0]);
    const { remap, keep } = weldRemap(p);
    expect(Array.from(remap)).toEqual([0, 1, 0, 1, 2, 3, 0]);
    expect(keep).toEqual([0, 1, 4, 5]);
  });
  it('handles many positions (the hash table grows with them)', () => {
    const n = 5000;
    const p = new Float32Array(n * 2 * 3);
    for (let i = 0; i < n; i++) for (const c of [i, n + i]) p.set([i * 0.001, (i % 7) * 0.25, 1], c * 3);
    const { remap, keep } = weldRemap(p);
    expect(keep.length).toBe(n);
    for (let i = 0; i < n; i++) expect(remap[n + i]).toBe(remap[i]);
  });
});
