import { describe, expect, it } from 'vitest';
import { statisticalOutliers } from '../../src/geometry/outliers.ts';
import { createRng } from '../../src/geometry/random.ts';

describe('statisticalOutliers', () => {
  it('matches a brute-force k-NN mean-distance filter (seed 41)', () => {
    const rng = createRng(41);
    const n = 1500;
    const p = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      const far = i % 50 === 0;
      for (let k = 0; k < 3; k++) p[i * 3 + k] = far ? rng.range(-2, 2) : rng.normal() * 0.05;
    }
    const k = 8,
      ratio = 1.5;
    const keep = statisticalOutliers(p, k, ratio);
    const mean = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const d: number[] = [];
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        d.push(Math.hypot(p[i * 3]! - p[j * 3]!, p[i * 3 + 1]! - p[j * 3 + 1]!, p[i * 3 + 2]! - p[j * 3 + 2]!));
      }
      d.sort((a, b) => a - b);
      mean[i] = d.slice(0, k).reduce((a, b) => a + b, 0) / k;
    }
    const mu = mean.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(mean.reduce((a, b) => a + (b - mu) ** 2, 0) / n);
    let removedFar = 0;
    for (let i = 0; i < n; i++) {
      const want = mean[i]! <= mu + ratio * sd ? 1 : 0;
      // ties at the limit could flip by rounding; none are that close here
      expect(keep[i]).toBe(want);
      if (i % 50 === 0 && keep[i] === 0) removedFar++;
    }
    expect(removedFar).toBeGreaterThan(25);
  });

  it('drops non-finite points and rejects bad k', () => {
    const p = new Float32Array([0, 0, 0, 0.01, 0, 0, NaN, 0, 0, 0, 0.01, 0]);
    expect(Array.from(statisticalOutliers(p, 2, 2))).toEqual([1, 1, 0, 1]);
    expect(() => statisticalOutliers(p, 0, 2)).toThrow(/k must/);
  });
});
