import type { OrganizedCloud } from '../organized.ts';
import type { PerceiveOptions } from '../perceive.ts';
import { convexHull2d, insideHull } from './hull.ts';
import { planeBasis } from './support.ts';

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
  // image contacts between segments, within 2 pixels (a seam of missing depth between them)
  const contact = new Map<number, number>();
  const touch = (a: number, b: number) => {
    if (!b || b === a) return;
    const key = a < b ? a * 65536 + b : b * 65536 + a;
    contact.set(key, (contact.get(key) ?? 0) + 1);
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
  const merged = new Set<number>();
  if (contact.size === 0) return merged;
  const [e1x, e1y, e1z, e2x, e2y, e2z] = planeBasis(heightOf);
  // each segment's pixels in ascending order (kept up to date as segments merge), so that a
  // segment's points are read without scanning the image
  const pixelsOf: number[][] = Array.from({ length: count + 1 }, () => []);
  for (let i = 0; i < n; i++) if (data[i]) pixelsOf[data[i]!]!.push(i);
  const flat = (id: number): [number, number][] => {
    const pts: [number, number][] = [];
    const step = Math.max(1, Math.floor(size[id]! / 3000));
    let k = 0;
    for (const i of pixelsOf[id]!) {
      if (!valid[i] || k++ % step) continue;
      const x = P[i * 3]!,
        y = P[i * 3 + 1]!,
        z = P[i * 3 + 2]!;
      pts.push([x * e1x + y * e1y + z * e1z, x * e2x + y * e2y + z * e2z]);
    }
    return pts;
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
    const pts = flat(s);
    const hull = convexHull2d(flat(best));
    if (pts.length === 0 || hull.length < 3) continue;
    let inside = 0;
    for (const [u, v] of pts) if (insideHull(hull, u, v, FRAGMENT_MARGIN)) inside++;
    if (inside < o.fragmentInside * pts.length) continue;
    into.set(s, best);
    merged.add(s);
    size[best] = size[best]! + size[s]!;
    for (const i of pixelsOf[s]!) data[i] = best;
    pixelsOf[best] = mergeAscending(pixelsOf[best]!, pixelsOf[s]!);
    pixelsOf[s] = [];
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
function mergeAscending(a: number[], b: number[]): number[] {
  const out = new Array<number>(a.length + b.length);
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
/** Footprint margin for fragments, metres (noise on the outline of the bigger segment). */
const FRAGMENT_MARGIN = 0.01;
