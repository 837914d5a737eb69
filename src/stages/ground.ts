import { createRng } from '../geometry/random.ts';
import { Real2SimError } from '../model/errors.ts';
import type { Pose } from '../model/pose.ts';
import { timeStage, type StageResult } from '../model/report.ts';
import type { Plane } from '../model/scene.ts';
import { convexHull2d } from './footprint.ts';
import { fitPlaneRansac, planeInliers, refinePlane } from './local/plane.ts';
import { defined } from './util.ts';
import { worldFromPlane, type OrganizedCloud, type PlaneEq } from './organized.ts';
import { basisOfNormal } from './segment/support.ts';

/**
 * Stage 3, ground: the support plane by seeded RANSAC, refined by least squares, and the
 * gravity-aligned world frame it defines (z up along the plane normal, x = the optical axis
 * projected on the plane, origin below the camera; REP 103). Several near-parallel planes are
 * looked for (floor and tabletop); the one that supports the objects wins.
 */
export const GROUND = 'ground';

export interface GroundOptions {
  /** RANSAC inlier distance, metres. */
  threshold?: number;
  iterations?: number;
  seed?: number;
  /** Points the fit looks at (an even subsample of the valid pixels). */
  maxPoints?: number;
  /** Planes to look for, largest first. */
  maxPlanes?: number;
  /** A further plane counts only when within this angle of the first one (degrees). */
  parallelDeg?: number;
  /** ... and when it has at least this fraction of the first plane's inliers. */
  minRelativeInliers?: number;
  /** Below this fraction of the sampled points in the best plane, the frame has no support plane. */
  minInlierRatio?: number;
  minInliers?: number;
}

export const GROUND_DEFAULTS: Required<GroundOptions> = {
  threshold: 0.01,
  iterations: 300,
  seed: 1,
  maxPoints: 20_000,
  maxPlanes: 3,
  parallelDeg: 12,
  minRelativeInliers: 0.35,
  minInlierRatio: 0.08,
  minInliers: 300,
};

export interface GroundInput {
  cloud: OrganizedCloud;
  /** 1 where a pixel belongs to a known object: left out of the fit, used to choose the support. */
  objectPixels?: Uint8Array;
}

export interface GroundOutput {
  /** Support plane in the optical frame, normal towards the camera (d > 0 = camera height). */
  planeOptical: PlaneEq;
  /** Camera optical frame → world. */
  cameraPose: Pose;
  /** Support plane in the world frame (z = 0 by construction). */
  support: Plane;
  /** Inliers of the chosen plane / points sampled. */
  inlierRatio: number;
  /** Height above the support of each optical-frame point: n·p + d. */
  heightOf: (x: number, y: number, z: number) => number;
}

export function ground(options: GroundOptions = {}) {
  const o = { ...GROUND_DEFAULTS, ...defined(options) };
  return (input: GroundInput): Promise<StageResult<GroundOutput>> =>
    timeStage(GROUND, 'ransac', (report) => {
      const { cloud, objectPixels } = input;
      const rng = createRng(o.seed);
      // even subsample of valid background pixels
      let candidates = 0;
      for (let i = 0; i < cloud.valid.length; i++) if (cloud.valid[i] && !objectPixels?.[i]) candidates++;
      const step = Math.max(1, Math.ceil(candidates / o.maxPoints));
      // written straight into a typed array: three-argument pushes onto a number[] were half of
      // this stage's own time (~5 ms a frame)
      const sample = new Float32Array(Math.ceil(candidates / step) * 3);
      for (let i = 0, c = 0, k = 0; i < cloud.valid.length; i++) {
        if (!cloud.valid[i] || objectPixels?.[i]) continue;
        if (c++ % step === 0) {
          sample[k++] = cloud.positions[i * 3]!;
          sample[k++] = cloud.positions[i * 3 + 1]!;
          sample[k++] = cloud.positions[i * 3 + 2]!;
        }
      }
      const total = sample.length / 3;
      report.counts['points'] = total;
      if (total < o.minInliers) {
        throw new Real2SimError(
          'NO_PLANE',
          `Only ${total} usable depth points outside the objects: too few to find the support plane. Check the depth image (units, --depth-scale) and that the floor or table is in view.`,
          { points: total },
        );
      }

      // Largest plane, then further planes among what is left; keep the near-parallel ones.
      const planes: { plane: PlaneEq; inliers: number; points: Float32Array }[] = [];
      let curved = 0;
      let rest = sample;
      for (let k = 0; k < o.maxPlanes + curved && k < o.maxPlanes + 2 && rest.length / 3 >= o.minInliers; k++) {
        const fit = fitPlaneRansac(rest, { threshold: o.threshold, iterations: o.iterations, rng, earlyStop: false });
        if (fit.inliers.length < o.minInliers) break;
        let plane = refinePlane(rest, fit.inliers);
        let inl = planeInliers(rest, plane.normal, plane.d, o.threshold);
        if (inl.length >= 3) {
          plane = refinePlane(rest, inl);
          inl = planeInliers(rest, plane.normal, plane.d, o.threshold);
        }
        const oriented = orient(plane);
        const first = planes[0];
        if (!first && isCurved(rest, inl, plane, o.threshold)) {
          curved++;
          report.warnings.push(`the largest plane-like region (${inl.length} points) is curved, not a plane: skipped`);
        } else if (!first) planes.push({ plane: oriented, inliers: inl.length, points: pick(rest, inl) });
        else {
          const cos = Math.abs(dot(first.plane.normal, oriented.normal));
          if (cos > Math.cos((o.parallelDeg * Math.PI) / 180) && inl.length >= o.minRelativeInliers * first.inliers) {
            planes.push({ plane: oriented, inliers: inl.length, points: pick(rest, inl) });
          }
        }
        // drop a slab around this plane and look again
        const keep = new Float32Array(rest.length);
        let kept = 0;
        const [nx, ny, nz] = plane.normal;
        for (let i = 0; i < rest.length; i += 3) {
          if (Math.abs(nx * rest[i]! + ny * rest[i + 1]! + nz * rest[i + 2]! + plane.d) >= 2 * o.threshold) {
            keep[kept++] = rest[i]!;
            keep[kept++] = rest[i + 1]!;
            keep[kept++] = rest[i + 2]!;
          }
        }
        rest = keep.slice(0, kept);
      }
      const best = planes[0];
      if (!best || best.inliers / total < o.minInlierRatio) {
        throw new Real2SimError(
          'NO_PLANE',
          `No support plane: the largest plane holds ${best ? ((100 * best.inliers) / total).toFixed(1) : 0}% of the depth points (need ${(100 * o.minInlierRatio).toFixed(0)}%). The floor or table the objects stand on must be in view.`,
          { inlierRatio: best ? best.inliers / total : 0 },
        );
      }

      let chosen = best;
      if (planes.length > 1) {
        if (objectPixels) chosen = supportOfObjects(planes, cloud, objectPixels, o.threshold);
        else {
          // the highest plane (a tabletop over the floor), unless it floats: tops of boxes and
          // books at one height make a plane too, with the table measured under it
          const standing = planes.filter((p) => floatingShare(p, sample, o.threshold) < MAX_FLOATING_SHARE);
          chosen = (standing.length ? standing : planes).reduce((a, b) => (b.plane.d < a.plane.d ? b : a));
        }
        if (chosen !== best) report.warnings.push(`support plane is not the largest plane (${planes.length} parallel planes; chose the one ${(best.plane.d - chosen.plane.d).toFixed(3)} m above it)`);
      }
      const planeOptical = chosen.plane;
      report.counts['planes'] = planes.length;
      report.counts['inliers'] = chosen.inliers;
      report.counts['inlierRatio'] = chosen.inliers / total;
      report.counts['cameraHeight'] = planeOptical.d;
      const [nx, ny, nz] = planeOptical.normal;
      const d = planeOptical.d;
      return {
        planeOptical,
        cameraPose: worldFromPlane(planeOptical),
        support: { normal: [0, 0, 1], d: 0 },
        inlierRatio: chosen.inliers / total,
        heightOf: (x: number, y: number, z: number) => nx * x + ny * y + nz * z + d,
      };
    });
}

/** A plane with more than this share of its own inliers' count measured under it, within its outline, floats. */
const MAX_FLOATING_SHARE = 0.3;

function pick(p: Float32Array, idx: Uint32Array): Float32Array {
  const out = new Float32Array(idx.length * 3);
  for (let k = 0; k < idx.length; k++) out.set(p.subarray(idx[k]! * 3, idx[k]! * 3 + 3), k * 3);
  return out;
}

/**
 * Points measured more than 3 inlier distances below a plane that land, dropped onto it, inside
 * the convex outline of its inliers, per inlier. A support has nothing under it within its
 * outline (the floor under a table is hidden by the table; the floor beyond its edge is outside);
 * a plane through the tops of several objects has the table under it.
 */
function floatingShare(p: { plane: PlaneEq; inliers: number; points: Float32Array }, sample: Float32Array, threshold: number): number {
  const [nx, ny, nz] = p.plane.normal;
  const [e1x, e1y, e1z, e2x, e2y, e2z] = basisOfNormal(nx, ny, nz);
  const flat = (q: Float32Array, i: number): [number, number] => [q[i]! * e1x + q[i + 1]! * e1y + q[i + 2]! * e1z, q[i]! * e2x + q[i + 1]! * e2y + q[i + 2]! * e2z];
  const xy = new Float64Array((p.points.length / 3) * 2);
  for (let i = 0, k = 0; i < p.points.length; i += 3, k += 2) xy.set(flat(p.points, i), k);
  const hull = convexHull2d(xy, 2);
  const m = hull.length / 2;
  if (m < 3) return 0;
  let under = 0;
  for (let i = 0; i < sample.length; i += 3) {
    if (nx * sample[i]! + ny * sample[i + 1]! + nz * sample[i + 2]! + p.plane.d > -3 * threshold) continue;
    const [u, v] = flat(sample, i);
    let inside = true;
    for (let k = 0; k < m && inside; k++) {
      const x0 = hull[k * 2]!,
        y0 = hull[k * 2 + 1]!,
        x1 = hull[((k + 1) % m) * 2]!,
        y1 = hull[((k + 1) % m) * 2 + 1]!;
      if ((x1 - x0) * (v - y0) - (y1 - y0) * (u - x0) < 0) inside = false;
    }
    if (inside) under++;
  }
  return under / p.inliers;
}

/** The plane most object points stand on: most points above it, and among those the closest below them. */
function supportOfObjects<T extends { plane: PlaneEq; inliers: number }>(planes: T[], cloud: OrganizedCloud, objectPixels: Uint8Array, threshold: number) {
  let objN = 0;
  for (let i = 0; i < objectPixels.length; i++) if (objectPixels[i] && cloud.valid[i]) objN++;
  if (objN === 0) return planes.reduce((a, b) => (b.plane.d < a.plane.d ? b : a));
  const step = Math.max(1, Math.floor(objN / 5000));
  const scored = planes.map((p) => {
    const [nx, ny, nz] = p.plane.normal;
    const hs: number[] = [];
    for (let i = 0, c = 0; i < objectPixels.length; i++) {
      if (!objectPixels[i] || !cloud.valid[i] || c++ % step) continue;
      hs.push(nx * cloud.positions[i * 3]! + ny * cloud.positions[i * 3 + 1]! + nz * cloud.positions[i * 3 + 2]! + p.plane.d);
    }
    hs.sort((a, b) => a - b);
    const above = hs.filter((h) => h > -2 * threshold).length / hs.length;
    return { p, above, low: hs[Math.floor(hs.length * 0.02)] ?? 0 };
  });
  const ok = scored.filter((s) => s.above >= 0.9);
  if (ok.length === 0) return scored.reduce((a, b) => (b.above > a.above ? b : a)).p;
  return ok.reduce((a, b) => (b.low < a.low ? b : a)).p;
}

/**
 * A slab of a curved surface (a big ball, a cylinder seen close) passes RANSAC's inlier test
 * too; its residuals grow with the squared distance from the slab's centre, a plane's do not.
 * Curved when a line in r² explains most of the residual variance and spans most of the slab.
 */
function isCurved(p: Float32Array, inliers: Uint32Array, plane: { normal: [number, number, number]; d: number }, threshold: number): boolean {
  const n = inliers.length;
  if (n < 50) return false;
  const step = Math.max(1, Math.floor(n / 4000));
  const [nx, ny, nz] = plane.normal;
  let cx = 0,
    cy = 0,
    cz = 0,
    m = 0;
  for (let k = 0; k < n; k += step) {
    const i = inliers[k]! * 3;
    cx += p[i]!;
    cy += p[i + 1]!;
    cz += p[i + 2]!;
    m++;
  }
  cx /= m;
  cy /= m;
  cz /= m;
  const xs: number[] = [],
    ys: number[] = [];
  for (let k = 0; k < n; k += step) {
    const i = inliers[k]! * 3;
    const dx = p[i]! - cx,
      dy = p[i + 1]! - cy,
      dz = p[i + 2]! - cz;
    const res = nx * dx + ny * dy + nz * dz;
    xs.push(dx * dx + dy * dy + dz * dz - res * res);
    ys.push(res);
  }
  const mx = xs.reduce((a, b) => a + b, 0) / m,
    my = ys.reduce((a, b) => a + b, 0) / m;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let k = 0; k < m; k++) {
    sxy += (xs[k]! - mx) * (ys[k]! - my);
    sxx += (xs[k]! - mx) ** 2;
    syy += (ys[k]! - my) ** 2;
  }
  if (!(sxx > 0) || !(syy > 0)) return false;
  const r2 = (sxy * sxy) / (sxx * syy);
  const span = Math.abs(sxy / sxx) * (Math.max(...xs) - Math.min(...xs));
  return r2 > 0.6 && span > threshold;
}

function orient(p: { normal: [number, number, number]; d: number }): PlaneEq {
  return p.d < 0 ? { normal: [-p.normal[0], -p.normal[1], -p.normal[2]], d: -p.d } : { normal: [...p.normal], d: p.d };
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
}
