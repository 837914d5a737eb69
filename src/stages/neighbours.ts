/**
 * Neighbours side by side on the support: the line between what the camera saw of each.
 *
 * Two objects whose measured points (xy) can be told apart by a line are separated by it; each
 * completion of the unseen back (mirrored, extruded) stays on its own object's side. Of the lines
 * that separate them, the one midway across the widest gap is taken (a maximum-margin line over
 * directions every 2°): nothing in the view says which of the two owns the hidden space between
 * them. A few stray points (mixed pixels at an edge, a sliver of one labelled as the other) must
 * not hide a clear gap, so each side is measured at its `trim` quantile, not its extreme point
 * (test45: 2 % of a flat box's points reach 1 cm past the tall box beside it).
 */
import { kthSmallest } from './util.ts';

/** A vertical plane {p : nx·x + ny·y = c}, (nx, ny) a unit vector pointing from the first object to the second. */
export interface SeparatingLine {
  nx: number;
  ny: number;
  c: number;
  /** Width of the gap between the two point sets across the line, metres. */
  gap: number;
}

export interface SeparatingOptions {
  /** Directions tried over the half-circle. */
  directions?: number;
  /** Share of each set's points allowed on the far side of its own extreme (stray pixels). */
  trim?: number;
  /** Narrowest gap taken as a separation, metres. */
  minGap?: number;
  /** Points used per set (an even subsample). */
  maxPoints?: number;
}

/**
 * The maximum-margin vertical line between two point sets (world xyz, flat), or null when no
 * direction leaves a gap (a stacked pair, one segment wrapped around another).
 */
export function separatingLine(a: Float32Array, b: Float32Array, opts: SeparatingOptions = {}): SeparatingLine | null {
  const directions = opts.directions ?? 90,
    trim = opts.trim ?? 0.03,
    minGap = opts.minGap ?? 1e-4,
    maxPoints = opts.maxPoints ?? 600;
  const pa = xy(a, maxPoints),
    pb = xy(b, maxPoints);
  if (pa.length < 6 || pb.length < 6) return null;
  const sa = new Float64Array(pa.length / 2),
    sb = new Float64Array(pb.length / 2);
  let best: SeparatingLine | null = null;
  for (let d = 0; d < 2 * directions; d++) {
    // both orientations: the first set may lie on either side
    const t = (Math.PI * d) / directions,
      nx = Math.cos(t),
      ny = Math.sin(t);
    for (let i = 0; i < sa.length; i++) sa[i] = nx * pa[i * 2]! + ny * pa[i * 2 + 1]!;
    for (let i = 0; i < sb.length; i++) sb[i] = nx * pb[i * 2]! + ny * pb[i * 2 + 1]!;
    const hiA = quantile(sa, 1 - trim),
      loB = quantile(sb, trim);
    const gap = loB - hiA;
    if (gap > minGap && (!best || gap > best.gap)) best = { nx, ny, c: (hiA + loB) / 2, gap };
  }
  return best;
}

function xy(p: Float32Array, max: number): Float64Array {
  const n = Math.floor(p.length / 3),
    step = Math.max(1, Math.ceil(n / max));
  const out = new Float64Array(Math.ceil(n / step) * 2);
  let k = 0;
  for (let i = 0; i < n; i += step) {
    out[k++] = p[i * 3]!;
    out[k++] = p[i * 3 + 1]!;
  }
  return out.subarray(0, k);
}

/** The value at rank round(q·(n − 1)) of `v` in ascending order (`v` is reordered). */
function quantile(v: Float64Array, q: number): number {
  return kthSmallest(v, Math.min(v.length - 1, Math.max(0, Math.round(q * (v.length - 1)))));
}

/** Share of the points (flat xyz) more than `tol` beyond the line on the second object's side. */
export function shareBeyond(p: Float32Array, line: SeparatingLine, sign: 1 | -1, tol = 0.002): number {
  const n = Math.floor(p.length / 3);
  let k = 0;
  for (let i = 0; i < n; i++) if (sign * (line.nx * p[i * 3]! + line.ny * p[i * 3 + 1]! - line.c) > tol) k++;
  return n ? k / n : 0;
}
