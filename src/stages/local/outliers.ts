import { KdTree } from '../../geometry/kdtree.ts';

/**
 * Stand-in statistical outlier removal with the signature of `src/geometry/outliers.ts`
 * (kernels): a point is kept (1) when its mean distance to its k nearest neighbours is within
 * mean + stdRatio·σ of that figure over the cloud.
 */
export function statisticalOutliers(positions: Float32Array, k: number, stdRatio: number): Uint8Array {
  const n = positions.length / 3;
  const keep = new Uint8Array(n).fill(1);
  if (n <= k + 1) return keep;
  const tree = new KdTree(positions);
  const idx = new Uint32Array(k + 1);
  const d2 = new Float64Array(k + 1);
  const mean = new Float64Array(n);
  let s = 0, ss = 0;
  for (let i = 0; i < n; i++) {
    const found = tree.knn(positions[i * 3]!, positions[i * 3 + 1]!, positions[i * 3 + 2]!, k + 1, idx, d2);
    let m = 0;
    for (let j = 0; j < found; j++) m += Math.sqrt(d2[j]!);
    m /= Math.max(1, found - 1); // the point itself is among them at distance 0
    mean[i] = m;
    s += m;
    ss += m * m;
  }
  const mu = s / n;
  const sigma = Math.sqrt(Math.max(0, ss / n - mu * mu));
  const limit = mu + stdRatio * sigma;
  for (let i = 0; i < n; i++) if (mean[i]! > limit) keep[i] = 0;
  return keep;
}
