import { Real2SimError } from '../model/errors.ts';
import { quatFromMat3, quatNormalize, quatToMat3, type Pose } from '../model/pose.ts';
import { KdTree } from './kdtree.ts';
import { jacobiEigen } from './linalg.ts';

/**
 * Point-to-point ICP, optionally with one uniform scale (Umeyama): finds s, R, t minimising
 * Σ |s·R·p_i + t − q_j(i)|² where q_j(i) is the nearest target point of the transformed source
 * point i within `maxDistance`. The result maps source points into the target frame:
 * p_target = R·(scale · p_source) + t, with R, t in `pose`.
 *
 * Each step solves the closed-form absolute orientation (Horn's quaternion method: the
 * eigenvector of the largest eigenvalue of a 4×4 symmetric matrix; with scale, s = λmax / Σ|p'|²,
 * which equals Umeyama's estimate and never yields a reflection).
 *
 * Speed (hot loop written by hand): source points are visited in k-d tree order and each query
 * starts from last iteration's match as a distance bound, so most searches touch one leaf.
 */
export interface IcpOptions {
  /** Maximum number of iterations (correspondence search + update). */
  iterations: number;
  /** Correspondences farther than this (metres, in the target frame) are ignored. Default Infinity. */
  maxDistance?: number;
  /** Estimate one uniform scale too. Default false (scale stays `initialScale`). */
  withScale?: boolean;
  /** Starting pose (source → target). Default identity. */
  initial?: Pose;
  /** Starting scale. Default 1. */
  initialScale?: number;
  /**
   * Stop when fitness and RMSE both change by less than this between iterations (Open3D's
   * relative_fitness / relative_rmse). Default 1e-6; 0 runs exactly `iterations` iterations.
   */
  tolerance?: number;
}

export interface IcpResult {
  pose: Pose;
  scale: number;
  /** RMS distance of the final correspondences (metres); Infinity when there are none. */
  rmse: number;
  /** Fraction of finite source points with a correspondence within `maxDistance`. */
  fitness: number;
  /** Iterations run (updates applied). */
  iterations: number;
  /** Correspondences at the final pose. */
  correspondences: number;
}

export function icp(source: Float32Array, target: Float32Array | KdTree, opts: IcpOptions): IcpResult {
  const iterations = opts.iterations;
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw new Real2SimError('BAD_INPUT', `icp: iterations must be a non-negative integer, got ${iterations}`);
  }
  if (source.length % 3 !== 0) throw new Real2SimError('BAD_INPUT', `icp: source must hold xyz triples, got length ${source.length}`);
  const maxDistance = opts.maxDistance ?? Infinity;
  if (!(maxDistance > 0)) throw new Real2SimError('BAD_INPUT', `icp: maxDistance must be > 0, got ${maxDistance}`);
  const maxD2 = maxDistance * maxDistance;
  const tolerance = opts.tolerance ?? 1e-6;
  const withScale = opts.withScale ?? false;
  const tree = target instanceof KdTree ? target : new KdTree(target);
  const tgt = tree.positions;
  if (tree.size < 3) throw new Real2SimError('BAD_INPUT', `icp: the target needs at least 3 finite points, has ${tree.size}`);

  // Source in spatially coherent order (finite points only).
  const srcTree = new KdTree(source, 16);
  const order = srcTree.order();
  const m = order.length;
  if (m < 3) throw new Real2SimError('BAD_INPUT', `icp: the source needs at least 3 finite points, has ${m}`);
  // Reference points (centroids) keep the float64 sums well conditioned far from the origin.
  let rsx = 0,
    rsy = 0,
    rsz = 0;
  const src = new Float64Array(m * 3);
  for (let k = 0; k < m; k++) {
    const i = order[k]! * 3;
    src[k * 3] = source[i]!;
    src[k * 3 + 1] = source[i + 1]!;
    src[k * 3 + 2] = source[i + 2]!;
    rsx += source[i]!;
    rsy += source[i + 1]!;
    rsz += source[i + 2]!;
  }
  rsx /= m;
  rsy /= m;
  rsz /= m;
  for (let k = 0; k < m; k++) {
    src[k * 3] = src[k * 3]! - rsx;
    src[k * 3 + 1] = src[k * 3 + 1]! - rsy;
    src[k * 3 + 2] = src[k * 3 + 2]! - rsz;
  }
  const hint = new Int32Array(m).fill(-1);

  // current transform on centred source: q = A·p' + b, A = s·R, b = t + A·ref
  const init = opts.initial ?? { position: [0, 0, 0], orientation: [0, 0, 0, 1] };
  let scale = opts.initialScale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Real2SimError('BAD_INPUT', `icp: initialScale must be > 0, got ${scale}`);
  let R = quatToMat3(quatNormalize(init.orientation));
  let t: [number, number, number] = [init.position[0], init.position[1], init.position[2]];

  const N = new Float64Array(16);
  const vals = new Float64Array(4);
  const vecs = new Float64Array(16);
  let prevFit = -1,
    prevRmse = -1;
  let it = 0;
  let fitness: number, rmse: number, count: number;
  for (;;) {
    const a0 = scale * R[0]!,
      a1 = scale * R[1]!,
      a2 = scale * R[2]!;
    const a3 = scale * R[3]!,
      a4 = scale * R[4]!,
      a5 = scale * R[5]!;
    const a6 = scale * R[6]!,
      a7 = scale * R[7]!,
      a8 = scale * R[8]!;
    const bx = t[0] + a0 * rsx + a1 * rsy + a2 * rsz;
    const by = t[1] + a3 * rsx + a4 * rsy + a5 * rsz;
    const bz = t[2] + a6 * rsx + a7 * rsy + a8 * rsz;
    // correspondence search + sums: Σp', Σq, Σ p'qᵀ, Σ|p'|², Σd²
    let n = 0,
      err = 0;
    let spx = 0,
      spy = 0,
      spz = 0,
      sqx = 0,
      sqy = 0,
      sqz = 0,
      spp = 0;
    let sxx = 0,
      sxy = 0,
      sxz = 0,
      syx = 0,
      syy = 0,
      syz = 0,
      szx = 0,
      szy = 0,
      szz = 0;
    for (let k = 0, o = 0; k < m; k++, o += 3) {
      const px = src[o]!,
        py = src[o + 1]!,
        pz = src[o + 2]!;
      const x = a0 * px + a1 * py + a2 * pz + bx;
      const y = a3 * px + a4 * py + a5 * pz + by;
      const z = a6 * px + a7 * py + a8 * pz + bz;
      const j = tree.nearestIndex(x, y, z, maxD2, hint[k]);
      if (j < 0) {
        hint[k] = -1;
        continue;
      }
      const d2 = tree.lastDist2;
      if (d2 > maxD2) {
        hint[k] = -1; // the hint itself was too far and nothing nearer exists
        continue;
      }
      hint[k] = j;
      n++;
      err += d2;
      const qx = tgt[j * 3]! - rsx,
        qy = tgt[j * 3 + 1]! - rsy,
        qz = tgt[j * 3 + 2]! - rsz;
      spx += px;
      spy += py;
      spz += pz;
      sqx += qx;
      sqy += qy;
      sqz += qz;
      spp += px * px + py * py + pz * pz;
      sxx += px * qx;
      sxy += px * qy;
      sxz += px * qz;
      syx += py * qx;
      syy += py * qy;
      syz += py * qz;
      szx += pz * qx;
      szy += pz * qy;
      szz += pz * qz;
    }
    count = n;
    fitness = n / m;
    rmse = n > 0 ? Math.sqrt(err / n) : Infinity;
    if (it >= iterations || n < 3) break;
    if (tolerance > 0 && prevFit >= 0 && Math.abs(fitness - prevFit) < tolerance && Math.abs(rmse - prevRmse) < tolerance) break;
    prevFit = fitness;
    prevRmse = rmse;
    // centred cross-covariance S = Σ (p'−μp)(q−μq)ᵀ
    const inv = 1 / n;
    const mpx = spx * inv,
      mpy = spy * inv,
      mpz = spz * inv;
    const mqx = sqx * inv,
      mqy = sqy * inv,
      mqz = sqz * inv;
    const Sxx = sxx - n * mpx * mqx,
      Sxy = sxy - n * mpx * mqy,
      Sxz = sxz - n * mpx * mqz;
    const Syx = syx - n * mpy * mqx,
      Syy = syy - n * mpy * mqy,
      Syz = syz - n * mpy * mqz;
    const Szx = szx - n * mpz * mqx,
      Szy = szy - n * mpz * mqy,
      Szz = szz - n * mpz * mqz;
    const varP = spp - n * (mpx * mpx + mpy * mpy + mpz * mpz);
    if (!(varP > 0)) break;
    // Horn's N matrix, quaternion order (w, x, y, z)
    N[0] = Sxx + Syy + Szz;
    N[1] = Syz - Szy;
    N[2] = Szx - Sxz;
    N[3] = Sxy - Syx;
    N[5] = Sxx - Syy - Szz;
    N[6] = Sxy + Syx;
    N[7] = Szx + Sxz;
    N[10] = -Sxx + Syy - Szz;
    N[11] = Syz + Szy;
    N[15] = -Sxx - Syy + Szz;
    N[4] = N[1];
    N[8] = N[2];
    N[12] = N[3];
    N[9] = N[6];
    N[13] = N[7];
    N[14] = N[11];
    jacobiEigen(N, 4, vals, vecs);
    const q = quatNormalize([vecs[1 * 4 + 3]!, vecs[2 * 4 + 3]!, vecs[3 * 4 + 3]!, vecs[0 * 4 + 3]!]);
    R = quatToMat3(q);
    if (withScale) {
      const s = vals[3]! / varP;
      if (s > 0 && Number.isFinite(s)) scale = s;
    }
    // translation: q ≈ s·R·(p' + ref) + t  ⇒  t = μq + ref − s·R·(μp + ref)
    const cx = mpx + rsx,
      cy = mpy + rsy,
      cz = mpz + rsz;
    t = [mqx + rsx - scale * (R[0]! * cx + R[1]! * cy + R[2]! * cz), mqy + rsy - scale * (R[3]! * cx + R[4]! * cy + R[5]! * cz), mqz + rsz - scale * (R[6]! * cx + R[7]! * cy + R[8]! * cz)];
    it++;
  }
  return {
    pose: { position: t, orientation: quatFromMat3(R) },
    scale,
    rmse,
    fitness: count / m,
    iterations: it,
    correspondences: count,
  };
}
