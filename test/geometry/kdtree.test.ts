import { describe, expect, it } from 'vitest';
import { KdTree } from '../../src/geometry/kdtree.ts';
import { createRng, type Rng } from '../../src/geometry/random.ts';

function cloud(rng: Rng, n: number, clustered: boolean): Float32Array {
  const p = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    if (clustered) {
      // a few tight clusters plus exact duplicates: stresses median splits with ties
      const c = rng.int(4);
      p[i * 3] = c * 0.5 + rng.normal() * 0.01;
      p[i * 3 + 1] = Math.round(rng.normal() * 20) / 1000;
      p[i * 3 + 2] = c === 3 ? 0.25 : rng.next();
    } else {
      p[i * 3] = rng.next();
      p[i * 3 + 1] = rng.next() * 0.5;
      p[i * 3 + 2] = rng.next() * 2;
    }
  }
  return p;
}

function bruteDist2(p: Float32Array, x: number, y: number, z: number): Float64Array {
  const d = new Float64Array(p.length / 3);
  for (let i = 0; i < d.length; i++) {
    const dx = p[i * 3]! - x,
      dy = p[i * 3 + 1]! - y,
      dz = p[i * 3 + 2]! - z;
    d[i] = Number.isFinite(dx + dy + dz) ? dx * dx + dy * dy + dz * dz : Infinity;
  }
  return d;
}

describe('KdTree', () => {
  for (const [seed, clustered] of [
    [1, false],
    [2, true],
    [3, false],
  ] as const) {
    it(`nearest, knn and radius match brute force (seed ${seed}, ${clustered ? 'clustered' : 'uniform'})`, () => {
      const rng = createRng(seed);
      const n = 3000;
      const p = cloud(rng, n, clustered);
      p[7 * 3] = NaN; // a non-finite point is nobody's neighbour
      const tree = new KdTree(p);
      expect(tree.size).toBe(n - 1);
      const k = 12;
      const idx = new Uint32Array(k);
      const d2 = new Float64Array(k);
      const out: number[] = [];
      for (let q = 0; q < 200; q++) {
        const x = rng.range(-0.2, 1.7),
          y = rng.range(-0.2, 0.7),
          z = rng.range(-0.2, 2.2);
        const bd = bruteDist2(p, x, y, z);
        const sorted = Array.from(bd.keys()).sort((a, b) => bd[a]! - bd[b]! || a - b);
        const nn = tree.nearest(x, y, z);
        expect(nn.dist2).toBeCloseTo(bd[sorted[0]!]!, 12);
        expect(bd[nn.index]).toBe(nn.dist2);
        const got = tree.knn(x, y, z, k, idx, d2);
        expect(got).toBe(k);
        for (let j = 0; j < k; j++) {
          expect(d2[j]).toBeCloseTo(bd[sorted[j]!]!, 12);
          expect(bd[idx[j]!]).toBeCloseTo(d2[j]!, 12);
        }
        expect(new Set(idx).size).toBe(k);
        const uIdx = new Uint32Array(k),
          uD2 = new Float64Array(k);
        expect(tree.knnUnordered(x, y, z, k, uIdx, uD2)).toBe(k);
        const byDist = Array.from(uD2).sort((a, b) => a - b);
        for (let j = 0; j < k; j++) {
          expect(byDist[j]).toBeCloseTo(d2[j]!, 12);
          expect(bd[uIdx[j]!]).toBeCloseTo(uD2[j]!, 12);
        }
        const r = 0.06;
        tree.radius(x, y, z, r, out);
        const want = sorted.filter((i) => bd[i]! <= r * r).sort((a, b) => a - b);
        expect([...out].sort((a, b) => a - b)).toEqual(want);
        // bounded search and hints
        const capped = tree.nearestIndex(x, y, z, 1e-6);
        expect(capped === -1 ? bd[sorted[0]!]! >= 1e-6 : bd[capped]! < 1e-6).toBe(true);
        const hinted = tree.nearestIndex(x, y, z, Infinity, sorted[5]);
        expect(tree.lastDist2).toBeCloseTo(bd[sorted[0]!]!, 12);
        expect(bd[hinted]).toBeCloseTo(bd[sorted[0]!]!, 12);
        // box-pruned search: the same exact distance; a bound below it is returned as is
        expect(tree.nearestDist2(x, y, z)).toBe(bd[sorted[0]!]);
        const best = bd[sorted[0]!]!;
        expect(tree.nearestDist2(x, y, z, best * 1.001 + 1e-12)).toBe(best);
        expect(tree.nearestDist2(x, y, z, best * 0.5)).toBe(best * 0.5);
      }
      // queries far from every point (a missed object in the metrics): box pruning's case
      for (let q = 0; q < 50; q++) {
        const x = rng.range(3, 5) * (q % 2 ? 1 : -1),
          y = rng.range(-4, 4),
          z = rng.range(-4, 4);
        expect(tree.nearestDist2(x, y, z)).toBe(Math.min(...bruteDist2(p, x, y, z)));
      }
    });
  }

  it('handles empty, single-point and all-identical inputs', () => {
    const empty = new KdTree(new Float32Array(0));
    expect(empty.nearest(0, 0, 0)).toEqual({ index: -1, dist2: Infinity });
    expect(empty.nearestDist2(0, 0, 0)).toBe(Infinity);
    expect(empty.knn(0, 0, 0, 3, new Uint32Array(3), new Float32Array(3))).toBe(0);
    const same = new KdTree(new Float32Array(300).fill(0.5));
    const idx = new Uint32Array(5);
    const d2 = new Float32Array(5);
    expect(same.knn(0.5, 0.5, 0.5, 5, idx, d2)).toBe(5);
    expect(Array.from(d2)).toEqual([0, 0, 0, 0, 0]);
    const out: number[] = [];
    expect(same.radius(0.5, 0.5, 0.6, 0.2, out)).toBe(100);
    expect(same.nearestDist2(0.5, 0.5, 0.7)).toBeCloseTo(0.04, 12);
    expect(() => new KdTree(new Float32Array(4))).toThrow(/xyz triples/);
  });
});
