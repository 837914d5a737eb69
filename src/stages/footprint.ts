/**
 * Footprint geometry in the support plane: 2-D convex hull (monotone chain) and the
 * minimum-area enclosing rectangle (rotating calipers: the optimum has a side on a hull edge).
 */

/** Convex hull of interleaved points taken every `stride` values from `p` (x at 0, y at 1), counter-clockwise. */
export function convexHull2d(p: ArrayLike<number>, stride = 3): Float64Array {
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
