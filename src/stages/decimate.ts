import type { CameraIntrinsics } from '../model/camera.ts';
import type { RgbdFrame } from '../model/frame.ts';
import { CHANNELS, type LabelImage } from '../model/image.ts';
import type { OrganizedCloud } from './organized.ts';
import type { Instance } from './perceive.ts';

/**
 * Segmentation at a fraction of the pixels: the frame and its organised cloud decimated by `k`
 * (every k-th pixel of every k-th row — real measurements, no averaged depths that would
 * invent points between a rim and the table behind it), and the labels found there brought
 * back to full resolution. Objects are tens of decimated pixels across at 1280×720 / 2, so
 * segmentation costs what it costs at 640×360 while lift and shape still see every pixel.
 */

/** Pixel (u', v') of the decimated frame is pixel (k·u', k·v') of the full one. */
export function decimateFrame(frame: RgbdFrame, cloud: OrganizedCloud, k: number): { frame: RgbdFrame; cloud: OrganizedCloud } {
  const W = cloud.width,
    H = cloud.height;
  const w = Math.ceil(W / k),
    h = Math.ceil(H / k);
  const ch = CHANNELS[frame.color.encoding];
  const color = new Uint8Array(w * h * ch);
  const depth = new Float32Array(w * h);
  const positions = new Float32Array(w * h * 3);
  const valid = new Uint8Array(w * h);
  let validCount = 0;
  for (let v = 0; v < h; v++) {
    for (let u = 0; u < w; u++) {
      const i = v * w + u,
        s = v * k * W + u * k;
      for (let c = 0; c < ch; c++) color[i * ch + c] = frame.color.data[s * ch + c]!;
      depth[i] = frame.depth!.data[s]!;
      positions[i * 3] = cloud.positions[s * 3]!;
      positions[i * 3 + 1] = cloud.positions[s * 3 + 1]!;
      positions[i * 3 + 2] = cloud.positions[s * 3 + 2]!;
      valid[i] = cloud.valid[s]!;
      validCount += valid[i];
    }
  }
  // old coordinate u = k·u', so u' = u / k: the principal point scales with the focal lengths
  const c = frame.camera;
  const camera: CameraIntrinsics = { ...c, width: w, height: h, fx: c.fx / k, fy: c.fy / k, cx: c.cx / k, cy: c.cy / k };
  return {
    frame: { color: { ...frame.color, width: w, height: h, data: color }, depth: { width: w, height: h, data: depth }, camera, ...(frame.stamp !== undefined ? { stamp: frame.stamp } : {}) },
    cloud: { width: w, height: h, positions, valid, validCount },
  };
}

/** Metres of depth difference one pixel of distance is worth when a boundary pixel picks its label. */
const PIXEL_COST_M = 0.002;

/**
 * Labels of the decimated frame at full resolution. A pixel whose decimated 3×3 neighbourhood
 * carries one label takes it. Along boundaries each pixel takes the label of the neighbouring
 * sample it matches best: nearest in depth (the sample is a real pixel of this frame), with
 * image distance as the tie-break, so a silhouette follows the full-resolution depth edge
 * instead of a k-pixel staircase. Pixels without depth take their own sample's label.
 */
export function upsampleLabels(small: LabelImage, instances: readonly Instance[], full: OrganizedCloud, k: number): { masks: LabelImage; instances: Instance[] } {
  const W = full.width,
    H = full.height,
    w = small.width,
    h = small.height;
  const out = new Uint16Array(W * H);
  const L = small.data,
    P = full.positions,
    valid = full.valid;
  // cells whose 3×3 neighbourhood has one label: all their pixels take it (most of the frame)
  const uniform = new Uint8Array(w * h);
  for (let cv = 0; cv < h; cv++) {
    for (let cu = 0; cu < w; cu++) {
      const own = L[cv * w + cu]!;
      let same = 1;
      for (let nv = Math.max(0, cv - 1); nv <= Math.min(h - 1, cv + 1) && same; nv++) {
        for (let nu = Math.max(0, cu - 1); nu <= Math.min(w - 1, cu + 1); nu++) {
          if (L[nv * w + nu] !== own) {
            same = 0;
            break;
          }
        }
      }
      uniform[cv * w + cu] = same;
    }
  }
  for (let v = 0; v < H; v++) {
    const cv = Math.floor(v / k);
    for (let u = 0; u < W; u++) {
      const cu = Math.floor(u / k);
      const own = L[cv * w + cu]!;
      const i = v * W + u;
      if (uniform[cv * w + cu] || !valid[i]) {
        out[i] = own;
        continue;
      }
      const z = P[i * 3 + 2]!;
      let best = own,
        bestCost = Infinity;
      for (let dv = -1; dv <= 1; dv++) {
        const nv = cv + dv;
        if (nv < 0 || nv >= h) continue;
        for (let du = -1; du <= 1; du++) {
          const nu = cu + du;
          if (nu < 0 || nu >= w) continue;
          const su = nu * k,
            sv = nv * k,
            s = sv * W + su;
          if (!valid[s]) continue;
          const cost = Math.abs(P[s * 3 + 2]! - z) + PIXEL_COST_M * Math.hypot(u - su, v - sv);
          if (cost < bestCost) {
            bestCost = cost;
            best = L[nv * w + nu]!;
          }
        }
      }
      out[i] = best;
    }
  }
  // per-instance pixel lists, ascending (a counting pass, then a filling pass)
  const count = new Uint32Array(65536);
  for (let i = 0; i < out.length; i++) count[out[i]!]!++;
  const pixels = new Map<number, Uint32Array>();
  const fill = new Uint32Array(65536);
  for (const inst of instances) if (count[inst.id]) pixels.set(inst.id, new Uint32Array(count[inst.id]!));
  for (let i = 0; i < out.length; i++) {
    const id = out[i]!;
    if (!id) continue;
    const px = pixels.get(id);
    if (px) px[fill[id]!++] = i;
  }
  const kept: Instance[] = [];
  for (const inst of instances) {
    const px = pixels.get(inst.id);
    if (px && px.length > 0) kept.push({ ...inst, pixels: px });
  }
  return { masks: { width: W, height: H, data: out, labels: small.labels }, instances: kept };
}
