import { Real2SimError } from '../model/errors.ts';
import { KdTree } from './kdtree.ts';

/**
 * Statistical outlier removal (as PCL / Open3D): for each point, the mean distance to its `k`
 * nearest neighbours (itself excluded); a point is kept when that mean is at most
 * μ + stdRatio·σ over all points (σ: population standard deviation). Returns a keep-mask
 * (1 = keep, 0 = outlier); non-finite points are always 0.
 *
 * Queries run in k-d tree order so consecutive queries touch the same leaves (cache-friendly).
 */
export function statisticalOutliers(positions: Float32Array, k: number, stdRatio: number): Uint8Array {
  if (!Number.isInteger(k) || k < 1) throw new Real2SimError('BAD_INPUT', `statisticalOutliers: k must be a positive integer, got ${k}`);
  if (!Number.isFinite(stdRatio)) throw new Real2SimError('BAD_INPUT', `statisticalOutliers: stdRatio must be finite, got ${stdRatio}`);
  const n = positions.length / 3;
  const keep = new Uint8Array(n);
  const tree = new KdTree(positions);
  if (tree.size <= 1) {
    for (const i of tree.order()) keep[i] = 1;
    return keep;
  }
  const kk = Math.min(k + 1, tree.size);
  const idx = new Uint32Array(kk);
  const d2 = new Float64Array(kk);
  const meanDist = new Float64Array(n);
  const order = tree.order();
  let sum = 0;
  for (let o = 0; o < order.length; o++) {
    const i = order[o]!;
    const got = tree.knnUnordered(positions[i * 3]!, positions[i * 3 + 1]!, positions[i * 3 + 2]!, kk, idx, d2);
    // the query point itself is among them at distance 0: summing all and dividing by
    // got − 1 leaves it out (a duplicate point at distance 0 would be equivalent)
    let s = 0;
    for (let j = 0; j < got; j++) s += Math.sqrt(d2[j]!);
    const m = got > 1 ? s / (got - 1) : 0;
    meanDist[i] = m;
    sum += m;
  }
  const mu = sum / order.length;
  let v = 0;
  for (let o = 0; o < order.length; o++) {
    const e = meanDist[order[o]!]! - mu;
    v += e * e;
  }
  const limit = mu + stdRatio * Math.sqrt(v / order.length);
  for (let o = 0; o < order.length; o++) {
    const i = order[o]!;
    if (meanDist[i]! <= limit) keep[i] = 1;
  }
  return keep;
}
