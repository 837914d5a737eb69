/**
 * Exact signed distance between two convex point sets (the hulls of their vertices), float64:
 * GJK for the distance when apart, EPA for the penetration depth and direction when they overlap.
 *
 * Why hand-written and not manifold-3d's overlap volume: repair needs a depth AND the direction of
 * least penetration (volume gives neither), support needs the gap between separated pieces, and
 * the check must be independent of the engine whose contacts it cross-checks (Rapier's parry works
 * in float32 with contact skins). Hull vertex counts are small (≤ 64 per piece), so supports are
 * a linear scan. Tested against a brute-force Minkowski-hull oracle.
 *
 * Layout: a piece is a Float64Array of world-space vertices, xyz interleaved.
 */
export interface SignedDistance {
  /** > 0: gap between the hulls; < 0: penetration depth (negated). */
  distance: number;
  /** Unit direction in which A must move to get away from B (from B towards A). */
  normal: [number, number, number];
}

type V = [number, number, number];

function support(p: Float64Array, dx: number, dy: number, dz: number): number {
  let best = -Infinity,
    k = 0;
  for (let i = 0; i < p.length; i += 3) {
    const s = p[i]! * dx + p[i + 1]! * dy + p[i + 2]! * dz;
    if (s > best) {
      best = s;
      k = i;
    }
  }
  return k;
}

/** Support point of the Minkowski difference (A + offset) − B in direction d. */
function supportMd(a: Float64Array, b: Float64Array, off: V, d: V): V {
  const i = support(a, d[0], d[1], d[2]);
  const j = support(b, -d[0], -d[1], -d[2]);
  return [a[i]! + off[0] - b[j]!, a[i + 1]! + off[1] - b[j + 1]!, a[i + 2]! + off[2] - b[j + 2]!];
}

const dot = (a: V, b: V) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const sub = (a: V, b: V): V => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const cross = (a: V, b: V): V => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const lerp3 = (a: V, b: V, c: V, u: number, v: number, w: number): V => [a[0] * u + b[0] * v + c[0] * w, a[1] * u + b[1] * v + c[1] * w, a[2] * u + b[2] * v + c[2] * w];

/** Closest point to the origin on triangle abc (Ericson, RTCD 5.1.5) and the vertices kept. */
function closestTriangle(a: V, b: V, c: V): { p: V; keep: V[] } {
  const ab = sub(b, a),
    ac = sub(c, a),
    ap: V = [-a[0], -a[1], -a[2]];
  const d1 = dot(ab, ap),
    d2 = dot(ac, ap);
  if (d1 <= 0 && d2 <= 0) return { p: a, keep: [a] };
  const bp: V = [-b[0], -b[1], -b[2]];
  const d3 = dot(ab, bp),
    d4 = dot(ac, bp);
  if (d3 >= 0 && d4 <= d3) return { p: b, keep: [b] };
  const vc = d1 * d4 - d3 * d2;
  if (vc <= 0 && d1 >= 0 && d3 <= 0) {
    const v = d1 / (d1 - d3);
    return { p: [a[0] + v * ab[0], a[1] + v * ab[1], a[2] + v * ab[2]], keep: [a, b] };
  }
  const cp: V = [-c[0], -c[1], -c[2]];
  const d5 = dot(ab, cp),
    d6 = dot(ac, cp);
  if (d6 >= 0 && d5 <= d6) return { p: c, keep: [c] };
  const vb = d5 * d2 - d1 * d6;
  if (vb <= 0 && d2 >= 0 && d6 <= 0) {
    const w = d2 / (d2 - d6);
    return { p: [a[0] + w * ac[0], a[1] + w * ac[1], a[2] + w * ac[2]], keep: [a, c] };
  }
  const va = d3 * d6 - d5 * d4;
  if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0) {
    const w = (d4 - d3) / (d4 - d3 + (d5 - d6));
    return { p: [b[0] + w * (c[0] - b[0]), b[1] + w * (c[1] - b[1]), b[2] + w * (c[2] - b[2])], keep: [b, c] };
  }
  const denom = 1 / (va + vb + vc);
  const v = vb * denom,
    w = vc * denom;
  return { p: lerp3(a, b, c, 1 - v - w, v, w), keep: [a, b, c] };
}

function closestSegment(a: V, b: V): { p: V; keep: V[] } {
  const ab = sub(b, a);
  const l2 = dot(ab, ab);
  const t = l2 > 0 ? -dot(a, ab) / l2 : 0;
  if (t <= 0) return { p: a, keep: [a] };
  if (t >= 1) return { p: b, keep: [b] };
  return { p: [a[0] + t * ab[0], a[1] + t * ab[1], a[2] + t * ab[2]], keep: [a, b] };
}

/** Origin on the side of plane (a, b, c) away from d? */
function originOutside(a: V, b: V, c: V, d: V): boolean {
  const n = cross(sub(b, a), sub(c, a));
  const so = -dot(n, a);
  const sd = dot(n, sub(d, a));
  return so * sd < 0;
}

function closestSimplex(s: V[]): { p: V; keep: V[]; inside: boolean } {
  if (s.length === 1) return { p: s[0]!, keep: [s[0]!], inside: false };
  if (s.length === 2) return { ...closestSegment(s[0]!, s[1]!), inside: false };
  if (s.length === 3) return { ...closestTriangle(s[0]!, s[1]!, s[2]!), inside: false };
  const [a, b, c, d] = s as [V, V, V, V];
  let best: { p: V; keep: V[] } | null = null;
  let bestD = Infinity;
  for (const [p, q, r, o] of [
    [a, b, c, d],
    [a, c, d, b],
    [a, d, b, c],
    [b, d, c, a],
  ] as [V, V, V, V][]) {
    if (!originOutside(p, q, r, o)) continue;
    const t = closestTriangle(p, q, r);
    const dd = dot(t.p, t.p);
    if (dd < bestD) {
      bestD = dd;
      best = t;
    }
  }
  if (!best) return { p: [0, 0, 0], keep: s, inside: true };
  return { ...best, inside: false };
}

const GJK_ITERS = 64;
const EPA_ITERS = 96;

/**
 * Signed distance between hull(A + offset) and hull(B). `offset` translates A (used by the drop
 * search without copying vertices).
 */
export function signedDistance(a: Float64Array, b: Float64Array, offset: V = [0, 0, 0]): SignedDistance {
  // start from the difference of the first vertices
  let v: V = [a[0]! + offset[0] - b[0]!, a[1]! + offset[1] - b[1]!, a[2]! + offset[2] - b[2]!];
  if (dot(v, v) === 0) v = [1, 0, 0];
  let simplex: V[] = [];
  let inside = false;
  for (let it = 0; it < GJK_ITERS; it++) {
    const w = supportMd(a, b, offset, [-v[0], -v[1], -v[2]]);
    const vv = dot(v, v);
    // no progress towards the origin: v is the closest point
    if (simplex.length > 0 && vv - dot(v, w) <= 1e-12 * vv + 1e-24) break;
    if (simplex.some((s) => s[0] === w[0] && s[1] === w[1] && s[2] === w[2])) break;
    simplex.push(w);
    const r = closestSimplex(simplex);
    if (r.inside) {
      inside = true;
      break;
    }
    simplex = r.keep;
    v = r.p;
    if (dot(v, v) < 1e-24) {
      inside = true;
      break;
    }
  }
  if (!inside) {
    const d = Math.sqrt(dot(v, v));
    return { distance: d, normal: [v[0] / d, v[1] / d, v[2] / d] };
  }
  return epa(a, b, offset, simplex);
}

/** Grows a GJK simplex that holds the origin into a tetrahedron (origin inside or on it). */
function blowUp(a: Float64Array, b: Float64Array, off: V, s: V[]): V[] | null {
  const dirs: V[] = [
    [1, 0, 0],
    [-1, 0, 0],
    [0, 1, 0],
    [0, -1, 0],
    [0, 0, 1],
    [0, 0, -1],
  ];
  const same = (p: V, q: V) => Math.abs(p[0] - q[0]) + Math.abs(p[1] - q[1]) + Math.abs(p[2] - q[2]) < 1e-12;
  if (s.length === 0) s = [supportMd(a, b, off, [1, 0, 0])];
  if (s.length === 1) {
    for (const d of dirs) {
      const w = supportMd(a, b, off, d);
      if (!same(w, s[0]!)) {
        s = [s[0]!, w];
        break;
      }
    }
    if (s.length === 1) return null;
  }
  if (s.length === 2) {
    const axis = sub(s[1]!, s[0]!);
    const ref: V = Math.abs(axis[0]) < Math.abs(axis[1]) ? (Math.abs(axis[0]) < Math.abs(axis[2]) ? [1, 0, 0] : [0, 0, 1]) : Math.abs(axis[1]) < Math.abs(axis[2]) ? [0, 1, 0] : [0, 0, 1];
    const u = cross(axis, ref);
    const w2 = cross(axis, u);
    let found = false;
    for (let k = 0; k < 6 && !found; k++) {
      const t = (k * Math.PI) / 3;
      const d: V = [u[0] * Math.cos(t) + w2[0] * Math.sin(t), u[1] * Math.cos(t) + w2[1] * Math.sin(t), u[2] * Math.cos(t) + w2[2] * Math.sin(t)];
      const p = supportMd(a, b, off, d);
      const area = cross(sub(p, s[0]!), axis);
      if (dot(area, area) > 1e-24 * (dot(axis, axis) + 1e-30)) {
        s = [s[0]!, s[1]!, p];
        found = true;
      }
    }
    if (!found) return null;
  }
  if (s.length === 3) {
    const n = cross(sub(s[1]!, s[0]!), sub(s[2]!, s[0]!));
    const p1 = supportMd(a, b, off, n);
    const p2 = supportMd(a, b, off, [-n[0], -n[1], -n[2]]);
    const h1 = Math.abs(dot(n, sub(p1, s[0]!))),
      h2 = Math.abs(dot(n, sub(p2, s[0]!)));
    const p = h1 >= h2 ? p1 : p2;
    if (Math.max(h1, h2) < 1e-18) return null;
    s = [s[0]!, s[1]!, s[2]!, p];
  }
  return s;
}

interface Face {
  i: number;
  j: number;
  k: number;
  n: V;
  d: number;
}

function epa(a: Float64Array, b: Float64Array, off: V, simplex: V[]): SignedDistance {
  const tet = blowUp(a, b, off, simplex);
  if (!tet) return { distance: 0, normal: [0, 0, 1] };
  const verts: V[] = [...tet];
  const makeFace = (i: number, j: number, k: number): Face => {
    const p = verts[i]!,
      q = verts[j]!,
      r = verts[k]!;
    const n = cross(sub(q, p), sub(r, p));
    const l = Math.hypot(n[0], n[1], n[2]);
    if (!(l > 1e-30)) return { i, j, k, n: [0, 0, 1], d: Infinity };
    const nn: V = [n[0] / l, n[1] / l, n[2] / l];
    return { i, j, k, n: nn, d: dot(nn, p) };
  };
  // orient the four faces outward (away from the opposite vertex)
  let faces: Face[] = [];
  for (const [i, j, k, o] of [
    [0, 1, 2, 3],
    [0, 3, 1, 2],
    [0, 2, 3, 1],
    [1, 3, 2, 0],
  ] as const) {
    let f = makeFace(i, j, k);
    if (dot(f.n, sub(verts[o]!, verts[i]!)) > 0) f = makeFace(i, k, j);
    faces.push(f);
  }
  let best = faces[0]!;
  for (let it = 0; it < EPA_ITERS; it++) {
    best = faces[0]!;
    for (const f of faces) if (f.d < best.d) best = f;
    if (!Number.isFinite(best.d)) return { distance: 0, normal: [0, 0, 1] };
    const w = supportMd(a, b, off, best.n);
    const gain = dot(best.n, w) - best.d;
    if (gain <= 1e-10 + 1e-7 * Math.abs(best.d)) break;
    const wi = verts.length;
    verts.push(w);
    // remove every face that sees w, keep the horizon
    const edges: [number, number][] = [];
    const keep: Face[] = [];
    for (const f of faces) {
      if (dot(f.n, sub(w, verts[f.i]!)) > 1e-12) {
        for (const [p, q] of [
          [f.i, f.j],
          [f.j, f.k],
          [f.k, f.i],
        ] as const) {
          const rev = edges.findIndex((e) => e[0] === q && e[1] === p);
          if (rev >= 0) edges.splice(rev, 1);
          else edges.push([p, q]);
        }
      } else keep.push(f);
    }
    for (const [p, q] of edges) keep.push(makeFace(p, q, wi));
    faces = keep;
    if (faces.length === 0) break;
  }
  const depth = Math.max(0, best.d);
  return { distance: -depth, normal: [-best.n[0], -best.n[1], -best.n[2]] };
}

/** Axis-aligned bounds of a piece: [minx, miny, minz, maxx, maxy, maxz]. */
export function pieceBounds(p: Float64Array): Float64Array {
  const b = new Float64Array([Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity]);
  for (let i = 0; i < p.length; i += 3) {
    for (let k = 0; k < 3; k++) {
      const v = p[i + k]!;
      if (v < b[k]!) b[k] = v;
      if (v > b[k + 3]!) b[k + 3] = v;
    }
  }
  return b;
}
