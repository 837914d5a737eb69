import type { OrganizedCloud } from '../organized.ts';
import type { PerceiveOptions } from '../perceive.ts';
import { convexHull2d } from '../footprint.ts';
import { insideHull } from '../stacking.ts';
import { planeBasis } from './support.ts';
import { pixelsByLabel } from '../util.ts';

type GeometricOptions = Required<Omit<PerceiveOptions, 'backend'>>;

/**
 * Merges small segments into a bigger one they touch in the image when most of their points,
 * dropped onto the plane, fall inside its footprint (convex outline, 1 cm margin). Returns the
 * ids merged away.
 */
export function mergeFragments(cloud: OrganizedCloud, heightOf: (x: number, y: number, z: number) => number, data: Uint16Array, count: number, o: GeometricOptions): Set<number> {
  const { width: w, positions: P, valid } = cloud;
  const n = data.length;
  const size = new Int32Array(count + 1);
  for (let i = 0; i < n; i++) size[data[i]!] = size[data[i]!]! + 1;
  // image contacts between segments, within 2 pixels (a seam of missing depth between them):
  // counted per pair in a dense table (a Map update per pixel pair cost most of this pass), the
  // pairs noted in the order they are first met, which is the Map's order below
  let maxId = 0;
  for (let i = 0; i < n; i++) if (data[i]! > maxId) maxId = data[i]!;
  const pairs = (maxId + 1) * (maxId + 1);
  const dense = pairs <= 1 << 22 ? new Int32Array(pairs) : null;
  const firstMet: number[] = [];
  const sparse = new Map<number, number>();
  const touch = (a: number, b: number) => {
    if (!b || b === a) return;
    const lo = a < b ? a : b,
      hi = a < b ? b : a;
    if (dense) {
      const c = lo * (maxId + 1) + hi;
      if (dense[c]!++ === 0) firstMet.push(lo, hi);
    } else {
      const key = lo * 65536 + hi;
      sparse.set(key, (sparse.get(key) ?? 0) + 1);
    }
  };
  const h = n / w;
  // (the same pairs in the same order as a list per pixel would give: the contacts' order
  // decides ties below; written out so that the pixel loop allocates nothing)
  for (let i = 0; i < n; i++) {
    const a = data[i]!;
    if (!a) continue;
    const u = i % w;
    if (u + 1 < w) touch(a, data[i + 1]!);
    if (u + 2 < w) touch(a, data[i + 2]!);
    if (i + w < n) touch(a, data[i + w]!);
    if (i + 2 * w < n) touch(a, data[i + 2 * w]!);
    // across a wider seam of missing depth (the shadow under a bowl's overhanging rim): right
    // and down, over pixels with no depth only, to the first measured one
    for (let dir = 0; dir < 2; dir++) {
      const du = dir === 0 ? 1 : 0,
        dv = 1 - du;
      let uu = u + du,
        vv = Math.floor(i / w) + dv,
        k = 0;
      while (uu < w && vv < h && k < SEAM_PIXELS && !valid[vv * w + uu]) {
        uu += du;
        vv += dv;
        k++;
      }
      if (k < 2 || k >= SEAM_PIXELS || uu >= w || vv >= h) continue;
      touch(a, data[vv * w + uu]!);
    }
  }
  let contact = sparse;
  if (dense) {
    contact = new Map<number, number>();
    for (let k = 0; k < firstMet.length; k += 2) contact.set(firstMet[k]! * 65536 + firstMet[k + 1]!, dense[firstMet[k]! * (maxId + 1) + firstMet[k + 1]!]!);
  }
  // what each small segment's outline borders: from each of its pixels, in each of the four
  // directions, the first measured pixel that is not its own (over at most SEAM_PIXELS with no
  // depth), counted by the id it carries (0 = measured background)
  const border = new Map<number, Map<number, number>>();
  for (let i = 0; i < n; i++) {
    const a = data[i]!;
    if (!a || size[a]! >= o.fragmentPixels) continue;
    const u = i % w,
      v = (i - u) / w;
    for (const [du, dv] of DIRECTIONS) {
      let uu = u + du,
        vv = v + dv,
        k = 0;
      while (uu >= 0 && vv >= 0 && uu < w && vv < h && !valid[vv * w + uu] && k < SEAM_PIXELS) {
        uu += du;
        vv += dv;
        k++;
      }
      if (uu < 0 || vv < 0 || uu >= w || vv >= h || k >= SEAM_PIXELS) continue;
      const b = data[vv * w + uu]!;
      if (b === a) continue;
      const m = border.get(a) ?? new Map<number, number>();
      m.set(b, (m.get(b) ?? 0) + 1);
      border.set(a, m);
    }
  }
  // the one bigger segment that (nearly) all of a segment's measured outline borders on: a piece
  // of it seen inside its silhouette with no depth around it (a transparent bottle's inner
  // surface), not an object standing in front of or on it (those show the table or the room
  // past some of their outline)
  const enclosedBy = (s: number): number => {
    const m = border.get(s);
    if (!m) return 0;
    let total = 0,
      best = 0,
      bestCount = 0;
    for (const [id, c] of m) {
      total += c;
      if (id && c > bestCount) {
        best = id;
        bestCount = c;
      }
    }
    return best && size[best]! > size[s]! && bestCount >= FRAGMENT_MIN_CONTACT && bestCount >= ENCLOSED_SHARE * total ? best : 0;
  };
  const merged = new Set<number>();
  if (contact.size === 0) return merged;
  const [e1x, e1y, e1z, e2x, e2y, e2z] = planeBasis(heightOf);
  // each segment's pixels in ascending order (kept up to date as segments merge), so that a
  // segment's points are read without scanning the image
  const pixelsOf = pixelsByLabel(data, count);
  // a segment's points (at most ~3000) on the support, as one flat xy list, and each bigger
  // segment's footprint hull, computed once until a fragment merges into it
  const flatXY = (id: number): number[] => {
    const pts: number[] = [];
    const step = Math.max(1, Math.floor(size[id]! / 3000));
    let k = 0;
    for (const i of pixelsOf[id]!) {
      if (!valid[i] || k++ % step) continue;
      const x = P[i * 3]!,
        y = P[i * 3 + 1]!,
        z = P[i * 3 + 2]!;
      pts.push(x * e1x + y * e1y + z * e1z, x * e2x + y * e2y + z * e2z);
    }
    return pts;
  };
  const hulls = new Map<number, Float64Array>();
  const hullOf = (id: number): Float64Array => {
    let h = hulls.get(id);
    if (!h) hulls.set(id, (h = convexHull2d(flatXY(id), 2)));
    return h;
  };
  const into = new Map<number, number>();
  const order = [...Array(count).keys()]
    .map((k) => k + 1)
    .filter((id) => size[id]! > 0 && size[id]! < o.fragmentPixels)
    .sort((a, b) => size[a]! - size[b]!);
  for (const s of order) {
    let best = 0,
      bestContact = 0;
    for (const [key, c] of contact) {
      const a = Math.floor(key / 65536),
        b = key % 65536;
      const t = a === s ? b : b === s ? a : 0;
      if (!t || merged.has(t) || size[t]! <= size[s]! || c < FRAGMENT_MIN_CONTACT || c <= bestContact) continue;
      best = t;
      bestContact = c;
    }
    if (!best) continue;
    const around = enclosedBy(s);
    if (around && !merged.has(around)) best = around;
    else {
      const xy = flatXY(s);
      const hull = hullOf(best);
      if (xy.length === 0 || hull.length < 6) continue;
      let inside = 0;
      for (let k = 0; k < xy.length; k += 2) if (insideHull(hull, xy[k]!, xy[k + 1]!, FRAGMENT_MARGIN)) inside++;
      if (inside < (o.fragmentInside * xy.length) / 2) continue;
    }
    into.set(s, best);
    merged.add(s);
    size[best] = size[best]! + size[s]!;
    hulls.delete(best);
    for (const i of pixelsOf[s]!) data[i] = best;
    pixelsOf[best] = mergeAscending(pixelsOf[best]!, pixelsOf[s]!);
    pixelsOf[s] = new Uint32Array(0);
    // its contacts become the bigger segment's
    for (const [key, c] of [...contact]) {
      const a = Math.floor(key / 65536),
        b = key % 65536;
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

/** The union of two ascending lists without common elements, ascending. */
function mergeAscending(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  let i = 0,
    j = 0,
    k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]! < b[j]! ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

/** Widest seam of pixels with no depth across which two segments still touch. */
const SEAM_PIXELS = 12;
/** Segments must share at least this many neighbouring pixel pairs to count as touching. */
const FRAGMENT_MIN_CONTACT = 10;
/** The four image directions. */
const DIRECTIONS = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
] as const;
/** Share of a fragment's measured outline that must border on one bigger segment for it to be enclosed by it. */
const ENCLOSED_SHARE = 0.98;
/** Footprint margin for fragments, metres (noise on the outline of the bigger segment). */
const FRAGMENT_MARGIN = 0.01;
