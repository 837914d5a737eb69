import type { ColorImage, DepthImage, LabelImage } from '../model/image.ts';
import { toRgb8 } from '../model/image.ts';

/**
 * Debug images for a bundle's `debug/` folder: what the perceive stage segmented, drawn over
 * the colour image, and the depth as a grey ramp (near = bright) so a user can see at a glance
 * which stage went wrong.
 */

/** Instance colours (rgb8), cycled by instance id. */
const PALETTE: readonly [number, number, number][] = [
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [210, 245, 60],
  [250, 190, 212],
  [0, 128, 128],
  [170, 110, 40],
];

/** Masks blended at `alpha` over the image, with instance outlines at full colour. */
export function maskOverlay(color: ColorImage, masks: LabelImage, alpha = 0.45): ColorImage {
  const rgb = toRgb8(color);
  const { width: w, height: h } = rgb;
  const out = new Uint8Array(rgb.data);
  for (let v = 0; v < h; v++) {
    for (let u = 0; u < w; u++) {
      const i = v * w + u;
      const id = masks.data[i]!;
      if (!id) continue;
      const c = PALETTE[(id - 1) % PALETTE.length]!;
      const edge = (u > 0 && masks.data[i - 1] !== id) || (u + 1 < w && masks.data[i + 1] !== id) || (v > 0 && masks.data[i - w] !== id) || (v + 1 < h && masks.data[i + w] !== id);
      const a = edge ? 1 : alpha;
      for (let k = 0; k < 3; k++) out[i * 3 + k] = Math.round(out[i * 3 + k]! * (1 - a) + c[k]! * a);
    }
  }
  return { width: w, height: h, encoding: 'rgb8', data: out };
}

/** Depth as mono8 between its 2nd and 98th percentiles, near bright; no data black. */
export function depthPreview(depth: DepthImage): ColorImage {
  const vals: number[] = [];
  const step = Math.max(1, Math.floor(depth.data.length / 20000));
  for (let i = 0; i < depth.data.length; i += step) {
    const z = depth.data[i]!;
    if (z > 0 && Number.isFinite(z)) vals.push(z);
  }
  vals.sort((a, b) => a - b);
  const lo = vals[Math.floor(vals.length * 0.02)] ?? 0,
    hi = vals[Math.floor(vals.length * 0.98)] ?? 1;
  const span = Math.max(1e-6, hi - lo);
  const out = new Uint8Array(depth.data.length);
  for (let i = 0; i < out.length; i++) {
    const z = depth.data[i]!;
    if (!(z > 0) || !Number.isFinite(z)) continue;
    out[i] = Math.max(16, Math.min(255, Math.round(255 - (235 * (z - lo)) / span)));
  }
  return { width: depth.width, height: depth.height, encoding: 'mono8', data: out };
}
