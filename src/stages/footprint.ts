/**
 * Footprint geometry in the support plane: 2-D convex hull (monotone chain) and the
 * minimum-area enclosing rectangle (rotating calipers: the optimum has a side on a hull edge).
 */

/**
 * Convex hull of interleaved points taken every `stride` values from `p` (x at 0, y at 1), counter-clockwise.
 *
 * The points well inside the octagon of the extreme points in 8 directions cannot be hull
 * vertices (Akl–Toussaint): on an object's cloud that leaves a few dozen of thousands for the
 * sort. A point is dropped only when it lies inside every octagon edge by a margin far above
 * rounding, so the hull is the one of all the points (the same vertices, in the same order).
 */
export function convexHull2d(p: ArrayLike<number>, stride = 3): Float64Array {
  const n = Math.floor(p.length / stride);
  if (n < 64) return monotoneChain(p, stride);
  // extremes: min x, min x+y, min y, max x−y, max x, max x+y, max y, max y−x (counter-clockwise)
  const ext = new Int32Array(8);
  const best = [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    const x = p[i * stride]!,
      y = p[i * stride + 1]!;
    // a non-finite coordinate makes the sort's order undefined: keep the plain path's behaviour
    if (!Number.isFinite(x) || !Number.isFinite(y)) return monotoneChain(p, stride);
    const s = x + y,
      d = x - y;
    if (x < best[0]!) {
      best[0] = x;
      ext[0] = i;
    }
    if (s < best[1]!) {
      best[1] = s;
      ext[1] = i;
    }
    if (y < best[2]!) {
      best[2] = y;
      ext[2] = i;
    }
    if (d > best[3]!) {
      best[3] = d;
      ext[3] = i;
    }
    if (x > best[4]!) {
      best[4] = x;
      ext[4] = i;
    }
    if (s > best[5]!) {
      best[5] = s;
      ext[5] = i;
    }
    if (y > best[6]!) {
      best[6] = y;
      ext[6] = i;
    }
    if (-d > best[7]!) {
      best[7] = -d;
      ext[7] = i;
    }
  }
  const ox = new Float64Array(8),
    oy = new Float64Array(8);
  for (let k = 0; k < 8; k++) {
    ox[k] = p[ext[k]! * stride]!;
    oy[k] = p[ext[k]! * stride + 1]!;
  }
  const span = Math.max(best[4]! - best[0]!, best[6]! - best[2]!);
  // cross products are lengths²: a point this far inside is no rounding away from an edge
  const eps = 1e-9 * span * span;
  // One point is often the extreme in two neighbouring directions (the corner of a pixel
  // grid's outline is both the lowest x and the lowest x + y): the repeated vertex is dropped,
  // as its zero edge would keep every point. The polygon is the same. With fewer than three
  // vertices left it bounds nothing and every point is kept.
  const vx: number[] = [],
    vy: number[] = [];
  for (let k = 0; k < 8; k++) {
    const m = vx.length;
    if (m > 0 && ox[k] === vx[m - 1] && oy[k] === vy[m - 1]) continue;
    vx.push(ox[k]!);
    vy.push(oy[k]!);
  }
  while (vx.length > 1 && vx[vx.length - 1] === vx[0] && vy[vy.length - 1] === vy[0]) {
    vx.pop();
    vy.pop();
  }
  const m = vx.length < 3 ? 0 : vx.length;
  const kept: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = p[i * stride]!,
      y = p[i * stride + 1]!;
    // left of every edge k → k+1 (counter-clockwise) by more than eps: strictly inside, no hull vertex
    let inside = m > 0;
    for (let k = 0; k < m && inside; k++) {
      const a = k + 1 === m ? 0 : k + 1;
      if (!((vx[a]! - vx[k]!) * (y - vy[k]!) - (vy[a]! - vy[k]!) * (x - vx[k]!) > eps)) inside = false;
    }
    if (!inside) kept.push(x, y);
  }
  return monotoneChain(kept, 2);
}

/** Andrew's monotone chain over all the points. */
function monotoneChain(p: ArrayLike<number>, stride: number): Float64Array {
  const n = Math.floor(p.length / stride);
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a * stride]! - p[b * stride]! || p[a * stride + 1]! - p[b * stride + 1]!);
  const x = (i: number) => p[i * stride]!,
    y = (i: number) => p[i * stride + 1]!;
  const cross = (o: number, a: number, b: number) => (x(a) - x(o)) * (y(b) - y(o)) - (y(a) - y(o)) * (x(b) - x(o));
  const lower: number[] = [],
    upper: number[] = [];
  for (const i of idx) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, i) <= 0) lower.pop();
    lower.push(i);
  }
  for (let k = idx.length - 1; k >= 0; k--) {
    const i = idx[k]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, i) <= 0) upper.pop();
    upper.push(i);
  }
  const hull = lower.slice(0, -1).concat(upper.slice(0, -1));
  const out = new Float64Array(hull.length * 2);
  hull.forEach((i, k) => {
    out[k * 2] = x(i);
    out[k * 2 + 1] = y(i);
  });
  return out;
}

export interface Rect {
  /** Centre. */
  cx: number;
  cy: number;
  /** Angle of the rectangle's first side (its length `sx`), radians. */
  angle: number;
  sx: number;
  sy: number;
  area: number;
}

/** Minimum-area rectangle around a convex polygon (flat xy pairs, counter-clockwise). */
export function minAreaRect(hull: Float64Array): Rect {
  const n = hull.length / 2;
  if (n === 0) return { cx: 0, cy: 0, angle: 0, sx: 0, sy: 0, area: 0 };
  if (n < 3) {
    const x0 = hull[0]!,
      y0 = hull[1]!,
      x1 = hull[(n - 1) * 2]!,
      y1 = hull[(n - 1) * 2 + 1]!;
    return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, angle: Math.atan2(y1 - y0, x1 - x0), sx: Math.hypot(x1 - x0, y1 - y0), sy: 0, area: 0 };
  }
  let best: Rect | null = null;
  for (let e = 0; e < n; e++) {
    const ax = hull[e * 2]!,
      ay = hull[e * 2 + 1]!;
    const bx = hull[((e + 1) % n) * 2]!,
      by = hull[((e + 1) % n) * 2 + 1]!;
    const len = Math.hypot(bx - ax, by - ay);
    if (len < 1e-12) continue;
    const ux = (bx - ax) / len,
      uy = (by - ay) / len;
    let minU = Infinity,
      maxU = -Infinity,
      minV = Infinity,
      maxV = -Infinity;
    for (let k = 0; k < n; k++) {
      const px = hull[k * 2]!,
        py = hull[k * 2 + 1]!;
      const u = px * ux + py * uy,
        v = -px * uy + py * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (!best || area < best.area - 1e-15) {
      const cu = (minU + maxU) / 2,
        cv = (minV + maxV) / 2;
      best = { cx: cu * ux - cv * uy, cy: cu * uy + cv * ux, angle: Math.atan2(uy, ux), sx: maxU - minU, sy: maxV - minV, area };
    }
  }
  return best!;
}

/** Area of a simple polygon (flat xy pairs), positive when counter-clockwise. */
export function polygonArea(poly: Float64Array): number {
  const n = poly.length / 2;
  let a = 0;
  for (let k = 0; k < n; k++) {
    const j = (k + 1) % n;
    a += poly[k * 2]! * poly[j * 2 + 1]! - poly[j * 2]! * poly[k * 2 + 1]!;
  }
  return a / 2;
}
