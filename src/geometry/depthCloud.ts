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
 * Two passes (collect valid pixels, then project) so the output is allocated at its exact size;
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
  const pixels = new Uint32Array(Math.ceil(width / stride) * Math.ceil(height / stride));
  let n = 0;
  for (let v = 0; v < height; v += stride) {
    const row = v * width;
    for (let u = 0; u < width; u += stride) {
      const i = row + u;
      const z = data[i]!;
      // z > 0 is false for NaN; z <= maxDepth is false for +Inf when maxDepth is finite
      if (z > 0 && z < Infinity && z <= maxDepth && (mask === undefined || mask(i))) pixels[n++] = i;
    }
  }
  const positions = new Float32Array(n * 3);
  const fyInv = 1 / camera.fy;
  for (let k = 0; k < n; k++) {
    const i = pixels[k]!;
    const v = (i / width) | 0;
    const u = i - v * width;
    const z = data[i]!;
    positions[k * 3] = rx[u]! * z;
    positions[k * 3 + 1] = (v - camera.cy) * fyInv * z;
    positions[k * 3 + 2] = z;
  }
  return { cloud: { positions }, pixels: n === pixels.length ? pixels : pixels.slice(0, n) };
}
