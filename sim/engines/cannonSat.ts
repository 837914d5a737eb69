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
 * prune edge pairs. Call after construction; a shape whose faces do not close up (an edge
 * without exactly two faces) is left to cannon-es's own test.
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
  const count = sides.size;
  const dir = new Float64Array(3 * count),
    n1 = new Float64Array(3 * count),
    n2 = new Float64Array(3 * count),
    n2xn1 = new Float64Array(3 * count);
  let e = 0;
  for (const [key, fs] of sides) {
    if (fs.length !== 2) return;
    const va = shape.vertices[Math.floor(key / nv)]!,
      vb = shape.vertices[key % nv]!;
    const dx = vb.x - va.x,
      dy = vb.y - va.y,
      dz = vb.z - va.z;
    const l = Math.hypot(dx, dy, dz);
    if (!(l > 0)) return;
    dir[3 * e] = dx / l;
    dir[3 * e + 1] = dy / l;
    dir[3 * e + 2] = dz / l;
    const p = shape.faceNormals[fs[0]!]!,
      q = shape.faceNormals[fs[1]!]!;
    n1[3 * e] = p.x;
    n1[3 * e + 1] = p.y;
    n1[3 * e + 2] = p.z;
    n2[3 * e] = q.x;
    n2[3 * e + 1] = q.y;
    n2[3 * e + 2] = q.z;
    n2xn1[3 * e] = q.y * p.z - q.z * p.y;
    n2xn1[3 * e + 1] = q.z * p.x - q.x * p.z;
    n2xn1[3 * e + 2] = q.x * p.y - q.y * p.x;
    e++;
  }
  edges.set(shape, { count, dir, n1, n2, n2xn1 });
}

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
