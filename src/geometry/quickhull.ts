import { Real2SimError } from '../model/errors.ts';

/**
 * 3-D quickhull (Barber, Dobkin & Huhdanpaa 1996) over flat typed arrays, triangles only.
 *
 * Written by hand because three.js's `ConvexHull` (objects per vertex, face and half-edge) took
 * ~33 ms for 20k points where Open3D (qhull) takes ~6 ms, and the convex decomposition calls a
 * hull hundreds of times per object.
 *
 * Layout: face f has vertices `fv[3f..3f+2]` (counter-clockwise seen from outside), plane
 * `n·p = off` with unit normal in `fn[3f..3f+2]`, neighbour across edge e (from vertex e to
 * vertex e+1) in `nb[3f+e]`, and that edge's index inside the neighbour in `nbe[3f+e]`.
 * Points outside a face are kept in a singly linked list (`head[f]`, `next[p]`).
 * Points within `tol` of a face count as on it (coplanar points are dropped, not added), so
 * the result is closed and every edge convex up to `tol`.
 */
export interface HullFaces {
  /** Points used (interleaved xyz, float64), the input order. */
  points: Float64Array;
  /** Vertex indices into `points`, three per face, counter-clockwise from outside. */
  faces: Uint32Array;
}

const DELETED = 0;
const ALIVE = 1;

// Scratch buffers reused across calls (the convex decomposition calls the hull thousands of
// times on small sets, where allocation dominated). Grown on demand, never shrunk.
let poolPts = new Float64Array(0);
let poolNext = new Int32Array(0);
let poolCap = 0;
let poolFv = new Int32Array(0);
let poolFn = new Float64Array(0);
let poolOff = new Float64Array(0);
let poolNb = new Int32Array(0);
let poolNbe = new Int8Array(0);
let poolAlive = new Uint8Array(0);
let poolHead = new Int32Array(0);

/** Hull faces of the finite points of `input`; `points` is a copy (safe to keep). */
export function quickhull(input: ArrayLike<number>): HullFaces {
  const h = quickhullScratch(input);
  return { points: h.points.slice(0, h.n * 3), faces: h.faces };
}

/** As `quickhull`, but `points` is a scratch buffer valid until the next call (first n points). */
export function quickhullScratch(input: ArrayLike<number>): HullFaces & { n: number } {
  const nIn = Math.floor(input.length / 3);
  // finite points only
  let n = 0;
  if (poolPts.length < nIn * 3) {
    poolPts = new Float64Array(nIn * 3 * 2);
    poolNext = new Int32Array(nIn * 2);
  }
  const pts = poolPts;
  let maxAbs = 0;
  for (let i = 0; i < nIn; i++) {
    const x = +input[i * 3]!,
      y = +input[i * 3 + 1]!,
      z = +input[i * 3 + 2]!;
    if (!(x - x === 0 && y - y === 0 && z - z === 0)) continue;
    pts[n * 3] = x;
    pts[n * 3 + 1] = y;
    pts[n * 3 + 2] = z;
    const a = Math.abs(x) + Math.abs(y) + Math.abs(z);
    if (a > maxAbs) maxAbs = a;
    n++;
  }
  if (n < 4) throw new Real2SimError('BAD_MESH', `Convex hull needs at least 4 points, got ${n}`, { points: n });
  const p = pts;
  const tol = 3 * Number.EPSILON * Math.max(maxAbs, 1e-300) * 4;

  // ---- initial simplex from the extreme points ----
  const ext = new Int32Array(6);
  for (let k = 0; k < 3; k++) {
    let lo = 0,
      hi = 0;
    for (let i = 1; i < n; i++) {
      if (p[i * 3 + k]! < p[lo * 3 + k]!) lo = i;
      if (p[i * 3 + k]! > p[hi * 3 + k]!) hi = i;
    }
    ext[k * 2] = lo;
    ext[k * 2 + 1] = hi;
  }
  let v0 = 0,
    v1 = 0,
    best = -1;
  for (let k = 0; k < 3; k++) {
    const d = p[ext[k * 2 + 1]! * 3 + k]! - p[ext[k * 2]! * 3 + k]!;
    if (d > best) {
      best = d;
      v0 = ext[k * 2]!;
      v1 = ext[k * 2 + 1]!;
    }
  }
  if (!(best > tol)) throw degenerate(n);
  // farthest from the line v0–v1
  const lx = p[v1 * 3]! - p[v0 * 3]!,
    ly = p[v1 * 3 + 1]! - p[v0 * 3 + 1]!,
    lz = p[v1 * 3 + 2]! - p[v0 * 3 + 2]!;
  let v2 = -1;
  best = 0;
  for (let i = 0; i < n; i++) {
    const dx = p[i * 3]! - p[v0 * 3]!,
      dy = p[i * 3 + 1]! - p[v0 * 3 + 1]!,
      dz = p[i * 3 + 2]! - p[v0 * 3 + 2]!;
    const cx = ly * dz - lz * dy,
      cy = lz * dx - lx * dz,
      cz = lx * dy - ly * dx;
    const d = cx * cx + cy * cy + cz * cz;
    if (d > best) {
      best = d;
      v2 = i;
    }
  }
  if (v2 < 0 || !(Math.sqrt(best) > tol * Math.hypot(lx, ly, lz))) throw degenerate(n);
  // farthest from the plane v0 v1 v2
  const ux = p[v2 * 3]! - p[v0 * 3]!,
    uy = p[v2 * 3 + 1]! - p[v0 * 3 + 1]!,
    uz = p[v2 * 3 + 2]! - p[v0 * 3 + 2]!;
  let pnx = ly * uz - lz * uy,
    pny = lz * ux - lx * uz,
    pnz = lx * uy - ly * ux;
  const pl = Math.hypot(pnx, pny, pnz);
  pnx /= pl;
  pny /= pl;
  pnz /= pl;
  const poff = pnx * p[v0 * 3]! + pny * p[v0 * 3 + 1]! + pnz * p[v0 * 3 + 2]!;
  let v3 = -1;
  best = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(pnx * p[i * 3]! + pny * p[i * 3 + 1]! + pnz * p[i * 3 + 2]! - poff);
    if (d > best) {
      best = d;
      v3 = i;
    }
  }
  if (v3 < 0 || !(best > tol)) throw degenerate(n);

  // ---- face storage (grows by doubling) ----
  if (poolCap < 64) {
    poolCap = 64;
    poolFv = new Int32Array(poolCap * 3);
    poolFn = new Float64Array(poolCap * 3);
    poolOff = new Float64Array(poolCap);
    poolNb = new Int32Array(poolCap * 3);
    poolNbe = new Int8Array(poolCap * 3);
    poolAlive = new Uint8Array(poolCap);
    poolHead = new Int32Array(poolCap);
  }
  let cap = poolCap;
  let fv = poolFv;
  let fn = poolFn;
  let foff = poolOff;
  let nb = poolNb;
  let nbe = poolNbe;
  let alive = poolAlive;
  let head = poolHead;
  let faceCount = 0;
  const next = poolNext;

  const grow = () => {
    cap *= 2;
    const g32 = (a: Int32Array, m: number) => {
      const b = new Int32Array(cap * m);
      b.set(a);
      return b;
    };
    fv = g32(fv, 3);
    nb = g32(nb, 3);
    head = g32(head, 1);
    const f64 = (a: Float64Array, m: number) => {
      const b = new Float64Array(cap * m);
      b.set(a);
      return b;
    };
    fn = f64(fn, 3);
    foff = f64(foff, 1);
    const e8 = new Int8Array(cap * 3);
    e8.set(nbe);
    nbe = e8;
    const u8 = new Uint8Array(cap);
    u8.set(alive);
    alive = u8;
    poolCap = cap;
    poolFv = fv;
    poolFn = fn;
    poolOff = foff;
    poolNb = nb;
    poolNbe = nbe;
    poolAlive = alive;
    poolHead = head;
  };
  const addFace = (a: number, b: number, c: number): number => {
    if (faceCount === cap) grow();
    const f = faceCount++;
    fv[f * 3] = a;
    fv[f * 3 + 1] = b;
    fv[f * 3 + 2] = c;
    const ax = p[a * 3]!,
      ay = p[a * 3 + 1]!,
      az = p[a * 3 + 2]!;
    const e1x = p[b * 3]! - ax,
      e1y = p[b * 3 + 1]! - ay,
      e1z = p[b * 3 + 2]! - az;
    const e2x = p[c * 3]! - ax,
      e2y = p[c * 3 + 1]! - ay,
      e2z = p[c * 3 + 2]! - az;
    let nx = e1y * e2z - e1z * e2y,
      ny = e1z * e2x - e1x * e2z,
      nz = e1x * e2y - e1y * e2x;
    const l = Math.sqrt(nx * nx + ny * ny + nz * nz);
    if (l > 0) {
      nx /= l;
      ny /= l;
      nz /= l;
    }
    fn[f * 3] = nx;
    fn[f * 3 + 1] = ny;
    fn[f * 3 + 2] = nz;
    // offset through the centroid: less sensitive to which vertex is first
    foff[f] = (nx * (3 * ax + e1x + e2x) + ny * (3 * ay + e1y + e2y) + nz * (3 * az + e1z + e2z)) / 3;
    alive[f] = ALIVE;
    head[f] = -1;
    return f;
  };
  const link = (f: number, e: number, g: number, ge: number) => {
    nb[f * 3 + e] = g;
    nbe[f * 3 + e] = ge;
    nb[g * 3 + ge] = f;
    nbe[g * 3 + ge] = e;
  };

  // v3 must be behind the base face
  const a0 = v0;
  let a1 = v1,
    a2 = v2;
  if (pnx * p[v3 * 3]! + pny * p[v3 * 3 + 1]! + pnz * p[v3 * 3 + 2]! - poff > 0) {
    a1 = v2;
    a2 = v1;
  }
  // base (a0 a1 a2) faces away from v3; sides (a1 a0 v3), (a2 a1 v3), (a0 a2 v3)
  const F0 = addFace(a0, a1, a2);
  const F1 = addFace(a1, a0, v3);
  const F2 = addFace(a2, a1, v3);
  const F3 = addFace(a0, a2, v3);
  // F0 (a0 a1 a2): a0→a1, a1→a2, a2→a0   F1 (a1 a0 v3): a1→a0, a0→v3, v3→a1
  // F2 (a2 a1 v3): a2→a1, a1→v3, v3→a2   F3 (a0 a2 v3): a0→a2, a2→v3, v3→a0
  link(F0, 0, F1, 0);
  link(F0, 1, F2, 0);
  link(F0, 2, F3, 0);
  link(F1, 1, F3, 2);
  link(F1, 2, F2, 1);
  link(F2, 2, F3, 1);

  // assign points to the initial faces (farthest face)
  for (let i = 0; i < n; i++) {
    if (i === v0 || i === v1 || i === v2 || i === v3) continue;
    const x = p[i * 3]!,
      y = p[i * 3 + 1]!,
      z = p[i * 3 + 2]!;
    let bf = -1,
      bd = tol;
    for (let f = 0; f < 4; f++) {
      const d = fn[f * 3]! * x + fn[f * 3 + 1]! * y + fn[f * 3 + 2]! * z - foff[f]!;
      if (d > bd) {
        bd = d;
        bf = f;
      }
    }
    if (bf >= 0) {
      next[i] = head[bf]!;
      head[bf] = i;
    }
  }

  const stack: number[] = [F0, F1, F2, F3];
  const visible: number[] = [];
  const horizonF: number[] = [];
  const horizonE: number[] = [];
  const newFaces: number[] = [];
  let ex = 0,
    ey = 0,
    ez = 0;

  const dist = (f: number) => fn[f * 3]! * ex + fn[f * 3 + 1]! * ey + fn[f * 3 + 2]! * ez - foff[f]!;
  const horizon = (f: number, cross: number) => {
    alive[f] = DELETED;
    visible.push(f);
    for (let k = 0; k < 3; k++) {
      let e: number;
      if (cross < 0) e = k;
      else {
        if (k === 2) break; // the crossing edge itself
        e = (cross + 1 + k) % 3;
      }
      const g = nb[f * 3 + e]!;
      if (alive[g] !== ALIVE) continue;
      if (dist(g) > tol) horizon(g, nbe[f * 3 + e]!);
      else {
        horizonF.push(f);
        horizonE.push(e);
      }
    }
  };

  while (stack.length > 0) {
    const f0 = stack.pop()!;
    if (alive[f0] !== ALIVE || head[f0]! < 0) continue;
    // eye point: farthest outside point of f0
    let eye = -1,
      bd = -Infinity;
    for (let i = head[f0]!; i >= 0; i = next[i]!) {
      const d = fn[f0 * 3]! * p[i * 3]! + fn[f0 * 3 + 1]! * p[i * 3 + 1]! + fn[f0 * 3 + 2]! * p[i * 3 + 2]! - foff[f0]!;
      if (d > bd) {
        bd = d;
        eye = i;
      }
    }
    ex = p[eye * 3]!;
    ey = p[eye * 3 + 1]!;
    ez = p[eye * 3 + 2]!;
    visible.length = 0;
    horizonF.length = 0;
    horizonE.length = 0;
    horizon(f0, -1);
    // cone of new faces over the horizon
    newFaces.length = 0;
    const h = horizonF.length;
    for (let k = 0; k < h; k++) {
      const f = horizonF[k]!,
        e = horizonE[k]!;
      const a = fv[f * 3 + e]!,
        b = fv[f * 3 + ((e + 1) % 3)]!;
      const g = nb[f * 3 + e]!,
        ge = nbe[f * 3 + e]!;
      const nf = addFace(a, b, eye);
      link(nf, 0, g, ge);
      newFaces.push(nf);
    }
    for (let k = 0; k < h; k++) link(newFaces[k]!, 1, newFaces[(k + 1) % h]!, 2);
    // re-home the orphaned points
    for (let v = 0; v < visible.length; v++) {
      const f = visible[v]!;
      let i = head[f]!;
      while (i >= 0) {
        const nx = next[i]!;
        if (i !== eye) {
          const x = p[i * 3]!,
            y = p[i * 3 + 1]!,
            z = p[i * 3 + 2]!;
          for (let k = 0; k < h; k++) {
            const g = newFaces[k]!;
            if (fn[g * 3]! * x + fn[g * 3 + 1]! * y + fn[g * 3 + 2]! * z - foff[g]! > tol) {
              next[i] = head[g]!;
              head[g] = i;
              break;
            }
          }
        }
        i = nx;
      }
      head[f] = -1;
    }
    for (let k = 0; k < h; k++) if (head[newFaces[k]!]! >= 0) stack.push(newFaces[k]!);
  }

  let count = 0;
  for (let f = 0; f < faceCount; f++) if (alive[f] === ALIVE) count++;
  const faces = new Uint32Array(count * 3);
  let o = 0;
  for (let f = 0; f < faceCount; f++) {
    if (alive[f] !== ALIVE) continue;
    faces[o++] = fv[f * 3]!;
    faces[o++] = fv[f * 3 + 1]!;
    faces[o++] = fv[f * 3 + 2]!;
  }
  return { points: p, faces, n };
}

function degenerate(n: number): Real2SimError {
  return new Real2SimError('BAD_MESH', 'Convex hull is degenerate (the points are flat or collinear): it has no volume', { points: n });
}
