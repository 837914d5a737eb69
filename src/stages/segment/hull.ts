/** Small 2-D hull helpers on [x, y] pairs (the footprint stage's hull works on flat arrays). */
import { convexHull2d as flatHull2d } from '../footprint.ts';

/** Inside a counter-clockwise convex polygon grown by `margin`. */
export function insideHull(hull: [number, number][], u: number, v: number, margin: number): boolean {
  for (let k = 0; k < hull.length; k++) {
    const [x0, y0] = hull[k]!,
      [x1, y1] = hull[(k + 1) % hull.length]!;
    const ex = x1 - x0,
      ey = y1 - y0;
    const l = Math.hypot(ex, ey);
    if (l < 1e-9) continue;
    if ((ex * (v - y0) - ey * (u - x0)) / l < -margin) return false;
  }
  return true;
}

/**
 * Andrew's monotone chain on [x, y] pairs; counter-clockwise, no repeated end point. The chain is
 * the footprint's (`convexHull2d` in ../footprint.ts, on flat arrays); fewer than three points
 * come back sorted, as they are.
 */
export function convexHull2d(pts: [number, number][]): [number, number][] {
  if (pts.length < 3) return [...pts].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const hull = flatHull2d(pts.flat(), 2);
  const out: [number, number][] = [];
  for (let k = 0; k < hull.length; k += 2) out.push([hull[k]!, hull[k + 1]!]);
  return out;
}
