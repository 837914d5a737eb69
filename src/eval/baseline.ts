import type { RgbdFrame } from '../model/frame.ts';
import type { Mesh } from '../model/geometry.ts';
import { quatFromMat3, quatFromYaw, type Pose, type Vec3 } from '../model/pose.ts';
import { SCENE_VERSION, type Scene, type SceneObject } from '../model/scene.ts';
import { Real2SimError } from '../model/errors.ts';
import { boxMesh } from '../geometry/primitives.ts';
import { massProperties } from '../geometry/massProperties.ts';
import { depthToCloud } from '../geometry/depthCloud.ts';
import { fitPlaneRansac, planeInliers, refinePlane } from '../stages/local/plane.ts';
import { createRng } from '../geometry/random.ts';
import { convexHull2d, minAreaRect as hullRect } from '../stages/footprint.ts';
import { defined } from '../model/options.ts';

/**
 * The honest box baseline of `bench:quality`: what anyone gets from an RGB-D frame and masks
 * with no shape reasoning at all. It never looks at the truth:
 * 1. the support plane by RANSAC on the pixels outside every mask, refined by least squares;
 * 2. a gravity-aligned world frame on that plane (z up, x forward, origin below the camera);
 * 3. per mask, the visible points lifted into that frame and extruded down to the plane, and
 *    the minimum-area rectangle of their footprint (rotating calipers on the 2D hull) as the
 *    box's yaw and extents; height = highest point above the plane.
 */
export interface BoxBaselineOptions {
  /** RANSAC inlier distance, metres. */
  planeThreshold?: number;
  planeIterations?: number;
  /** Sample every `stride`-th pixel for the plane fit. */
  planeStride?: number;
  /** Points closer than this to the plane belong to it, not to the object (metres). */
  minHeight?: number;
  /** Masks with fewer valid depth pixels are skipped. */
  minPixels?: number;
  /** Height = this quantile of the points' heights (1 = max; < 1 trims depth noise). */
  heightQuantile?: number;
  density?: number;
  seed?: number;
}

export const BOX_BASELINE_DEFAULTS: Required<BoxBaselineOptions> = {
  planeThreshold: 0.005,
  planeIterations: 300,
  planeStride: 4,
  minHeight: 0.004,
  minPixels: 20,
  heightQuantile: 0.995,
  density: 600,
  seed: 1,
};

/**
 * Min-area rectangle of 2D points (flat xy pairs): centre, yaw of its first axis, full extents
 * (each at least 1 mm). The footprint stage's hull and rectangle; a footprint with no area (a
 * point, a segment) gets its bounding box instead.
 */
export function minAreaRect(xy: Float64Array): { cx: number; cy: number; yaw: number; sx: number; sy: number } {
  const hull = xy.length >= 6 ? convexHull2d(xy, 2) : new Float64Array(0);
  if (hull.length < 6) {
    let x0 = Infinity,
      x1 = -Infinity,
      y0 = Infinity,
      y1 = -Infinity;
    for (let i = 0; i < xy.length; i += 2) {
      x0 = Math.min(x0, xy[i]!);
      x1 = Math.max(x1, xy[i]!);
      y0 = Math.min(y0, xy[i + 1]!);
      y1 = Math.max(y1, xy[i + 1]!);
    }
    return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, yaw: 0, sx: Math.max(x1 - x0, 1e-3), sy: Math.max(y1 - y0, 1e-3) };
  }
  const r = hullRect(hull);
  return { cx: r.cx, cy: r.cy, yaw: r.angle, sx: Math.max(r.sx, 1e-3), sy: Math.max(r.sy, 1e-3) };
}

/**
 * Axes of a gravity-aligned world on a plane n·p + d = 0 seen in the camera optical frame (n
 * towards the camera): z = n, x = the optical axis projected onto the plane (forward, REP 103),
 * y = z × x. World ← optical is p_w = (x·p, y·p, z·p + d): the origin is the camera's foot point.
 */
export function planeAxes(normal: Vec3): { x: Vec3; y: Vec3; z: Vec3 } {
  const z = normal;
  let x: Vec3 = [-z[2] * z[0], -z[2] * z[1], 1 - z[2] * z[2]];
  let xl = Math.hypot(...x);
  if (xl < 1e-6) {
    x = [1 - z[0] * z[0], -z[0] * z[1], -z[0] * z[2]]; // looking straight down: use optical x
    xl = Math.hypot(...x);
  }
  x = [x[0] / xl, x[1] / xl, x[2] / xl];
  const y: Vec3 = [z[1] * x[2] - z[2] * x[1], z[2] * x[0] - z[0] * x[2], z[0] * x[1] - z[1] * x[0]];
  return { x, y, z };
}

/** Camera pose (optical → world) in the world of `planeAxes`. */
export function cameraPoseOnPlane(normal: Vec3, d: number): Pose {
  const { x, y, z } = planeAxes(normal);
  return { position: [0, 0, d], orientation: quatFromMat3([x[0], x[1], x[2], y[0], y[1], y[2], z[0], z[1], z[2]]) };
}

/**
 * Box baseline as a scene estimator. Needs depth and masks on the frame; returns the scene in
 * its own world frame (z up on the fitted plane), with `camera` set so a caller can compare
 * with a truth expressed in another world frame.
 */
export function boxBaseline(frame: RgbdFrame, options: BoxBaselineOptions = {}): Scene {
  const o = { ...BOX_BASELINE_DEFAULTS, ...defined(options) };
  const { depth, masks, camera } = frame;
  if (!depth) throw new Real2SimError('BAD_DEPTH', 'The box baseline needs a depth image');
  if (!masks) throw new Real2SimError('BAD_INPUT', 'The box baseline needs instance masks (it does no segmentation)');
  const lab = masks.data;
  const bg = depthToCloud(depth, camera, { mask: (i) => lab[i] === 0, stride: o.planeStride });
  // the ground stage's RANSAC (hypotheses scored on a probe, the winner on every point)
  const fit = fitPlaneRansac(bg.cloud.positions, { threshold: o.planeThreshold, iterations: o.planeIterations, rng: createRng(o.seed) });
  if (fit.inliers.length < 3) {
    throw new Real2SimError(
      'NO_PLANE',
      `The box baseline found no support plane: ${fit.inliers.length} of ${bg.cloud.positions.length / 3} background points within ${o.planeThreshold} m of any sampled plane`,
    );
  }
  // least squares twice: through the sample's inliers, then through the refined plane's own
  const first = refinePlane(bg.cloud.positions, fit.inliers);
  const again = planeInliers(bg.cloud.positions, first.normal, first.d, o.planeThreshold);
  const refined = again.length >= 3 ? refinePlane(bg.cloud.positions, again) : first;
  // normal towards the camera (the origin of the optical frame on its positive side)
  const plane = refined.d < 0 ? { normal: refined.normal.map((v) => -v) as Vec3, d: -refined.d } : refined;
  const camPose = cameraPoseOnPlane(plane.normal, plane.d);
  const n = plane.normal;
  const { x, y } = planeAxes(n);

  const all = depthToCloud(depth, camera, { mask: (i) => lab[i] !== 0 });
  const byId = new Map<number, number[]>();
  for (let k = 0; k < all.pixels.length; k++) {
    const id = lab[all.pixels[k]!]!;
    let list = byId.get(id);
    if (!list) byId.set(id, (list = []));
    list.push(k);
  }
  const P = all.cloud.positions;
  const objects: SceneObject[] = [];
  for (const id of [...byId.keys()].sort((a, b) => a - b)) {
    const ks = byId.get(id)!;
    const xy: number[] = [];
    const hs: number[] = [];
    for (const k of ks) {
      const px = P[k * 3]!,
        py = P[k * 3 + 1]!,
        pz = P[k * 3 + 2]!;
      const h = n[0] * px + n[1] * py + n[2] * pz + plane.d;
      if (h < o.minHeight) continue;
      xy.push(x[0] * px + x[1] * py + x[2] * pz, y[0] * px + y[1] * py + y[2] * pz);
      hs.push(h);
    }
    if (hs.length < o.minPixels) continue;
    hs.sort((a, b) => a - b);
    const height = hs[Math.min(hs.length - 1, Math.floor(o.heightQuantile * (hs.length - 1)))]!;
    const r = minAreaRect(new Float64Array(xy));
    const size: Vec3 = [r.sx, r.sy, Math.max(height, 1e-3)];
    const mesh: Mesh = boxMesh(...size);
    const mp = massProperties(mesh, o.density);
    const label = masks.labels.get(id) ?? 'object';
    objects.push({
      id: `obj_${id}`,
      label,
      mesh,
      pose: { position: [r.cx, r.cy, size[2] / 2], orientation: quatFromYaw(r.yaw) },
      size,
      mass: mp.mass,
      centerOfMass: mp.centerOfMass,
      inertia: mp.inertia,
      collision: [mesh],
      symmetry: 'rot2',
      instanceId: id,
    });
  }
  return {
    version: SCENE_VERSION,
    frameId: 'world',
    objects,
    support: { normal: [0, 0, 1], d: 0 },
    camera: { intrinsics: camera, pose: camPose },
    reports: [],
    meta: { estimator: 'box-baseline', planeInliers: fit.inliers.length, planePoints: bg.cloud.positions.length / 3 },
  };
}
