import type { CameraIntrinsics } from '../model/camera.ts';
import type { DepthImage } from '../model/image.ts';
import type { Pose, Vec3 } from '../model/pose.ts';
import { quatFromMat3 } from '../model/pose.ts';

/**
 * The frame's depth as an organized cloud: one optical-frame point per pixel so that image
 * neighbourhoods (mask edges, depth jumps, connected components) stay cheap index arithmetic.
 *
 * Layout: `positions` is Float32Array(width·height·3), pixel i = v·width + u at [3i, 3i+3),
 * x right, y down, z forward (metres); invalid pixels hold 0,0,0 and `valid[i] = 0`.
 */
export interface OrganizedCloud {
  width: number;
  height: number;
  positions: Float32Array;
  valid: Uint8Array;
  validCount: number;
}

/** Depth limits a pixel must fall in to count: near the sensor's minimum range, far its useful range. */
export const DEPTH_RANGE = { near: 0.05, far: 20 } as const;

export function organizedCloud(depth: DepthImage, camera: CameraIntrinsics): OrganizedCloud {
  const { width, height } = depth;
  const positions = new Float32Array(width * height * 3);
  const valid = new Uint8Array(width * height);
  const ifx = 1 / camera.fx,
    ify = 1 / camera.fy;
  let validCount = 0;
  for (let v = 0, i = 0; v < height; v++) {
    const ry = (v - camera.cy) * ify;
    for (let u = 0; u < width; u++, i++) {
      const z = depth.data[i]!;
      // NaN, ±Inf, 0 and out-of-range values all fail this test.
      if (!(z > DEPTH_RANGE.near && z < DEPTH_RANGE.far)) continue;
      positions[i * 3] = (u - camera.cx) * ifx * z;
      positions[i * 3 + 1] = ry * z;
      positions[i * 3 + 2] = z;
      valid[i] = 1;
      validCount++;
    }
  }
  return { width, height, positions, valid, validCount };
}

/** Plane n·p + d = 0 in some frame, n unit. */
export interface PlaneEq {
  normal: Vec3;
  d: number;
}

/**
 * World frame on a support plane seen from a camera (REP 103): z = the plane normal (pointing
 * to the camera's side), x = the optical axis projected on the plane, origin = the foot of the
 * camera on the plane. Returns the camera optical frame → world pose.
 */
export function worldFromPlane(plane: PlaneEq): Pose {
  let [nx, ny, nz] = plane.normal;
  let d = plane.d;
  // orient the normal so the camera (the optical origin) is above the plane: n·0 + d > 0
  if (d < 0) {
    nx = -nx;
    ny = -ny;
    nz = -nz;
    d = -d;
  }
  // x: optical z axis (0,0,1) minus its normal component; fall back to optical -y when looking straight down
  let fx = -nz * nx,
    fy = -nz * ny,
    fz = 1 - nz * nz;
  let fl = Math.hypot(fx, fy, fz);
  if (fl < 1e-6) {
    fx = 0 + ny * nx;
    fy = -1 + ny * ny;
    fz = ny * nz;
    fl = Math.hypot(fx, fy, fz);
  }
  fx /= fl;
  fy /= fl;
  fz /= fl;
  // y = z × x
  const yx = ny * fz - nz * fy,
    yy = nz * fx - nx * fz,
    yz = nx * fy - ny * fx;
  // rows of R (world ← optical) are the world axes expressed in the optical frame
  const R = [fx, fy, fz, yx, yy, yz, nx, ny, nz];
  // the camera centre (optical origin) sits at height d above its foot
  return { position: [0, 0, d], orientation: quatFromMat3(R) };
}
