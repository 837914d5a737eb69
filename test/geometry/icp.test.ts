import { describe, expect, it } from 'vitest';
import { icp } from '../../src/geometry/icp.ts';
import { KdTree } from '../../src/geometry/kdtree.ts';
import { createRng, type Rng } from '../../src/geometry/random.ts';
import { quatAngle, quatFromAxisAngle, transformPositions, type Pose } from '../../src/model/pose.ts';

/** Surface samples of an asymmetric L-shaped solid (box + offset box): no symmetry for ICP to slip along. */
function object(rng: Rng, n: number): Float32Array {
  const p = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const big = rng.next() < 0.7;
    const size = big ? [0.1, 0.06, 0.04] : [0.03, 0.03, 0.09];
    const off = big ? [0, 0, 0] : [0.07, 0.03, 0.04];
    const f = rng.int(3);
    const q = [rng.next() * size[0]!, rng.next() * size[1]!, rng.next() * size[2]!];
    q[f] = rng.int(2) * size[f]!;
    for (let k = 0; k < 3; k++) p[i * 3 + k] = q[k]! + off[k]!;
  }
  return p;
}

function scaled(p: Float32Array, s: number): Float32Array {
  return p.map((v) => v * s);
}

describe('icp', () => {
  it('recovers a known rigid motion (seed 51)', () => {
    const src = object(createRng(51), 4000);
    const truth: Pose = { position: [0.02, -0.01, 0.015], orientation: quatFromAxisAngle([1, 2, 3], 0.17) };
    const tgt = transformPositions(truth, src);
    const r = icp(src, tgt, { iterations: 60, maxDistance: 0.05 });
    expect(r.fitness).toBe(1);
    expect(r.rmse).toBeLessThan(1e-6);
    expect(r.scale).toBe(1);
    expect(quatAngle(r.pose.orientation, truth.orientation)).toBeLessThan(1e-5);
    for (let k = 0; k < 3; k++) expect(r.pose.position[k]).toBeCloseTo(truth.position[k]!, 6);
    expect(r.iterations).toBeLessThan(60); // converged before the cap
  });

  it('recovers one uniform scale with withScale (Umeyama), also from a prebuilt tree (seed 52)', () => {
    const src = object(createRng(52), 4000);
    const truth: Pose = { position: [0.01, 0.02, -0.01], orientation: quatFromAxisAngle([0, 0, 1], 0.12) };
    const tgt = transformPositions(truth, scaled(src, 1.15));
    const rigid = icp(src, tgt, { iterations: 80, maxDistance: 0.05 });
    const r = icp(src, new KdTree(tgt), { iterations: 80, maxDistance: 0.05, withScale: true });
    expect(r.scale).toBeCloseTo(1.15, 5);
    expect(quatAngle(r.pose.orientation, truth.orientation)).toBeLessThan(1e-4);
    expect(r.rmse).toBeLessThan(1e-5);
    expect(rigid.rmse).toBeGreaterThan(1e-3); // without scale it cannot fit
  });

  it('respects initial pose/scale, maxDistance and tolerance 0 (seed 53)', () => {
    const src = object(createRng(53), 2000);
    const truth: Pose = { position: [0.3, 0, 0], orientation: quatFromAxisAngle([0, 1, 0], 0.5) };
    const tgt = transformPositions(truth, scaled(src, 0.8));
    // from the answer, zero iterations: exact fit
    const at = icp(src, tgt, { iterations: 0, initial: truth, initialScale: 0.8 });
    expect(at.rmse).toBeLessThan(1e-6);
    expect(at.iterations).toBe(0);
    // too far apart for a 1 cm gate: no correspondences, pose unchanged
    const none = icp(src, tgt, { iterations: 10, maxDistance: 0.01 });
    expect(none.fitness).toBe(0);
    expect(none.correspondences).toBe(0);
    expect(none.pose.position).toEqual([0, 0, 0]);
    const exact = icp(src, tgt, { iterations: 7, initial: truth, initialScale: 0.8, tolerance: 0 });
    expect(exact.iterations).toBe(7);
  });

  it('rejects bad input with clear errors', () => {
    const p = new Float32Array(30).map((_, i) => i * 0.01);
    expect(() => icp(p, new Float32Array(3), { iterations: 5 })).toThrow(/target needs at least 3/);
    expect(() => icp(new Float32Array(6), p, { iterations: 5 })).toThrow(/source needs at least 3/);
    expect(() => icp(p, p, { iterations: -1 })).toThrow(/iterations/);
    expect(() => icp(p, p, { iterations: 1, maxDistance: 0 })).toThrow(/maxDistance/);
    expect(() => icp(p, p, { iterations: 1, initialScale: 0 })).toThrow(/initialScale/);
  });
});
