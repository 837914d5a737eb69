import { describe, expect, it } from 'vitest';
import { boxMesh } from '../../src/geometry/primitives.ts';
import { sceneConfidence } from '../../src/stages/confidence.ts';
import { NearestGrid, objectConfidence, sampleSurface } from '../../src/stages/objectConfidence.ts';
import type { OrganizedCloud } from '../../src/stages/organized.ts';

/** A w×h organized cloud whose pixel heights above the support are given directly (z = height). */
function cloudOfHeights(heights: number[]): { cloud: OrganizedCloud; heightOf: (x: number, y: number, z: number) => number } {
  const n = heights.length;
  const positions = new Float32Array(n * 3);
  const valid = new Uint8Array(n).fill(1);
  heights.forEach((h, i) => {
    positions[i * 3 + 2] = h;
  });
  return { cloud: { width: n, height: 1, positions, valid, validCount: n }, heightOf: (_x, _y, z) => z };
}

describe('scene confidence', () => {
  it('a tabletop: plane holds most of the view, what stands on it is in objects → high, no reasons', () => {
    const heights = [...Array<number>(80).fill(0), ...Array<number>(20).fill(0.05)];
    const { cloud, heightOf } = cloudOfHeights(heights);
    const objectPixels = Uint8Array.from(heights, (h) => (h > 0.01 ? 1 : 0));
    const c = sceneConfidence({ cloud, heightOf, objectPixels, inlierRatio: 0.8, excluded: [], objects: 2 });
    expect(c).toEqual({ level: 'high', score: 1, reasons: [] });
  });

  it('a room: small support share, most above-plane points in no object → low, with both reasons', () => {
    const heights = [...Array<number>(15).fill(0), ...Array<number>(45).fill(1.2), ...Array<number>(40).fill(0.05)];
    const { cloud, heightOf } = cloudOfHeights(heights);
    const objectPixels = Uint8Array.from(heights, (h) => (h > 0.01 && h < 1 ? 1 : 0));
    const c = sceneConfidence({ cloud, heightOf, objectPixels, inlierRatio: 0.12, excluded: [], objects: 3 });
    expect(c.level).toBe('low');
    expect(c.reasons).toHaveLength(2);
    expect(c.reasons[0]).toMatch(/support plane holds only 12 %/);
    expect(c.reasons[1]).toMatch(/45 % of the depth pixels stand above the support in no object/);
    // 0.12 of a 0.2 limit: margin 0.12 / 0.4 = 0.3; dropped 0.45 of 0.12: 0
    expect(c.score).toBe(0);
  });

  it('a segment excluded as too large (a desk, 2.4 m) makes the objects implausible → low', () => {
    const heights = [...Array<number>(60).fill(0), ...Array<number>(40).fill(0.3)];
    const { cloud, heightOf } = cloudOfHeights(heights);
    const objectPixels = new Uint8Array(100);
    for (let i = 60; i < 70; i++) objectPixels[i] = 1;
    // the other 30 above-plane pixels are the excluded segment: also "dropped"
    const c = sceneConfidence({ cloud, heightOf, objectPixels, inlierRatio: 0.6, excluded: [{ id: 5, reason: 'too_large', sizeM: 2.38, pixels: 30 }], objects: 1 });
    expect(c.level).toBe('low');
    expect(c.reasons.some((r) => /1 segment \(30 % of the depth pixels, up to 2\.38 m\) too large/.test(r))).toBe(true);
  });

  it('no object at all is a reason', () => {
    const { cloud, heightOf } = cloudOfHeights(Array<number>(100).fill(0));
    const c = sceneConfidence({ cloud, heightOf, objectPixels: new Uint8Array(100), inlierRatio: 0.9, excluded: [], objects: 0 });
    expect(c.level).toBe('low');
    expect(c.reasons).toEqual(['no object was found on the support']);
  });
});

describe('object confidence', () => {
  const box = boxMesh(0.1, 0.1, 0.1);
  const pose = { position: [0, 0, 0.05] as [number, number, number], orientation: [0, 0, 0, 1] as [number, number, number, number] };

  it('all of the surface measured exactly: visible 1, residual ~0, score ~1', () => {
    const pts = sampleSurface(box, 3000);
    for (let i = 2; i < pts.length; i += 3) pts[i]! += 0.05;
    const c = objectConfidence(box, pose, pts, 'hull');
    expect(c.visibleFraction).toBeGreaterThan(0.99);
    expect(c.fitResidual).toBeLessThan(0.003);
    expect(c.score).toBeGreaterThan(0.85);
    expect(c.method).toBe('hull');
  });

  it('one face of six measured: visible about 1/6; points 2 cm off the surface: residual 2 cm, score from visibility only', () => {
    const face: number[] = [];
    for (let i = 0; i <= 20; i++) for (let j = 0; j <= 20; j++) face.push(-0.05, -0.05 + i * 0.005, j * 0.005);
    const c = objectConfidence(box, pose, Float32Array.from(face), 'mirrored ×1');
    expect(c.visibleFraction).toBeGreaterThan(0.14);
    expect(c.visibleFraction).toBeLessThan(0.26);
    const off = Float32Array.from(face.map((v, k) => (k % 3 === 0 ? v - 0.02 : v)));
    const d = objectConfidence(box, pose, off, 'hull');
    expect(d.fitResidual).toBeGreaterThan(0.018);
    expect(d.fitResidual).toBeLessThan(0.022);
    expect(d.visibleFraction).toBe(0);
    expect(d.score).toBe(0);
  });
});

describe('NearestGrid (exact nearest neighbour for objectConfidence)', () => {
  /** Deterministic pseudo-random numbers in [0, 1). */
  const rng = (seed: number) => () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const brute = (pts: Float32Array, x: number, y: number, z: number) => {
    let best = Infinity;
    for (let j = 0; j < pts.length / 3; j++) {
      const dx = pts[j * 3]! - x,
        dy = pts[j * 3 + 1]! - y,
        dz = pts[j * 3 + 2]! - z;
      const d = dx * dx + dy * dy + dz * dz;
      if (d < best) best = d;
    }
    return Math.sqrt(best);
  };

  it('gives the brute-force distance, bit for bit, for queries inside, beside and far outside the set', () => {
    const r = rng(7);
    // a thin shell (surface samples) and a cluster far off one corner, 1 cm cells
    const pts = new Float32Array(3000);
    for (let i = 0; i < 900; i++) {
      const t = r() * 2 * Math.PI,
        u = r() * 0.2;
      pts.set([0.05 * Math.cos(t), 0.05 * Math.sin(t), u], i * 3);
    }
    for (let i = 900; i < 1000; i++) pts.set([0.4 + 0.01 * r(), -0.3 + 0.01 * r(), 0.1 * r()], i * 3);
    const grid = new NearestGrid(pts, 0.01);
    let far = 0;
    for (let q = 0; q < 3000; q++) {
      const s = q < 1000 ? 0.3 : q < 2000 ? 1 : 5;
      const x = (r() - 0.3) * s,
        y = (r() - 0.5) * s,
        z = (r() - 0.2) * s;
      const want = brute(pts, x, y, z);
      if (want > 0.5) far++;
      expect(grid.nearest(x, y, z)).toBe(want);
    }
    // queries on the points themselves: distance 0
    for (let i = 0; i < 1000; i += 37) expect(grid.nearest(pts[i * 3]!, pts[i * 3 + 1]!, pts[i * 3 + 2]!)).toBe(0);
    expect(far).toBeGreaterThan(100);
    // within(r) is nearest <= r, for radii below, at and above the cell size, and exactly at a distance
    let hits = 0;
    for (let q = 0; q < 2000; q++) {
      const x = (r() - 0.3) * 0.4,
        y = (r() - 0.5) * 0.4,
        z = (r() - 0.2) * 0.4;
      const want = brute(pts, x, y, z);
      for (const rad of [0.003, 0.01, 0.025, want]) {
        expect(grid.within(x, y, z, rad)).toBe(want <= rad);
        if (want <= rad) hits++;
      }
    }
    // every query hits at its own distance (2000), and some at the fixed radii
    expect(hits).toBeGreaterThan(2050);
  });

  it('an empty set, or one of non-finite points only, is infinitely far; non-finite points are never nearest', () => {
    expect(new NearestGrid(new Float32Array(0), 0.01).nearest(0, 0, 0)).toBe(Infinity);
    expect(new NearestGrid(new Float32Array([NaN, 0, 0]), 0.01).nearest(0, 0, 0)).toBe(Infinity);
    expect(new NearestGrid(new Float32Array([NaN, 0, 0, 0.5, 0, 0]), 0.01).nearest(0, 0, 0)).toBe(0.5);
  });
});
