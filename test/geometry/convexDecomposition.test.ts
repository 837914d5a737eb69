import { describe, expect, it } from 'vitest';
import { convexDecomposition, simplifyHull } from '../../src/geometry/convexDecomposition.ts';
import { convexHull } from '../../src/geometry/convexHull.ts';
import { meshVolume } from '../../src/geometry/massProperties.ts';
import { boxMesh, latheMesh, mergeMeshes, translateMesh } from '../../src/geometry/primitives.ts';
import { createRng } from '../../src/geometry/random.ts';
import type { Mesh } from '../../src/model/geometry.ts';

/** Inside a closed convex mesh: on the inner side of every face plane. */
function insideConvex(m: Mesh, x: number, y: number, z: number): boolean {
  const p = m.positions,
    idx = m.indices;
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
    if (nx * (x - p[a]!) + ny * (y - p[a + 1]!) + nz * (z - p[a + 2]!) > 1e-12) return false;
  }
  return true;
}

function checkPieces(pieces: Mesh[], maxPieces: number, maxVerts: number): void {
  expect(pieces.length).toBeGreaterThan(0);
  expect(pieces.length).toBeLessThanOrEqual(maxPieces);
  for (const piece of pieces) {
    expect(piece.positions.length / 3).toBeLessThanOrEqual(maxVerts);
    expect(meshVolume(piece)).toBeGreaterThan(0);
  }
}

// Mug: outer radius 4 cm, height 10 cm, wall and bottom 5 mm, open at the top.
const R = 0.04,
  H = 0.1,
  T = 0.005;
const mug = latheMesh(
  [
    [0, 0],
    [R, 0],
    [R, H],
    [R - T, H],
    [R - T, T],
    [0, T],
  ],
  32,
);

describe('convexDecomposition', () => {
  it('keeps a mug cavity empty, covers its wall and bottom, and keeps the volume', () => {
    const vMesh = meshVolume(mug);
    expect(vMesh).toBeGreaterThan(0);
    const pieces = convexDecomposition(mug);
    checkPieces(pieces, 16, 64);
    const inAny = (x: number, y: number, z: number) => pieces.some((m) => insideConvex(m, x, y, z));
    // the cavity: its centre, and a ring half way to the wall, at several heights
    expect(inAny(0, 0, H / 2)).toBe(false);
    for (const z of [0.03, 0.05, 0.08]) {
      for (let a = 0; a < 8; a++) expect(inAny(0.5 * (R - T) * Math.cos(a), 0.5 * (R - T) * Math.sin(a), z)).toBe(false);
    }
    // the wall (mid-thickness, all around, at several heights) and the bottom
    for (const z of [0.01, 0.03, 0.05, 0.07, 0.095]) {
      for (let a = 0; a < 24; a++) {
        const ang = (a / 24) * 2 * Math.PI + 0.01;
        expect(inAny((R - T / 2) * Math.cos(ang), (R - T / 2) * Math.sin(ang), z)).toBe(true);
      }
    }
    for (const [x, y] of [
      [0, 0],
      [0.02, 0],
      [-0.015, 0.02],
    ] as const)
      expect(inAny(x, y, T / 2)).toBe(true);
    const total = pieces.reduce((s, m) => s + meshVolume(m), 0);
    expect(Math.abs(total - vMesh) / vMesh).toBeLessThan(0.25);
  });

  it('returns one hull for a convex mesh, and an L-shape in a few pieces with its notch left empty', () => {
    const box = boxMesh(0.1, 0.06, 0.04);
    const one = convexDecomposition(box);
    expect(one.length).toBe(1);
    expect(meshVolume(one[0]!)).toBeCloseTo(0.1 * 0.06 * 0.04, 9);
    // L: a 10×10×2 cm slab with a 2×10×10 cm upright at one end (two boxes, overlapping nothing)
    const l = mergeMeshes([translateMesh(boxMesh(0.1, 0.1, 0.02), 0, 0, 0.01), translateMesh(boxMesh(0.02, 0.1, 0.08), -0.04, 0, 0.06)]);
    const pieces = convexDecomposition(l);
    checkPieces(pieces, 16, 64);
    expect(pieces.length).toBeGreaterThan(1);
    const inAny = (x: number, y: number, z: number) => pieces.some((m) => insideConvex(m, x, y, z));
    expect(inAny(0.03, 0, 0.07)).toBe(false); // the notch above the slab, away from the upright
    expect(inAny(0.03, 0, 0.01)).toBe(true);
    expect(inAny(-0.04, 0, 0.09)).toBe(true);
  });

  it('is deterministic and respects maxPieces / maxVerticesPerPiece', () => {
    const a = convexDecomposition(mug, { maxPieces: 6, maxVerticesPerPiece: 12 });
    const b = convexDecomposition(mug, { maxPieces: 6, maxVerticesPerPiece: 12 });
    checkPieces(a, 6, 12);
    expect(b.map((m) => Array.from(m.positions))).toEqual(a.map((m) => Array.from(m.positions)));
  });

  it('rejects bad meshes and options with clear errors', () => {
    expect(() => convexDecomposition({ positions: new Float32Array(9), indices: new Uint32Array([0, 1, 2]) })).toThrow(/at least 4 triangles/);
    const nan = boxMesh(1, 1, 1);
    nan.positions[4] = NaN;
    expect(() => convexDecomposition(nan)).toThrow(/not finite/);
    const bad = boxMesh(1, 1, 1);
    bad.indices[5] = 999;
    expect(() => convexDecomposition(bad)).toThrow(/out of range/);
    expect(() => convexDecomposition(mug, { maxPieces: 0 })).toThrow(/maxPieces/);
  });
});

describe('simplifyHull', () => {
  it('keeps at most maxVertices, stays inside the hull and keeps most of its volume (seed 81)', () => {
    const rng = createRng(81);
    const p = new Float32Array(3000 * 3);
    for (let i = 0; i < 3000; i++) {
      const x = rng.normal(),
        y = rng.normal(),
        z = rng.normal();
      const l = Math.hypot(x, y, z);
      p.set([(x / l) * 0.05, (y / l) * 0.03, (z / l) * 0.02], i * 3);
    }
    const hull = convexHull(p);
    const s = simplifyHull(hull, 64);
    expect(s.positions.length / 3).toBeLessThanOrEqual(64);
    expect(s.positions.length / 3).toBeGreaterThan(40);
    for (let i = 0; i < s.positions.length; i += 3) expect(insideConvex(hull, s.positions[i]!, s.positions[i + 1]!, s.positions[i + 2]!)).toBe(true);
    expect(meshVolume(s) / meshVolume(hull)).toBeGreaterThan(0.85);
    expect(simplifyHull(boxMesh(1, 2, 3), 64).positions.length / 3).toBe(8);
    expect(() => simplifyHull(hull, 3)).toThrow(/maxVertices/);
  });
});
