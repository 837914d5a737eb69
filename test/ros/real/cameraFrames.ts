/**
 * What the soak's camera publishes (the probe on a real graph, or the in-process camera where no
 * ROS 2 is installed): a real frame from ../shared/data or the synthetic one, looped, with a
 * share of inconsistent pairs (depth at half the colour size) spread evenly.
 */
import { readFileSync } from 'node:fs';
import { generateSynthScene } from '../../../src/synth/synth.ts';
import { decodeColorImage, decodeDepthPng } from '../../../src/io/image.ts';
import type { CameraIntrinsics } from '../../../src/model/camera.ts';
import type { RgbdFrame } from '../../../src/model/frame.ts';
import type { DepthImage } from '../../../src/model/image.ts';

export interface CameraSpec {
  /** A real frame (paths to a colour PNG and a 16-bit depth PNG). */
  real?: { rgb: string; depth: string; camera: CameraIntrinsics; depthScale: number };
  /** Otherwise the synthetic scene of this seed and size. */
  seed?: number;
  width?: number;
  height?: number;
}

export function cameraFrame(c: CameraSpec): RgbdFrame {
  const { real } = c;
  if (real) {
    return {
      color: decodeColorImage(new Uint8Array(readFileSync(real.rgb)), real.rgb),
      depth: decodeDepthPng(new Uint8Array(readFileSync(real.depth)), real.depthScale, real.depth),
      camera: real.camera,
    };
  }
  return generateSynthScene({ seed: c.seed ?? 7, width: c.width ?? 320, height: c.height ?? 240, sharedMeshesDir: null }).frame;
}

/** Every other pixel: a depth image smaller than the colour image (an inconsistent pair). */
export function halfDepth(d: DepthImage): DepthImage {
  const width = d.width >> 1;
  const height = d.height >> 1;
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = d.data[2 * y * d.width + 2 * x]!;
  return { width, height, data };
}

/** Whether frame `k` is one of the `share` (0–1) inconsistent ones: evenly spread, never the first. */
export function isBadFrame(k: number, share: number): boolean {
  return share > 0 && Math.floor((k + 1) * share) > Math.floor(k * share);
}
