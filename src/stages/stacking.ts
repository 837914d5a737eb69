import { convexHull2d } from './footprint.ts';

/**
 * What each object stands on, from the measured points alone (world frame, z up, support at
 * z = 0): an object rests on another when most of its footprint lies over the other's (or the other's under it: a pillar) and
 * its lowest points are no lower than the other's top. Its completion then extrudes down to
 * that top, not through the object below to the table.
 *
 * Returns object id → the height of the surface under it, for objects resting on another
 * (objects on the support are absent).
 */
export function restingHeights(objects: readonly { id: number; world?: Float32Array }[], opts: StackOptions = {}): Map<number, number> {
  return new Map([...restingSupports(objects, opts)].map(([id, r]) => [id, r.height]));
}

export interface StackOptions {
  minOverlap?: number;
  tolerance?: number;
  margin?: number;
}

/** What an object rests on: the surface height under it and the object that surface belongs to. */
export interface RestingSupport {
  height: number;
  on: number;
}

/** `restingHeights` with the supporting object's id (the highest surface under each object wins). */
export function restingSupports(objects: readonly { id: number; world?: Float32Array }[], opts: StackOptions = {}): Map<number, RestingSupport> {
  const minOverlap = opts.minOverlap ?? 0.5;
  const tol = opts.tolerance ?? 0.015;
  const margin = opts.margin ?? 0.01;
  const info = objects
    .filter((o) => o.world && o.world.length >= 30)
    .map((o) => {
      const w = o.world!;
      const zs = new Float32Array(w.length / 3);
      for (let k = 0; k < zs.length; k++) zs[k] = w[k * 3 + 2]!;
      zs.sort();
      return { id: o.id, w, hull: convexHull2d(w, 3), low: zs[Math.floor(0.02 * zs.length)]!, top: zs[Math.floor(0.98 * (zs.length - 1))]! };
    });
  const out = new Map<number, RestingSupport>();
  for (const a of info) {
    if (a.low < 2 * tol) continue; // on the support already
    let best = -Infinity,
      on = -1;
    for (const b of info) {
      if (b === a || b.top > a.low + tol || b.hull.length < 6) continue;
      // a over b's footprint, or b (narrower, a pillar) under a's; the camera sees only the near
      // side of each, so a pillar's visible face lies a few cm off a's visible footprint
      if (overShare(a.w, b.hull, margin) < minOverlap && overShare(b.w, a.hull, 3 * margin) < minOverlap) continue;
      // b's surface right under a where b was seen there, else b's top
      let under = 0,
        highest = -Infinity;
      for (let k = 0; k < b.w.length; k += 3) {
        if (b.w[k + 2]! <= a.low + tol && insideHull(a.hull, b.w[k]!, b.w[k + 1]!, 3 * margin)) {
          under++;
          highest = Math.max(highest, b.w[k + 2]!);
        }
      }
      const h = under >= 20 ? highest : b.top;
      // the completion of b is convex: its top under a is b's highest point there, and a must
      // rest on that (a lower surface leaves the two overlapping by the seam's depth noise)
      const surface = h;
      if (surface > best) {
        best = surface;
        on = b.id;
      }
    }
    if (best > tol) out.set(a.id, { height: best, on });
  }
  return out;
}

/** Share of the points (xy) within a footprint hull grown by `margin`. */
function overShare(w: Float32Array, hull: Float64Array, margin: number): number {
  const n = w.length / 3,
    step = Math.max(1, Math.floor(n / 500));
  let over = 0,
    total = 0;
  for (let k = 0; k < n; k += step, total++) if (insideHull(hull, w[k * 3]!, w[k * 3 + 1]!, margin)) over++;
  return total ? over / total : 0;
}

/** Inside a counter-clockwise convex polygon (flat xy pairs) grown by `margin` (shrunk when negative). */
export function insideHull(hull: Float64Array, u: number, v: number, margin: number): boolean {
  const m = hull.length / 2;
  if (m < 3) return false;
  // the edges' vectors and lengths, once per hull (this runs for every point of a cloud)
  let e = EDGES.get(hull);
  if (!e) {
    e = new Float64Array(m * 5);
    for (let k = 0; k < m; k++) {
      const x0 = hull[k * 2]!,
        y0 = hull[k * 2 + 1]!,
        x1 = hull[((k + 1) % m) * 2]!,
        y1 = hull[((k + 1) % m) * 2 + 1]!;
      e[k * 5] = x0;
      e[k * 5 + 1] = y0;
      e[k * 5 + 2] = x1 - x0;
      e[k * 5 + 3] = y1 - y0;
      e[k * 5 + 4] = Math.hypot(x1 - x0, y1 - y0);
    }
    EDGES.set(hull, e);
  }
  for (let k = 0; k < m; k++) {
    const l = e[k * 5 + 4]!;
    if (l < 1e-9) continue;
    if ((e[k * 5 + 2]! * (v - e[k * 5 + 1]!) - e[k * 5 + 3]! * (u - e[k * 5]!)) / l < -margin) return false;
  }
  return true;
}

/** Edge data of the hulls `insideHull` has seen (a hull is not changed after it is made). */
const EDGES = new WeakMap<Float64Array, Float64Array>();

/**
 * Makes each stacked pair's measured points meet at one surface: the contact band of a real
 * frame holds the upper object's lowest points a few millimetres below the lower one's highest
 * (depth noise, pixels at the seam labelled either way), and the two convex completions then
 * overlap by that much, which physics repair can only resolve by pushing one of them (test16's
 * T-tower: 4 and 8 mm, a 10 mm repair move). The upper object's points within `band` below its
 * resting surface are raised to it. Returns new world arrays for the objects it changed.
 */
export function settleContacts(objects: readonly { id: number; world?: Float32Array }[], supports: ReadonlyMap<number, RestingSupport>, opts: { band?: number } = {}): Map<number, Float32Array> {
  const band = opts.band ?? 0.015;
  const out = new Map<number, Float32Array>();
  for (const o of objects) {
    const s = supports.get(o.id);
    if (!s || !o.world) continue;
    const up = Float32Array.from(o.world);
    for (let k = 2; k < up.length; k += 3) if (up[k]! < s.height && up[k]! >= s.height - band) up[k] = s.height;
    out.set(o.id, up);
  }
  return out;
}
