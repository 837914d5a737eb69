/**
 * Clean convex hulls for the engines: unique hull vertices (simplified to within
 * `ENGINE_HULL_TOLERANCE` of the full hull, at most `maxVertices`), coplanar triangles merged
 * into one polygon per plane (counter-clockwise seen from outside), and a fan triangulation of
 * those polygons.
 *
 * Why: both engines misbehave on raw hulls of lathe meshes. Rapier's own `convexHull` of a
 * 48-sided cylinder makes it rock at ~0.15 m/s and walk ~5 mm in 2 s, while `convexMesh` of the
 * merged-polygon hull below keeps it under 1 mm; cannon-es clips contact patches against one
 * face, so a face split in two triangles gives half a patch.
 *
 * Simplification: the engines' convex–convex cost grows with vertices (cannon-es's separating
 * axis test is O(faces + edges²) per piece pair, and real reconstructed pieces carry 40–60
 * noisy vertices: 67 % of the validation time of a real 8-object scene went there). Vertices
 * are added greedily — the six axis extremes first (bounds stay exact), then always the vertex
 * farthest outside the current hull — until every dropped vertex lies within the tolerance of
 * the simplified hull (the simplified hull is inside the full one, by at most that much), or
 * the cap is reached (then `error` says by how much it is off). A fixed vertex count instead
 * (farthest-point sampling to 12–24 vertices) cut corners of real boxes and toppled them.
 */
import { Vector3 } from 'three';
import { ballOfPoints } from '../src/geometry/ball.ts';
import { ConvexHull } from 'three/examples/jsm/math/ConvexHull.js';

export const ENGINE_HULL_VERTICES = 128;
/** Largest distance of a dropped hull vertex from the simplified hull, metres. */
export const ENGINE_HULL_TOLERANCE = 0.001;

export interface CleanHull {
  /** xyz interleaved. */
  vertices: Float32Array;
  /** Largest distance of a vertex of the full hull from this one (0 when nothing was dropped), metres. */
  error: number;
  /**
   * Set when every hull vertex lies on one sphere (within 1 % of its radius): engines then use
   * their exact sphere shape, which is both truer to the object and far cheaper than a
   * 128-vertex polyhedron (cannon-es's polyhedron–polyhedron test is O(edges²)).
   */
  sphere?: { centre: [number, number, number]; radius: number };
  /** Polygons (vertex indices), counter-clockwise seen from outside. */
  faces: number[][];
  /** Outward unit normal of each polygon (the hull's plane, not re-derived from three vertices). */
  normals: [number, number, number][];
  /** Fan triangulation of `faces`, outward. */
  triangles: Uint32Array;
}

const cache = new WeakMap<Float32Array, Map<number, CleanHull | null>>();
/**
 * The same, keyed on the geometry (the vertex bytes and the cap): repair passes, the merged
 * pieces of `enginePieces.ts` and the frames of a ROS loop hand over new arrays with the same
 * vertices, and a clean hull costs ~2 ms (a three.js hull per simplification step). Bounded
 * to about one real frame's simulated pieces (the oldest go first): each entry also keeps its
 * cannon-es shape alive (~25 kB together), and a process that runs frame after frame must not
 * grow with them.
 */
const byGeometry = new Map<string, CleanHull | null>();
const GEOMETRY_CACHE_SIZE = 256;

/** FNV-1a over the float bits, with the length and the cap: a collision would need equal length, cap and 64 hash bits. */
function geometryKey(positions: Float32Array, maxVertices: number): string {
  const words = new Uint32Array(positions.buffer, positions.byteOffset, positions.length);
  let h1 = 0x811c9dc5,
    h2 = 0x01000193 ^ positions.length;
  for (let i = 0; i < words.length; i++) {
    h1 = Math.imul(h1 ^ words[i]!, 0x01000193);
    h2 = Math.imul(h2 ^ (words[i]! >>> 7) ^ i, 0x5bd1e995);
  }
  return `${positions.length}:${maxVertices}:${(h1 >>> 0).toString(36)}:${(h2 >>> 0).toString(36)}`;
}

/** `cleanHull` with a vertex cap (default `ENGINE_HULL_VERTICES`), computed once per geometry and cap. */
export function engineHull(positions: Float32Array, maxVertices = ENGINE_HULL_VERTICES): CleanHull | null {
  let byCap = cache.get(positions);
  if (!byCap) {
    byCap = new Map();
    cache.set(positions, byCap);
  }
  let h = byCap.get(maxVertices);
  if (h === undefined) {
    const key = geometryKey(positions, maxVertices);
    h = byGeometry.get(key);
    if (h === undefined) {
      h = cleanHull(positions, maxVertices);
      if (byGeometry.size >= GEOMETRY_CACHE_SIZE) byGeometry.delete(byGeometry.keys().next().value!);
      byGeometry.set(key, h);
    }
    byCap.set(maxVertices, h);
  }
  return h;
}

/** Null when the points are degenerate (fewer than 4, flat, collinear). */
export function cleanHull(positions: Float32Array, maxVertices = ENGINE_HULL_VERTICES, tolerance = ENGINE_HULL_TOLERANCE): CleanHull | null {
  const n = positions.length / 3;
  if (n < 4 || !positions.every(Number.isFinite)) return null;
  const pts: Vector3[] = [];
  for (let i = 0; i < n; i++) pts.push(new Vector3(positions[i * 3], positions[i * 3 + 1], positions[i * 3 + 2]));
  let hull = hullOf(pts);
  if (!hull) return null;
  const unique = hullPoints(hull);
  const sphere = sphereOf(hull, unique);
  let error = 0;
  const simple = simplify(unique, tolerance, maxVertices);
  if (simple && simple.points.length < unique.length) {
    hull = simple.hull;
    error = simple.error;
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
  const normals = planes.map((p): [number, number, number] => [p.n.x, p.n.y, p.n.z]);
  const tri: number[] = [];
  for (const f of faces) for (let k = 1; k + 1 < f.length; k++) tri.push(f[0]!, f[k]!, f[k + 1]!);
  const vertices = new Float32Array(out);
  const triangles = new Uint32Array(tri);
  return sphere ? { vertices, error, faces, normals, triangles, sphere } : { vertices, error, faces, normals, triangles };
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
  const a = new Vector3(),
    b = new Vector3(),
    d = new Vector3();
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

/**
 * Greedy hull simplification (see the file note): the six axis extremes, then the vertex
 * farthest outside the current hull, until none is more than `tolerance` outside or `cap`
 * vertices are taken. Null when the extremes are degenerate and no hull forms.
 */
function simplify(unique: Vector3[], tolerance: number, cap: number): { hull: ConvexHull; points: Vector3[]; error: number } | null {
  const m = unique.length;
  const taken = new Uint8Array(m);
  const sel: Vector3[] = [];
  const take = (k: number) => {
    if (taken[k]) return;
    taken[k] = 1;
    sel.push(unique[k]!);
  };
  for (const axis of ['x', 'y', 'z'] as const) {
    let lo = 0,
      hi = 0;
    for (let j = 1; j < m; j++) {
      if (unique[j]![axis] < unique[lo]![axis]) lo = j;
      if (unique[j]![axis] > unique[hi]![axis]) hi = j;
    }
    take(lo);
    take(hi);
  }
  let hull = sel.length >= 4 ? hullOf(sel) : null;
  // degenerate extremes (a thin slab seen along an axis): fall back to the full hull
  if (!hull) return null;
  for (;;) {
    let best = -1,
      bd = 0;
    for (let j = 0; j < m; j++) {
      if (taken[j]) continue;
      const p = unique[j]!;
      let out = -Infinity;
      for (const f of hull.faces) {
        const d = f.normal.dot(p) - f.constant;
        if (d > out) out = d;
      }
      if (out > bd) {
        bd = out;
        best = j;
      }
    }
    if (best < 0 || bd <= tolerance || sel.length >= cap) return { hull, points: sel, error: Math.max(0, bd) };
    take(best);
    const next = hullOf(sel);
    if (!next) return null;
    hull = next;
  }
}
