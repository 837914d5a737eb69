import { Real2SimError } from '../model/errors.ts';
import type { Vec3 } from '../model/pose.ts';
import { smallestEigenvector3 } from './linalg.ts';
import type { Rng } from './random.ts';

/**
 * Plane fitting: RANSAC on 3-point samples, then total least squares on the inliers.
 *
 * A plane is {normal, d} with normal·p + d = 0, |normal| = 1, oriented so that the origin lies
 * on its positive side (d ≥ 0): for a cloud in a camera's optical frame the normal points
 * towards the camera (e.g. "up" for a floor seen from above).
 *
 * Scoring stops early as soon as a candidate can no longer beat the best count (a bad sample is
 * rejected after seeing roughly (n − best) outliers), which is what makes a forced 1000-iteration
 * run cheap once a good plane has been seen.
 */
export interface PlaneRansacOptions {
  /** Inlier distance, metres. */
  threshold: number;
  /** Number of samples drawn (the exact count unless `earlyStop`). */
  iterations: number;
  rng: Rng;
  /**
   * Stop once enough samples were drawn to have met an all-inlier sample with `probability`,
   * given the best inlier ratio so far (as Open3D's `segment_plane` does). Default false.
   */
  earlyStop?: boolean;
  /** Default 0.99999999 (Open3D's default). */
  probability?: number;
}

export interface PlaneFit {
  normal: Vec3;
  d: number;
  /** Indices of points within `threshold` of the refined plane, ascending. */
  inliers: Uint32Array;
}

export function fitPlaneRansac(positions: Float32Array, opts: PlaneRansacOptions): PlaneFit {
  const { threshold, iterations, rng } = opts;
  if (!(threshold > 0) || !Number.isFinite(threshold)) {
    throw new Real2SimError('BAD_INPUT', `fitPlaneRansac: threshold must be a finite distance > 0 (metres), got ${threshold}`);
  }
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new Real2SimError('BAD_INPUT', `fitPlaneRansac: iterations must be a positive integer, got ${iterations}`);
  }
  const p = positions;
  const n = p.length / 3;
  if (n < 3) throw new Real2SimError('NO_PLANE', `A plane needs at least 3 points, got ${n}`, { points: n });
  const probability = opts.probability ?? 0.99999999;
  let bestCount = 0;
  let ba = 0,
    bb = 0,
    bc = 0,
    bd = 0;
  let needed = iterations;
  for (let it = 0; it < needed && it < iterations; it++) {
    const i0 = rng.int(n) * 3;
    let i1 = rng.int(n - 1) * 3;
    if (i1 >= i0) i1 += 3;
    let i2 = rng.int(n - 2) * 3;
    // third distinct index: skip over the two taken (in ascending order)
    const lo = Math.min(i0, i1),
      hi = Math.max(i0, i1);
    if (i2 >= lo) i2 += 3;
    if (i2 >= hi) i2 += 3;
    const x0 = p[i0]!,
      y0 = p[i0 + 1]!,
      z0 = p[i0 + 2]!;
    const ux = p[i1]! - x0,
      uy = p[i1 + 1]! - y0,
      uz = p[i1 + 2]! - z0;
    const vx = p[i2]! - x0,
      vy = p[i2 + 1]! - y0,
      vz = p[i2 + 2]! - z0;
    let a = uy * vz - uz * vy,
      b = uz * vx - ux * vz,
      c = ux * vy - uy * vx;
    const len = Math.sqrt(a * a + b * b + c * c);
    if (!(len > 1e-12)) continue; // collinear, duplicate or non-finite sample
    a /= len;
    b /= len;
    c /= len;
    const d = -(a * x0 + b * y0 + c * z0);
    // Count inliers; give up once even all remaining points could not beat the best.
    const allowedMisses = n - bestCount;
    let count = 0,
      misses = 0;
    for (let i = 0; i < p.length; i += 3) {
      const dist = a * p[i]! + b * p[i + 1]! + c * p[i + 2]! + d;
      if (dist <= threshold && dist >= -threshold) count++;
      else if (++misses >= allowedMisses) break;
    }
    if (count > bestCount) {
      bestCount = count;
      ba = a;
      bb = b;
      bc = c;
      bd = d;
      if (opts.earlyStop) {
        const w = count / n;
        const w3 = w * w * w;
        needed = w3 >= 1 ? 0 : Math.ceil(Math.log(1 - probability) / Math.log(1 - w3));
      }
    }
  }
  if (bestCount < 3) {
    throw new Real2SimError('NO_PLANE', `No plane found: no sample of 3 points had 3 or more points within ${threshold} m (are the points all invalid or collinear?)`, { points: n });
  }
  let inliers = collectInliers(p, ba, bb, bc, bd, threshold);
  const refined = refinePlane(p, inliers);
  const refinedInliers = collectInliers(p, refined.normal[0], refined.normal[1], refined.normal[2], refined.d, threshold);
  if (refinedInliers.length >= inliers.length * 0.95) {
    inliers = refinedInliers;
    return { normal: refined.normal, d: refined.d, inliers };
  }
  // The least-squares plane drifted (e.g. the inliers straddle two nearby surfaces): keep the sample.
  const o = orient(ba, bb, bc, bd);
  return { normal: [o[0], o[1], o[2]], d: o[3], inliers };
}

function collectInliers(p: Float32Array, a: number, b: number, c: number, d: number, t: number): Uint32Array {
  let count = 0;
  for (let i = 0; i < p.length; i += 3) {
    const dist = a * p[i]! + b * p[i + 1]! + c * p[i + 2]! + d;
    if (dist <= t && dist >= -t) count++;
  }
  const out = new Uint32Array(count);
  let k = 0;
  for (let i = 0, j = 0; i < p.length; i += 3, j++) {
    const dist = a * p[i]! + b * p[i + 1]! + c * p[i + 2]! + d;
    if (dist <= t && dist >= -t) out[k++] = j;
  }
  return out;
}

function orient(a: number, b: number, c: number, d: number): [number, number, number, number] {
  return d < 0 ? [-a, -b, -c, -d] : [a, b, c, d];
}

/**
 * Total-least-squares plane through the given points (all points when `indices` is omitted):
 * through their centroid, normal along the smallest principal axis. Same orientation rule as
 * `fitPlaneRansac` (d ≥ 0). Throws `NO_PLANE` for fewer than 3 finite points.
 */
export function refinePlane(positions: Float32Array, indices?: ArrayLike<number>): { normal: Vec3; d: number } {
  const m = indices ? indices.length : positions.length / 3;
  let cnt = 0,
    sx = 0,
    sy = 0,
    sz = 0;
  for (let k = 0; k < m; k++) {
    const i = (indices ? indices[k]! : k) * 3;
    const x = positions[i]!,
      y = positions[i + 1]!,
      z = positions[i + 2]!;
    if (!(x - x === 0 && y - y === 0 && z - z === 0)) continue;
    sx += x;
    sy += y;
    sz += z;
    cnt++;
  }
  if (cnt < 3) throw new Real2SimError('NO_PLANE', `A plane needs at least 3 finite points, got ${cnt}`, { points: cnt });
  const cx = sx / cnt,
    cy = sy / cnt,
    cz = sz / cnt;
  let xx = 0,
    xy = 0,
    xz = 0,
    yy = 0,
    yz = 0,
    zz = 0;
  for (let k = 0; k < m; k++) {
    const i = (indices ? indices[k]! : k) * 3;
    const x = positions[i]! - cx,
      y = positions[i + 1]! - cy,
      z = positions[i + 2]! - cz;
    if (!(x - x === 0 && y - y === 0 && z - z === 0)) continue;
    xx += x * x;
    xy += x * y;
    xz += x * z;
    yy += y * y;
    yz += y * z;
    zz += z * z;
  }
  const nrm = new Float64Array(3);
  smallestEigenvector3(xx, xy, xz, yy, yz, zz, nrm, 0);
  const d = -(nrm[0]! * cx + nrm[1]! * cy + nrm[2]! * cz);
  const o = orient(nrm[0]!, nrm[1]!, nrm[2]!, d);
  return { normal: [o[0], o[1], o[2]], d: o[3] };
}
