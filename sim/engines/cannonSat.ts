/**
 * cannon-es's convex–convex separating-axis test without the edges that cannot matter.
 *
 * cannon-es tests every face normal of both hulls and then the cross product of EVERY edge
 * direction of one hull with every edge direction of the other (its `uniqueEdges` keeps both
 * orientations of each edge, so each axis is tested twice), projecting both hulls on each:
 * O(E_A · E_B · (V_A + V_B)) per piece pair and step. Real reconstructed pieces are noisy
 * (30–80 vertices, no two edges parallel), so this was ~85 % of a validation's CPU time on
 * the real frames (osd_mosd test16: 16.7 of 19.7 s of stepping inside `project`).
 *
 * Only the edge pairs that form a face of the Minkowski difference A − B can give the minimum
 * overlap or separate the hulls (the overlap along any direction is at least the distance from
 * the origin to the boundary of A − B, which is attained at one of its faces, and when the hulls
 * are apart one of those faces separates them). Edge a (between faces with normals n1, n2 of A)
 * and edge b (between m1, m2 of B) form such a face when the arcs n1–n2 and −m1–−m2 cross on
 * the Gauss map (D. Gregorius, "The Separating Axis Test between Convex Polyhedra", GDC 2013):
 * three dot products per pair instead of two projections. The face normals are tested exactly
 * as cannon-es does, in the same order, so the minimum overlap (the contact depth and normal
 * cannon-es builds its contacts from) is the same; a pair near the arc test's boundary is
 * kept (a tested axis that is not a Minkowski face only gives an overlap ≥ the minimum).
 *
 * Shapes without edge data (built elsewhere, or whose faces do not pair up into edges) keep
 * cannon-es's own test.
 */
import * as CANNON from 'cannon-es';

interface EdgeData {
  count: number;
  /** Unit edge directions, shape frame, xyz interleaved. */
  dir: Float64Array;
  /** Normals of the two faces beside each edge (n1, n2) and n2 × n1, shape frame. */
  n1: Float64Array;
  n2: Float64Array;
  n2xn1: Float64Array;
}

const edges = new WeakMap<CANNON.ConvexPolyhedron, EdgeData>();

/** Accept arc pairs this close to the test's boundary (extra axes never change the minimum). */
const SLACK = 1e-9;

/**
 * Records the edges of a polyhedron (each once, with its two faces) so `findSeparatingAxis` can
 * prune edge pairs. Call after construction. A hull whose polygons do not pair up along their
 * edges (see `edgesBetweenPlanes`) gets its edges from the polygons' shared vertices instead; one
 * where that also fails (a zero-length edge) is left to cannon-es's own test.
 */
export function indexEdges(shape: CANNON.ConvexPolyhedron): void {
  const nv = shape.vertices.length;
  const sides = new Map<number, number[]>();
  shape.faces.forEach((face, f) => {
    for (let k = 0; k < face.length; k++) {
      const a = face[k]!,
        b = face[(k + 1) % face.length]!;
      const key = a < b ? a * nv + b : b * nv + a;
      const list = sides.get(key);
      if (list) list.push(f);
      else sides.set(key, [f]);
    }
  });
  let list: [number, number, number, number][] = [];
  let fallback = false;
  for (const [key, fs] of sides) {
    if (fs.length !== 2) {
      list = edgesBetweenPlanes(shape);
      fallback = true;
      break;
    }
    list.push([Math.floor(key / nv), key % nv, fs[0]!, fs[1]!]);
  }
  const count = list.length;
  const dir = new Float64Array(3 * count),
    n1 = new Float64Array(3 * count),
    n2 = new Float64Array(3 * count),
    n2xn1 = new Float64Array(3 * count);
  const side = new CANNON.Vec3();
  for (let e = 0; e < count; e++) {
    const [a, b, f1, f2] = list[e]!;
    const va = shape.vertices[a]!,
      vb = shape.vertices[b]!;
    if (fallback) {
      // the direction cannon-es tests for this side: the first of its unique edges within 1e-6
      va.vsub(vb, side);
      side.normalize();
      const rep = shape.uniqueEdges.find((u) => u.almostEquals(side)) ?? shape.uniqueEdges.find((u) => u.almostEquals(side.negate(side)));
      if (!rep) return;
      dir[3 * e] = rep.x;
      dir[3 * e + 1] = rep.y;
      dir[3 * e + 2] = rep.z;
    } else {
      const dx = vb.x - va.x,
        dy = vb.y - va.y,
        dz = vb.z - va.z;
      const l = Math.hypot(dx, dy, dz);
      if (!(l > 0)) return;
      dir[3 * e] = dx / l;
      dir[3 * e + 1] = dy / l;
      dir[3 * e + 2] = dz / l;
    }
    const p = shape.faceNormals[f1]!,
      q = shape.faceNormals[f2]!;
    n1[3 * e] = p.x;
    n1[3 * e + 1] = p.y;
    n1[3 * e + 2] = p.z;
    n2[3 * e] = q.x;
    n2[3 * e + 1] = q.y;
    n2[3 * e + 2] = q.z;
    n2xn1[3 * e] = q.y * p.z - q.z * p.y;
    n2xn1[3 * e + 1] = q.z * p.x - q.x * p.z;
    n2xn1[3 * e + 2] = q.x * p.y - q.y * p.x;
  }
  edges.set(shape, { count, dir, n1, n2, n2xn1 });
}

/**
 * The edges of a hull whose polygons do not pair up, from the vertices its polygons share.
 * Real reconstructed hulls have two such flaws: a vertex on the line of an edge that only one
 * of the two polygons lists (a T-junction: a-c, c-b on one side, a-b on the other), and a flat
 * side, planar only to ~1e-7 m, kept as two overlapping polygons (`hull.ts` merges triangles
 * into a polygon only within 1e-7 m of the first one's plane). Either way, two polygons on
 * different planes that share two or more vertices meet along the line through them, an edge of
 * the solid between those two faces: each edge of the hull's triangles lies in one polygon of
 * each of its two planes, so none is missed. Every polygon side on that line is listed with
 * the two faces, in the direction cannon-es tests for it (its `uniqueEdges` keep one of nearly
 * parallel sides), so the axes tried are among cannon-es's own; a side listed twice only adds
 * an axis, which never lowers the least overlap.
 */
function edgesBetweenPlanes(shape: CANNON.ConvexPolyhedron): [number, number, number, number][] {
  const facesOf: number[][] = shape.vertices.map(() => []);
  shape.faces.forEach((face, f) => {
    for (const v of new Set(face)) facesOf[v]!.push(f);
  });
  const shared = new Map<number, number>();
  const nf = shape.faces.length;
  facesOf.forEach((fs) => {
    for (let x = 0; x < fs.length; x++)
      for (let y = x + 1; y < fs.length; y++) {
        const key = fs[x]! * nf + fs[y]!;
        shared.set(key, (shared.get(key) ?? 0) + 1);
      }
  });
  const out: [number, number, number, number][] = [];
  const seen = new Set<string>();
  const v = shape.vertices;
  for (const [key, count] of shared) {
    if (count < 2) continue;
    const f1 = Math.floor(key / nf),
      f2 = key % nf;
    const n1 = shape.faceNormals[f1]!,
      n2 = shape.faceNormals[f2]!;
    // one plane twice (a split flat side): no edge between them
    if (n1.dot(n2) > 1 - 1e-12) continue;
    const o1 = n1.dot(v[shape.faces[f1]![0]!]!),
      o2 = n2.dot(v[shape.faces[f2]![0]!]!);
    // the sides of either polygon that lie on both planes
    for (const f of [f1, f2]) {
      const face = shape.faces[f]!;
      for (let k = 0; k < face.length; k++) {
        const a = face[k]!,
          b = face[(k + 1) % face.length]!;
        const on = (i: number) => Math.abs(n1.dot(v[i]!) - o1) < ON_PLANE && Math.abs(n2.dot(v[i]!) - o2) < ON_PLANE;
        if (!on(a) || !on(b)) continue;
        const id = `${Math.min(a, b)},${Math.max(a, b)},${f1},${f2}`;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push([a, b, f1, f2]);
      }
    }
  }
  return out;
}

/** A vertex this close to a face's plane (metres, shape frame) lies on it (flat sides are planar to ~1e-7 m). */
const ON_PLANE = 1e-6;

type FindSeparatingAxis = CANNON.ConvexPolyhedron['findSeparatingAxis'];
// taken off the prototype on purpose: it is only ever called with `.call(shape, …)`
// eslint-disable-next-line @typescript-eslint/unbound-method
const cannonFindSeparatingAxis: FindSeparatingAxis = CANNON.ConvexPolyhedron.prototype.findSeparatingAxis;

/** Rotates n vectors (xyz interleaved) by q into out. */
function rotateAll(q: CANNON.Quaternion, src: Float64Array, out: Float64Array, sign: number): void {
  const { x: qx, y: qy, z: qz, w: qw } = q;
  for (let k = 0; k < src.length; k += 3) {
    const x = src[k]!,
      y = src[k + 1]!,
      z = src[k + 2]!;
    // t = 2 q × v; v' = v + w t + q × t
    const tx = 2 * (qy * z - qz * y),
      ty = 2 * (qz * x - qx * z),
      tz = 2 * (qx * y - qy * x);
    out[k] = sign * (x + qw * tx + (qy * tz - qz * ty));
    out[k + 1] = sign * (y + qw * ty + (qz * tx - qx * tz));
    out[k + 2] = sign * (z + qw * tz + (qx * ty - qy * tx));
  }
}

let scratch = new Float64Array(0);
const faceWorld = new CANNON.Vec3();
const cross = new CANNON.Vec3();
const deltaC = new CANNON.Vec3();

/** Same contract as cannon-es's `findSeparatingAxis` (false when separated; else the axis of least overlap, pointing from B to A). */
function prunedFindSeparatingAxis(
  this: CANNON.ConvexPolyhedron,
  hullB: CANNON.ConvexPolyhedron,
  posA: CANNON.Vec3,
  quatA: CANNON.Quaternion,
  posB: CANNON.Vec3,
  quatB: CANNON.Quaternion,
  target: CANNON.Vec3,
  faceListA?: number[] | null,
  faceListB?: number[] | null,
): boolean {
  const ea = edges.get(this),
    eb = edges.get(hullB);
  if (!ea || !eb || this.uniqueAxes || hullB.uniqueAxes) return cannonFindSeparatingAxis.call(this, hullB, posA, quatA, posB, quatB, target, faceListA, faceListB);
  let dmin = Number.MAX_VALUE;
  // face normals of A, then of B, exactly as cannon-es
  const nfa = faceListA ? faceListA.length : this.faces.length;
  for (let i = 0; i < nfa; i++) {
    const fi = faceListA ? faceListA[i]! : i;
    quatA.vmult(this.faceNormals[fi]!, faceWorld);
    const d = this.testSepAxis(faceWorld, hullB, posA, quatA, posB, quatB);
    if (d === false) return false;
    if (d < dmin) {
      dmin = d;
      target.copy(faceWorld);
    }
  }
  const nfb = faceListB ? faceListB.length : hullB.faces.length;
  for (let i = 0; i < nfb; i++) {
    const fi = faceListB ? faceListB[i]! : i;
    quatB.vmult(hullB.faceNormals[fi]!, faceWorld);
    const d = this.testSepAxis(faceWorld, hullB, posA, quatA, posB, quatB);
    if (d === false) return false;
    if (d < dmin) {
      dmin = d;
      target.copy(faceWorld);
    }
  }
  // edges, in world coordinates: A's as they are, B's normals negated (A − B)
  const na = 3 * ea.count,
    nb = 3 * eb.count;
  const need = 3 * na + 4 * nb;
  if (scratch.length < need) scratch = new Float64Array(need);
  const aDir = scratch.subarray(0, na),
    aN1 = scratch.subarray(na, 2 * na),
    aN2 = scratch.subarray(2 * na, 3 * na);
  const o = 3 * na;
  const bDir = scratch.subarray(o, o + nb),
    bC = scratch.subarray(o + nb, o + 2 * nb),
    bD = scratch.subarray(o + 2 * nb, o + 3 * nb),
    bDxC = scratch.subarray(o + 3 * nb, o + 4 * nb);
  rotateAll(quatA, ea.dir, aDir, 1);
  rotateAll(quatA, ea.n1, aN1, 1);
  rotateAll(quatA, ea.n2, aN2, 1);
  rotateAll(quatB, eb.dir, bDir, 1);
  rotateAll(quatB, eb.n1, bC, -1);
  rotateAll(quatB, eb.n2, bD, -1);
  // (−m2) × (−m1) = m2 × m1
  rotateAll(quatB, eb.n2xn1, bDxC, 1);
  for (let i = 0; i < na; i += 3) {
    const ax = aN1[i]!,
      ay = aN1[i + 1]!,
      az = aN1[i + 2]!;
    const bx = aN2[i]!,
      by = aN2[i + 1]!,
      bz = aN2[i + 2]!;
    // B × A
    const sx = by * az - bz * ay,
      sy = bz * ax - bx * az,
      sz = bx * ay - by * ax;
    const e0x = aDir[i]!,
      e0y = aDir[i + 1]!,
      e0z = aDir[i + 2]!;
    for (let j = 0; j < nb; j += 3) {
      const cba = bC[j]! * sx + bC[j + 1]! * sy + bC[j + 2]! * sz;
      const dba = bD[j]! * sx + bD[j + 1]! * sy + bD[j + 2]! * sz;
      if (cba * dba >= SLACK) continue;
      const tx = bDxC[j]!,
        ty = bDxC[j + 1]!,
        tz = bDxC[j + 2]!;
      const adc = ax * tx + ay * ty + az * tz;
      const bdc = bx * tx + by * ty + bz * tz;
      if (adc * bdc >= SLACK || cba * bdc <= -SLACK) continue;
      const e1x = bDir[j]!,
        e1y = bDir[j + 1]!,
        e1z = bDir[j + 2]!;
      cross.set(e0y * e1z - e0z * e1y, e0z * e1x - e0x * e1z, e0x * e1y - e0y * e1x);
      if (cross.almostZero()) continue;
      cross.normalize();
      const d = this.testSepAxis(cross, hullB, posA, quatA, posB, quatB);
      if (d === false) return false;
      if (d < dmin) {
        dmin = d;
        target.copy(cross);
      }
    }
  }
  posB.vsub(posA, deltaC);
  if (deltaC.dot(target) > 0) target.negate(target);
  return true;
}

let installed = false;
/** Replaces cannon-es's `findSeparatingAxis` (once per process) by the pruned one, for shapes with edge data. */
export function installPrunedSat(): void {
  if (installed) return;
  installed = true;
  CANNON.ConvexPolyhedron.prototype.findSeparatingAxis = prunedFindSeparatingAxis;
}

/** cannon-es's own test, for comparisons. */
export function cannonSat(a: CANNON.ConvexPolyhedron, ...rest: Parameters<FindSeparatingAxis>): boolean {
  return cannonFindSeparatingAxis.call(a, ...rest);
}

/** Whether the pruned test applies to a shape (its edges are indexed), for tests. */
export function hasEdgeData(shape: CANNON.ConvexPolyhedron): boolean {
  return edges.has(shape);
}
