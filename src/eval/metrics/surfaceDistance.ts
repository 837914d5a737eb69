import { BufferAttribute, BufferGeometry, Vector3 } from 'three';
import { MeshBVH } from 'three-mesh-bvh';
import { KdTree } from '../../geometry/kdtree.ts';

/**
 * Exact point-to-surface distances for the metric protocol's Chamfer: the distance from a point
 * to the closest point on any triangle of a mesh (Ericson's closest point on a triangle, through
 * three-mesh-bvh's `MeshBVH.closestPointToPoint`), in float64.
 *
 * Layout: `positions` float64 xyz of the mesh's vertices in the frame the queries use (the
 * world frame, unscaled), `indices` three vertex indices per triangle. Triangles with a
 * non-finite vertex or zero area are left out (a zero-area triangle adds no surface, and its
 * closest-point maths divides by its area). A mesh with no triangle left keeps its finite
 * vertices as a point set, so a degenerate prediction still gets a finite distance.
 */
export class SurfaceDistance {
  private readonly bvh: MeshBVH | null;
  private readonly points: KdTree | null;
  private readonly q = new Vector3();
  private readonly hit = { point: new Vector3(), distance: 0, faceIndex: 0 };

  constructor(positions: Float64Array, indices: Uint32Array) {
    const keep: number[] = [];
    const nv = positions.length / 3;
    for (let t = 0; t + 2 < indices.length; t += 3) {
      const a = indices[t]!,
        b = indices[t + 1]!,
        c = indices[t + 2]!;
      if (a >= nv || b >= nv || c >= nv) continue;
      const pa = a * 3,
        pb = b * 3,
        pc = c * 3;
      const ux = positions[pb]! - positions[pa]!,
        uy = positions[pb + 1]! - positions[pa + 1]!,
        uz = positions[pb + 2]! - positions[pa + 2]!;
      const vx = positions[pc]! - positions[pa]!,
        vy = positions[pc + 1]! - positions[pa + 1]!,
        vz = positions[pc + 2]! - positions[pa + 2]!;
      const cx = uy * vz - uz * vy,
        cy = uz * vx - ux * vz,
        cz = ux * vy - uy * vx;
      const area2 = cx * cx + cy * cy + cz * cz;
      if (area2 > 0 && Number.isFinite(area2)) keep.push(a, b, c);
    }
    if (keep.length > 0) {
      const g = new BufferGeometry();
      // a float64 attribute: three reads it into float64 Vector3s, so no float32 rounding
      g.setAttribute('position', new BufferAttribute(positions, 3));
      g.setIndex(new BufferAttribute(new Uint32Array(keep), 1));
      this.bvh = new MeshBVH(g);
      this.points = null;
    } else {
      this.bvh = null;
      const f32 = new Float32Array(positions.length);
      f32.set(positions);
      this.points = new KdTree(f32, 8);
    }
  }

  /** True when the mesh had neither a triangle nor a finite vertex (every distance is Infinity). */
  get empty(): boolean {
    return this.bvh === null && (this.points === null || this.points.size === 0);
  }

  /**
   * Distance (m) from (x, y, z) to the surface. `bound`: a distance the answer is known not to
   * exceed (the search skips everything farther); the query falls back to an unbounded one if
   * nothing is found within it.
   */
  distance(x: number, y: number, z: number, bound = Infinity): number {
    if (this.bvh) {
      this.q.set(x, y, z);
      let r = this.bvh.closestPointToPoint(this.q, this.hit, 0, bound);
      if (!r && bound < Infinity) r = this.bvh.closestPointToPoint(this.q, this.hit, 0, Infinity);
      return r ? r.distance : Infinity;
    }
    if (this.points) return Math.sqrt(this.points.nearestDist2(x, y, z));
    return Infinity;
  }

  /**
   * Distance of each point of `points` (float64 xyz) to the surface. Queries run in a spatially
   * coherent order (a Morton sort) so each can start from the bound |q − q_prev| + d_prev
   * (triangle inequality), which lets the BVH skip most of the mesh; the results come back in
   * the input order. Non-finite points give NaN.
   */
  distances(points: Float64Array): Float64Array {
    const n = points.length / 3;
    const out = new Float64Array(n);
    const order = mortonOrder(points);
    let px = NaN,
      py = NaN,
      pz = NaN,
      pd = Infinity;
    for (const i of order) {
      const x = points[i * 3]!,
        y = points[i * 3 + 1]!,
        z = points[i * 3 + 2]!;
      if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) {
        out[i] = NaN;
        continue;
      }
      let bound = Infinity;
      if (pd < Infinity) {
        // a hair above the bound so that a surface exactly at it is still found
        bound = (Math.hypot(x - px, y - py, z - pz) + pd) * (1 + 1e-9) + 1e-12;
      }
      const d = this.distance(x, y, z, bound);
      out[i] = d;
      px = x;
      py = y;
      pz = z;
      pd = d;
    }
    return out;
  }
}

/** Indices of the finite points first sorted by a 30-bit Morton code of their box position, then the rest. */
function mortonOrder(p: Float64Array): Uint32Array {
  const n = p.length / 3;
  let x0 = Infinity,
    y0 = Infinity,
    z0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity,
    z1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = p[i * 3]!,
      y = p[i * 3 + 1]!,
      z = p[i * 3 + 2]!;
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) continue;
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    z0 = Math.min(z0, z);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
    z1 = Math.max(z1, z);
  }
  const ext = Math.max(x1 - x0, y1 - y0, z1 - z0, 1e-300);
  const codes = new Float64Array(n);
  const spread = (v: number) => {
    let b = Math.min(1023, Math.max(0, Math.floor(v * 1024))) >>> 0;
    b = (b | (b << 16)) & 0x030000ff;
    b = (b | (b << 8)) & 0x0300f00f;
    b = (b | (b << 4)) & 0x030c30c3;
    b = (b | (b << 2)) & 0x09249249;
    return b >>> 0;
  };
  for (let i = 0; i < n; i++) {
    const x = p[i * 3]!,
      y = p[i * 3 + 1]!,
      z = p[i * 3 + 2]!;
    codes[i] = Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z) ? (spread((x - x0) / ext) | (spread((y - y0) / ext) << 1) | (spread((z - z0) / ext) << 2)) >>> 0 : Infinity;
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => codes[a]! - codes[b]! || a - b);
}

/** Mean of the entries, NaN entries (non-finite queries) skipped; Infinity when nothing is left or any entry is Infinity. */
export function meanDistance(d: Float64Array): number {
  let s = 0,
    n = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (Number.isNaN(v)) continue;
    s += v;
    n++;
  }
  return n > 0 ? s / n : Infinity;
}
