import { CHANNELS, type ColorImage, type LabelImage } from '../model/image.ts';
import type { LiftedObject } from './lift.ts';

/**
 * An object's crop of the colour image: what a de-occlusion model completes and a pose model
 * reads. The box around the object's pixels, grown by a margin and clipped to the image.
 */
export interface ObjectCrop {
  image: ColorImage;
  /** 1 where the object itself is visible, crop-sized (a neighbour's pixels are 0). */
  mask: Uint8Array;
}

/** Extra pixels around each object's box (context for the model at the outline). */
export const CROP_MARGIN = 4;

/** The crop of each object, by id. */
export function objectCrops(color: ColorImage, masks: LabelImage, objects: readonly LiftedObject[], margin = CROP_MARGIN): Map<number, ObjectCrop> {
  return new Map(objects.map((o) => [o.id, cropObject(color, masks, o.id, o.pixels, margin)]));
}

/** The box around `pixels` (indices v·width + u), grown by `margin` and clipped to the image, with the visible mask of label `id`. */
export function cropObject(color: ColorImage, masks: LabelImage, id: number, pixels: Uint32Array, margin: number): ObjectCrop {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -1,
    y1 = -1;
  for (const p of pixels) {
    const x = p % color.width,
      y = (p - x) / color.width;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  x0 = Math.max(0, x0 - margin);
  y0 = Math.max(0, y0 - margin);
  x1 = Math.min(color.width - 1, x1 + margin);
  y1 = Math.min(color.height - 1, y1 + margin);
  const w = x1 - x0 + 1,
    h = y1 - y0 + 1;
  const c = CHANNELS[color.encoding];
  const data = new Uint8Array(w * h * c);
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = (y + y0) * color.width + x0;
    data.set(color.data.subarray(row * c, (row + w) * c), y * w * c);
    for (let x = 0; x < w; x++) mask[y * w + x] = masks.data[row + x] === id ? 1 : 0;
  }
  return { image: { width: w, height: h, encoding: color.encoding, data }, mask };
}
