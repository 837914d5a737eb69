import { boundsOf } from '../../model/geometry.ts';
import { KdTree } from '../../geometry/kdtree.ts';

/**
 * Distances between two point sets (interleaved xyz Float32Array) and their boxes, the shared
 * kernels of both metric protocols. Nearest neighbours come from `KdTree.nearestDist2` (pruned
 * by node boxes: a missed object's samples are far from every point); sums are float64.
 */

/** Squared distance from each point of `from` to its nearest point of `to` (Infinity if `to` is empty). */
export function nearestSquared(from: Float32Array, to: Float32Array | KdTree): Float64Array {
  const tree = to instanceof KdTree ? to : new KdTree(to, 8);
  const n = from.length / 3;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = tree.nearestDist2(from[i * 3]!, from[i * 3 + 1]!, from[i * 3 + 2]!);
  return out;
}

/**
 * Squared NN distance from every (finite) point of tree `a`, in `a.order()` (spatially
 * coherent), to tree `b`. Each query starts from the bound |q − q_prev| + d_prev (triangle
 * inequality), which is tight because consecutive queries are neighbours; this halves the work
 * on surface samples.
 */
function nearestSquaredTrees(a: KdTree, b: KdTree): Float64Array {
  const n = a.size;
  const out = new Float64Array(n);
  const p = a.positions;
  const ids = a.order();
  let px = NaN,
    py = NaN,
    pz = NaN,
    pd = Infinity;
  for (let k = 0; k < n; k++) {
    const i = ids[k]! * 3;
    const x = p[i]!,
      y = p[i + 1]!,
      z = p[i + 2]!;
    let bound = Infinity;
    if (pd < Infinity) {
      const r = Math.sqrt((x - px) ** 2 + (y - py) ** 2 + (z - pz) ** 2) + pd;
      // a hair above the bound so that a point exactly at it is still found
      bound = r * r * (1 + 1e-12) + 1e-300;
    }
    const d2 = b.nearestDist2(x, y, z, bound);
    out[k] = d2;
    px = x;
    py = y;
    pz = z;
    pd = Math.sqrt(d2);
  }
  return out;
}

export interface PointSetDistances {
  /** Paper Chamfer: mean squared NN distance a→b plus mean squared NN distance b→a. */
  chamferSquared: number;
  /** Mean (unsquared) NN distance a→b and b→a. */
  meanAB: number;
  meanBA: number;
  /** Fraction of a within `threshold` of b (precision when a = prediction), and of b within threshold of a. */
  precision: number;
  recall: number;
  /** 2PR/(P+R), 0 when both are 0. */
  fScore: number;
}

/** Sums over the first `n` squared NN distances of one direction: Σd², Σd, and how many d² < `t2`. */
function oneWay(d2s: Float64Array, n: number, t2: number): { sum2: number; sum: number; within: number } {
  let sum2 = 0,
    sum = 0,
    within = 0;
  for (let i = 0; i < n; i++) {
    const d2 = d2s[i]!;
    sum2 += d2;
    sum += Math.sqrt(d2);
    if (d2 < t2) within++;
  }
  return { sum2, sum, within };
}

/** Chamfer (both forms) and F-Score at `threshold` (strictly closer than it counts). */
export function pointSetDistances(a: Float32Array, b: Float32Array, threshold: number): PointSetDistances {
  const ta = new KdTree(a, 8),
    tb = new KdTree(b, 8);
  const na = ta.size,
    nb = tb.size;
  if (na === 0 || nb === 0) {
    return { chamferSquared: Infinity, meanAB: Infinity, meanBA: Infinity, precision: 0, recall: 0, fScore: 0 };
  }
  const dab = nearestSquaredTrees(ta, tb);
  const dba = nearestSquaredTrees(tb, ta);
  const t2 = threshold * threshold;
  const ab = oneWay(dab, na, t2),
    ba = oneWay(dba, nb, t2);
  const precision = ab.within / na,
    recall = ba.within / nb;
  return {
    chamferSquared: ab.sum2 / na + ba.sum2 / nb,
    meanAB: ab.sum / na,
    meanBA: ba.sum / nb,
    precision,
    recall,
    fScore: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
  };
}

export interface Box3 {
  min: [number, number, number];
  max: [number, number, number];
}

/** Axis-aligned box of interleaved points (min > max when empty): the model's `boundsOf`. */
export function aabb(points: Float32Array): Box3 {
  return boundsOf(points);
}

export function boxVolume(b: Box3): number {
  let v = 1;
  for (let k = 0; k < 3; k++) v *= Math.max(0, b.max[k]! - b.min[k]!);
  return v;
}

/** Intersection over union of two axis-aligned boxes (0 when both are empty). */
export function boxIoU(a: Box3, b: Box3): number {
  let inter = 1;
  for (let k = 0; k < 3; k++) inter *= Math.max(0, Math.min(a.max[k]!, b.max[k]!) - Math.max(a.min[k]!, b.min[k]!));
  const union = boxVolume(a) + boxVolume(b) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Occupancy IoU of two point sets on a `grid`³ voxel grid spanning both sets' joint box with
 * cubic voxels (edge = longest joint extent / grid). A voxel is occupied when a point falls in
 * it (the points are surface samples, as in the MIDI evaluation code).
 */
export function voxelIoU(a: Float32Array, b: Float32Array, grid = 64): number {
  if (a.length === 0 || b.length === 0) return 0;
  const ba = aabb(a),
    bb = aabb(b);
  const min = [0, 1, 2].map((k) => Math.min(ba.min[k]!, bb.min[k]!));
  const ext = Math.max(...[0, 1, 2].map((k) => Math.max(ba.max[k]!, bb.max[k]!) - min[k]!));
  const voxel = ext > 0 ? ext / grid : 1;
  const mark = (pts: Float32Array, bit: number, occ: Uint8Array) => {
    for (let i = 0; i < pts.length; i += 3) {
      let key = 0;
      for (let k = 0; k < 3; k++) {
        const c = Math.min(grid - 1, Math.max(0, Math.floor((pts[i + k]! - min[k]!) / voxel)));
        key = key * grid + c;
      }
      occ[key] = occ[key]! | bit;
    }
  };
  const occ = new Uint8Array(grid * grid * grid);
  mark(a, 1, occ);
  mark(b, 2, occ);
  let inter = 0,
    union = 0;
  for (let i = 0; i < occ.length; i++) {
    const o = occ[i]!;
    if (o) union++;
    if (o === 3) inter++;
  }
  return union > 0 ? inter / union : 0;
}
