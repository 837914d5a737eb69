import type { Mesh } from '../model/geometry.ts';
import type { Rng } from './random.ts';

/**
 * Area-weighted uniform samples on a triangle mesh's surface: a triangle is drawn with
 * probability proportional to its area (binary search in the cumulative areas), then a point
 * uniformly inside it (√r₁ barycentric trick). Output: `n` xyz triples, interleaved, in the
 * mesh's frame. A mesh with zero total area (degenerate, or no triangles) gives samples drawn
 * from its vertices instead; a mesh without vertices gives an empty array.
 *
 * Consumes exactly 3 numbers of `rng` per sample (1 for the triangle, 2 inside it), so callers
 * can replay the same sequence.
 */
export function sampleSurface(mesh: Mesh, n: number, rng: Rng): Float32Array {
  return sampleInto(mesh, n, rng, new Float32Array(n * 3));
}

/**
 * The same samples as `sampleSurface` (same `rng` stream, same arithmetic) kept in float64:
 * the point-to-surface Chamfer measures distances down to 1e-12 m, and rounding the samples
 * to float32 would lift them ~1e-8 m off their own triangle.
 */
export function sampleSurface64(mesh: Mesh, n: number, rng: Rng): Float64Array {
  return sampleInto(mesh, n, rng, new Float64Array(n * 3));
}

/**
 * The same samples as `sampleSurface` with the unit normal of the triangle each came from, and
 * the mesh's surface area. A mesh with zero area gives zero points and normals (no triangle to
 * take a normal from).
 */
export function sampleSurfaceWithNormals(mesh: Mesh, n: number, rng: Rng): { points: Float32Array; normals: Float32Array; area: number } {
  const areas = cumulativeAreas(mesh);
  const points = new Float32Array(n * 3),
    normals = new Float32Array(n * 3);
  if (!(areas.total > 0)) return { points, normals, area: 0 };
  const faces = new Int32Array(n);
  sampleInto(mesh, n, rng, points, areas, faces);
  const p = mesh.positions,
    idx = mesh.indices;
  for (let s = 0; s < n; s++) {
    const t = faces[s]!;
    const a = idx[t * 3]! * 3,
      b = idx[t * 3 + 1]! * 3,
      c = idx[t * 3 + 2]! * 3;
    const ux = p[b]! - p[a]!,
      uy = p[b + 1]! - p[a + 1]!,
      uz = p[b + 2]! - p[a + 2]!;
    const vx = p[c]! - p[a]!,
      vy = p[c + 1]! - p[a + 1]!,
      vz = p[c + 2]! - p[a + 2]!;
    const nx = uy * vz - uz * vy,
      ny = uz * vx - ux * vz,
      nz = ux * vy - uy * vx;
    const l = Math.hypot(nx, ny, nz) || 1;
    normals[s * 3] = nx / l;
    normals[s * 3 + 1] = ny / l;
    normals[s * 3 + 2] = nz / l;
  }
  return { points, normals, area: areas.total };
}

/**
 * Running sums of the triangles' areas (for drawing a triangle by area) and their total: the
 * table every area-weighted sampler here and in the stages and importers draws from.
 */
export function cumulativeAreas(mesh: Mesh): { cum: Float64Array; total: number } {
  const p = mesh.positions;
  const idx = mesh.indices;
  const nt = idx.length / 3;
  const cum = new Float64Array(nt);
  let total = 0;
  for (let t = 0; t < nt; t++) {
    const a = idx[t * 3]! * 3,
      b = idx[t * 3 + 1]! * 3,
      c = idx[t * 3 + 2]! * 3;
    const ux = p[b]! - p[a]!,
      uy = p[b + 1]! - p[a + 1]!,
      uz = p[b + 2]! - p[a + 2]!;
    const vx = p[c]! - p[a]!,
      vy = p[c + 1]! - p[a + 1]!,
      vz = p[c + 2]! - p[a + 2]!;
    const cx = uy * vz - uz * vy,
      cy = uz * vx - ux * vz,
      cz = ux * vy - uy * vx;
    total += 0.5 * Math.sqrt(cx * cx + cy * cy + cz * cz);
    cum[t] = total;
  }
  return { cum, total };
}

/** The triangle whose share of the running area sums holds `r` (0 ≤ r < total): the first with `cum > r`. */
export function pickTriangle(cum: Float64Array, r: number): number {
  let lo = 0,
    hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! <= r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Writes `n` samples into `out`; `faces`, when given, gets the triangle each sample came from. */
function sampleInto<T extends Float32Array | Float64Array>(mesh: Mesh, n: number, rng: Rng, out: T, areas = cumulativeAreas(mesh), faces?: Int32Array): T {
  const p = mesh.positions;
  const idx = mesh.indices;
  const { cum, total } = areas;
  const nv = p.length / 3;
  if (!(total > 0)) {
    if (nv === 0) return out.subarray(0, 0) as T;
    for (let s = 0; s < n; s++) {
      const v = Math.min(nv - 1, Math.floor(rng.next() * nv));
      rng.next();
      rng.next();
      out[s * 3] = p[v * 3]!;
      out[s * 3 + 1] = p[v * 3 + 1]!;
      out[s * 3 + 2] = p[v * 3 + 2]!;
    }
    return out;
  }
  for (let s = 0; s < n; s++) {
    const lo = pickTriangle(cum, rng.next() * total);
    if (faces) faces[s] = lo;
    const a = idx[lo * 3]! * 3,
      b = idx[lo * 3 + 1]! * 3,
      c = idx[lo * 3 + 2]! * 3;
    const r1 = Math.sqrt(rng.next()),
      r2 = rng.next();
    const wa = 1 - r1,
      wb = r1 * (1 - r2),
      wc = r1 * r2;
    out[s * 3] = wa * p[a]! + wb * p[b]! + wc * p[c]!;
    out[s * 3 + 1] = wa * p[a + 1]! + wb * p[b + 1]! + wc * p[c + 1]!;
    out[s * 3 + 2] = wa * p[a + 2]! + wb * p[b + 2]! + wc * p[c + 2]!;
  }
  return out;
}
