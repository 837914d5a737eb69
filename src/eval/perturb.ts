/**
 * Deliberately wrong poses for physics-repair benchmarks: from a ground-truth scene (objects
 * resting where they should), each movable object gets one seeded error, the kinds a
 * reconstruction makes:
 *  - sink: pushed down into what it rests on (≤ `maxPenetration`);
 *  - push: pushed sideways into its nearest neighbour (penetration ≤ `maxPenetration`);
 *  - float: lifted (≤ `maxFloat`);
 *  - tilt: turned about a random horizontal axis through its centre (≤ `maxTiltDeg`).
 * The kind and amount of every change is recorded in `scene.meta.perturbations`.
 */
import type { Scene, SceneObject } from '../model/scene.ts';
import { quatFromAxisAngle, quatMultiply, quatNormalize, transformPositions, type Vec3 } from '../model/pose.ts';
import type { Rng } from '../geometry/random.ts';
import { defined } from '../model/options.ts';

export interface PerturbOptions {
  maxPenetration?: number;
  maxFloat?: number;
  maxTiltDeg?: number;
  /** Smallest error applied (so every perturbation is visible to the checks). */
  minError?: number;
  /** Fraction of movable objects left untouched. */
  untouched?: number;
  /** A push goes only to a neighbour at most this far away (else the object sinks), metres:
   * the gap closed by a push is displacement no repair can know about, so keep it small. */
  maxPushGap?: number;
}

export const PERTURB_DEFAULTS: Required<PerturbOptions> = {
  maxPenetration: 0.03,
  maxFloat: 0.05,
  maxTiltDeg: 10,
  minError: 0.003,
  untouched: 0,
  maxPushGap: 0.03,
};

export type PerturbationKind = 'sink' | 'push' | 'float' | 'tilt' | 'none';

export interface Perturbation {
  object: string;
  kind: PerturbationKind;
  /** metres (sink, push, float) or degrees (tilt). */
  amount: number;
}

export function perturbScene(scene: Scene, rng: Rng, options: PerturbOptions = {}): Scene {
  const o = { ...PERTURB_DEFAULTS, ...defined(options) };
  const record: Perturbation[] = [];
  const centres = scene.objects.map((ob) => ob.pose.position);
  const objects = scene.objects.map((ob, i): SceneObject => {
    if (ob.isStatic) return ob;
    if (rng.next() < o.untouched) {
      record.push({ object: ob.id, kind: 'none', amount: 0 });
      return ob;
    }
    const kinds: PerturbationKind[] = ['sink', 'push', 'float', 'tilt'];
    const kind = kinds[rng.int(kinds.length)]!;
    const p = ob.pose.position;
    const pose = { position: [...p] as Vec3, orientation: [...ob.pose.orientation] as typeof ob.pose.orientation };
    if (kind === 'sink') {
      const a = rng.range(o.minError, o.maxPenetration);
      pose.position[2] -= a;
      record.push({ object: ob.id, kind, amount: a });
    } else if (kind === 'float') {
      const a = rng.range(o.minError, o.maxFloat);
      pose.position[2] += a;
      record.push({ object: ob.id, kind, amount: a });
    } else if (kind === 'push') {
      // sideways into the nearest neighbour: march until the collision pieces first touch,
      // then go `a` further, so the overlap is real (boxes overestimate round things)
      const a = rng.range(o.minError, o.maxPenetration);
      let done = false;
      const order = centres.map((c, j) => ({ j, d: j === i ? Infinity : Math.hypot(c[0] - p[0], c[1] - p[1]) })).sort((x, y) => x.d - y.d);
      for (const { j, d } of order.slice(0, 2)) {
        if (!Number.isFinite(d) || d < 1e-9) continue;
        const c = centres[j]!;
        const u: Vec3 = [(c[0] - p[0]) / d, (c[1] - p[1]) / d, 0];
        const t = contactDistance(ob, scene.objects[j]!, u, o.maxPushGap);
        if (t === null) continue;
        pose.position[0] += u[0] * (t + a);
        pose.position[1] += u[1] * (t + a);
        record.push({ object: ob.id, kind, amount: a });
        done = true;
        break;
      }
      if (!done) {
        pose.position[2] -= a;
        record.push({ object: ob.id, kind: 'sink', amount: a });
      }
    } else {
      const t = rng.range(0, 2 * Math.PI);
      const deg = rng.range(Math.min(1, o.maxTiltDeg), o.maxTiltDeg);
      const q = quatFromAxisAngle([Math.cos(t), Math.sin(t), 0], (deg * Math.PI) / 180);
      pose.orientation = quatNormalize(quatMultiply(q, pose.orientation));
      record.push({ object: ob.id, kind, amount: deg });
    }
    return { ...ob, pose };
  });
  return { ...scene, objects, meta: { ...(scene.meta ?? {}), perturbations: record } };
}

/** World-space vertices and inward-facing planes of each convex piece of an object. */
function worldPieces(ob: SceneObject): { verts: Float64Array; planes: Float64Array }[] {
  return ob.collision.map((m) => {
    const w = Float64Array.from(transformPositions(ob.pose, m.positions));
    const idx = m.indices;
    const planes = new Float64Array((idx.length / 3) * 4);
    let np = 0;
    for (let t = 0; t < idx.length; t += 3) {
      const a = idx[t]! * 3,
        b = idx[t + 1]! * 3,
        c = idx[t + 2]! * 3;
      const ux = w[b]! - w[a]!,
        uy = w[b + 1]! - w[a + 1]!,
        uz = w[b + 2]! - w[a + 2]!;
      const vx = w[c]! - w[a]!,
        vy = w[c + 1]! - w[a + 1]!,
        vz = w[c + 2]! - w[a + 2]!;
      const nx = uy * vz - uz * vy,
        ny = uz * vx - ux * vz,
        nz = ux * vy - uy * vx;
      const l = Math.hypot(nx, ny, nz);
      if (!(l > 1e-14)) continue;
      planes.set([nx / l, ny / l, nz / l, -(nx * w[a]! + ny * w[a + 1]! + nz * w[a + 2]!) / l], np * 4);
      np++;
    }
    return { verts: w, planes: planes.subarray(0, np * 4) };
  });
}

/** Does any vertex of `a` (shifted by s) lie inside a piece of `b` (or the other way round)? */
function overlapping(a: ReturnType<typeof worldPieces>, b: ReturnType<typeof worldPieces>, s: Vec3): boolean {
  const inside = (x: number, y: number, z: number, planes: Float64Array) => {
    for (let k = 0; k < planes.length; k += 4) if (planes[k]! * x + planes[k + 1]! * y + planes[k + 2]! * z + planes[k + 3]! > 0) return false;
    return planes.length > 0;
  };
  for (const pa of a)
    for (const pb of b) {
      for (let k = 0; k < pa.verts.length; k += 3) if (inside(pa.verts[k]! + s[0], pa.verts[k + 1]! + s[1], pa.verts[k + 2]! + s[2], pb.planes)) return true;
      for (let k = 0; k < pb.verts.length; k += 3) if (inside(pb.verts[k]! - s[0], pb.verts[k + 1]! - s[1], pb.verts[k + 2]! - s[2], pa.planes)) return true;
    }
  return false;
}

/** How far `a` moves along u before its collision pieces touch `b`'s (null: not within maxGap). */
function contactDistance(a: SceneObject, b: SceneObject, u: Vec3, maxGap: number): number | null {
  const pa = worldPieces(a),
    pb = worldPieces(b);
  const at = (t: number) => overlapping(pa, pb, [u[0] * t, u[1] * t, u[2] * t]);
  if (at(0)) return 0;
  const step = 0.002;
  let lo = 0;
  for (let t = step; t <= maxGap + step; t += step) {
    if (at(t)) {
      let hi = t;
      for (let k = 0; k < 12; k++) {
        const mid = (lo + hi) / 2;
        if (at(mid)) hi = mid;
        else lo = mid;
      }
      return hi;
    }
    lo = t;
  }
  return null;
}
