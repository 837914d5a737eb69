import type { RgbdFrame } from '../model/frame.ts';
import type { LabelImage } from '../model/image.ts';
import { Real2SimError } from '../model/errors.ts';
import { timeStage, type StageReport, type StageResult } from '../model/report.ts';
import type { SegmentationBackend } from './backends.ts';
import type { OrganizedCloud } from './organized.ts';
import { defined } from './util.ts';

/**
 * Stage 1, perceive: one instance mask per object.
 * - `given`: the frame's label image (or any `SegmentationBackend`, e.g. ONNX or the GPU host);
 * - `geometric`: points standing above the support plane, grouped by connected components on
 *   the depth image; neighbours are cut apart at depth jumps and at concave creases (where two
 *   surfaces meet in a valley, as an object against its neighbour), never at convex edges (a
 *   box's own corners). Needs the ground stage's plane first.
 */
export const PERCEIVE = 'perceive';

export interface PerceiveOptions {
  backend?: 'given' | 'geometric' | SegmentationBackend;
  /** Instances smaller than this are dropped (with a warning naming them). */
  minPixels?: number;
  /** geometric: a point belongs to an object when this far above the support plane, metres. */
  minHeight?: number;
  /** geometric: and no higher than this (walls, people leaning in). */
  maxHeight?: number;
  /** geometric: neighbours split when their depths differ by more than abs + rel·z metres. */
  jumpAbs?: number;
  jumpRel?: number;
  /** geometric: split at concave creases sharper than this (degrees); 0 turns it off. */
  creaseDeg?: number;
  /** geometric: components smaller than this are not objects. */
  minSegmentPixels?: number;
  /** geometric: segments grow this many pixels into points between `skirtHeight` and `minHeight` above the plane. */
  skirtPixels?: number;
  skirtHeight?: number;
  /** geometric: no-depth holes up to this many pixels across inside one segment are filled. */
  holeSpan?: number;
}

export const PERCEIVE_DEFAULTS: Required<Omit<PerceiveOptions, 'backend'>> & { backend: 'given' | 'geometric' } = {
  backend: 'given',
  minPixels: 20,
  minHeight: 0.008,
  maxHeight: 2.0,
  jumpAbs: 0.004,
  jumpRel: 0.02,
  creaseDeg: 0,
  minSegmentPixels: 150,
  skirtPixels: 6,
  skirtHeight: 0.003,
  holeSpan: 25,
};

export interface Instance {
  /** Instance id in `masks`. */
  id: number;
  label: string;
  /** Pixel indices v·width + u, ascending. */
  pixels: Uint32Array;
  score?: number;
}

export interface PerceiveInput {
  frame: RgbdFrame;
  cloud: OrganizedCloud;
  /** Height above the support plane of an optical-frame point (ground stage); geometric needs it. */
  heightOf?: (x: number, y: number, z: number) => number;
}

export interface PerceiveOutput {
  masks: LabelImage;
  instances: Instance[];
}

export function perceive(options: PerceiveOptions = {}) {
  const o = { ...PERCEIVE_DEFAULTS, ...defined(options) };
  const backendName = typeof o.backend === 'string' ? o.backend : o.backend.name;
  return (input: PerceiveInput): Promise<StageResult<PerceiveOutput>> =>
    timeStage(PERCEIVE, backendName, async (report) => {
      let masks: LabelImage;
      if (o.backend === 'given') {
        if (!input.frame.masks) {
          throw new Real2SimError('BAD_INPUT', "The 'given' segmentation needs the frame's masks: pass --masks, or use the geometric segmentation.");
        }
        masks = input.frame.masks;
      } else if (o.backend === 'geometric') {
        if (!input.heightOf) throw new Real2SimError('INTERNAL', 'geometric segmentation needs the support plane: run ground first');
        masks = segmentGeometric(input.cloud, input.heightOf, o);
      } else {
        const res = await o.backend.segment(input.frame);
        masks = res.masks;
      }
      if (masks.width !== input.cloud.width || masks.height !== input.cloud.height) {
        throw new Real2SimError('SIZE_MISMATCH', `Masks are ${masks.width}×${masks.height} but the depth is ${input.cloud.width}×${input.cloud.height}.`);
      }
      const instances = collectInstances(masks, o.minPixels, report);
      report.counts['objects'] = instances.length;
      return { masks, instances };
    });
}

/** Instances of a label image, ascending id; ones under `minPixels` are dropped with a warning. */
export function collectInstances(masks: LabelImage, minPixels: number, report?: StageReport): Instance[] {
  const counts = new Map<number, number>();
  const data = masks.data;
  for (let i = 0; i < data.length; i++) {
    const id = data[i]!;
    if (id !== 0) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const ids = [...counts.keys()].sort((a, b) => a - b);
  const lists = new Map<number, Uint32Array>();
  const fill = new Map<number, number>();
  for (const id of ids) {
    lists.set(id, new Uint32Array(counts.get(id)!));
    fill.set(id, 0);
  }
  for (let i = 0; i < data.length; i++) {
    const id = data[i]!;
    if (id === 0) continue;
    const k = fill.get(id)!;
    lists.get(id)![k] = i;
    fill.set(id, k + 1);
  }
  const out: Instance[] = [];
  for (const id of ids) {
    const pixels = lists.get(id)!;
    if (pixels.length < minPixels) {
      report?.warnings.push(`mask ${id} covers ${pixels.length} pixel${pixels.length === 1 ? '' : 's'} (< ${minPixels}): too small to reconstruct, skipped`);
      continue;
    }
    out.push({ id, label: masks.labels.get(id) ?? 'object', pixels });
  }
  return out;
}

/** Height-above-plane foreground, then union-find over 4-neighbours that are not cut apart. */
export function segmentGeometric(
  cloud: OrganizedCloud,
  heightOf: (x: number, y: number, z: number) => number,
  o: Required<Omit<PerceiveOptions, 'backend'>>,
): LabelImage {
  const { width: w, height: h, positions: P, valid } = cloud;
  const n = w * h;
  const fg = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    const ht = heightOf(P[i * 3]!, P[i * 3 + 1]!, P[i * 3 + 2]!);
    if (ht > o.minHeight && ht < o.maxHeight) fg[i] = 1;
  }
  const crease = o.creaseDeg > 0 ? creasePixels(cloud, fg, o.creaseDeg, 3) : null;
  const parent = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) if (fg[i]) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const joined = (a: number, b: number): boolean => {
    if (crease && (crease[a] || crease[b])) return false;
    const za = P[a * 3 + 2]!, zb = P[b * 3 + 2]!;
    return Math.abs(za - zb) <= o.jumpAbs + o.jumpRel * Math.min(za, zb);
  };
  const union = (a: number, b: number) => {
    const ra = find(a), rb = find(b);
    if (ra !== rb) parent[ra < rb ? rb : ra] = ra < rb ? ra : rb;
  };
  for (let v = 0; v < h; v++) {
    for (let u = 0; u < w; u++) {
      const i = v * w + u;
      if (!fg[i]) continue;
      if (u + 1 < w && fg[i + 1] && joined(i, i + 1)) union(i, i + 1);
      if (v + 1 < h && fg[i + w] && joined(i, i + w)) union(i, i + w);
    }
  }
  if (crease) {
    // crease pixels join the neighbouring segment they are continuous with, growing inwards
    let pending = true;
    for (let pass = 0; pass < 6 && pending; pass++) {
      pending = false;
      for (let i = 0; i < n; i++) {
        if (!crease[i]) continue;
        const u = i % w;
        let best = -1, bestDz = Infinity;
        for (const j of [u > 0 ? i - 1 : -1, u + 1 < w ? i + 1 : -1, i - w, i + w]) {
          if (j < 0 || j >= n || !fg[j] || crease[j]) continue;
          const dz = Math.abs(P[i * 3 + 2]! - P[j * 3 + 2]!);
          if (dz < bestDz && dz <= o.jumpAbs + o.jumpRel * P[i * 3 + 2]!) {
            bestDz = dz;
            best = j;
          }
        }
        if (best >= 0) {
          parent[i] = find(best);
          crease[i] = 0;
        } else pending = true;
      }
    }
  }
  const size = new Map<number, number>();
  for (let i = 0; i < n; i++) if (fg[i]) size.set(find(i), (size.get(find(i)) ?? 0) + 1);
  const roots = [...size.entries()].filter(([, s]) => s >= o.minSegmentPixels).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const idOf = new Map<number, number>(roots.map(([r], k) => [r, k + 1]));
  const data = new Uint16Array(n);
  for (let i = 0; i < n; i++) if (fg[i]) data[i] = idOf.get(find(i)) ?? 0;
  growSkirts(cloud, heightOf, data, o);
  fillDepthHoles(valid, data, w, h, o.holeSpan);
  return { width: w, height: h, data, labels: new Map(roots.map((_, k) => [k + 1, 'object'])) };
}

/**
 * The lowest few millimetres of an object stand below the foreground height cut: grow each
 * segment into depth-continuous neighbours that are above the plane by more than the noise
 * (`skirtHeight`), a few pixels at most.
 */
function growSkirts(cloud: OrganizedCloud, heightOf: (x: number, y: number, z: number) => number, data: Uint16Array, o: Required<Omit<PerceiveOptions, 'backend'>>): void {
  const { width: w, height: h, positions: P, valid } = cloud;
  for (let pass = 0; pass < o.skirtPixels; pass++) {
    const add: [number, number][] = [];
    for (let i = 0; i < data.length; i++) {
      if (data[i] || !valid[i]) continue;
      const ht = heightOf(P[i * 3]!, P[i * 3 + 1]!, P[i * 3 + 2]!);
      if (!(ht > o.skirtHeight && ht <= o.minHeight)) continue;
      const u = i % w, z = P[i * 3 + 2]!;
      for (const j of [u > 0 ? i - 1 : -1, u + 1 < w ? i + 1 : -1, i >= w ? i - w : -1, i + w < w * h ? i + w : -1]) {
        if (j >= 0 && data[j] && valid[j] && Math.abs(P[j * 3 + 2]! - z) <= o.jumpAbs + o.jumpRel * z) {
          add.push([i, data[j]!]);
          break;
        }
      }
    }
    if (add.length === 0) break;
    for (const [i, id] of add) data[i] = id;
  }
}

/**
 * Pixels with no depth (dark, shiny or transparent spots) inside a segment: labelled when the
 * nearest labelled pixels left, right, above and below (within `span`) all carry the same id.
 */
function fillDepthHoles(valid: Uint8Array, data: Uint16Array, w: number, h: number, span: number): void {
  if (span <= 0) return;
  const fill: [number, number][] = [];
  const look = (i: number, du: number, dv: number): number => {
    let u = i % w, v = (i - u) / w;
    for (let k = 0; k < span; k++) {
      u += du;
      v += dv;
      if (u < 0 || v < 0 || u >= w || v >= h) return 0;
      const j = v * w + u;
      if (data[j]) return data[j]!;
      if (valid[j]) return 0; // a measured background pixel: not a hole
    }
    return 0;
  };
  for (let i = 0; i < data.length; i++) {
    if (data[i] || valid[i]) continue;
    const a = look(i, 1, 0);
    if (!a || look(i, -1, 0) !== a || look(i, 0, 1) !== a || look(i, 0, -1) !== a) continue;
    fill.push([i, a]);
  }
  for (const [i, id] of fill) data[i] = id;
}

/**
 * Pixels on a concave crease: along some image axis, the surface normals `r` pixels to either
 * side turn towards each other by more than `deg` (a valley, as where an object meets its
 * neighbour or the table), never at convex edges (a box's own corners).
 */
export function creasePixels(cloud: OrganizedCloud, use: Uint8Array, deg: number, r: number): Uint8Array {
  const { width: w, height: h, positions: P } = cloud;
  const normals = pixelNormals(cloud, use, 2);
  const cosMax = Math.cos((deg * Math.PI) / 180);
  const out = new Uint8Array(w * h);
  const has = (i: number) => normals[i * 3] !== 0 || normals[i * 3 + 1] !== 0 || normals[i * 3 + 2] !== 0;
  for (let v = r; v < h - r; v++) {
    for (let u = r; u < w - r; u++) {
      const i = v * w + u;
      if (!use[i]) continue;
      for (const step of [r, r * w, r * (w + 1), r * (w - 1)]) {
        const a = i - step, b = i + step;
        if (!use[a] || !use[b] || !has(a) || !has(b)) continue;
        const ax = normals[a * 3]!, ay = normals[a * 3 + 1]!, az = normals[a * 3 + 2]!;
        const bx = normals[b * 3]!, by = normals[b * 3 + 1]!, bz = normals[b * 3 + 2]!;
        if (ax * bx + ay * by + az * bz >= cosMax) continue;
        // concave when (na − nb)·(pa − pb) < 0 with normals facing the camera
        const dx = P[a * 3]! - P[b * 3]!, dy = P[a * 3 + 1]! - P[b * 3 + 1]!, dz = P[a * 3 + 2]! - P[b * 3 + 2]!;
        if ((ax - bx) * dx + (ay - by) * dy + (az - bz) * dz < 0) {
          out[i] = 1;
          break;
        }
      }
    }
  }
  return out;
}

/**
 * Per-pixel normals from central differences `r` pixels apart (optical frame, facing the
 * camera); 0,0,0 where a neighbour is missing. Layout: Float32Array(width·height·3).
 */
export function pixelNormals(cloud: OrganizedCloud, use: Uint8Array, r: number): Float32Array {
  const { width: w, height: h, positions: P } = cloud;
  const out = new Float32Array(w * h * 3);
  for (let v = r; v < h - r; v++) {
    for (let u = r; u < w - r; u++) {
      const i = v * w + u;
      if (!use[i]) continue;
      const l = i - r, rt = i + r, up = i - r * w, dn = i + r * w;
      if (!use[l] || !use[rt] || !use[up] || !use[dn]) continue;
      const ax = P[rt * 3]! - P[l * 3]!, ay = P[rt * 3 + 1]! - P[l * 3 + 1]!, az = P[rt * 3 + 2]! - P[l * 3 + 2]!;
      const bx = P[dn * 3]! - P[up * 3]!, by = P[dn * 3 + 1]! - P[up * 3 + 1]!, bz = P[dn * 3 + 2]! - P[up * 3 + 2]!;
      let nx = ay * bz - az * by, ny = az * bx - ax * bz, nz = ax * by - ay * bx;
      const len = Math.hypot(nx, ny, nz);
      if (len < 1e-12) continue;
      if (nz > 0) {
        nx = -nx; ny = -ny; nz = -nz;
      }
      out[i * 3] = nx / len; out[i * 3 + 1] = ny / len; out[i * 3 + 2] = nz / len;
    }
  }
  return out;
}
