import { describe, expect, it } from 'vitest';
import { jacobiEigen } from '../../src/geometry/linalg.ts';
import { estimateNormals } from '../../bench/kernels/normals.ts';
import { createRng } from '../../src/geometry/random.ts';

describe('estimateNormals', () => {
  it('equals brute-force k-NN PCA with Jacobi, up to sign (seed 61)', () => {
    const rng = createRng(61);
    const n = 1200;
    const p = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      // a wavy sheet: varied, well-defined normals
      const x = rng.range(-1, 1),
        y = rng.range(-1, 1);
      p.set([x, y, 0.2 * Math.sin(3 * x) * Math.cos(2 * y) + rng.normal() * 0.002], i * 3);
    }
    const k = 15;
    const nrm = estimateNormals(p, k, { viewpoint: null });
    const a = new Float64Array(9),
      vals = new Float64Array(3),
      vecs = new Float64Array(9);
    for (let i = 0; i < n; i += 7) {
      const d = Array.from({ length: n }, (_, j) => [j, (p[j * 3]! - p[i * 3]!) ** 2 + (p[j * 3 + 1]! - p[i * 3 + 1]!) ** 2 + (p[j * 3 + 2]! - p[i * 3 + 2]!) ** 2] as const)
        .sort((u, v) => u[1] - v[1])
        .slice(0, k)
        .map((e) => e[0]);
      const m = [0, 0, 0];
      for (const j of d) for (let c = 0; c < 3; c++) m[c]! += p[j * 3 + c]! / k;
      a.fill(0);
      for (const j of d) for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) a[r * 3 + c]! += ((p[j * 3 + r]! - m[r]!) * (p[j * 3 + c]! - m[c]!)) / k;
      jacobiEigen(a, 3, vals, vecs);
      const dot = nrm[i * 3]! * vecs[0]! + nrm[i * 3 + 1]! * vecs[3]! + nrm[i * 3 + 2]! * vecs[6]!;
      expect(Math.abs(dot)).toBeGreaterThan(1 - 1e-4);
      expect(Math.hypot(nrm[i * 3]!, nrm[i * 3 + 1]!, nrm[i * 3 + 2]!)).toBeCloseTo(1, 5);
    }
  });

  it('orients normals towards the viewpoint (seed 62)', () => {
    const rng = createRng(62);
    const n = 2000;
    const p = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      const z = rng.range(-1, 1),
        a = rng.range(0, 2 * Math.PI),
        r = Math.sqrt(1 - z * z);
      p.set([r * Math.cos(a), r * Math.sin(a), z], i * 3);
    }
    const inward = estimateNormals(p, 12); // viewpoint = origin, inside the sphere
    const outward = estimateNormals(p, 12, { viewpoint: [0, 0, 100] });
    for (let i = 0; i < n; i++) {
      const radial = p[i * 3]! * inward[i * 3]! + p[i * 3 + 1]! * inward[i * 3 + 1]! + p[i * 3 + 2]! * inward[i * 3 + 2]!;
      expect(radial).toBeLessThan(-0.99);
      const up = outward[i * 3 + 2]! * (100 - p[i * 3 + 2]!) + outward[i * 3]! * -p[i * 3]! + outward[i * 3 + 1]! * -p[i * 3 + 1]!;
      expect(up).toBeGreaterThanOrEqual(0);
    }
  });

  it('gives zero normals for non-finite points and rejects k < 3', () => {
    const p = new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0, NaN, 0, 0, 1, 1, 0]);
    const nrm = estimateNormals(p, 4);
    expect(Array.from(nrm.slice(9, 12))).toEqual([0, 0, 0]);
    expect(Math.abs(nrm[2]!)).toBeCloseTo(1, 6);
    expect(() => estimateNormals(p, 2)).toThrow(/k must/);
  });
});
