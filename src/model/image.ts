/**
 * Images as ROS has them. Row-major, top-left origin, tightly packed (no row padding: the
 * normalisers at the edges remove `step` padding and byte-swap big-endian data).
 */

/** 8-bit colour encodings (ROS `sensor_msgs/image_encodings`). */
export type ColorEncoding = 'rgb8' | 'bgr8' | 'rgba8' | 'bgra8' | 'mono8';
export type DepthEncoding = '16UC1' | '32FC1';
export type LabelEncoding = 'mono8' | 'mono16' | '32SC1';

export const CHANNELS: Readonly<Record<ColorEncoding, number>> = { rgb8: 3, bgr8: 3, rgba8: 4, bgra8: 4, mono8: 1 };

/** 8-bit colour image; `data.length === width * height * CHANNELS[encoding]`. */
export interface ColorImage {
  width: number;
  height: number;
  encoding: ColorEncoding;
  data: Uint8Array;
}

/** Metric depth along the optical axis in metres; 0 or NaN = no data. Length `width * height`. */
export interface DepthImage {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * Instance label image: 0 = background, k > 0 = instance k. `labels` maps an instance id to its
 * class text (open-set: any string). Length `width * height`.
 */
export interface LabelImage {
  width: number;
  height: number;
  data: Uint16Array;
  labels: Map<number, string>;
}

/** Converts any 8-bit colour image to tightly packed `rgb8`. Returns the input if it already is. */
export function toRgb8(img: ColorImage): ColorImage {
  if (img.encoding === 'rgb8') return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  const src = img.data;
  const c = CHANNELS[img.encoding];
  const bgr = img.encoding === 'bgr8' || img.encoding === 'bgra8';
  for (let i = 0; i < n; i++) {
    const s = i * c;
    if (c === 1) {
      out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = src[s]!;
    } else {
      out[i * 3] = src[bgr ? s + 2 : s]!;
      out[i * 3 + 1] = src[s + 1]!;
      out[i * 3 + 2] = src[bgr ? s : s + 2]!;
    }
  }
  return { width: img.width, height: img.height, encoding: 'rgb8', data: out };
}

/** `16UC1` millimetres → metres (0 stays 0 = no data). */
export function depthFromMillimetres(width: number, height: number, mm: Uint16Array, scale = 0.001): DepthImage {
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = mm[i]! * scale;
  return { width, height, data };
}

/** Metres → `16UC1` millimetres, rounded; no data and out-of-range values become 0. */
export function depthToMillimetres(depth: DepthImage): Uint16Array {
  const out = new Uint16Array(depth.data.length);
  for (let i = 0; i < out.length; i++) {
    const d = depth.data[i]!;
    const mm = Math.round(d * 1000);
    out[i] = Number.isFinite(d) && mm > 0 && mm <= 65535 ? mm : 0;
  }
  return out;
}

/** True where the depth value is usable. */
export function isValidDepth(d: number): boolean {
  return d > 0 && Number.isFinite(d);
}
