import { convexHull } from '../geometry/convexHull.ts';
import type { Mesh } from '../model/geometry.ts';
import { boundsOf } from '../model/geometry.ts';

/**
 * Fast column decomposition of a closed mesh standing upright (object frame, z up) into at
 * most `grid`² convex pieces: the footprint is cut into grid × grid columns, each column's
 * solid is found by ray parity along z on a finer raster, and each piece is the hull of the
 * solid's extent in that column. A mug's rim columns stay tall and its middle columns low, so
 * its cavity stays open from above (a ball can rest in it); a bowl keeps its hollow.
 *
 * Written for the compose stage's time budget (tens of milliseconds for a few thousand
 * triangles) where a general approximate convex decomposition takes seconds; objects from one
 * depth view are gravity-aligned, so vertical columns suit them. Pieces have ≤ `maxVertices`
 * vertices (the raster is thinned until they do).
 */
export interface ColumnDecompositionOptions {
  /** Columns per side of the footprint (pieces ≤ grid²). */
  grid?: number;
  /** Parity rays per column side. */
  raster?: number;
  maxVertices?: number;
}

export function columnDecomposition(mesh: Mesh, options: ColumnDecompositionOptions = {}): Mesh[] {
  const grid = options.grid ?? 4,
    raster = options.raster ?? 6,
    maxVertices = options.maxVertices ?? 64;
  const { min, max } = boundsOf(mesh.positions);
  const n = grid * raster;
  const sx = (max[0] - min[0]) / n,
    sy = (max[1] - min[1]) / n;
  if (!(sx > 0) || !(sy > 0)) return [];
  // bin triangles by the fine columns their xy bounds touch
  const bins: number[][] = Array.from({ length: n * n }, () => []);
  const p = mesh.positions,
    idx = mesh.indices;
  for (let t = 0; t < idx.length; t += 3) {
    const a = idx[t]! * 3,
      b = idx[t + 1]! * 3,
      c = idx[t + 2]! * 3;
    const x0 = Math.min(p[a]!, p[b]!, p[c]!),
      x1 = Math.max(p[a]!, p[b]!, p[c]!);
    const y0 = Math.min(p[a + 1]!, p[b + 1]!, p[c + 1]!),
      y1 = Math.max(p[a + 1]!, p[b + 1]!, p[c + 1]!);
    const i0 = Math.max(0, Math.floor((x0 - min[0]) / sx - 0.5)),
      i1 = Math.min(n - 1, Math.ceil((x1 - min[0]) / sx - 0.5));
    const j0 = Math.max(0, Math.floor((y0 - min[1]) / sy - 0.5)),
      j1 = Math.min(n - 1, Math.ceil((y1 - min[1]) / sy - 0.5));
    for (let j = j0; j <= j1; j++) for (let i = i0; i <= i1; i++) bins[j * n + i]!.push(t);
  }
  // per fine column: the z extent of the solid (lowest entry, highest exit) along the ray
  const lo = new Float64Array(n * n).fill(Infinity),
    hi = new Float64Array(n * n).fill(-Infinity);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const x = min[0] + (i + 0.5) * sx,
        y = min[1] + (j + 0.5) * sy;
      const zs: number[] = [];
      for (const t of bins[j * n + i]!) {
        const z = rayZ(p, idx[t]! * 3, idx[t + 1]! * 3, idx[t + 2]! * 3, x, y);
        if (z !== null) zs.push(z);
      }
      if (zs.length < 2) continue;
      zs.sort((u, v) => u - v);
      lo[j * n + i] = zs[0]!;
      hi[j * n + i] = zs[zs.length - 1]!;
    }
  }
  const pieces: Mesh[] = [];
  for (let gj = 0; gj < grid; gj++) {
    for (let gi = 0; gi < grid; gi++) {
      for (let step = 1; step <= raster; step++) {
        const pts: number[] = [];
        for (let j = gj * raster; j < (gj + 1) * raster; j += step) {
          for (let i = gi * raster; i < (gi + 1) * raster; i += step) {
            const k = j * n + i;
            if (!(hi[k]! > lo[k]!)) continue;
            // the fine column's footprint corners at its bottom and top
            const xa = min[0] + i * sx,
              ya = min[1] + j * sy,
              xb = xa + sx * step,
              yb = ya + sy * step;
            for (const [x, y] of [
              [xa, ya],
              [xb, ya],
              [xa, yb],
              [xb, yb],
            ] as const)
              pts.push(x, y, lo[k]!, x, y, hi[k]!);
          }
        }
        if (pts.length < 12) break;
        let hull: Mesh;
        try {
          hull = convexHull(Float32Array.from(pts));
        } catch {
          break;
        }
        if (hull.positions.length / 3 <= maxVertices || step === raster) {
          pieces.push(hull);
          break;
        }
      }
    }
  }
  return pieces;
}

/** z where the vertical line through (x, y) crosses triangle abc, or null. */
function rayZ(p: Float32Array, a: number, b: number, c: number, x: number, y: number): number | null {
  const ax = p[a]!,
    ay = p[a + 1]!,
    bx = p[b]!,
    by = p[b + 1]!,
    cx = p[c]!,
    cy = p[c + 1]!;
  const d = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy);
  if (Math.abs(d) < 1e-18) return null;
  const l1 = ((by - cy) * (x - cx) + (cx - bx) * (y - cy)) / d;
  const l2 = ((cy - ay) * (x - cx) + (ax - cx) * (y - cy)) / d;
  const l3 = 1 - l1 - l2;
  if (l1 < 0 || l2 < 0 || l3 < 0) return null;
  return l1 * p[a + 2]! + l2 * p[b + 2]! + l3 * p[c + 2]!;
}
