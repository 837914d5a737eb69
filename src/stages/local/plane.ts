import type { Rng } from '../../geometry/random.ts';
import type { Vec3 } from '../../model/pose.ts';
import { covariance, symmetricEigen3 } from '../linalg.ts';

/**
 * The project's plane RANSAC (the ground stage and the box baseline of `bench:quality`).
 * Hypotheses are scored on a fixed 2000-point probe, because the ground stage runs several
 * fits per frame (floor, tabletop, curved-surface rejection) inside a one-second budget;
 * scoring every point, as Open3D does, is exact but ~20× slower per hypothesis. The winner is
 * re-scored on every point (`inliers`, strictly within the threshold); callers refine it by
 * least squares (`refinePlane`) and orient it themselves. A second, exact-scoring kernel
 * (geometry/ransac.ts) served only the baseline and was folded into this one.
 */
export function fitPlaneRansac(positions: Float32Array, opts: { threshold: number; iterations: number; rng: Rng; earlyStop?: boolean }): { normal: Vec3; d: number; inliers: Uint32Array } {
  const n = positions.length / 3;
  if (n < 3) return { normal: [0, 0, 1], d: 0, inliers: new Uint32Array(0) };
  const probe = Math.min(n, 2000);
  const probeIdx = new Uint32Array(probe);
  for (let k = 0; k < probe; k++) probeIdx[k] = probe === n ? k : opts.rng.int(n);
  let best = -1;
  let bn: Vec3 = [0, 0, 1],
    bd = 0;
  const t = opts.threshold;
  for (let it = 0; it < opts.iterations; it++) {
    const a = opts.rng.int(n) * 3,
      b = opts.rng.int(n) * 3,
      c = opts.rng.int(n) * 3;
    const ux = positions[b]! - positions[a]!,
      uy = positions[b + 1]! - positions[a + 1]!,
      uz = positions[b + 2]! - positions[a + 2]!;
    const vx = positions[c]! - positions[a]!,
      vy = positions[c + 1]! - positions[a + 1]!,
      vz = positions[c + 2]! - positions[a + 2]!;
    let nx = uy * vz - uz * vy,
      ny = uz * vx - ux * vz,
      nz = ux * vy - uy * vx;
    const l = Math.hypot(nx, ny, nz);
    if (l < 1e-12) continue;
    nx /= l;
    ny /= l;
    nz /= l;
    const d = -(nx * positions[a]! + ny * positions[a + 1]! + nz * positions[a + 2]!);
    let count = 0;
    // a hypothesis wins only with more inliers than the best so far: once even every probe
    // point left could not lift it above that, the rest of its count cannot matter (checked
    // every 64 points; the random draws are the same either way)
    for (let k0 = 0; k0 < probe; k0 += 64) {
      if (count + (probe - k0) <= best) break;
      const k1 = Math.min(probe, k0 + 64);
      for (let k = k0; k < k1; k++) {
        const i = probeIdx[k]! * 3;
        if (Math.abs(nx * positions[i]! + ny * positions[i + 1]! + nz * positions[i + 2]! + d) < t) count++;
      }
    }
    if (count > best) {
      best = count;
      bn = [nx, ny, nz];
      bd = d;
      if (opts.earlyStop && count > 0.9 * probe) break;
    }
  }
  return { normal: bn, d: bd, inliers: planeInliers(positions, bn, bd, t) };
}

export function planeInliers(positions: Float32Array, normal: Vec3, d: number, threshold: number): Uint32Array {
  const [nx, ny, nz] = normal;
  const out: number[] = [];
  for (let i = 0, k = 0; i < positions.length; i += 3, k++) {
    if (Math.abs(nx * positions[i]! + ny * positions[i + 1]! + nz * positions[i + 2]! + d) < threshold) out.push(k);
  }
  return Uint32Array.from(out);
}

/** Least-squares plane (total least squares: the smallest principal axis) through the inliers. */
export function refinePlane(positions: Float32Array, inliers: ArrayLike<number>): { normal: Vec3; d: number } {
  const { mean, cov } = covariance(positions, inliers);
  const { vectors } = symmetricEigen3(cov);
  const normal: Vec3 = [vectors[0]!, vectors[1]!, vectors[2]!];
  return { normal, d: -(normal[0] * mean[0] + normal[1] * mean[1] + normal[2] * mean[2]) };
}
