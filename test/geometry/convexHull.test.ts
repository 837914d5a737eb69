import { Vector3 } from 'three';
import { ConvexHull } from 'three/examples/jsm/math/ConvexHull.js';
import { describe, expect, it } from 'vitest';
import { convexHull } from '../../src/geometry/convexHull.ts';
import { meshVolume } from '../../src/geometry/massProperties.ts';
import { createRng, type Rng } from '../../src/geometry/random.ts';

/** The previous implementation's answer (three.js quickhull), as the oracle for the volume. */
function threeHullVolume(p: Float32Array): number {
  const vs: Vector3[] = [];
  for (let i = 0; i < p.length; i += 3) vs.push(new Vector3(p[i], p[i + 1], p[i + 2]));
  const h = new ConvexHull().setFromPoints(vs);
  let v = 0;
  for (const face of h.faces) {
    const loop: Vector3[] = [];
    let e = face.edge;
    do {
      loop.push(e.head().point);
      e = e.next;
    } while (e !== face.edge);
    for (let k = 1; k + 1 < loop.length; k++) v += loop[0]!.dot(new Vector3().crossVectors(loop[k]!, loop[k + 1]!)) / 6;
  }
  return v;
}

/** Every directed edge has exactly one opposite, and every input point is inside or on every face plane. */
function checkClosedConvex(mesh: { positions: Float32Array; indices: Uint32Array }, pts: Float32Array): void {
  const edges = new Map<string, number>();
  const idx = mesh.indices,
    p = mesh.positions;
  for (let t = 0; t < idx.length; t += 3) {
    for (let e = 0; e < 3; e++) {
      const k = `${idx[t + e]},${idx[t + ((e + 1) % 3)]}`;
      edges.set(k, (edges.get(k) ?? 0) + 1);
    }
  }
  for (const [k, c] of edges) {
    expect(c).toBe(1);
    const [a, b] = k.split(',');
    expect(edges.get(`${b},${a}`)).toBe(1);
  }
  let scale = 0;
  for (const v of pts) scale = Math.max(scale, Math.abs(v));
  for (let t = 0; t < idx.length; t += 3) {
    const a = idx[t]! * 3,
      b = idx[t + 1]! * 3,
      c = idx[t + 2]! * 3;
    const ux = p[b]! - p[a]!,
      uy = p[b + 1]! - p[a + 1]!,
      uz = p[b + 2]! - p[a + 2]!;
    const vx = p[c]! - p[a]!,
      vy = p[c + 1]! - p[a + 1]!,
      vz = p[c + 2]! - p[a + 2]!;
    const nx = uy * vz - uz * vy,
      ny = uz * vx - ux * vz,
      nz = ux * vy - uy * vx;
    const l = Math.hypot(nx, ny, nz);
    if (l === 0) continue;
    let worst = -Infinity;
    for (let i = 0; i < pts.length; i += 3) {
      worst = Math.max(worst, (nx * (pts[i]! - p[a]!) + ny * (pts[i + 1]! - p[a + 1]!) + nz * (pts[i + 2]! - p[a + 2]!)) / l);
    }
    expect(worst).toBeLessThan(1e-6 * scale);
  }
}

function cube(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n * 3 }, () => rng.range(-1, 1));
}
function sphere(rng: Rng, n: number): Float32Array {
  const p = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const x = rng.normal(),
      y = rng.normal(),
      z = rng.normal();
    const l = Math.hypot(x, y, z);
    p.set([x / l, y / l, z / l], i * 3);
  }
  return p;
}
/** Integer lattice points: many exactly coplanar and collinear points. */
function lattice(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n * 3 }, () => rng.int(5) * 0.01 + 2);
}

describe('convexHull', () => {
  for (const [name, gen, seed, n] of [
    ['cube', cube, 71, 20000],
    ['sphere', sphere, 72, 1000],
    ['lattice', lattice, 73, 2000],
    ['tiny cloud far from the origin', (r: Rng, m: number) => cube(r, m).map((v) => 100 + v * 1e-3), 74, 500],
  ] as const) {
    it(`is closed, convex and has the three.js volume to 1e-9 (${name}, seed ${seed})`, () => {
      const p = gen(createRng(seed), n);
      const mesh = convexHull(p);
      checkClosedConvex(mesh, p);
      const want = threeHullVolume(p);
      expect(meshVolume(mesh)).toBeGreaterThan(0);
      expect(Math.abs(meshVolume(mesh) - want) / want).toBeLessThan(1e-9);
    });
  }

  it('rejects too few, flat and collinear point sets', () => {
    expect(() => convexHull(new Float32Array(9))).toThrow(/at least 4/);
    expect(() => convexHull(new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0.5, 0.5, 0]))).toThrow(/degenerate/);
    expect(() => convexHull(new Float32Array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]))).toThrow(/degenerate/);
    expect(() => convexHull(new Float32Array(12).fill(NaN))).toThrow(/at least 4/);
  });
});
