import { describe, expect, it } from 'vitest';
import { fitPlaneRansac, planeInliers, refinePlane } from '../../src/stages/local/plane.ts';
import { createRng, type Rng } from '../../src/geometry/random.ts';

/** Points on the plane n·p + d = 0 with noise, plus uniform outliers. */
function planeCloud(rng: Rng, n: [number, number, number], d: number, inl: number, out: number, noise: number): Float32Array {
  const l = Math.hypot(...n);
  const nn = n.map((v) => v / l) as [number, number, number];
  // two in-plane axes
  const t = Math.abs(nn[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const u = [nn[1] * t[2]! - nn[2] * t[1]!, nn[2] * t[0]! - nn[0] * t[2]!, nn[0] * t[1]! - nn[1] * t[0]!];
  const ul = Math.hypot(...u);
  const uu = u.map((v) => v / ul);
  const vv = [nn[1] * uu[2]! - nn[2] * uu[1]!, nn[2] * uu[0]! - nn[0] * uu[2]!, nn[0] * uu[1]! - nn[1] * uu[0]!];
  const p = new Float32Array((inl + out) * 3);
  for (let i = 0; i < inl; i++) {
    const a = rng.range(-1, 1),
      b = rng.range(-1, 1),
      e = rng.normal() * noise;
    for (let k = 0; k < 3; k++) p[i * 3 + k] = -d * nn[k]! + a * uu[k]! + b * vv[k]! + e * nn[k]!;
  }
  for (let i = inl; i < inl + out; i++) for (let k = 0; k < 3; k++) p[i * 3 + k] = rng.range(-1.5, 1.5);
  return p;
}

/** The plane with its normal towards the origin (d ≥ 0), to compare with a truth given that way. */
function oriented(p: { normal: [number, number, number]; d: number }): { normal: [number, number, number]; d: number } {
  return p.d < 0 ? { normal: [-p.normal[0], -p.normal[1], -p.normal[2]], d: -p.d } : p;
}

describe('fitPlaneRansac (the ground stage and the box baseline)', () => {
  it('finds a noisy plane among 40 % outliers, inliers equal the brute-force set (seed 31)', () => {
    const rng = createRng(31);
    const p = planeCloud(rng, [0.1, -0.8, -0.6], 1.2, 6000, 4000, 0.002);
    const fit = fitPlaneRansac(p, { threshold: 0.01, iterations: 200, rng: createRng(5) });
    const want = [0.1, -0.8, -0.6].map((v) => v / Math.hypot(0.1, 0.8, 0.6)); // already d ≥ 0
    const o = oriented(fit);
    expect(o.d).toBeCloseTo(1.2, 2);
    for (let k = 0; k < 3; k++) expect(o.normal[k]).toBeCloseTo(want[k]!, 2);
    const brute: number[] = [];
    for (let i = 0; i < p.length / 3; i++) {
      const dist = fit.normal[0] * p[i * 3]! + fit.normal[1] * p[i * 3 + 1]! + fit.normal[2] * p[i * 3 + 2]! + fit.d;
      if (Math.abs(dist) < 0.01) brute.push(i);
    }
    expect(Array.from(fit.inliers)).toEqual(brute);
    expect(Array.from(planeInliers(p, fit.normal, fit.d, 0.01))).toEqual(brute);
    expect(fit.inliers.length).toBeGreaterThanOrEqual(6000 * 0.99);
    expect(fit.inliers.length).toBeLessThan(6000 + 4000 * 0.05);
    // the least-squares plane through those inliers is closer to the truth than the sample
    const r = oriented(refinePlane(p, fit.inliers));
    expect(r.d).toBeCloseTo(1.2, 3);
    for (let k = 0; k < 3; k++) expect(r.normal[k]).toBeCloseTo(want[k]!, 3);
  });

  it('is reproducible for a seed, and earlyStop agrees with the full run (seed 32)', () => {
    const p = planeCloud(createRng(32), [0, 0, 1], 0.5, 3000, 1000, 0.001);
    const a = fitPlaneRansac(p, { threshold: 0.005, iterations: 1000, rng: createRng(9) });
    const b = fitPlaneRansac(p, { threshold: 0.005, iterations: 1000, rng: createRng(9) });
    expect(b).toEqual(a);
    expect(Math.abs(a.normal[2])).toBeCloseTo(1, 3);
    const c = fitPlaneRansac(p, { threshold: 0.005, iterations: 1000, rng: createRng(9), earlyStop: true });
    expect(Math.abs(c.normal[2])).toBeCloseTo(1, 3);
    expect(Math.abs(c.inliers.length - a.inliers.length)).toBeLessThan(30);
  });

  it('refinePlane is the total-least-squares plane (seed 33)', () => {
    const p = planeCloud(createRng(33), [1, 2, 3], -0.3, 500, 0, 0);
    const r = refinePlane(
      p,
      Uint32Array.from({ length: 500 }, (_, i) => i),
    );
    const l = Math.hypot(1, 2, 3);
    const s = Math.sign(r.normal[0]);
    expect(r.normal[0] * s).toBeCloseTo(1 / l, 5);
    expect(r.normal[1] * s).toBeCloseTo(2 / l, 5);
    expect(r.normal[2] * s).toBeCloseTo(3 / l, 5);
    expect(Math.abs(r.d)).toBeCloseTo(0.3, 5);
  });

  it('fewer than 3 points give no inliers', () => {
    expect(fitPlaneRansac(new Float32Array(6), { threshold: 0.01, iterations: 10, rng: createRng(1) }).inliers.length).toBe(0);
  });
});
