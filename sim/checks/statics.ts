/**
 * Statics before dynamics: which objects need simulating at all.
 *
 * A rigid body standing on a level support plane, at rest, with its centre of mass over the
 * interior of its contact polygon, is in stable equilibrium: gravity's torque about every edge
 * of the polygon pushes it back, so a simulation could only show it sitting still (or
 * jittering in place). That is decided here from the exact convex geometry (every vertex of
 * every collision piece, float64), in microseconds, instead of seconds of stepping an engine.
 *
 * Neighbours: when every object an object touches also stands on the ground that way, "no force
 * between them" is a valid equilibrium of all of them together (each carries its own weight), so
 * touching side by side does not need simulating either. Everything else — objects on other
 * objects, leaning ones, balls, anything whose centre of mass is near or past the edge of what
 * carries it, pairs interpenetrating more than the tolerance — is simulated, together with what
 * carries it (transitively: its weight changes their equilibrium); neighbours that stand by
 * themselves (side by side, or leaning on it without needing it), and objects near it, are in
 * that simulation as fixed obstacles.
 *
 * The contact polygon is the 2-D hull (in the plane) of the vertices within `band` of the
 * object's lowest point: an object whose base is a little uneven rocks onto those vertices,
 * turning by at most ~band / base width (a fraction of a degree), which no stability threshold
 * counts as movement.
 */
import type { Vec3 } from '../../src/model/pose.ts';
import { rotateVec } from '../../src/model/pose.ts';
import type { SceneObject } from '../../src/model/scene.ts';
import type { CollisionWorld } from '../collision.ts';
import { SUPPORT_NORMAL_Z } from './support.ts';

export interface StaticsOptions {
  /** Objects closer than this are in contact, metres. */
  contact: number;
  /** Vertices within this height of the lowest one form the contact polygon, metres. */
  band: number;
  /** Least distance of the centre of mass inside the contact polygon, metres. */
  margin: number;
  /**
   * Objects (and their pieces) within this distance of a simulated one join the simulation as
   * fixed obstacles, metres: as far as a simulated body may move and still count (the repair
   * limit: a settling ball must find the mug's far wall).
   */
  near: number;
  /** A pair interpenetrating deeper than this is simulated (engines push it apart), metres. */
  penetration: number;
}

export const STATICS_DEFAULTS: StaticsOptions = { contact: 0.002, band: 0.00025, margin: 0.002, near: 0.05, penetration: 0.002 };

/** cos 1°: a support plane tilted more than this lets objects slide; simulate them. */
const LEVEL_COS = Math.cos(Math.PI / 180);

export interface StaticsPlan {
  /** Per object index: stable by statics (not simulated). */
  resting: boolean[];
  /** Object indices simulated as free bodies. */
  simulate: number[];
  /** Object indices added to that simulation as fixed bodies (static objects and near neighbours). */
  fixed: number[];
  /**
   * Per fixed object (same order): the indices of its collision pieces within `near` of a
   * simulated object. The rest cannot be reached without a simulated object moving more than
   * the repair limit, so they are left out of the simulation (less narrow-phase work).
   */
  fixedPieces: number[][];
}

export function planSimulation(world: CollisionWorld, objects: readonly SceneObject[], isStatic: readonly boolean[], options: Partial<StaticsOptions> = {}): StaticsPlan {
  const o = { ...STATICS_DEFAULTS, ...options };
  const n = world.size;
  // object–object contacts within `contact` (exact distance, bounds first)
  // touching pairs, and which neighbour carries the object (it lies beneath: the separating
  // direction from it points up by more than SUPPORT_NORMAL_Z)
  const touching: { j: number; carries: boolean }[][] = Array.from({ length: n }, () => []);
  const deep = new Uint8Array(n);
  const pairs = world.pairs(o.contact) ?? [];
  for (const [i, j] of pairs) {
    if (isStatic[i] && isStatic[j]) continue;
    const d = world.distance(i, j, o.contact);
    if (d && d.distance <= o.contact) {
      // the normal points from j towards i: up means j is beneath i
      touching[i]!.push({ j, carries: d.normal[2] > SUPPORT_NORMAL_Z });
      touching[j]!.push({ j: i, carries: d.normal[2] < -SUPPORT_NORMAL_Z });
      if (-d.distance > o.penetration) deep[i] = deep[j] = 1;
    }
  }
  const resting = Array.from({ length: n }, (_, i) => !isStatic[i] && !deep[i] && restsOnGround(world, objects[i]!, i, o));
  // every movable object that is not resting, with what carries it, transitively (its weight
  // changes their equilibrium); a resting neighbour touched side by side, or one leaning on it
  // that stands by itself, is a fixed obstacle instead
  const inGroup = new Uint8Array(n);
  const stack: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!isStatic[i] && !resting[i]) {
      inGroup[i] = 1;
      stack.push(i);
    }
  }
  while (stack.length > 0) {
    const i = stack.pop()!;
    for (const { j, carries } of touching[i]!) {
      if (inGroup[j] || isStatic[j] || !carries) continue;
      inGroup[j] = 1;
      resting[j] = false;
      stack.push(j);
    }
  }
  const simulate: number[] = [];
  for (let i = 0; i < n; i++) if (inGroup[i]) simulate.push(i);
  const fixed: number[] = [];
  const fixedPieces: number[][] = [];
  if (simulate.length > 0) {
    for (let j = 0; j < n; j++) {
      if (inGroup[j]) continue;
      const bj = world.bounds[j]!;
      if (!simulate.some((i) => near(world.bounds[i]!, bj, o.near))) continue;
      const pieces: number[] = [];
      world.pieceBox[j]!.forEach((pb, k) => {
        if (simulate.some((i) => near(world.bounds[i]!, pb, o.near))) pieces.push(k);
      });
      if (pieces.length === 0) continue;
      fixed.push(j);
      fixedPieces.push(pieces);
    }
  }
  return { resting, simulate, fixed, fixedPieces };
}

function near(a: Float64Array, b: Float64Array, m: number): boolean {
  return a[0]! - m <= b[3]! && b[0]! - m <= a[3]! && a[1]! - m <= b[4]! && b[1]! - m <= a[4]! && a[2]! - m <= b[5]! && b[2]! - m <= a[5]!;
}

/**
 * True when object i stands on the support plane alone with its centre of mass at least
 * `margin` inside its contact polygon, and the plane is level (gravity along its normal).
 */
export function restsOnGround(world: CollisionWorld, object: SceneObject, i: number, o: StaticsOptions): boolean {
  const nrm = world.ground.normal;
  const len = Math.hypot(nrm[0], nrm[1], nrm[2]);
  if (!(nrm[2] / len >= LEVEL_COS)) return false;
  const g = world.groundDistance(i);
  if (!(Math.abs(g) <= o.contact)) return false;
  // plane basis (u, v) and the contact vertices projected on it
  const nz: Vec3 = [nrm[0] / len, nrm[1] / len, nrm[2] / len];
  const ref: Vec3 = Math.abs(nz[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const u = unit(cross(nz, ref));
  const v = cross(nz, u);
  const pts: number[] = [];
  const d = world.ground.d;
  for (const p of world.world[i]!) {
    for (let k = 0; k < p.length; k += 3) {
      const x = p[k]!,
        y = p[k + 1]!,
        z = p[k + 2]!;
      const h = (nz[0] * x + nz[1] * y + nz[2] * z) * len + d;
      if (h > g + o.band) continue;
      pts.push(u[0] * x + u[1] * y + u[2] * z, v[0] * x + v[1] * y + v[2] * z);
    }
  }
  const poly = hull2d(pts);
  if (poly.length < 6) return false; // fewer than three corners: a point or an edge carries it
  const c = rotateVec(world.poses[i]!.orientation, object.centerOfMass);
  const t = world.poses[i]!.position;
  const com: Vec3 = [c[0] + t[0], c[1] + t[1], c[2] + t[2]];
  return insideDistance(poly, u[0] * com[0] + u[1] * com[1] + u[2] * com[2], v[0] * com[0] + v[1] * com[1] + v[2] * com[2]) >= o.margin;
}

const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const unit = (a: Vec3): Vec3 => {
  const l = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / l, a[1] / l, a[2] / l];
};

/** 2-D convex hull (Andrew's monotone chain) of xy-interleaved points, counter-clockwise, xy-interleaved. */
export function hull2d(xy: readonly number[]): number[] {
  const n = xy.length / 2;
  const idx = Array.from({ length: n }, (_, k) => k).sort((a, b) => xy[2 * a]! - xy[2 * b]! || xy[2 * a + 1]! - xy[2 * b + 1]!);
  const turn = (o: number, a: number, b: number) => (xy[2 * a]! - xy[2 * o]!) * (xy[2 * b + 1]! - xy[2 * o + 1]!) - (xy[2 * a + 1]! - xy[2 * o + 1]!) * (xy[2 * b]! - xy[2 * o]!);
  const lower: number[] = [],
    upper: number[] = [];
  for (const k of idx) {
    while (lower.length >= 2 && turn(lower[lower.length - 2]!, lower[lower.length - 1]!, k) <= 1e-18) lower.pop();
    lower.push(k);
  }
  for (let s = idx.length - 1; s >= 0; s--) {
    const k = idx[s]!;
    while (upper.length >= 2 && turn(upper[upper.length - 2]!, upper[upper.length - 1]!, k) <= 1e-18) upper.pop();
    upper.push(k);
  }
  const ring = [...lower.slice(0, -1), ...upper.slice(0, -1)];
  return ring.flatMap((k) => [xy[2 * k]!, xy[2 * k + 1]!]);
}

/** Distance of (x, y) inside a counter-clockwise convex polygon (negative outside). */
export function insideDistance(poly: readonly number[], x: number, y: number): number {
  const m = poly.length / 2;
  let best = Infinity;
  for (let k = 0; k < m; k++) {
    const ax = poly[2 * k]!,
      ay = poly[2 * k + 1]!;
    const bx = poly[(2 * k + 2) % poly.length]!,
      by = poly[(2 * k + 3) % poly.length]!;
    const ex = bx - ax,
      ey = by - ay;
    const l = Math.hypot(ex, ey);
    if (!(l > 0)) continue;
    // left of the edge = inside for a counter-clockwise polygon
    const s = (ex * (y - ay) - ey * (x - ax)) / l;
    if (s < best) best = s;
  }
  return best;
}
