import { checkIntrinsicsMatch, type CameraIntrinsics } from '../model/camera.ts';
import { Real2SimError } from '../model/errors.ts';
import type { PointCloud } from '../model/geometry.ts';
import type { DepthImage } from '../model/image.ts';

export interface DepthToCloudOptions {
  /** Keep pixel i (row-major linear index) only when this returns true. */
  mask?: (i: number) => boolean;
  /** Sample every `stride`-th pixel in u and v (1 = every pixel). */
  stride?: number;
  /** Depths beyond this (metres) are treated as no data (Open3D's `depth_trunc`). */
  maxDepth?: number;
}

/**
 * Back-projects a metric depth image into the camera optical frame (x right, y down, z forward):
 * x = (u − cx)·z / fx, y = (v − cy)·z / fy. Pixels with depth 0, negative, NaN or ±Inf are no
 * data and are skipped. Returns the cloud and, per point, its linear pixel index v·width + u.
 *
 * Two passes (count valid pixels, then project) so the output is allocated at its exact size;
 * the per-column and per-row rays are precomputed so the inner loop is two multiplies per axis.
 */
export function depthToCloud(
  depth: DepthImage,
  camera: CameraIntrinsics,
  opts: DepthToCloudOptions = {},
): { cloud: PointCloud; pixels: Uint32Array } {
  const { width, height, data } = depth;
  checkIntrinsicsMatch(camera, width, height, 'depth image');
  if (data.length !== width * height) {
    throw new Real2SimError('BAD_DEPTH', `Depth data holds ${data.length} values but the image is ${width}×${height}`, { width, height });
  }
  const stride = opts.stride ?? 1;
  if (!Number.isInteger(stride) || stride < 1) {
    throw new Real2SimError('BAD_INPUT', `depthToCloud: stride must be a positive integer, got ${stride}`);
  }
  const maxDepth = opts.maxDepth ?? Infinity;
  const mask = opts.mask;
  const rx = new Float64Array(width);
  for (let u = 0; u < width; u++) rx[u] = (u - camera.cx) / camera.fx;
  // Pass 1: count (and remember the caller's mask verdict, so it is called once per pixel).
  const keep = mask ? new Uint8Array(width * height) : null;
  let n = 0;
  for (let v = 0; v < height; v += stride) {
    const row = v * width;
    if (keep) {
      for (let u = 0; u < width; u += stride) {
        const i = row + u;
        const z = data[i]!;
        // z > 0 is false for NaN; z < Infinity drops +Inf
        if (z > 0 && z <= maxDepth && z < Infinity && mask!(i)) {
          keep[i] = 1;
          n++;
        }
      }
    } else {
      for (let u = 0; u < width; u += stride) {
        const z = data[row + u]!;
        if (z > 0 && z <= maxDepth && z < Infinity) n++;
      }
    }
  }
  // Pass 2: project into arrays of the exact size. Two copies of the loop: a branch on `keep`
  // inside the hot loop halves its speed.
  const positions = new Float32Array(n * 3);
  const pixels = new Uint32Array(n);
  let k = 0;
  for (let v = 0; v < height && k < n; v += stride) {
    const row = v * width;
    const ry = (v - camera.cy) / camera.fy;
    if (keep) {
      for (let u = 0; u < width; u += stride) {
        const i = row + u;
        if (keep[i] !== 1) continue;
        const z = data[i]!;
        positions[k * 3] = rx[u]! * z;
        positions[k * 3 + 1] = ry * z;
        positions[k * 3 + 2] = z;
        pixels[k++] = i;
      }
    } else {
      for (let u = 0; u < width; u += stride) {
        const i = row + u;
        const z = data[i]!;
        if (z > 0 && z <= maxDepth && z < Infinity) {
          positions[k * 3] = rx[u]! * z;
          positions[k * 3 + 1] = ry * z;
          positions[k * 3 + 2] = z;
          pixels[k++] = i;
        }
      }
    }
  }
  return { cloud: { positions }, pixels };
}
