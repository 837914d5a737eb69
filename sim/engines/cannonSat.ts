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
 * Of the axes left, most need no projection either: a lower bound on an axis's overlap comes
 * from each hull's own extent along its own face normals (fixed per shape) and a ball about
 * the other hull's origin that it contains, and an axis whose bound exceeds an overlap already
 * found can be neither the least one nor separating. The axis that decided the previous call
 * for the pair is tested first (poses change little between steps), which makes that overlap
 * tight from the start and settles a pair that is still apart after one projection. Skipped
 * axes never change the answer, so contacts and poses are bit-identical to the loop without
 * them. Edge data is rotated into the world only when an edge axis is needed. On osd_mosd
 * test55 (5 bodies for 1.25 s) the seed settled 88 % of the calls (pairs still apart) with one
 * projection, and 65 % of the face axes and 54 % of the edge axes that pass the arc test were
 * skipped: the warm stability run went from 292–331 to 234–244 ms CPU (minimum of 5 runs,
 * three rounds, loaded 2-core machine).
 *
 * The arc test itself ran for every edge pair (~11 000 per call on test55's pieces, under 2 %
 * passing). The edges are therefore kept in groups of four with nearby arcs, each group inside
 * a cap of the Gauss map (`groupArcs`), and a pair of groups whose caps do not meet is passed
 * over whole: 2.7× fewer pairs reach the arc test. Pairs it drops are ones that cannot cross;
 * the only ones the arc test would have kept are degenerate (an endpoint on the other arc's
 * great circle, within SLACK), whose axes repeat a face normal: contacts and poses then differ
 * from the ungrouped loop by rounding only (≤ 3e-16 m on the real frames). Validate + repair of
 * osd_mosd test55 here, cannon only, warm: 720–950 → 510–570 ms (alternating processes).
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
  /** A point of each edge (its first vertex), shape frame. */
  pt: Float64Array;
  /** Per face: the largest and smallest `n · v` over the vertices, n its normal (shape frame). */
  maxOwn: Float64Array;
  minOwn: Float64Array;
  /** Radius of a ball about the shape's origin that the hull contains (0 when none is sure). */
  inradius: number;
  /**
   * The edges in groups of neighbouring Gauss-map arcs (`groupArcs`): group g is edges
   * start[g] … start[g + 1] − 1, its arcs all within a cap about `axis` (unit, shape frame) of
   * angular radius θ (cos θ, sin θ given); `wide` groups (θ ≥ 90°, where a cap is no longer
   * convex) are never culled.
   */
  groups: { count: number; start: Int32Array; axis: Float64Array; cos: Float64Array; sin: Float64Array; wide: Uint8Array };
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
  const grouped = groupArcs(
    list.map(([, , f1, f2]) => [shape.faceNormals[f1]!, shape.faceNormals[f2]!]),
    GROUP_SIZE,
  );
  list = grouped.order.map((e) => list[e]!);
  const count = list.length;
  const dir = new Float64Array(3 * count),
    n1 = new Float64Array(3 * count),
    n2 = new Float64Array(3 * count),
    n2xn1 = new Float64Array(3 * count),
    pt = new Float64Array(3 * count);
  const side = new CANNON.Vec3();
  for (let e = 0; e < count; e++) {
    const [a, b, f1, f2] = list[e]!;
    const va = shape.vertices[a]!,
      vb = shape.vertices[b]!;
    pt[3 * e] = va.x;
    pt[3 * e + 1] = va.y;
    pt[3 * e + 2] = va.z;
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
  edges.set(shape, { count, dir, n1, n2, n2xn1, pt, ...ownExtents(shape), groups: grouped.groups });
}

/** Edges per group of arcs: small groups make tight caps; the cap tests grow as 1 / size². */
const GROUP_SIZE = 4;
/** Caps are widened by this much (radians): a pair the arc test keeps is never culled by rounding. */
const CAP_MARGIN = 1e-6;

/**
 * Orders arcs (pairs of unit face normals) into groups of at most `size` with nearby midpoints,
 * by halving along the coordinate of widest spread, and gives each group's cap: the normalised
 * sum of its endpoints and the largest angle from it to any endpoint. Two arcs can cross only
 * when their groups' caps meet (a cap under 90° is convex on the sphere, so it holds the arc
 * between two of its points), which `prunedFindSeparatingAxis` tests with one dot product per
 * pair of groups instead of the arc test per pair of edges.
 */
export function groupArcs(arcs: readonly (readonly [CANNON.Vec3, CANNON.Vec3])[], size: number): { order: number[]; groups: EdgeData['groups'] } {
  const mid = arcs.map(([a, b]) => [a.x + b.x, a.y + b.y, a.z + b.z] as const);
  const order: number[] = [];
  const starts: number[] = [];
  const split = (ids: number[]) => {
    if (ids.length <= size) {
      starts.push(order.length);
      order.push(...ids);
      return;
    }
    let axis = 0,
      widest = -1;
    for (let c = 0; c < 3; c++) {
      let lo = Infinity,
        hi = -Infinity;
      for (const e of ids) {
        lo = Math.min(lo, mid[e]![c]!);
        hi = Math.max(hi, mid[e]![c]!);
      }
      if (hi - lo > widest) {
        widest = hi - lo;
        axis = c;
      }
    }
    const sorted = [...ids].sort((x, y) => mid[x]![axis]! - mid[y]![axis]! || x - y);
    const half = sorted.length >> 1;
    split(sorted.slice(0, half));
    split(sorted.slice(half));
  };
  if (arcs.length > 0) split(arcs.map((_, e) => e));
  const count = starts.length;
  const start = new Int32Array(count + 1);
  const axis = new Float64Array(3 * count),
    cos = new Float64Array(count),
    sin = new Float64Array(count),
    wide = new Uint8Array(count);
  starts.forEach((s0, g) => {
    const s1 = g + 1 < count ? starts[g + 1]! : order.length;
    start[g] = s0;
    let x = 0,
      y = 0,
      z = 0;
    for (let k = s0; k < s1; k++)
      for (const n of arcs[order[k]!]!) {
        x += n.x;
        y += n.y;
        z += n.z;
      }
    const l = Math.hypot(x, y, z);
    let theta = Math.PI;
    if (l > 1e-9) {
      x /= l;
      y /= l;
      z /= l;
      theta = 0;
      for (let k = s0; k < s1; k++) for (const n of arcs[order[k]!]!) theta = Math.max(theta, Math.acos(Math.max(-1, Math.min(1, (x * n.x + y * n.y + z * n.z) / (Math.hypot(n.x, n.y, n.z) || 1)))));
      theta += CAP_MARGIN;
    }
    axis[3 * g] = x;
    axis[3 * g + 1] = y;
    axis[3 * g + 2] = z;
    wide[g] = theta >= Math.PI / 2 ? 1 : 0;
    cos[g] = Math.cos(theta);
    sin[g] = Math.sin(theta);
  });
  start[count] = order.length;
  return { order, groups: { count, start, axis, cos, sin, wide } };
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

/**
 * What `prunedFindSeparatingAxis` bounds overlaps with: the hull's own extent along each of its
 * face normals (what cannon-es's projection would find, in the shape frame) and the radius of a
 * ball about the origin inside it. The origin is the mean of the vertices (`cannon.ts` centres
 * every piece), so it lies inside; each polygon's plane, at its nearest vertex less a margin
 * for polygons that are flat only to ~1e-7 m, bounds the ball.
 */
function ownExtents(shape: CANNON.ConvexPolyhedron): Pick<EdgeData, 'maxOwn' | 'minOwn' | 'inradius'> {
  const nf = shape.faces.length;
  const maxOwn = new Float64Array(nf),
    minOwn = new Float64Array(nf);
  let inradius = Infinity;
  shape.faces.forEach((face, f) => {
    const n = shape.faceNormals[f]!;
    let hi = -Infinity,
      lo = Infinity;
    for (const v of shape.vertices) {
      const x = v.dot(n);
      if (x > hi) hi = x;
      if (x < lo) lo = x;
    }
    maxOwn[f] = hi;
    minOwn[f] = lo;
    for (const i of face) inradius = Math.min(inradius, shape.vertices[i]!.dot(n));
  });
  inradius = 0.99 * inradius - 1e-6;
  return { maxOwn, minOwn, inradius: Number.isFinite(inradius) && inradius > 0 ? inradius : 0 };
}

/** A vertex this close to a face's plane (metres, shape frame) lies on it (flat sides are planar to ~1e-7 m). */
const ON_PLANE = 1e-6;

type FindSeparatingAxis = CANNON.ConvexPolyhedron['findSeparatingAxis'];
// taken off the prototype on purpose: it is only ever called with `.call(shape, …)`
// eslint-disable-next-line @typescript-eslint/unbound-method
const cannonFindSeparatingAxis: FindSeparatingAxis = CANNON.ConvexPolyhedron.prototype.findSeparatingAxis;

/** Rotates n vectors (xyz interleaved) by q into out. */
function rotateAll(q: CANNON.Quaternion, src: Float64Array, out: Float64Array, at: number, sign: number): void {
  const { x: qx, y: qy, z: qz, w: qw } = q;
  for (let k = 0, o = at; k < src.length; k += 3, o += 3) {
    const x = src[k]!,
      y = src[k + 1]!,
      z = src[k + 2]!;
    // t = 2 q × v; v' = v + w t + q × t
    const tx = 2 * (qy * z - qz * y),
      ty = 2 * (qz * x - qx * z),
      tz = 2 * (qx * y - qy * x);
    out[o] = sign * (x + qw * tx + (qy * tz - qz * ty));
    out[o + 1] = sign * (y + qw * ty + (qz * tx - qx * tz));
    out[o + 2] = sign * (z + qw * tz + (qx * ty - qy * tx));
  }
}

let scratch = new Float64Array(0);
/** Per pair of shapes: the face axis (index in A's then B's list) of least overlap last time. */
const seeds = new WeakMap<CANNON.ConvexPolyhedron, WeakMap<CANNON.ConvexPolyhedron, number>>();
/**
 * An axis is skipped only when its overlap bound beats the one found by this much (metres): far
 * above the rounding of the projections (~1e-17 m), so a skipped axis is never the least one.
 */
const BOUND_MARGIN = 1e-9;
const faceWorld = new CANNON.Vec3();
const cross = new CANNON.Vec3();
const seedAxis = new CANNON.Vec3();
const deltaC = new CANNON.Vec3();

/**
 * The edge data of A and B rotated into the world, in `scratch` (no allocation per call): A's
 * directions, n1, n2 and points at 0, na, 2 na, 3 na; B's directions, −m1, −m2, m2 × m1 and
 * points at 4 na + 0, nb, 2 nb, 3 nb, 4 nb (na, nb: 3 × edge counts).
 */
function rotateEdges(ea: EdgeData, quatA: CANNON.Quaternion, eb: EdgeData, quatB: CANNON.Quaternion): Float64Array {
  const na = 3 * ea.count,
    nb = 3 * eb.count;
  if (scratch.length < 4 * na + 5 * nb) scratch = new Float64Array(4 * na + 5 * nb);
  const w = scratch;
  rotateAll(quatA, ea.dir, w, 0, 1);
  rotateAll(quatA, ea.n1, w, na, 1);
  rotateAll(quatA, ea.n2, w, 2 * na, 1);
  rotateAll(quatA, ea.pt, w, 3 * na, 1);
  const o = 4 * na;
  rotateAll(quatB, eb.dir, w, o, 1);
  rotateAll(quatB, eb.n1, w, o + nb, -1);
  rotateAll(quatB, eb.n2, w, o + 2 * nb, -1);
  // (−m2) × (−m1) = m2 × m1
  rotateAll(quatB, eb.n2xn1, w, o + 3 * nb, 1);
  rotateAll(quatB, eb.pt, w, o + 4 * nb, 1);
  return w;
}

let capScratch = new Float64Array(0);
/** B's groups whose caps meet the current group of A's (`prunedFindSeparatingAxis`). */
let meeting = new Int32Array(0);
/** Rounding allowance of the cap test's dot products (the caps carry `CAP_MARGIN` besides). */
const CAP_SLACK = 1e-12;

/** A's cap axes in the world at 0, B's negated (the arcs tested are −m1 … −m2) at 3 · A's count. */
function rotateCaps(ga: EdgeData['groups'], quatA: CANNON.Quaternion, gb: EdgeData['groups'], quatB: CANNON.Quaternion): Float64Array {
  const need = 3 * (ga.count + gb.count);
  if (capScratch.length < need) capScratch = new Float64Array(need);
  rotateAll(quatA, ga.axis, capScratch, 0, 1);
  rotateAll(quatB, gb.axis, capScratch, 3 * ga.count, -1);
  return capScratch;
}

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
  const nfa = faceListA ? faceListA.length : this.faces.length;
  const nfb = faceListB ? faceListB.length : hullB.faces.length;
  const na = 3 * ea.count,
    nb = 3 * eb.count;
  // edge data in the world (`rotateEdges`), only once an edge axis is needed: most pairs that
  // are apart are settled by a face axis first
  let w: Float64Array | null = null;

  // Axes are skipped whose overlap provably exceeds one already found (`bound`): such an axis
  // is not the least one (nor does it separate the hulls: a separating axis has a negative
  // bound), so the result is cannon-es's. The bound along an axis n comes without projecting:
  // each hull's own extent along its own face normals, and for the other hull the ball about
  // its origin that it contains. The axis that decided the previous call for this pair (least
  // overlap, or separation) is tested first: contacts change little from step to step, so the
  // bound is tight from the start, and a pair still apart is done after one projection.
  const dx = posB.x - posA.x,
    dy = posB.y - posA.y,
    dz = posB.z - posA.z;
  const rA = ea.inradius,
    rB = eb.inradius;
  let pairSeeds = seeds.get(this);
  if (!pairSeeds) seeds.set(this, (pairSeeds = new WeakMap()));
  const seed = pairSeeds.get(hullB);
  let bound = Number.MAX_VALUE;
  if (seed !== undefined) {
    // axis `seed` of cannon-es's list, computed exactly as the loops below do: A's face normals,
    // then B's, then edge pair (i, j) as nfa + nfb + i · count_B + j (only if the arc test
    // still keeps it, i.e. it is on this call's list)
    let listed = true;
    if (seed < nfa) quatA.vmult(this.faceNormals[faceListA ? faceListA[seed]! : seed]!, seedAxis);
    else if (seed < nfa + nfb) quatB.vmult(hullB.faceNormals[faceListB ? faceListB[seed - nfa]! : seed - nfa]!, seedAxis);
    else {
      const e = seed - nfa - nfb;
      const i = 3 * Math.floor(e / eb.count),
        j = 3 * (e % eb.count);
      if (i < na) {
        w = rotateEdges(ea, quatA, eb, quatB);
        listed = edgeAxis(w, na, i, 4 * na, nb, j, seedAxis);
      } else listed = false;
    }
    if (listed) {
      const d = this.testSepAxis(seedAxis, hullB, posA, quatA, posB, quatB);
      if (d === false) return false;
      bound = d;
    }
  }
  let dmin = Number.MAX_VALUE;
  let won = -1;
  // face normals of A, then of B, in cannon-es's order
  for (let i = 0; i < nfa; i++) {
    const fi = faceListA ? faceListA[i]! : i;
    quatA.vmult(this.faceNormals[fi]!, faceWorld);
    const c = faceWorld.x * dx + faceWorld.y * dy + faceWorld.z * dz;
    // maxA − minB ≥ maxOwn − c + rB, maxB − minA ≥ c − minOwn + rB
    if (Math.min(ea.maxOwn[fi]! - c, c - ea.minOwn[fi]!) + rB > Math.min(dmin, bound) + BOUND_MARGIN) continue;
    const d = this.testSepAxis(faceWorld, hullB, posA, quatA, posB, quatB);
    if (d === false) {
      pairSeeds.set(hullB, i);
      return false;
    }
    if (d < dmin) {
      dmin = d;
      won = i;
      target.copy(faceWorld);
    }
  }
  for (let i = 0; i < nfb; i++) {
    const fi = faceListB ? faceListB[i]! : i;
    quatB.vmult(hullB.faceNormals[fi]!, faceWorld);
    const c = faceWorld.x * dx + faceWorld.y * dy + faceWorld.z * dz;
    // maxA − minB ≥ rA − c − minOwn, maxB − minA ≥ c + maxOwn + rA
    if (Math.min(-c - eb.minOwn[fi]!, c + eb.maxOwn[fi]!) + rA > Math.min(dmin, bound) + BOUND_MARGIN) continue;
    const d = this.testSepAxis(faceWorld, hullB, posA, quatA, posB, quatB);
    if (d === false) {
      pairSeeds.set(hullB, nfa + i);
      return false;
    }
    if (d < dmin) {
      dmin = d;
      won = nfa + i;
      target.copy(faceWorld);
    }
  }
  // edges: the arc test of `edgeAxis`, inlined (the inner loop runs once per edge pair whose
  // groups' caps meet: arcs of groups whose caps do not meet cannot cross)
  w ??= rotateEdges(ea, quatA, eb, quatB);
  const ga = ea.groups,
    gb = eb.groups;
  const caps = rotateCaps(ga, quatA, gb, quatB);
  const oGb = 3 * ga.count;
  if (meeting.length < gb.count) meeting = new Int32Array(gb.count);
  const oB = 4 * na;
  for (let p = 0; p < ga.count; p++) {
    // B's groups whose (negated) caps meet this group's cap, in order
    let m = 0;
    const px = caps[3 * p]!,
      py = caps[3 * p + 1]!,
      pz = caps[3 * p + 2]!;
    const cp = ga.cos[p]!,
      sp = ga.sin[p]!,
      wideP = ga.wide[p] === 1;
    for (let q = 0; q < gb.count; q++) {
      // angle(axis_p, axis_q) ≤ θp + θq ⇔ cos(angle) ≥ cos(θp + θq) (both caps under 90°)
      if (wideP || gb.wide[q] === 1 || px * caps[oGb + 3 * q]! + py * caps[oGb + 3 * q + 1]! + pz * caps[oGb + 3 * q + 2]! >= cp * gb.cos[q]! - sp * gb.sin[q]! - CAP_SLACK) meeting[m++] = q;
    }
    if (m === 0) continue;
    for (let i = 3 * ga.start[p]!; i < 3 * ga.start[p + 1]!; i += 3) {
      const ax = w[na + i]!,
        ay = w[na + i + 1]!,
        az = w[na + i + 2]!;
      const bx = w[2 * na + i]!,
        by = w[2 * na + i + 1]!,
        bz = w[2 * na + i + 2]!;
      // B × A
      const sx = by * az - bz * ay,
        sy = bz * ax - bx * az,
        sz = bx * ay - by * ax;
      const e0x = w[i]!,
        e0y = w[i + 1]!,
        e0z = w[i + 2]!;
      const pax = w[3 * na + i]!,
        pay = w[3 * na + i + 1]!,
        paz = w[3 * na + i + 2]!;
      for (let r = 0; r < m; r++) {
        const q = meeting[r]!;
        const jEnd = 3 * gb.start[q + 1]!;
        for (let j = 3 * gb.start[q]!; j < jEnd; j += 3) {
          const c = oB + nb + j,
            d2 = oB + 2 * nb + j;
          const cba = w[c]! * sx + w[c + 1]! * sy + w[c + 2]! * sz;
          const dba = w[d2]! * sx + w[d2 + 1]! * sy + w[d2 + 2]! * sz;
          if (cba * dba >= SLACK) continue;
          const t = oB + 3 * nb + j;
          const tx = w[t]!,
            ty = w[t + 1]!,
            tz = w[t + 2]!;
          const adc = ax * tx + ay * ty + az * tz;
          const bdc = bx * tx + by * ty + bz * tz;
          if (adc * bdc >= SLACK || cba * bdc <= -SLACK) continue;
          const e1x = w[oB + j]!,
            e1y = w[oB + j + 1]!,
            e1z = w[oB + j + 2]!;
          cross.set(e0y * e1z - e0z * e1y, e0z * e1x - e0x * e1z, e0x * e1y - e0y * e1x);
          if (cross.almostZero()) continue;
          cross.normalize();
          // maxA − minB ≥ −X and maxB − minA ≥ X, X = u · (posB + b − posA − a) for points a, b of
          // the two edges (tight when the edges carry the supports: a face of A − B near the
          // origin); with the balls, maxA − minB ≥ rA + rB − u · (posB − posA), maxB − minA ≥ … + …
          const pb = oB + 4 * nb + j;
          const ud = cross.x * dx + cross.y * dy + cross.z * dz;
          const x = ud + cross.x * (w[pb]! - pax) + cross.y * (w[pb + 1]! - pay) + cross.z * (w[pb + 2]! - paz);
          if (Math.min(Math.max(-x, rA + rB - ud), Math.max(x, ud + rA + rB)) > Math.min(dmin, bound) + BOUND_MARGIN) continue;
          const d = this.testSepAxis(cross, hullB, posA, quatA, posB, quatB);
          const k = nfa + nfb + (i / 3) * eb.count + j / 3;
          if (d === false) {
            pairSeeds.set(hullB, k);
            return false;
          }
          if (d < dmin) {
            dmin = d;
            won = k;
            target.copy(cross);
          }
        }
      }
    }
  }
  if (won >= 0) pairSeeds.set(hullB, won);
  posB.vsub(posA, deltaC);
  if (deltaC.dot(target) > 0) target.negate(target);
  return true;
}

/**
 * Edge i of A against edge j of B (offsets into A's and B's rotated data in `w`, see
 * `rotateEdges`: A's at 0, B's at oB): false when their arcs do not cross on the Gauss map (no
 * face of the Minkowski difference) or they are parallel; else the unit axis e_A × e_B in
 * `out`. The same arithmetic as the loop in `prunedFindSeparatingAxis`, so the same axis bits.
 */
function edgeAxis(w: Float64Array, na: number, i: number, oB: number, nb: number, j: number, out: CANNON.Vec3): boolean {
  const ax = w[na + i]!,
    ay = w[na + i + 1]!,
    az = w[na + i + 2]!;
  const bx = w[2 * na + i]!,
    by = w[2 * na + i + 1]!,
    bz = w[2 * na + i + 2]!;
  // B × A
  const sx = by * az - bz * ay,
    sy = bz * ax - bx * az,
    sz = bx * ay - by * ax;
  const c = oB + nb + j,
    d2 = oB + 2 * nb + j;
  const cba = w[c]! * sx + w[c + 1]! * sy + w[c + 2]! * sz;
  const dba = w[d2]! * sx + w[d2 + 1]! * sy + w[d2 + 2]! * sz;
  if (cba * dba >= SLACK) return false;
  const t = oB + 3 * nb + j;
  const tx = w[t]!,
    ty = w[t + 1]!,
    tz = w[t + 2]!;
  const adc = ax * tx + ay * ty + az * tz;
  const bdc = bx * tx + by * ty + bz * tz;
  if (adc * bdc >= SLACK || cba * bdc <= -SLACK) return false;
  const e0x = w[i]!,
    e0y = w[i + 1]!,
    e0z = w[i + 2]!;
  const e1x = w[oB + j]!,
    e1y = w[oB + j + 1]!,
    e1z = w[oB + j + 2]!;
  out.set(e0y * e1z - e0z * e1y, e0z * e1x - e0x * e1z, e0x * e1y - e0y * e1x);
  if (out.almostZero()) return false;
  out.normalize();
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
