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

/**
 * The top of a completed mesh (world frame, z up) under an object's measured points: for each of
 * up to `samples` of the points (xy), the highest crossing of a vertical line there with the
 * mesh's triangles; the highest of those. Undefined where no line crosses the mesh.
 *
 * The surface an object rests on is first read off the measured points of the one below
 * (`restingSupports`); at the seam a few pixels of the upper object labelled as the lower one
 * raise that by millimetres (test16: 2.5 mm), while the lower one's completion, fitted to all of
 * its points, does not reach up there: the upper object then floats over what it rests on.
 */
export function meshTopUnder(mesh: { positions: Float32Array; indices: Uint32Array }, points: Float32Array, samples = 400): number | undefined {
  const P = mesh.positions,
    I = mesh.indices;
  const n = points.length / 3,
    step = Math.max(1, Math.floor(n / samples));
  const xs: number[] = [],
    ys: number[] = [];
  for (let k = 0; k < n; k += step) {
    xs.push(points[k * 3]!);
    ys.push(points[k * 3 + 1]!);
  }
  const top = new Float64Array(xs.length).fill(-Infinity);
  for (let t = 0; t < I.length; t += 3) {
    const a = I[t]! * 3,
      b = I[t + 1]! * 3,
      c = I[t + 2]! * 3;
    const ax = P[a]!,
      ay = P[a + 1]!,
      bx = P[b]!,
      by = P[b + 1]!,
      cx = P[c]!,
      cy = P[c + 1]!;
    const det = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy);
    if (Math.abs(det) < 1e-12) continue; // a vertical triangle: no crossing of its own
    const minX = Math.min(ax, bx, cx),
      maxX = Math.max(ax, bx, cx),
      minY = Math.min(ay, by, cy),
      maxY = Math.max(ay, by, cy);
    for (let s = 0; s < xs.length; s++) {
      const x = xs[s]!,
        y = ys[s]!;
      if (x < minX || x > maxX || y < minY || y > maxY) continue;
      const l1 = ((by - cy) * (x - cx) + (cx - bx) * (y - cy)) / det,
        l2 = ((cy - ay) * (x - cx) + (ax - cx) * (y - cy)) / det,
        l3 = 1 - l1 - l2;
      if (l1 < -1e-9 || l2 < -1e-9 || l3 < -1e-9) continue;
      const z = l1 * P[a + 2]! + l2 * P[b + 2]! + l3 * P[c + 2]!;
      if (z > top[s]!) top[s] = z;
    }
  }
  let best = -Infinity;
  for (const z of top) if (z > best) best = z;
  return Number.isFinite(best) ? best : undefined;
}
