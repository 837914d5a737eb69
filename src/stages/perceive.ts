import type { RgbdFrame } from '../model/frame.ts';
import type { ColorImage, LabelImage } from '../model/image.ts';
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
  /**
   * geometric: split at concave creases sharper than this (degrees); 0 turns it off. Objects
   * standing on or against objects meet them in a valley; an object's own edges are convex.
   */
  creaseDeg?: number;
  /**
   * geometric: ... comparing normals this many pixels to either side (normals themselves from
   * differences half as far). Kinect-class depth is quantised in millimetre steps: at 3 px the
   * noise makes false creases everywhere below ~50°, and the narrow junction of a box standing
   * on a box was missed; 6 px at 45° finds it (tuned on the frames listed in docs/real-frames.md).
   */
  creaseRadius?: number;
  /** geometric: components smaller than this are not objects. */
  minSegmentPixels?: number;
  /** geometric: segments grow this many pixels into points between `skirtHeight` and `minHeight` above the plane. */
  skirtPixels?: number;
  skirtHeight?: number;
  /** geometric: no-depth holes up to this many pixels across inside one segment are filled. */
  holeSpan?: number;
  /**
   * geometric: pixels within this of the plane count as the visible support surface (the
   * ground stage's RANSAC inlier distance): its largest depth-continuous patch gives the
   * support's extent and its colour.
   */
  supportBand?: number;
  /**
   * geometric: a segment is kept only when at least this fraction of its points, dropped onto
   * the plane, land within the support patch's outline (grown by `extentMargin`): things beyond
   * the table's back edge (a wall, a shelf, people behind it) stand above the infinite plane
   * but not on the table. 0 turns it off.
   */
  minSupported?: number;
  extentMargin?: number;
  /**
   * geometric: pixels lower than this above the plane whose colour matches the support's are
   * support, not object. Smoothed real depth (hole-filled, spatially filtered) ramps from an
   * object's top down to the table over several pixels; those ramps would join neighbours along
   * the table. 0 turns it off.
   */
  tableColorHeight?: number;
  /** geometric: ... colour match = chroma Mahalanobis distance to the support's below this. */
  tableColorSigma?: number;
  /**
   * geometric: once segments are apart, each grows back this many pixels into the
   * support-coloured low pixels it touches (an object's own bottom rim that looked like the table),
   * so masks keep their bottoms and the shape stage's extrusion to the table matches them.
   */
  tableColorRegrow?: number;
  /**
   * geometric: the colour test runs only when the support is one colour: its chroma spread
   * (standard deviation along either axis) below this. A checkerboard or patterned cloth
   * matches half the objects on it (measured 0.04 on uoc_demo's wooden tables, 0.16–0.19 on
   * posecnn_lov_demo's checkerboard).
   */
  tableColorSpread?: number;
  /**
   * geometric: a segment smaller than this that touches a bigger one in the image and lies,
   * dropped onto the plane, mostly (`fragmentInside`) within the bigger one's footprint is part
   * of it: a bowl's lower wall under its overhanging rim, split off by the depth jump at the rim.
   * 0 turns it off.
   */
  fragmentPixels?: number;
  fragmentInside?: number;
  /**
   * geometric: segments grow this many pixels into the no-depth band along their outline: depth
   * sensors lose the last pixels of a silhouette (mixed foreground/background returns, projector
   * shadow), so the measured outline is a few pixels short of the object's (measured on
   * posecnn_lov_demo: most of the reprojected objects' pixels outside their masks had no depth).
   * Off by default: hand-labelled real data (OSD/mOSD) labels only measured pixels, and growing
   * 4 px cost 0.04 overlap F and 0.14 boundary F there (`npm run bench:real`).
   */
  edgeBandPixels?: number;
}

export const PERCEIVE_DEFAULTS: Required<Omit<PerceiveOptions, 'backend'>> & { backend: 'given' | 'geometric' } = {
  backend: 'given',
  minPixels: 20,
  minHeight: 0.008,
  maxHeight: 2.0,
  jumpAbs: 0.004,
  jumpRel: 0.02,
  creaseDeg: 45,
  creaseRadius: 6,
  minSegmentPixels: 150,
  skirtPixels: 6,
  skirtHeight: 0.003,
  holeSpan: 25,
  supportBand: 0.01,
  minSupported: 0.3,
  extentMargin: 0.03,
  tableColorHeight: 0.03,
  tableColorSigma: 1.5,
  tableColorRegrow: 30,
  tableColorSpread: 0.08,
  fragmentPixels: 3000,
  fragmentInside: 0.7,
  edgeBandPixels: 0,
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
        masks = segmentGeometric(input.cloud, input.heightOf, o, input.frame.color);
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
  color?: ColorImage,
): LabelImage {
  const { width: w, height: h, positions: P, valid } = cloud;
  const n = w * h;
  const height = new Float32Array(n);
  for (let i = 0; i < n; i++) if (valid[i]) height[i] = heightOf(P[i * 3]!, P[i * 3 + 1]!, P[i * 3 + 2]!);
  const patch = supportPatch(cloud, height, o);
  const tableColor = o.tableColorHeight > 0 && patch.count >= MIN_PATCH_PIXELS && color && color.width === w && color.height === h ? chromaModel(color, patch.mask, o.tableColorSpread) : null;
  const fg = new Uint8Array(n);
  // 1 = support-coloured low pixel left out of the components, grown back into afterwards
  const clipped = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    const ht = height[i]!;
    if (!(ht > o.minHeight && ht < o.maxHeight)) continue;
    if (tableColor && ht < o.tableColorHeight && tableColor(i) < o.tableColorSigma) {
      clipped[i] = 1;
      continue;
    }
    fg[i] = 1;
  }
  const crease = o.creaseDeg > 0 ? creasePixels(cloud, fg, o.creaseDeg, o.creaseRadius) : null;
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
  let roots = [...size.entries()].filter(([, s]) => s >= o.minSegmentPixels).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  if (o.minSupported > 0 && patch.count >= MIN_PATCH_PIXELS) {
    const onSupport = supportExtent(cloud, heightOf, patch.mask, o.extentMargin);
    const inside = new Map<number, [number, number]>();
    for (let i = 0; i < n; i += 3) {
      if (!fg[i]) continue;
      const r = find(i);
      const c = inside.get(r) ?? [0, 0];
      c[0] += onSupport(P[i * 3]!, P[i * 3 + 1]!, P[i * 3 + 2]!) ? 1 : 0;
      c[1]++;
      inside.set(r, c);
    }
    roots = roots.filter(([r]) => {
      const c = inside.get(r);
      return !c || c[0] >= o.minSupported * c[1];
    });
  }
  const idOf = new Map<number, number>(roots.map(([r], k) => [r, k + 1]));
  const data = new Uint16Array(n);
  for (let i = 0; i < n; i++) if (fg[i]) data[i] = idOf.get(find(i)) ?? 0;
  growInto(cloud, data, clipped, o.tableColorRegrow, o);
  growSkirts(cloud, heightOf, data, o);
  fillDepthHoles(valid, data, w, h, o.holeSpan);
  if (o.edgeBandPixels > 0) {
    const noDepth = new Uint8Array(n);
    for (let i = 0; i < n; i++) noDepth[i] = valid[i] ? 0 : 1;
    growInto(cloud, data, noDepth, o.edgeBandPixels, o, false);
  }
  const merged = o.fragmentPixels > 0 ? mergeFragments(cloud, heightOf, data, roots.length, o) : new Set<number>();
  return { width: w, height: h, data, labels: new Map(roots.map((_, k) => [k + 1, 'object'] as [number, string]).filter(([id]) => !merged.has(id))) };
}

/** Below this many pixels the visible support is too small to trust its outline or colour. */
const MIN_PATCH_PIXELS = 2000;

/**
 * The visible support surface: the 4-connected, depth-continuous patches of pixels within
 * `supportBand` of the plane, the largest and every one at least `SUPPORT_PIECE` of its size
 * (clutter cuts a table into pieces; small near-plane patches are tops of things or coplanar
 * clutter).
 */
function supportPatch(cloud: OrganizedCloud, height: Float32Array, o: Required<Omit<PerceiveOptions, 'backend'>>): { mask: Uint8Array; count: number } {
  const { width: w, positions: P, valid } = cloud;
  const n = w * cloud.height;
  const comp = new Int32Array(n).fill(-1);
  const near = (i: number) => valid[i] === 1 && Math.abs(height[i]!) < o.supportBand;
  const queue = new Int32Array(n);
  const sizes: number[] = [];
  for (let s = 0, label = 0; s < n; s++) {
    if (comp[s] !== -1 || !near(s)) continue;
    let head = 0, tail = 0, count = 0;
    queue[tail++] = s;
    comp[s] = label;
    while (head < tail) {
      const i = queue[head++]!;
      count++;
      const u = i % w, z = P[i * 3 + 2]!;
      const lim = o.jumpAbs + o.jumpRel * z;
      for (const j of [u > 0 ? i - 1 : -1, u + 1 < w ? i + 1 : -1, i >= w ? i - w : -1, i + w < n ? i + w : -1]) {
        if (j < 0 || comp[j] !== -1 || !near(j) || Math.abs(P[j * 3 + 2]! - z) > lim) continue;
        comp[j] = label;
        queue[tail++] = j;
      }
    }
    sizes.push(count);
    label++;
  }
  const largest = sizes.reduce((a, b) => Math.max(a, b), 0);
  const keep = sizes.map((c) => c >= SUPPORT_PIECE * largest && c >= MIN_PATCH_PIXELS / 4);
  const mask = new Uint8Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (comp[i]! >= 0 && keep[comp[i]!]) {
      mask[i] = 1;
      count++;
    }
  }
  return { mask, count };
}

/** A near-plane patch at least this share of the largest one's size is support too. */
const SUPPORT_PIECE = 0.1;

/** Pixels darker than this (sum of r, g, b) have no reliable chroma. */
const MIN_CHROMA_SUM = 30;
/** Chroma noise of one pixel ≈ this / (r+g+b): a few grey levels of sensor noise per channel. */
const CHROMA_PIXEL_NOISE = 4;
/** Chroma noise floor (8-bit quantisation, sensor noise, a uniformly coloured support). */
const CHROMA_SIGMA_FLOOR = 0.006;

/**
 * The support's colour as a Gaussian over chroma (r, g)/(r+g+b), which shading and shadows
 * leave mostly alone; returns each pixel's Mahalanobis distance to it (Infinity when too dark),
 * or null when the support has no one colour.
 */
function chromaModel(color: ColorImage, mask: Uint8Array, maxSpread: number): ((i: number) => number) | null {
  const { data, encoding } = color;
  const ch = encoding === 'mono8' ? 1 : encoding === 'rgb8' || encoding === 'bgr8' ? 3 : 4;
  const chroma = (i: number): [number, number, number] | null => {
    if (ch === 1) return null;
    const a = data[i * ch]!, g = data[i * ch + 1]!, c = data[i * ch + 2]!;
    const sum = a + g + c;
    if (sum < MIN_CHROMA_SUM) return null;
    const r = encoding.startsWith('bgr') ? c : a;
    return [r / sum, g / sum, sum];
  };
  let m = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
  let total = 0;
  for (let i = 0; i < mask.length; i++) total += mask[i]!;
  const step = Math.max(1, Math.floor(total / 20000));
  for (let i = 0, k = 0; i < mask.length; i++) {
    if (!mask[i] || k++ % step) continue;
    const c = chroma(i);
    if (!c) continue;
    m++; sx += c[0]; sy += c[1]; sxx += c[0] * c[0]; sxy += c[0] * c[1]; syy += c[1] * c[1];
  }
  if (m < 100) return null;
  const mx = sx / m, my = sy / m;
  const f2 = CHROMA_SIGMA_FLOOR ** 2;
  const cxx = sxx / m - mx * mx + f2, cxy = sxy / m - mx * my, cyy = syy / m - my * my + f2;
  if (Math.max(cxx, cyy) > maxSpread ** 2) return null;
  return (i: number) => {
    const c = chroma(i);
    if (!c) return Infinity;
    // darker pixels (shadows at an object's foot) have noisier chroma: widen by their own noise
    const e = (CHROMA_PIXEL_NOISE / c[2]) ** 2;
    const a = cxx + e, b = cxy, d = cyy + e;
    const det = a * d - b * b;
    const dx = c[0] - mx, dy = c[1] - my;
    return Math.sqrt(Math.max(0, (d * dx * dx - 2 * b * dx * dy + a * dy * dy) / det));
  };
}

/**
 * Whether an optical-frame point, dropped onto the support plane, lands within the convex
 * outline of the support patch grown by `margin` metres.
 */
function supportExtent(cloud: OrganizedCloud, heightOf: (x: number, y: number, z: number) => number, mask: Uint8Array, margin: number): (x: number, y: number, z: number) => boolean {
  const [e1x, e1y, e1z, e2x, e2y, e2z] = planeBasis(heightOf);
  const P = cloud.positions;
  let total = 0;
  for (let i = 0; i < mask.length; i++) total += mask[i]!;
  const step = Math.max(1, Math.floor(total / 20000));
  const pts: [number, number][] = [];
  for (let i = 0, k = 0; i < mask.length; i++) {
    if (!mask[i] || k++ % step) continue;
    const x = P[i * 3]!, y = P[i * 3 + 1]!, z = P[i * 3 + 2]!;
    pts.push([x * e1x + y * e1y + z * e1z, x * e2x + y * e2y + z * e2z]);
  }
  const hull = convexHull2d(pts);
  // edges as inward unit normals: inside when every a·x + b·y + c >= -margin
  const edges: [number, number, number][] = [];
  for (let k = 0; k < hull.length; k++) {
    const [x0, y0] = hull[k]!, [x1, y1] = hull[(k + 1) % hull.length]!;
    const ex = x1 - x0, ey = y1 - y0;
    const l = Math.hypot(ex, ey);
    if (l < 1e-9) continue;
    const a = -ey / l, b = ex / l; // left normal of a counter-clockwise hull points inwards
    edges.push([a, b, -(a * x0 + b * y0)]);
  }
  return (x, y, z) => {
    const u = x * e1x + y * e1y + z * e1z, v = x * e2x + y * e2y + z * e2z;
    for (const [a, b, c] of edges) if (a * u + b * v + c < -margin) return false;
    return true;
  };
}

/** Two unit vectors spanning the support plane (optical frame), from its affine height function. */
function planeBasis(heightOf: (x: number, y: number, z: number) => number): [number, number, number, number, number, number] {
  const d0 = heightOf(0, 0, 0);
  const nx = heightOf(1, 0, 0) - d0, ny = heightOf(0, 1, 0) - d0, nz = heightOf(0, 0, 1) - d0;
  let ax = 1, ay = 0;
  if (Math.abs(nx) > 0.9) { ax = 0; ay = 1; }
  const dp = ax * nx + ay * ny;
  let e1x = ax - dp * nx, e1y = ay - dp * ny, e1z = -dp * nz;
  const l1 = Math.hypot(e1x, e1y, e1z);
  e1x /= l1; e1y /= l1; e1z /= l1;
  return [e1x, e1y, e1z, ny * e1z - nz * e1y, nz * e1x - nx * e1z, nx * e1y - ny * e1x];
}

/**
 * Merges small segments into a bigger one they touch in the image when most of their points,
 * dropped onto the plane, fall inside its footprint (convex outline, 1 cm margin). Returns the
 * ids merged away.
 */
function mergeFragments(cloud: OrganizedCloud, heightOf: (x: number, y: number, z: number) => number, data: Uint16Array, count: number, o: Required<Omit<PerceiveOptions, 'backend'>>): Set<number> {
  const { width: w, positions: P, valid } = cloud;
  const n = data.length;
  const size = new Int32Array(count + 1);
  for (let i = 0; i < n; i++) size[data[i]!] = size[data[i]!]! + 1;
  // image contacts between segments, within 2 pixels (a seam of missing depth between them)
  const contact = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const a = data[i]!;
    if (!a) continue;
    const u = i % w;
    for (const j of [u + 1 < w ? i + 1 : -1, u + 2 < w ? i + 2 : -1, i + w < n ? i + w : -1, i + 2 * w < n ? i + 2 * w : -1]) {
      if (j < 0) continue;
      const b = data[j]!;
      if (!b || b === a) continue;
      const key = a < b ? a * 65536 + b : b * 65536 + a;
      contact.set(key, (contact.get(key) ?? 0) + 1);
    }
  }
  const merged = new Set<number>();
  if (contact.size === 0) return merged;
  const [e1x, e1y, e1z, e2x, e2y, e2z] = planeBasis(heightOf);
  const flat = (id: number): [number, number][] => {
    const pts: [number, number][] = [];
    const step = Math.max(1, Math.floor(size[id]! / 3000));
    for (let i = 0, k = 0; i < n; i++) {
      if (data[i] !== id || !valid[i] || k++ % step) continue;
      const x = P[i * 3]!, y = P[i * 3 + 1]!, z = P[i * 3 + 2]!;
      pts.push([x * e1x + y * e1y + z * e1z, x * e2x + y * e2y + z * e2z]);
    }
    return pts;
  };
  const into = new Map<number, number>();
  const order = [...Array(count).keys()].map((k) => k + 1).filter((id) => size[id]! > 0 && size[id]! < o.fragmentPixels).sort((a, b) => size[a]! - size[b]!);
  for (const s of order) {
    let best = 0, bestContact = 0;
    for (const [key, c] of contact) {
      const a = Math.floor(key / 65536), b = key % 65536;
      const t = a === s ? b : b === s ? a : 0;
      if (!t || merged.has(t) || size[t]! <= size[s]! || c < FRAGMENT_MIN_CONTACT || c <= bestContact) continue;
      best = t;
      bestContact = c;
    }
    if (!best) continue;
    const pts = flat(s);
    const hull = convexHull2d(flat(best));
    if (pts.length === 0 || hull.length < 3) continue;
    let inside = 0;
    for (const [u, v] of pts) if (insideHull(hull, u, v, FRAGMENT_MARGIN)) inside++;
    if (inside < o.fragmentInside * pts.length) continue;
    into.set(s, best);
    merged.add(s);
    size[best] = size[best]! + size[s]!;
    for (let i = 0; i < n; i++) if (data[i] === s) data[i] = best;
    // its contacts become the bigger segment's
    for (const [key, c] of [...contact]) {
      const a = Math.floor(key / 65536), b = key % 65536;
      if (a !== s && b !== s) continue;
      contact.delete(key);
      const other = a === s ? b : a;
      if (other === best) continue;
      const k2 = other < best ? other * 65536 + best : best * 65536 + other;
      contact.set(k2, (contact.get(k2) ?? 0) + c);
    }
  }
  return merged;
}

/** Segments must share at least this many neighbouring pixel pairs to count as touching. */
const FRAGMENT_MIN_CONTACT = 10;
/** Footprint margin for fragments, metres (noise on the outline of the bigger segment). */
const FRAGMENT_MARGIN = 0.01;

/** Inside a counter-clockwise convex polygon grown by `margin`. */
function insideHull(hull: [number, number][], u: number, v: number, margin: number): boolean {
  for (let k = 0; k < hull.length; k++) {
    const [x0, y0] = hull[k]!, [x1, y1] = hull[(k + 1) % hull.length]!;
    const ex = x1 - x0, ey = y1 - y0;
    const l = Math.hypot(ex, ey);
    if (l < 1e-9) continue;
    if ((ex * (v - y0) - ey * (u - x0)) / l < -margin) return false;
  }
  return true;
}

/** Andrew's monotone chain; counter-clockwise, no repeated end point. */
function convexHull2d(pts: [number, number][]): [number, number][] {
  const p = [...pts].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: [number, number][] = [];
  for (let k = p.length - 1; k >= 0; k--) {
    const q = p[k]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0) upper.pop();
    upper.push(q);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

/**
 * Grows segments up to `passes` pixels into depth-continuous pixels flagged in `allow`,
 * breadth-first from all segments at once (each pixel goes to the nearest segment).
 */
function growInto(cloud: OrganizedCloud, data: Uint16Array, allow: Uint8Array, passes: number, o: Required<Omit<PerceiveOptions, 'backend'>>, depthContinuous = true): void {
  const { width: w, positions: P } = cloud;
  const n = data.length;
  let frontier: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!allow[i] || data[i]) continue;
    const u = i % w;
    if ((u > 0 && data[i - 1]) || (u + 1 < w && data[i + 1]) || (i >= w && data[i - w]) || (i + w < n && data[i + w])) frontier.push(i);
  }
  for (let pass = 0; pass < passes && frontier.length; pass++) {
    const add: number[] = [];
    for (const i of frontier) {
      if (data[i]) continue;
      const u = i % w, z = P[i * 3 + 2]!, lim = depthContinuous ? o.jumpAbs + o.jumpRel * z : Infinity;
      let id = 0;
      if (u > 0 && data[i - 1] && Math.abs(P[(i - 1) * 3 + 2]! - z) <= lim) id = data[i - 1]!;
      else if (u + 1 < w && data[i + 1] && Math.abs(P[(i + 1) * 3 + 2]! - z) <= lim) id = data[i + 1]!;
      else if (i >= w && data[i - w] && Math.abs(P[(i - w) * 3 + 2]! - z) <= lim) id = data[i - w]!;
      else if (i + w < n && data[i + w] && Math.abs(P[(i + w) * 3 + 2]! - z) <= lim) id = data[i + w]!;
      if (id) add.push(i, id);
    }
    const next: number[] = [];
    for (let k = 0; k < add.length; k += 2) {
      const i = add[k]!;
      if (data[i]) continue;
      data[i] = add[k + 1]!;
      const u = i % w;
      if (u > 0 && allow[i - 1] && !data[i - 1]) next.push(i - 1);
      if (u + 1 < w && allow[i + 1] && !data[i + 1]) next.push(i + 1);
      if (i >= w && allow[i - w] && !data[i - w]) next.push(i - w);
      if (i + w < n && allow[i + w] && !data[i + w]) next.push(i + w);
    }
    frontier = next;
  }
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
  const normals = pixelNormals(cloud, use, Math.max(2, r >> 1));
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
