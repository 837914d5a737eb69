import { describe, expect, it } from 'vitest';
import { Vector3 } from 'three';
import { ConvexHull } from 'three/examples/jsm/math/ConvexHull.js';
import { signedDistance } from '../../sim/convex.ts';
import { createRng, type Rng } from '../../src/geometry/random.ts';

/** Random convex point set: n points in an ellipsoid-ish blob around c. */
function blob(rng: Rng, c: [number, number, number], r: number, n: number): Float64Array {
  const out = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[i * 3] = c[0] + rng.range(-r, r);
    out[i * 3 + 1] = c[1] + rng.range(-r, r) * 0.7;
    out[i * 3 + 2] = c[2] + rng.range(-r, r) * 0.5;
  }
  return out;
}

function closestOnTriangle(p: Vector3, a: Vector3, b: Vector3, c: Vector3): number {
  // dense barycentric search is enough for an oracle at 1e-4 relative accuracy? use exact instead:
  const ab = b.clone().sub(a),
    ac = c.clone().sub(a),
    ap = p.clone().sub(a);
  const d1 = ab.dot(ap),
    d2 = ac.dot(ap);
  if (d1 <= 0 && d2 <= 0) return p.distanceTo(a);
  const bp = p.clone().sub(b);
  const d3 = ab.dot(bp),
    d4 = ac.dot(bp);
  if (d3 >= 0 && d4 <= d3) return p.distanceTo(b);
  const vc = d1 * d4 - d3 * d2;
  if (vc <= 0 && d1 >= 0 && d3 <= 0) return p.distanceTo(a.clone().addScaledVector(ab, d1 / (d1 - d3)));
  const cp = p.clone().sub(c);
  const d5 = ab.dot(cp),
    d6 = ac.dot(cp);
  if (d6 >= 0 && d5 <= d6) return p.distanceTo(c);
  const vb = d5 * d2 - d1 * d6;
  if (vb <= 0 && d2 >= 0 && d6 <= 0) return p.distanceTo(a.clone().addScaledVector(ac, d2 / (d2 - d6)));
  const va = d3 * d6 - d5 * d4;
  if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0) return p.distanceTo(b.clone().addScaledVector(c.clone().sub(b), (d4 - d3) / (d4 - d3 + (d5 - d6))));
  const den = 1 / (va + vb + vc);
  return p.distanceTo(
    a
      .clone()
      .addScaledVector(ab, vb * den)
      .addScaledVector(ac, vc * den),
  );
}

/** Brute force: hull of all vertex differences; signed distance of the origin to it. */
function oracle(a: Float64Array, b: Float64Array): number {
  const pts: Vector3[] = [];
  for (let i = 0; i < a.length; i += 3) for (let j = 0; j < b.length; j += 3) pts.push(new Vector3(a[i]! - b[j]!, a[i + 1]! - b[j + 1]!, a[i + 2]! - b[j + 2]!));
  const hull = new ConvexHull().setFromPoints(pts);
  const o = new Vector3();
  const inside = hull.faces.every((f) => f.normal.dot(o) - f.constant <= 0);
  if (inside) return -Math.min(...hull.faces.map((f) => f.constant - f.normal.dot(o)));
  let best = Infinity;
  for (const f of hull.faces) {
    const e = f.edge;
    best = Math.min(best, closestOnTriangle(o, e.head().point, e.next.head().point, e.next.next.head().point));
  }
  return best;
}

describe('signedDistance (GJK + EPA) against a brute-force Minkowski hull', () => {
  it('matches the oracle on 300 random pairs (seed 7)', () => {
    const rng = createRng(7);
    let maxErr = 0;
    let overlapping = 0;
    for (let t = 0; t < 300; t++) {
      const a = blob(rng, [0, 0, 0], 0.05, 4 + rng.int(30));
      const b = blob(rng, [rng.range(-0.1, 0.1), rng.range(-0.08, 0.08), rng.range(-0.06, 0.06)], 0.04, 4 + rng.int(30));
      const got = signedDistance(a, b);
      const want = oracle(a, b);
      maxErr = Math.max(maxErr, Math.abs(got.distance - want));
      expect(Math.abs(got.distance - want), `pair ${t}: got ${got.distance}, want ${want}`).toBeLessThan(1e-6);
      // moving A along the normal by |distance| (+ a hair) separates / touches
      if (got.distance < 0) {
        overlapping++;
        const m = -got.distance + 1e-6;
        const moved = a.map((v, i) => v + got.normal[i % 3]! * m);
        expect(oracle(moved, b)).toBeGreaterThan(-1e-6);
      }
    }
    expect(maxErr).toBeLessThan(1e-6);
    // both branches (GJK apart, EPA overlapping) were exercised
    expect(overlapping).toBeGreaterThan(30);
    expect(overlapping).toBeLessThan(270);
  });

  it('gives exact depth and direction for a box sunk 3 cm into a slab', () => {
    const box = new Float64Array([-0.05, -0.05, -0.03, 0.05, -0.05, -0.03, 0.05, 0.05, -0.03, -0.05, 0.05, -0.03, -0.05, -0.05, 0.07, 0.05, -0.05, 0.07, 0.05, 0.05, 0.07, -0.05, 0.05, 0.07]);
    const slab = new Float64Array([-1, -1, -0.1, 1, -1, -0.1, 1, 1, -0.1, -1, 1, -0.1, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 1, 0]);
    const r = signedDistance(box, slab);
    expect(r.distance).toBeCloseTo(-0.03, 9);
    expect(r.normal[2]).toBeCloseTo(1, 9);
    const apart = signedDistance(box, slab, [0, 0, 0.05]);
    expect(apart.distance).toBeCloseTo(0.02, 9);
    expect(apart.normal[2]).toBeCloseTo(1, 9);
  });
});
