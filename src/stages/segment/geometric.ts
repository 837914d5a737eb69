import type { ColorImage, LabelImage } from '../../model/image.ts';
import type { OrganizedCloud } from '../organized.ts';
import type { PerceiveOptions } from '../perceive.ts';
import { creasePixels } from './creases.ts';
import { mergeFragments } from './fragments.ts';
import { fillDepthHoles, growInto, growSkirts } from './grow.ts';
import { MIN_PATCH_PIXELS, chromaModel, supportExtent, supportPatch } from './support.ts';

type GeometricOptions = Required<Omit<PerceiveOptions, 'backend'>>;

/** Height-above-plane foreground, then union-find over 4-neighbours that are not cut apart. */
export function segmentGeometric(cloud: OrganizedCloud, heightOf: (x: number, y: number, z: number) => number, o: GeometricOptions, color?: ColorImage): LabelImage {
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
  const crease = o.creaseDeg > 0 ? creasePixels(cloud, fg, o.creaseDeg, o.creaseRadius, (z) => o.jumpAbs + o.jumpRel * z) : null;
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
    const za = P[a * 3 + 2]!,
      zb = P[b * 3 + 2]!;
    const lim = o.jumpAbs + o.jumpRel * Math.min(za, zb);
    if (Math.abs(za - zb) > lim) return false;
    // a step under a quarter of a jump is not a steep part of anything: joined, without the
    // look along the line below (most pairs on a surface)
    if (!(Math.abs(zb - za) > SMEAR_STEEP * lim)) return true;
    // a depth step the sensor smeared over a few pixels (an object's silhouette against a
    // surface a few cm behind it, e.g. 746 → 754 → 768 → 782 → 797 mm on a Kinect-class frame,
    // each step under the jump, a 5 cm step all told): along the
    // line through the pair, SMEAR_REACH pixels further out on either side, the depth has
    // changed the same way by more than SMEAR_JUMPS jumps, and this step is a steep part of it
    const d = b - a;
    let lo = a,
      hi = b;
    const ua = a % w;
    for (let t = 1; t <= SMEAR_REACH; t++) {
      const nlo = a - d * t,
        nhi = b + d * t;
      if (nlo < 0 || nhi >= n || (d === 1 && (ua - t < 0 || ua + 1 + t >= w))) break;
      if (valid[nlo]) lo = nlo;
      if (valid[nhi]) hi = nhi;
    }
    const span = P[hi * 3 + 2]! - P[lo * 3 + 2]!;
    return !(Math.abs(span) > SMEAR_JUMPS * lim && Math.sign(span) === Math.sign(zb - za));
  };
  const union = (a: number, b: number) => {
    const ra = find(a),
      rb = find(b);
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
    // crease pixels join the neighbouring segment they are continuous with, growing inwards;
    // each pass decides from the segments as they stood before it, so a band is shared by
    // distance between the segments on either side instead of flooding, in one scan, from the
    // one above or to the left of it (the band under a box standing on a tin went to the box)
    let pending = true;
    const take: number[] = [];
    // the crease pixels still unassigned, in pixel order (each pass visits only these)
    let left: number[] = [];
    for (let i = 0; i < n; i++) if (crease[i]) left.push(i);
    for (let pass = 0; pass < CREASE_FILL_PASSES && pending; pass++) {
      pending = false;
      take.length = 0;
      const still: number[] = [];
      for (const i of left) {
        const u = i % w;
        let best = -1,
          bestDz = Infinity;
        // the four neighbours, without allocating (this runs for every crease pixel, every pass)
        for (let k = 0; k < 4; k++) {
          const j = k === 0 ? (u > 0 ? i - 1 : -1) : k === 1 ? (u + 1 < w ? i + 1 : -1) : k === 2 ? i - w : i + w;
          if (j < 0 || j >= n || !fg[j] || crease[j]) continue;
          const dz = Math.abs(P[i * 3 + 2]! - P[j * 3 + 2]!);
          if (dz < bestDz && dz <= o.jumpAbs + o.jumpRel * P[i * 3 + 2]!) {
            bestDz = dz;
            best = j;
          }
        }
        if (best >= 0) take.push(i, best);
        else {
          pending = true;
          still.push(i);
        }
      }
      for (let k = 0; k < take.length; k += 2) parent[take[k]!] = find(take[k + 1]!);
      for (let k = 0; k < take.length; k += 2) crease[take[k]!] = 0;
      left = still;
      if (take.length === 0) break;
    }
  }
  // each foreground pixel's root, once (the roots do not change below); sizes by root
  const rootOf = new Int32Array(n).fill(-1);
  const size = new Int32Array(n);
  const rootList: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!fg[i]) continue;
    const r = find(i);
    rootOf[i] = r;
    if (size[r] === 0) rootList.push(r);
    size[r] = size[r]! + 1;
  }
  let roots = rootList
    .map((r): [number, number] => [r, size[r]!])
    .filter(([, s]) => s >= o.minSegmentPixels)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  if (o.minSupported > 0 && patch.count >= MIN_PATCH_PIXELS) {
    const onSupport = supportExtent(cloud, heightOf, patch.mask, o.extentMargin);
    const inside = new Map<number, [number, number]>();
    for (let i = 0; i < n; i += 3) {
      if (!fg[i]) continue;
      const r = rootOf[i]!;
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
  const idOf = new Uint16Array(n);
  roots.forEach(([r], k) => (idOf[r] = k + 1));
  const data = new Uint16Array(n);
  for (let i = 0; i < n; i++) if (fg[i]) data[i] = idOf[rootOf[i]!]!;
  // foreground pixels of components too small to be objects (what a crease band leaves between
  // two creases: the strip of a tin's lid in front of a box standing on it, slivers along an
  // object's outline) are object pixels all the same: they go to the depth-continuous segment
  // nearest them, as far as a crease band is wide, instead of to the background (components
  // dropped as off the support stay dropped)
  const orphan = new Uint8Array(n);
  for (let i = 0; i < n; i++) orphan[i] = fg[i] && !data[i] && size[rootOf[i]!]! < o.minSegmentPixels ? 1 : 0;
  growInto(cloud, data, orphan, 2 * o.creaseRadius, o);
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

/** Most passes of the crease-band fill (a band is 2 × creaseRadius wide; no-depth spots in it lengthen the way round). */
const CREASE_FILL_PASSES = 64;
/** Pixels looked at beyond each side of a neighbour pair for a smeared depth step. */
const SMEAR_REACH = 4;
/** A smeared step: the depth over the reach changes by more than this many neighbour jumps... */
const SMEAR_JUMPS = 2;
/** ...and the pair's own step is at least this share of a jump (the ramp, not the flat beside it). */
const SMEAR_STEEP = 0.25;
