/** Small 2-D hull helpers on [x, y] pairs (the footprint stage's hull works on flat arrays). */

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

/** Andrew's monotone chain; counter-clockwise, no repeated end point. */
export function convexHull2d(pts: [number, number][]): [number, number][] {
  const p = [...pts].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: [number, number][] = [];
  for (let k = p.length - 1; k >= 0; k--) {
    const q = p[k]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0) upper.pop();
    upper.push(q);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}
