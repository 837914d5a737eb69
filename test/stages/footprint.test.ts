import { describe, expect, it } from 'vitest';
import { convexHull2d } from '../../src/stages/footprint.ts';

/** Andrew's monotone chain over every point: what convexHull2d computed before it dropped interior points. */
function plainHull(p: ArrayLike<number>, stride: number): number[] {
  const n = Math.floor(p.length / stride);
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a * stride]! - p[b * stride]! || p[a * stride + 1]! - p[b * stride + 1]!);
  const cross = (o: number, a: number, b: number) =>
    (p[a * stride]! - p[o * stride]!) * (p[b * stride + 1]! - p[o * stride + 1]!) - (p[a * stride + 1]! - p[o * stride + 1]!) * (p[b * stride]! - p[o * stride]!);
  const lower: number[] = [],
    upper: number[] = [];
  for (const i of idx) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, i) <= 0) lower.pop();
    lower.push(i);
  }
  for (let k = idx.length - 1; k >= 0; k--) {
    const i = idx[k]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, i) <= 0) upper.pop();
    upper.push(i);
  }
  return lower
    .slice(0, -1)
    .concat(upper.slice(0, -1))
    .flatMap((i) => [p[i * stride]!, p[i * stride + 1]!]);
}

const rng = (seed: number) => () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;

describe('convexHull2d', () => {
  it('gives the hull of all the points, vertex for vertex, on clouds, grids, lines and duplicates', () => {
    const r = rng(3);
    const sets: Float32Array[] = [];
    // an object's cloud seen from above (a noisy disk), a box top, a thin line, a grid with
    // collinear boundary points, a cloud with many duplicates, one far outlier
    const make = (n: number, f: (k: number) => [number, number, number]) => {
      const a = new Float32Array(n * 3);
      for (let k = 0; k < n; k++) a.set(f(k), k * 3);
      return a;
    };
    sets.push(make(5000, () => [0.3 + 0.04 * Math.sqrt(r()) * Math.cos(7 * r()), -0.1 + 0.04 * Math.sqrt(r()) * Math.sin(7 * r()), r()]));
    sets.push(make(3000, () => [0.1 * r(), 0.05 * r(), 0]));
    sets.push(make(800, () => [r(), 2 * r() + 1e-7 * r(), 0]));
    sets.push(make(40 * 40, (k) => [(k % 40) * 0.01, Math.floor(k / 40) * 0.01, 0]));
    sets.push(make(2000, (k) => [Math.round(10 * r()) / 10, Math.round(10 * r()) / 10, k]));
    sets.push(make(1000, (k) => (k === 500 ? [5, 5, 0] : [r(), r(), 0])));
    for (const s of sets) {
      const want = plainHull(s, 3);
      expect(Array.from(convexHull2d(s, 3))).toEqual(want);
      // stride 2 (a footprint of xy pairs)
      const xy = new Float64Array((s.length / 3) * 2);
      for (let k = 0; k < s.length / 3; k++) xy.set([s[k * 3]!, s[k * 3 + 1]!], k * 2);
      expect(Array.from(convexHull2d(xy, 2))).toEqual(want);
    }
  });

  it('a unit square with points inside: its four corners, counter-clockwise from the lowest-left', () => {
    const pts = [0, 0, 1, 0, 1, 1, 0, 1];
    for (let k = 0; k < 100; k++) pts.push(0.2 + 0.006 * k, 0.5 + 0.003 * k);
    expect(Array.from(convexHull2d(pts, 2))).toEqual([0, 0, 1, 0, 1, 1, 0, 1]);
  });
});

describe('convexHull2d on pixel-grid outlines', () => {
  it('finds the corners when one point is the extreme in several directions', () => {
    // a filled 30 × 20 grid: each corner is the extreme in two or three of the eight directions
    const grid: number[] = [];
    for (let y = 0; y < 20; y++) for (let x = 0; x < 30; x++) grid.push(x * 0.004, y * 0.004, 0);
    const h = Array.from(convexHull2d(grid, 3), (v) => Math.round(v / 0.004));
    expect(h).toEqual([0, 0, 29, 0, 29, 19, 0, 19]);
    // a diamond of grid points |x| + |y| ≤ 12: four vertices on the axes
    const diamond: number[] = [];
    for (let y = -12; y <= 12; y++) for (let x = -12; x <= 12; x++) if (Math.abs(x) + Math.abs(y) <= 12) diamond.push(x, y);
    expect(Array.from(convexHull2d(diamond, 2))).toEqual([-12, 0, 0, -12, 12, 0, 0, 12]);
  });
});
