/**
 * Clean convex hulls for the engines: unique hull vertices (thinned to at most `maxVertices`),
 * coplanar triangles merged into one polygon per plane (counter-clockwise seen from outside),
 * and a fan triangulation of those polygons.
 *
 * Why: both engines misbehave on raw hulls of lathe meshes. Rapier's own `convexHull` of a
 * 48-sided cylinder makes it rock at ~0.15 m/s and walk ~5 mm in 2 s, while `convexMesh` of the
 * merged-polygon hull below keeps it under 1 mm; cannon-es clips contact patches against one
 * face, so a face split in two triangles gives half a patch. Engines' convex–convex cost also
 * grows with vertex count: a sphere rendered with 800 vertices collides almost the same with
 * 128 of them (farthest-point samples seeded by the six axis extremes; the thinned hull lies
 * inside the true one by ~s²/8r, s the sample spacing: ≈ 0.4 mm for a 5 cm sphere).
 */
import { Vector3 } from 'three';
import { ballOfPoints } from '../src/geometry/ball.ts';
import { ConvexHull } from 'three/examples/jsm/math/ConvexHull.js';

export const ENGINE_HULL_VERTICES = 128;

export interface CleanHull {
  /** xyz interleaved. */
  vertices: Float32Array;
  /**
   * Set when every hull vertex lies on one sphere (within 1 % of its radius): engines then use
   * their exact sphere shape, which is both truer to the object and far cheaper than a
   * 128-vertex polyhedron (cannon-es's polyhedron–polyhedron test is O(edges²)).
   */
  sphere?: { centre: [number, number, number]; radius: number };
  /** Polygons (vertex indices), counter-clockwise seen from outside. */
  faces: number[][];
  /** Fan triangulation of `faces`, outward. */
  triangles: Uint32Array;
}

const cache = new WeakMap<Float32Array, Map<number, CleanHull | null>>();

/** `cleanHull` with a vertex cap (default `ENGINE_HULL_VERTICES`), computed once per piece array and cap. */
export function engineHull(positions: Float32Array, maxVertices = ENGINE_HULL_VERTICES): CleanHull | null {
  let byCap = cache.get(positions);
  if (!byCap) {
    byCap = new Map();
    cache.set(positions, byCap);
  }
  let h = byCap.get(maxVertices);
  if (h === undefined) {
    h = cleanHull(positions, maxVertices);
    byCap.set(maxVertices, h);
  }
  return h;
}

/** Null when the points are degenerate (fewer than 4, flat, collinear). */
export function cleanHull(positions: Float32Array, maxVertices = ENGINE_HULL_VERTICES): CleanHull | null {
  const n = positions.length / 3;
  if (n < 4 || !positions.every(Number.isFinite)) return null;
  let pts: Vector3[] = [];
  for (let i = 0; i < n; i++) pts.push(new Vector3(positions[i * 3]!, positions[i * 3 + 1]!, positions[i * 3 + 2]!));
  let hull = hullOf(pts);
  if (!hull) return null;
  let unique = hullPoints(hull);
  const sphere = sphereOf(hull, unique);
  if (unique.length > maxVertices) {
    pts = thin(unique, maxVertices);
    hull = hullOf(pts);
    if (!hull) return null;
    unique = hullPoints(hull);
  }
  // merge coplanar faces
  const planes: { n: Vector3; d: number; verts: Set<Vector3> }[] = [];
  for (const face of hull.faces) {
    const nrm = face.normal;
    const d = face.constant;
    let plane = planes.find((p) => p.n.dot(nrm) > 1 - 1e-6 && Math.abs(p.d - d) < 1e-7);
    if (!plane) {
      plane = { n: nrm.clone(), d, verts: new Set() };
      planes.push(plane);
    }
    let e = face.edge;
    do {
      plane.verts.add(e.head().point);
      e = e.next;
    } while (e !== face.edge);
  }
  const index = new Map<Vector3, number>();
  const out: number[] = [];
  const vid = (v: Vector3) => {
    let k = index.get(v);
    if (k === undefined) {
      k = out.length / 3;
      index.set(v, k);
      out.push(v.x, v.y, v.z);
    }
    return k;
  };
  const faces = planes.map(({ n: nrm, verts }) => {
    const list = [...verts];
    const c = new Vector3();
    for (const v of list) c.add(v);
    c.divideScalar(list.length);
    const u = new Vector3().subVectors(list[0]!, c).normalize();
    const w = new Vector3().crossVectors(nrm, u);
    const angle = (v: Vector3) => {
      const r = new Vector3().subVectors(v, c);
      return Math.atan2(r.dot(w), r.dot(u));
    };
    return list.sort((a, b) => angle(a) - angle(b)).map(vid);
  });
  const tri: number[] = [];
  for (const f of faces) for (let k = 1; k + 1 < f.length; k++) tri.push(f[0]!, f[k]!, f[k + 1]!);
  const vertices = new Float32Array(out);
  const triangles = new Uint32Array(tri);
  return sphere ? { vertices, faces, triangles, sphere } : { vertices, faces, triangles };
}

/**
 * The sphere through all the hull's vertices (centre = their mean) when there are ≥ 20, all
 * within 1 % of one radius, AND the hull fills ≥ 90 % of the ball (a cylinder's vertices are
 * also equidistant from its centre, but it fills far less). Judged on the full hull, before
 * thinning.
 */
function sphereOf(hull: ConvexHull, pts: Vector3[]): CleanHull['sphere'] | undefined {
  const n = pts.length;
  if (n < 20) return undefined;
  const ball = ballOfPoints(pts.flatMap((p) => [p.x, p.y, p.z]));
  if (!ball) return undefined;
  const c = new Vector3(...ball.centre);
  const hi = ball.radius;
  let vol = 0;
  const a = new Vector3(), b = new Vector3(), d = new Vector3();
  for (const f of hull.faces) {
    const loop: Vector3[] = [];
    let e = f.edge;
    do {
      loop.push(e.head().point);
      e = e.next;
    } while (e !== f.edge);
    for (let k = 1; k + 1 < loop.length; k++) {
      a.subVectors(loop[0]!, c);
      b.subVectors(loop[k]!, c);
      d.subVectors(loop[k + 1]!, c);
      vol += a.dot(b.clone().cross(d)) / 6;
    }
  }
  return vol >= 0.9 * ((4 / 3) * Math.PI * hi ** 3) ? { centre: [c.x, c.y, c.z], radius: hi } : undefined;
}

function hullOf(pts: Vector3[]): ConvexHull | null {
  try {
    const h = new ConvexHull().setFromPoints(pts);
    return h.faces.length >= 4 ? h : null;
  } catch {
    return null;
  }
}

function hullPoints(h: ConvexHull): Vector3[] {
  const set = new Set<Vector3>();
  for (const f of h.faces) {
    let e = f.edge;
    do {
      set.add(e.head().point);
      e = e.next;
    } while (e !== f.edge);
  }
  return [...set];
}

/** Farthest-point sampling, seeded by the six axis extremes (keeps the bounds exact). */
function thin(unique: Vector3[], maxVertices: number): Vector3[] {
  const m = unique.length;
  const taken = new Uint8Array(m);
  const d2 = new Float64Array(m).fill(Infinity);
  const order: number[] = [];
  const take = (k: number) => {
    if (taken[k]) return;
    taken[k] = 1;
    order.push(k);
    const p = unique[k]!;
    for (let j = 0; j < m; j++) d2[j] = Math.min(d2[j]!, p.distanceToSquared(unique[j]!));
  };
  for (const axis of ['x', 'y', 'z'] as const) {
    let lo = 0, hi = 0;
    for (let j = 1; j < m; j++) {
      if (unique[j]![axis] < unique[lo]![axis]) lo = j;
      if (unique[j]![axis] > unique[hi]![axis]) hi = j;
    }
    take(lo);
    take(hi);
  }
  while (order.length < maxVertices) {
    let best = -1, bd = -1;
    for (let j = 0; j < m; j++) {
      if (!taken[j] && d2[j]! > bd) {
        bd = d2[j]!;
        best = j;
      }
    }
    if (best < 0) break;
    take(best);
  }
  return order.map((k) => unique[k]!);
}

