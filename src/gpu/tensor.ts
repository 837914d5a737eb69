/**
 * Image ⇄ tensor kernels for the model runtime. Hand-written: they are a few tight loops over
 * typed arrays, and pulling an image library (sharp) into every request would cost more than
 * the loops (a 640×480 → 518×518 resize + normalise takes ~3 ms here).
 *
 * Resampling uses pixel centres at integer + 0.5 (OpenCV / PyTorch `align_corners=False`):
 * source coordinate = (dst + 0.5) · (srcSize / dstSize) − 0.5, clamped at the borders.
 */
import { CHANNELS, type ColorImage } from '../model/image.ts';
import type { ImageInputSpec } from './manifest.ts';

export interface Tensor32 {
  data: Float32Array;
  dims: number[];
}

/**
 * Where channel c (0 = r, 1 = g, 2 = b, 3 = a) of pixel i lives: `data[i·stride + offset]`, or a
 * constant 255 (`offset = -1`) when the encoding has no such channel (alpha of rgb8).
 */
function channelLayout(img: ColorImage): { stride: number; offsets: [number, number, number, number] } {
  switch (img.encoding) {
    case 'rgb8':
      return { stride: 3, offsets: [0, 1, 2, -1] };
    case 'bgr8':
      return { stride: 3, offsets: [2, 1, 0, -1] };
    case 'rgba8':
      return { stride: 4, offsets: [0, 1, 2, 3] };
    case 'bgra8':
      return { stride: 4, offsets: [2, 1, 0, 3] };
    case 'mono8':
      return { stride: 1, offsets: [0, 0, 0, -1] };
  }
}

/** Precomputed bilinear taps along one axis. */
function taps(src: number, dst: number): { i0: Int32Array; i1: Int32Array; w: Float32Array } {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w = new Float32Array(dst);
  const s = src / dst;
  for (let k = 0; k < dst; k++) {
    let x = (k + 0.5) * s - 0.5;
    if (x < 0) x = 0;
    if (x > src - 1) x = src - 1;
    const f = Math.floor(x);
    i0[k] = f;
    i1[k] = Math.min(f + 1, src - 1);
    w[k] = x - f;
  }
  return { i0, i1, w };
}

/**
 * A colour image (plus an optional alpha/mask, 0 or non-zero, image-sized) → the model's input
 * tensor: resized to `spec.size`, channels in `spec.colorOrder`, `(v·scale − mean)/std`, in
 * `spec.layout`. With 4 channels, alpha comes from `mask` (255 where non-zero) or the image's own.
 */
export function imageToTensor(img: ColorImage, spec: ImageInputSpec, mask?: Uint8Array): Tensor32 {
  const [W, H] = spec.size;
  const C = spec.channels;
  const { stride, offsets } = channelLayout(img);
  const tx = taps(img.width, W);
  const ty = taps(img.height, H);
  const out = new Float32Array(C * W * H);
  const order = spec.colorOrder === 'rgb' ? [0, 1, 2, 3] : [2, 1, 0, 3];
  const sw = img.width;
  const nchw = spec.layout === 'NCHW';
  // the source plane of each channel: the image itself (strided), the mask, or a constant
  let maskPlane: Uint8Array | undefined;
  if (C === 4 && mask) {
    maskPlane = new Uint8Array(mask.length);
    for (let i = 0; i < mask.length; i++) maskPlane[i] = mask[i] !== 0 ? 255 : 0;
  }
  for (let c = 0; c < C; c++) {
    const ch = order[c]!;
    const a = spec.scale / spec.std[c]!;
    const b = -spec.mean[c]! / spec.std[c]!;
    let src: Uint8Array, st: number, off: number;
    if (ch === 3 && maskPlane) {
      src = maskPlane;
      st = 1;
      off = 0;
    } else {
      src = img.data;
      st = stride;
      off = offsets[ch]!;
    }
    if (off < 0) {
      const v = 255 * a + b;
      for (let k = 0; k < W * H; k++) out[nchw ? c * W * H + k : k * C + c] = v;
      continue;
    }
    for (let y = 0; y < H; y++) {
      const y0 = ty.i0[y]! * sw,
        y1 = ty.i1[y]! * sw,
        wy = ty.w[y]!;
      const base = nchw ? c * H * W + y * W : y * W * C + c;
      const step = nchw ? 1 : C;
      for (let x = 0; x < W; x++) {
        const x0 = tx.i0[x]!,
          x1 = tx.i1[x]!,
          wx = tx.w[x]!;
        const p00 = src[(y0 + x0) * st + off]!,
          p01 = src[(y0 + x1) * st + off]!;
        const p10 = src[(y1 + x0) * st + off]!,
          p11 = src[(y1 + x1) * st + off]!;
        const top = p00 + (p01 - p00) * wx;
        const bot = p10 + (p11 - p10) * wx;
        out[base + x * step] = (top + (bot - top) * wy) * a + b;
      }
    }
  }
  return { data: out, dims: nchw ? [1, C, H, W] : [1, H, W, C] };
}

/** Bilinear resize of a single-channel float image (`sw·sh` → `dw·dh`). */
export function resizeBilinear(src: Float32Array, sw: number, sh: number, dw: number, dh: number): Float32Array {
  if (sw === dw && sh === dh) return src.slice();
  const tx = taps(sw, dw);
  const ty = taps(sh, dh);
  const out = new Float32Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    const y0 = ty.i0[y]! * sw,
      y1 = ty.i1[y]! * sw,
      wy = ty.w[y]!;
    for (let x = 0; x < dw; x++) {
      const x0 = tx.i0[x]!,
        x1 = tx.i1[x]!,
        wx = tx.w[x]!;
      const top = src[y0 + x0]! * (1 - wx) + src[y0 + x1]! * wx;
      const bot = src[y1 + x0]! * (1 - wx) + src[y1 + x1]! * wx;
      out[y * dw + x] = top * (1 - wy) + bot * wy;
    }
  }
  return out;
}

/** Nearest-neighbour resize of a label map (pixel centres, as above). */
export function resizeNearest<A extends Uint16Array | Float32Array>(src: A, sw: number, sh: number, dw: number, dh: number): A {
  if (sw === dw && sh === dh) return src.slice() as A;
  const out = new (src.constructor as new (n: number) => A)(dw * dh);
  const xs = new Int32Array(dw);
  for (let x = 0; x < dw; x++) xs[x] = Math.min(sw - 1, Math.floor(((x + 0.5) * sw) / dw));
  for (let y = 0; y < dh; y++) {
    const sy = Math.min(sh - 1, Math.floor(((y + 0.5) * sh) / dh)) * sw;
    for (let x = 0; x < dw; x++) out[y * dw + x] = src[sy + xs[x]!]!;
  }
  return out;
}

/**
 * A 4-channel output tensor (same normalisation as `spec`) → `rgba8` at `width × height`:
 * v = (t·std + mean) / scale, clamped to 0..255 and rounded; resized bilinearly per channel.
 */
export function tensorToRgba8(t: Tensor32, spec: ImageInputSpec, layout: 'NCHW' | 'NHWC', width: number, height: number): ColorImage {
  const [, d1, d2, d3] = t.dims as [number, number, number, number];
  const [H, W] = layout === 'NCHW' ? [d2, d3] : [d1, d2];
  const order = spec.colorOrder === 'rgb' ? [0, 1, 2, 3] : [2, 1, 0, 3];
  const out = new Uint8Array(width * height * 4);
  const plane = new Float32Array(W * H);
  for (let c = 0; c < 4; c++) {
    const std = spec.std[c] ?? 1,
      mean = spec.mean[c] ?? 0;
    for (let i = 0; i < W * H; i++) {
      const v = layout === 'NCHW' ? t.data[c * W * H + i]! : t.data[i * 4 + c]!;
      plane[i] = (v * std + mean) / spec.scale;
    }
    const r = resizeBilinear(plane, W, H, width, height);
    const dst = order[c]!;
    for (let i = 0; i < width * height; i++) {
      const v = Math.round(r[i]!);
      out[i * 4 + dst] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { width, height, encoding: 'rgba8', data: out };
}

/** Number of channels of an encoding (re-exported for callers that build images). */
export const channelsOf = (img: ColorImage) => CHANNELS[img.encoding];
