import type { ColorImage, DepthImage } from '../model/image.ts';
import type { Rng } from '../geometry/random.ts';
import { defined } from '../model/options.ts';

/**
 * Seeded sensor noise for synthetic frames, shaped like a structured-light / ToF sensor
 * (Kinect-like figures from Nguyen et al. 2012):
 * - axial noise σ(z) = sigma0 + sigma2 · (z − z0)², Gaussian;
 * - quantisation to `quantum` metres (1 mm, as a 16UC1 stream delivers);
 * - missing pixels at depth edges (a neighbour differs by more than `edgeJump`), dropped with
 *   probability `edgeDropout`, and a few random dropouts everywhere.
 */
export interface DepthNoiseOptions {
  sigma0?: number;
  sigma2?: number;
  z0?: number;
  quantum?: number;
  edgeJump?: number;
  edgeDropout?: number;
  randomDropout?: number;
}

export const DEPTH_NOISE_DEFAULTS: Required<DepthNoiseOptions> = {
  sigma0: 0.0012,
  sigma2: 0.0019,
  z0: 0.4,
  quantum: 0.001,
  edgeJump: 0.02,
  edgeDropout: 0.6,
  randomDropout: 0.002,
};

/** Depth σ at range z, metres. */
export function depthSigma(z: number, o: Required<DepthNoiseOptions> = DEPTH_NOISE_DEFAULTS): number {
  return o.sigma0 + o.sigma2 * (z - o.z0) * (z - o.z0);
}

/** Returns a new depth image; the input is not changed. Same rng state ⇒ same output. */
export function addDepthNoise(depth: DepthImage, rng: Rng, options: DepthNoiseOptions = {}): DepthImage {
  const o = { ...DEPTH_NOISE_DEFAULTS, ...defined(options) };
  const { width, height, data } = depth;
  const out = new Float32Array(data.length);
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const i = v * width + u;
      const z = data[i]!;
      // draw both numbers for every pixel so the stream does not depend on the image content
      const g = rng.normal();
      const drop = rng.next();
      if (!(z > 0) || !Number.isFinite(z)) continue;
      // a neighbour with no data or a jump beyond edgeJump makes this an edge pixel
      const l = u > 0 ? data[i - 1]! : z,
        r = u + 1 < width ? data[i + 1]! : z;
      const t = v > 0 ? data[i - width]! : z,
        b = v + 1 < height ? data[i + width]! : z;
      const edge = !(l > 0) || !(r > 0) || !(t > 0) || !(b > 0) || Math.abs(l - z) > o.edgeJump || Math.abs(r - z) > o.edgeJump || Math.abs(t - z) > o.edgeJump || Math.abs(b - z) > o.edgeJump;
      if (drop < (edge ? o.edgeDropout : o.randomDropout)) continue;
      const noisy = z + g * depthSigma(z, o);
      out[i] = o.quantum > 0 ? Math.max(o.quantum, Math.round(noisy / o.quantum) * o.quantum) : noisy;
    }
  }
  return { width, height, data: out };
}

/** Small Gaussian noise on 8-bit colour (σ in levels); returns a new image. */
export function addColorNoise(img: ColorImage, rng: Rng, sigma = 2): ColorImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.max(0, Math.min(255, Math.round(img.data[i]! + sigma * rng.normal())));
  }
  return { ...img, data: out };
}
