/**
 * The exact-geometry view of a scene used by the checks and the repair: every object's convex
 * pieces posed in the world (float64), with bounds, a sweep-and-prune broad phase, object–object
 * signed distance (min over piece pairs, GJK/EPA), ground distance and a vertical drop search.
 *
 * Layout: `world[i][k]` is Float64Array xyz-interleaved world vertices of piece k of object i;
 * `bounds[i]` is Float64Array [minx, miny, minz, maxx, maxy, maxz] of object i (all pieces).
 */
import type { Plane, SceneObject } from '../src/model/scene.ts';
import { quatToMat3, type Pose, type Vec3 } from '../src/model/pose.ts';
import { pieceBounds, signedDistance, type SignedDistance } from './convex.ts';

export interface PairDistance extends SignedDistance {
  i: number;
  j: number;
}

export class CollisionWorld {
  readonly local: Float64Array[][];
  readonly poses: Pose[];
  readonly world: Float64Array[][] = [];
  readonly pieceBox: Float64Array[][] = [];
  readonly bounds: Float64Array[] = [];
  readonly ground: Plane;
  /** Narrow-phase piece pairs evaluated so far (the checks' work budget counts these). */
  pieceQueries = 0;

  constructor(objects: readonly SceneObject[], ground?: Plane) {
    this.local = objects.map((o) => o.collision.map((m) => Float64Array.from(m.positions)));
    this.poses = objects.map((o) => ({ position: [...o.pose.position], orientation: [...o.pose.orientation] }));
    this.ground = ground ?? { normal: [0, 0, 1], d: 0 };
    for (let i = 0; i < objects.length; i++) this.update(i);
  }

  get size(): number {
    return this.local.length;
  }

  setPose(i: number, pose: Pose): void {
    this.poses[i] = { position: [...pose.position], orientation: [...pose.orientation] };
    this.update(i);
  }

  translate(i: number, d: Vec3): void {
    const p = this.poses[i]!;
    this.setPose(i, { position: [p.position[0] + d[0], p.position[1] + d[1], p.position[2] + d[2]], orientation: p.orientation });
  }

  private update(i: number): void {
    const pose = this.poses[i]!;
    const r = quatToMat3(pose.orientation);
    const [tx, ty, tz] = pose.position;
    const box = new Float64Array([Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity]);
    const pieces: Float64Array[] = [];
    const boxes: Float64Array[] = [];
    for (const loc of this.local[i]!) {
      const w = new Float64Array(loc.length);
      for (let k = 0; k < loc.length; k += 3) {
        const x = loc[k]!,
          y = loc[k + 1]!,
          z = loc[k + 2]!;
        w[k] = r[0]! * x + r[1]! * y + r[2]! * z + tx;
        w[k + 1] = r[3]! * x + r[4]! * y + r[5]! * z + ty;
        w[k + 2] = r[6]! * x + r[7]! * y + r[8]! * z + tz;
      }
      const b = pieceBounds(w);
      for (let k = 0; k < 3; k++) {
        box[k] = Math.min(box[k]!, b[k]!);
        box[k + 3] = Math.max(box[k + 3]!, b[k + 3]!);
      }
      pieces.push(w);
      boxes.push(b);
    }
    this.world[i] = pieces;
    this.pieceBox[i] = boxes;
    this.bounds[i] = box;
  }

  /** Pairs (i < j) whose bounds, grown by `margin`, overlap (sweep and prune on x). */
  pairs(margin: number, limit = Infinity): [number, number][] | null {
    const order = [...this.bounds.keys()].sort((a, b) => this.bounds[a]![0]! - this.bounds[b]![0]!);
    const out: [number, number][] = [];
    for (let s = 0; s < order.length; s++) {
      const i = order[s]!;
      const bi = this.bounds[i]!;
      for (let t = s + 1; t < order.length; t++) {
        const j = order[t]!;
        const bj = this.bounds[j]!;
        if (bj[0]! > bi[3]! + margin) break;
        if (overlaps(bi, bj, margin)) {
          out.push(i < j ? [i, j] : [j, i]);
          if (out.length > limit) return null;
        }
      }
    }
    return out;
  }

  /** Signed distance between objects i and j: the deepest (or nearest) piece pair. */
  distance(i: number, j: number, margin = Infinity, offset: Vec3 = [0, 0, 0]): PairDistance | null {
    let best: PairDistance | null = null;
    const pi = this.world[i]!,
      pj = this.world[j]!;
    for (let a = 0; a < pi.length; a++) {
      const ba = shifted(this.pieceBox[i]![a]!, offset);
      for (let b = 0; b < pj.length; b++) {
        if (Number.isFinite(margin) && !overlaps(ba, this.pieceBox[j]![b]!, margin)) continue;
        this.pieceQueries++;
        const r = signedDistance(pi[a]!, pj[b]!, offset);
        if (!best || r.distance < best.distance) best = { ...r, i, j };
      }
    }
    return best;
  }

  /**
   * The nearest piece pair of i and j (within `tolerance`) in which j lies beneath i (the
   * direction from j to i points up by more than `minNormalZ`), or null. A ball in a mug touches
   * the wall sideways and the bottom from below: only the bottom carries it.
   */
  supportContact(i: number, j: number, tolerance: number, minNormalZ: number): PairDistance | null {
    let best: PairDistance | null = null;
    const pi = this.world[i]!,
      pj = this.world[j]!;
    for (let a = 0; a < pi.length; a++) {
      for (let b = 0; b < pj.length; b++) {
        if (!overlaps(this.pieceBox[i]![a]!, this.pieceBox[j]![b]!, tolerance)) continue;
        this.pieceQueries++;
        const r = signedDistance(pi[a]!, pj[b]!);
        if (r.distance > tolerance || r.normal[2] <= minNormalZ) continue;
        if (!best || r.distance < best.distance) best = { ...r, i, j };
      }
    }
    return best;
  }

  /** Signed distance of object i above the support plane (negative = below it). */
  groundDistance(i: number, dz = 0): number {
    const n = this.ground.normal;
    let min = Infinity;
    for (const p of this.world[i]!) {
      for (let k = 0; k < p.length; k += 3) {
        const s = n[0] * p[k]! + n[1] * p[k + 1]! + n[2] * (p[k + 2]! + dz) + this.ground.d;
        if (s < min) min = s;
      }
    }
    return min;
  }

  /**
   * How far object i can drop straight down (−z) before touching object j, by conservative
   * advancement (each step is the current gap, so it never overshoots). Infinity when j is not
   * below i within `maxDrop`. Used for floating objects: the gap is what a drop would close.
   */
  dropDistance(i: number, j: number, maxDrop: number, tolerance = 1e-5): number {
    const bi = this.bounds[i]!,
      bj = this.bounds[j]!;
    // j must overlap i in x/y and reach below i's top
    if (bi[0]! > bj[3]! || bj[0]! > bi[3]! || bi[1]! > bj[4]! || bj[1]! > bi[4]! || bj[2]! > bi[5]!) return Infinity;
    let t = 0;
    for (let it = 0; it < 60; it++) {
      const d = this.distance(i, j, maxDrop, [0, 0, -t]);
      if (!d) return Infinity;
      if (d.distance <= tolerance) return it === 0 ? d.distance : t;
      if (d.normal[2] <= 0.05 && it > 0) return Infinity;
      t += d.distance;
      if (t > maxDrop) return Infinity;
    }
    return Infinity;
  }
}

function overlaps(a: Float64Array, b: Float64Array, m: number): boolean {
  return a[0]! - m <= b[3]! && b[0]! - m <= a[3]! && a[1]! - m <= b[4]! && b[1]! - m <= a[4]! && a[2]! - m <= b[5]! && b[2]! - m <= a[5]!;
}

function shifted(b: Float64Array, o: Vec3): Float64Array {
  if (o[0] === 0 && o[1] === 0 && o[2] === 0) return b;
  return new Float64Array([b[0]! + o[0], b[1]! + o[1], b[2]! + o[2], b[3]! + o[0], b[4]! + o[1], b[5]! + o[2]]);
}
