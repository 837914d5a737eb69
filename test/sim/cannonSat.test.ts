import { describe, expect, it } from 'vitest';
import * as CANNON from 'cannon-es';
import { cleanHull } from '../../sim/hull.ts';
import { cannonSat, groupArcs, hasEdgeData, indexEdges, installPrunedSat } from '../../sim/engines/cannonSat.ts';
import { createRng, type Rng } from '../../src/geometry/random.ts';

/** A noisy convex piece like a real reconstructed one: n points on a jittered ellipsoid or box. */
type Flaw = 'none' | 'tJunction' | 'splitFace';

/**
 * `flaw` builds the two defects real hulls were seen with (osd test55, uoc 000003), whose
 * polygons do not pair up along their edges: a vertex added in the middle of an edge of one
 * polygon only (a T-junction), or a face of four or more corners given as two overlapping
 * polygons on its plane (a flat side split in two).
 */
function piece(rng: Rng, n: number, box: boolean, flaw: Flaw = 'none'): CANNON.ConvexPolyhedron {
  const pts = new Float32Array(n * 3);
  const r = [rng.range(0.02, 0.08), rng.range(0.02, 0.08), rng.range(0.02, 0.08)];
  for (let i = 0; i < n; i++) {
    let x = rng.range(-1, 1),
      y = rng.range(-1, 1),
      z = rng.range(-1, 1);
    if (box) {
      const k = Math.floor(rng.range(0, 3));
      if (k === 0) x = Math.sign(x);
      else if (k === 1) y = Math.sign(y);
      else z = Math.sign(z);
    } else {
      const l = Math.hypot(x, y, z) || 1;
      x /= l;
      y /= l;
      z /= l;
    }
    pts[3 * i] = x * r[0]! + rng.range(-0.002, 0.002);
    pts[3 * i + 1] = y * r[1]! + rng.range(-0.002, 0.002);
    pts[3 * i + 2] = z * r[2]! + rng.range(-0.002, 0.002);
  }
  const h = cleanHull(pts)!;
  const v = h.vertices;
  const c = [0, 0, 0];
  for (let i = 0; i < v.length; i += 3) for (let a = 0; a < 3; a++) c[a]! += v[i + a]! / (v.length / 3);
  const vertices: CANNON.Vec3[] = [];
  for (let i = 0; i < v.length; i += 3) vertices.push(new CANNON.Vec3(v[i]! - c[0]!, v[i + 1]! - c[1]!, v[i + 2]! - c[2]!));
  const faces = h.faces.map((f) => [...f]);
  const normals = h.normals.map((m) => new CANNON.Vec3(...m));
  if (flaw === 'tJunction') {
    // the longest side of the first polygon gets its midpoint; the neighbour across keeps a-b
    const f = faces[0]!;
    let k = 0;
    for (let j = 1; j < f.length; j++) if (vertices[f[j]!]!.distanceTo(vertices[f[(j + 1) % f.length]!]!) > vertices[f[k]!]!.distanceTo(vertices[f[(k + 1) % f.length]!]!)) k = j;
    const a = vertices[f[k]!]!,
      b = vertices[f[(k + 1) % f.length]!]!;
    vertices.push(a.vadd(b).scale(0.5));
    f.splice(k + 1, 0, vertices.length - 1);
  } else if (flaw === 'splitFace') {
    // the largest polygon; a hull of triangles only gets its first triangle twice
    let at = 0;
    faces.forEach((f, k) => (f.length > faces[at]!.length ? (at = k) : 0));
    const f = faces[at]!;
    if (f.length >= 4) {
      const m = Math.floor(f.length / 2);
      // f[0..m+1] and f[m..] + f[0], f[1]: two convex polygons that overlap near f[0], f[1], f[m], f[m+1]
      faces[at] = f.slice(0, m + 2);
      faces.push([...f.slice(m), f[0]!, f[1]!]);
    } else faces.push([f[1]!, f[2]!, f[0]!]);
    normals.push(normals[at]!.clone());
  }
  const shape = new CANNON.ConvexPolyhedron({ vertices, faces, normals });
  indexEdges(shape);
  return shape;
}

function randomQuat(rng: Rng): CANNON.Quaternion {
  const q = new CANNON.Quaternion(rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1));
  return q.normalize();
}

describe('pruned separating-axis test (cannonSat.ts)', () => {
  it.each(['none', 'tJunction', 'splitFace'] as const)("gives cannon-es's own answer — separated or not, the least overlap and its axis — on noisy real-like pieces (flaw: %s)", (flaw) => {
    installPrunedSat();
    const rng = createRng(12);
    let overlapping = 0,
      separated = 0,
      edgeWins = 0;
    for (let t = 0; t < 160; t++) {
      const a = piece(rng, 50 + Math.floor(rng.range(0, 50)), t % 2 === 0, flaw);
      const b = piece(rng, 40 + Math.floor(rng.range(0, 50)), t % 3 === 0, t % 2 === 0 ? flaw : 'none');
      // the pruned test runs on flawed hulls too (their edges found from shared vertices)
      expect(hasEdgeData(a)).toBe(true);
      expect(hasEdgeData(b)).toBe(true);
      const qa = randomQuat(rng),
        qb = randomQuat(rng);
      const pa = new CANNON.Vec3(0, 0, 0);
      // centres from overlapping deeply to just apart
      const dir = new CANNON.Vec3(rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1));
      dir.normalize();
      const pb = dir.scale(rng.range(0.02, 0.16));
      const mine = new CANNON.Vec3(),
        theirs = new CANNON.Vec3();
      const r1 = a.findSeparatingAxis(b, pa, qa, pb, qb, mine);
      const r2 = cannonSat(a, b, pa, qa, pb, qb, theirs);
      expect(r1).toBe(r2);
      if (!r2) {
        separated++;
        continue;
      }
      overlapping++;
      const d1 = a.testSepAxis(mine, b, pa, qa, pb, qb) as number,
        d2 = a.testSepAxis(theirs, b, pa, qa, pb, qb) as number;
      expect(d1).toBeCloseTo(d2, 12);
      expect(mine.dot(theirs)).toBeGreaterThan(1 - 1e-9);
      // the least overlap came from an edge pair (not a face normal) in some cases: the pruning is exercised
      const faceOnly = Math.min(
        ...a.faceNormals.map((n) => a.testSepAxis(qa.vmult(n), b, pa, qa, pb, qb) as number),
        ...b.faceNormals.map((n) => a.testSepAxis(qb.vmult(n), b, pa, qa, pb, qb) as number),
      );
      if (d2 < faceOnly - 1e-9) edgeWins++;
    }
    expect(overlapping).toBeGreaterThan(40);
    expect(separated).toBeGreaterThan(30);
    expect(edgeWins).toBeGreaterThan(10);
  });

  it("gives cannon-es's answer along a trajectory, where the previous call's axis is tried first and axes are skipped by bound", () => {
    installPrunedSat();
    const rng = createRng(7);
    let overlapping = 0,
      separated = 0;
    for (let t = 0; t < 12; t++) {
      const a = piece(rng, 40, t % 2 === 0),
        b = piece(rng, 36, t % 3 === 0, t % 4 === 1 ? 'splitFace' : 'none');
      const qa = randomQuat(rng),
        qb = randomQuat(rng);
      const spin = new CANNON.Quaternion();
      spin.setFromAxisAngle(new CANNON.Vec3(rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1)).unit(), 0.01);
      const dir = new CANNON.Vec3(rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1)).unit();
      const pa = new CANNON.Vec3(0, 0, 0);
      // B slides out of A in small steps, turning a little each step (as bodies do between steps)
      for (let k = 0; k < 30; k++) {
        const pb = dir.scale(0.01 + 0.005 * k);
        qb.copy(spin.mult(qb)).normalize();
        const mine = new CANNON.Vec3(),
          theirs = new CANNON.Vec3();
        const r1 = a.findSeparatingAxis(b, pa, qa, pb, qb, mine);
        const r2 = cannonSat(a, b, pa, qa, pb, qb, theirs);
        expect(r1).toBe(r2);
        if (!r2) {
          separated++;
          continue;
        }
        overlapping++;
        const d1 = a.testSepAxis(mine, b, pa, qa, pb, qb) as number,
          d2 = a.testSepAxis(theirs, b, pa, qa, pb, qb) as number;
        expect(d1).toBeCloseTo(d2, 12);
        expect(mine.dot(theirs)).toBeGreaterThan(1 - 1e-9);
      }
    }
    expect(overlapping).toBeGreaterThan(50);
    expect(separated).toBeGreaterThan(50);
  });

  it("groups arcs four at most, each whole arc (not only its ends) inside its group's cap", () => {
    const rng = createRng(5);
    const unit = () => new CANNON.Vec3(rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1)).unit();
    // arcs from 1° to 100° long, as between neighbouring faces of a noisy hull and around a flat side
    const arcs = Array.from({ length: 150 }, () => {
      const a = unit();
      const turn = new CANNON.Quaternion();
      turn.setFromAxisAngle(a.cross(unit()).unit(), (rng.range(1, 100) * Math.PI) / 180);
      return [a, turn.vmult(a)] as const;
    });
    const { order, groups } = groupArcs(arcs, 4);
    expect([...order].sort((x, y) => x - y)).toEqual(arcs.map((_, e) => e));
    let checked = 0;
    for (let g = 0; g < groups.count; g++) {
      const n = groups.start[g + 1]! - groups.start[g]!;
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(4);
      if (groups.wide[g]) continue;
      const axis = new CANNON.Vec3(groups.axis[3 * g], groups.axis[3 * g + 1], groups.axis[3 * g + 2]);
      for (let k = groups.start[g]!; k < groups.start[g + 1]!; k++) {
        const [a, b] = arcs[order[k]!]!;
        // points along the great-circle arc from a to b
        for (let t = 0; t <= 1; t += 0.125) {
          const p = a
            .scale(1 - t)
            .vadd(b.scale(t))
            .unit();
          expect(p.dot(axis)).toBeGreaterThanOrEqual(groups.cos[g]! - 1e-12);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  });
});
