import type { ColorImage } from '../../model/image.ts';
import type { OrganizedCloud } from '../organized.ts';
import type { PerceiveOptions } from '../perceive.ts';
import { convexHull2d } from '../footprint.ts';
import { insideHull } from '../stacking.ts';

/**
 * The visible support surface and what it tells the segmentation: its outline (things beyond
 * the table's edge are not on it), its colour (smoothed depth ramps at an object's foot that
 * look like the table), and a basis of its plane.
 */
type GeometricOptions = Required<Omit<PerceiveOptions, 'backend'>>;

/** Below this many pixels the visible support is too small to trust its outline or colour. */
export const MIN_PATCH_PIXELS = 2000;

/**
 * The visible support surface: the 4-connected, depth-continuous patches of pixels within
 * `supportBand` of the plane, the largest and every one at least `SUPPORT_PIECE` of its size
 * (clutter cuts a table into pieces; small near-plane patches are tops of things or coplanar
 * clutter).
 */
export function supportPatch(cloud: OrganizedCloud, height: Float32Array, o: GeometricOptions): { mask: Uint8Array; count: number } {
  const { width: w, positions: P, valid } = cloud;
  const n = w * cloud.height;
  // -2: not near the plane (never joins a patch); -1: near, not reached yet; ≥ 0: its patch.
  // Decided once per pixel here instead of each time a neighbour looks at it.
  const comp = new Int32Array(n);
  for (let i = 0; i < n; i++) comp[i] = valid[i] === 1 && Math.abs(height[i]!) < o.supportBand ? -1 : -2;
  const queue = new Int32Array(n);
  const sizes: number[] = [];
  for (let s = 0, label = 0; s < n; s++) {
    if (comp[s] !== -1) continue;
    let head = 0,
      tail = 0,
      count = 0;
    queue[tail++] = s;
    comp[s] = label;
    while (head < tail) {
      const i = queue[head++]!;
      count++;
      const u = i % w,
        z = P[i * 3 + 2]!;
      const lim = o.jumpAbs + o.jumpRel * z;
      // left, right, up, down, in that order, written out: this runs for most of the image, and
      // one helper called for the four (a closure) made perceive ~20 % slower on osd_mosd frames
      let j = i - 1;
      if (u > 0 && comp[j] === -1 && !(Math.abs(P[j * 3 + 2]! - z) > lim)) {
        comp[j] = label;
        queue[tail++] = j;
      }
      j = i + 1;
      if (u + 1 < w && comp[j] === -1 && !(Math.abs(P[j * 3 + 2]! - z) > lim)) {
        comp[j] = label;
        queue[tail++] = j;
      }
      j = i - w;
      if (j >= 0 && comp[j] === -1 && !(Math.abs(P[j * 3 + 2]! - z) > lim)) {
        comp[j] = label;
        queue[tail++] = j;
      }
      j = i + w;
      if (j < n && comp[j] === -1 && !(Math.abs(P[j * 3 + 2]! - z) > lim)) {
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
export function chromaModel(color: ColorImage, mask: Uint8Array, maxSpread: number): ((i: number) => number) | null {
  const { data, encoding } = color;
  const ch = encoding === 'mono8' ? 1 : encoding === 'rgb8' || encoding === 'bgr8' ? 3 : 4;
  const chroma = (i: number): [number, number, number] | null => {
    if (ch === 1) return null;
    const a = data[i * ch]!,
      g = data[i * ch + 1]!,
      c = data[i * ch + 2]!;
    const sum = a + g + c;
    if (sum < MIN_CHROMA_SUM) return null;
    const r = encoding.startsWith('bgr') ? c : a;
    return [r / sum, g / sum, sum];
  };
  let m = 0,
    sx = 0,
    sy = 0,
    sxx = 0,
    sxy = 0,
    syy = 0;
  let total = 0;
  for (let i = 0; i < mask.length; i++) total += mask[i]!;
  const step = Math.max(1, Math.floor(total / 20000));
  for (let i = 0, k = 0; i < mask.length; i++) {
    if (!mask[i] || k++ % step) continue;
    const c = chroma(i);
    if (!c) continue;
    m++;
    sx += c[0];
    sy += c[1];
    sxx += c[0] * c[0];
    sxy += c[0] * c[1];
    syy += c[1] * c[1];
  }
  if (m < 100) return null;
  const mx = sx / m,
    my = sy / m;
  const f2 = CHROMA_SIGMA_FLOOR ** 2;
  const cxx = sxx / m - mx * mx + f2,
    cxy = sxy / m - mx * my,
    cyy = syy / m - my * my + f2;
  if (Math.max(cxx, cyy) > maxSpread ** 2) return null;
  return (i: number) => {
    const c = chroma(i);
    if (!c) return Infinity;
    // darker pixels (shadows at an object's foot) have noisier chroma: widen by their own noise
    const e = (CHROMA_PIXEL_NOISE / c[2]) ** 2;
    const a = cxx + e,
      b = cxy,
      d = cyy + e;
    const det = a * d - b * b;
    const dx = c[0] - mx,
      dy = c[1] - my;
    return Math.sqrt(Math.max(0, (d * dx * dx - 2 * b * dx * dy + a * dy * dy) / det));
  };
}

/**
 * Whether an optical-frame point, dropped onto the support plane, lands within the convex
 * outline of the support patch grown by `margin` metres.
 */
export function supportExtent(cloud: OrganizedCloud, heightOf: (x: number, y: number, z: number) => number, mask: Uint8Array, margin: number): (x: number, y: number, z: number) => boolean {
  const [e1x, e1y, e1z, e2x, e2y, e2z] = planeBasis(heightOf);
  const P = cloud.positions;
  let total = 0;
  for (let i = 0; i < mask.length; i++) total += mask[i]!;
  const step = Math.max(1, Math.floor(total / 20000));
  // a typed array written in place (doubles, as a number[] holds them): two-argument pushes
  // cost more than the rest of this function
  const pts = new Float64Array(Math.ceil(total / step) * 2);
  for (let i = 0, k = 0, j = 0; i < mask.length; i++) {
    if (!mask[i] || k++ % step) continue;
    const x = P[i * 3]!,
      y = P[i * 3 + 1]!,
      z = P[i * 3 + 2]!;
    pts[j++] = x * e1x + y * e1y + z * e1z;
    pts[j++] = x * e2x + y * e2y + z * e2z;
  }
  const hull = convexHull2d(pts, 2);
  // an outline with no area bounds nothing (insideHull would say outside everywhere)
  if (hull.length < 6) return () => true;
  return (x, y, z) => insideHull(hull, x * e1x + y * e1y + z * e1z, x * e2x + y * e2y + z * e2z, margin);
}

/** Two unit vectors spanning the support plane (optical frame), from its affine height function. */
export function planeBasis(heightOf: (x: number, y: number, z: number) => number): [number, number, number, number, number, number] {
  const d0 = heightOf(0, 0, 0);
  return basisOfNormal(heightOf(1, 0, 0) - d0, heightOf(0, 1, 0) - d0, heightOf(0, 0, 1) - d0);
}

/** Two unit vectors e1, e2 spanning the plane with unit normal n (e1 from x, or y when n is near x). */
export function basisOfNormal(nx: number, ny: number, nz: number): [number, number, number, number, number, number] {
  let ax = 1,
    ay = 0;
  if (Math.abs(nx) > 0.9) {
    ax = 0;
    ay = 1;
  }
  const dp = ax * nx + ay * ny;
  let e1x = ax - dp * nx,
    e1y = ay - dp * ny,
    e1z = -dp * nz;
  const l1 = Math.hypot(e1x, e1y, e1z);
  e1x /= l1;
  e1y /= l1;
  e1z /= l1;
  return [e1x, e1y, e1z, ny * e1z - nz * e1y, nz * e1x - nx * e1z, nx * e1y - ny * e1x];
}
