import type { Mesh } from '../model/geometry.ts';
import { boundsOf } from '../model/geometry.ts';
import { massProperties } from '../geometry/massProperties.ts';
import { createRng } from '../geometry/random.ts';
import { sampleSurfaceWithNormals } from '../geometry/surfaceSample.ts';
import { quatAngle, quatFromMat3, quatToMat3, transformPositions, type Quat, type Vec3 } from '../model/pose.ts';
import { covariance, symmetricEigen3 } from '../stages/linalg.ts';

/**
 * Shape descriptors of one library mesh (metres, the item's own frame), what the match stage
 * needs without reading the mesh again:
 * - `extents`: full extents of the mesh's axis-aligned box, sorted large → small;
 * - `volume`, `area`; ratios that say how box-like / round it is;
 * - `rests`: ways to stand it on a table (each of the 6 directions of its own axes, and of its
 *   principal axes, pointing up), each with
 *   the rotation item → rested frame (z up, lowest point at z = 0, box centre over the origin),
 *   its height and footprint;
 * - `samples`/`normals`: area-uniform surface points in the item frame (registration targets,
 *   and the placed surface whose visibility is checked against the depth image).
 */
export interface LibraryRest {
  /** Item frame → rested frame (z up): p_rest = R·p_item + offset. */
  rotation: Quat;
  offset: Vec3;
  /** Height when standing this way, metres. */
  height: number;
  /** Footprint sides (long, short), metres. */
  footprint: [number, number];
}

export interface LibraryDescriptors {
  extents: Vec3;
  volume: number;
  area: number;
  /** volume / box volume (1 for a box, π/4 for an upright cylinder, less for thin or hollow shapes). */
  boxFill: number;
  /** middle / largest and smallest / largest extent. */
  aspect: [number, number];
  /** Mean / max distance of the surface samples from the box centre (≈1 for a sphere, lower for elongated shapes). */
  radialRatio: number;
  /** Centre of the item's box in its own frame (a symmetric item's axis passes through it). */
  centre: Vec3;
  /** Principal axes of the surface (rows, largest spread first), item frame. */
  axes: number[];
  rests: LibraryRest[];
  samples: Float32Array;
  normals: Float32Array;
}

export const DESCRIPTOR_SAMPLES = 3000;

/** The 6 ways to stand a mesh on one of its box faces: rotation whose third row is the up axis. */
const UPS: readonly number[][] = [
  // rows of R (item → rested): x', y', z' axes expressed in the item frame
  [1, 0, 0, 0, 1, 0, 0, 0, 1], // +z up
  [1, 0, 0, 0, -1, 0, 0, 0, -1], // −z up
  [0, 1, 0, 0, 0, 1, 1, 0, 0], // +x up
  [0, -1, 0, 0, 0, 1, -1, 0, 0], // −x up
  [0, 0, 1, 1, 0, 0, 0, 1, 0], // +y up
  [0, 0, 1, -1, 0, 0, 0, -1, 0], // −y up
];

export function computeDescriptors(mesh: Mesh, samples = DESCRIPTOR_SAMPLES): LibraryDescriptors {
  const { min, max } = boundsOf(mesh.positions);
  const ext: Vec3 = [max[0] - min[0], max[1] - min[1], max[2] - min[2]];
  const centre: Vec3 = [(min[0] + max[0]) / 2, (min[1] + max[1]) / 2, (min[2] + max[2]) / 2];
  const mp = massProperties(mesh, 1);
  // an open or self-overlapping mesh (e.g. a union of convex pieces) still gets a positive volume
  const volume = Math.abs(mp.volume);
  // seeded: the same mesh always gets the same samples (cached descriptors stay reproducible)
  const s = sampleSurfaceWithNormals(mesh, samples, createRng(1));
  let sum = 0,
    mx = 0;
  for (let i = 0; i < samples; i++) {
    const d = Math.hypot(s.points[i * 3]! - centre[0], s.points[i * 3 + 1]! - centre[1], s.points[i * 3 + 2]! - centre[2]);
    sum += d;
    mx = Math.max(mx, d);
  }
  const sorted = [...ext].sort((a, b) => b - a) as Vec3;
  const axes = principalAxes(s.points);
  const rests: LibraryRest[] = [];
  for (const base of [[1, 0, 0, 0, 1, 0, 0, 0, 1], axes]) {
    for (const U of UPS) {
      // R = U · base: first align to the base axes, then stand on one of the box faces
      const R = new Array<number>(9);
      for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) R[r * 3 + c] = U[r * 3]! * base[c]! + U[r * 3 + 1]! * base[3 + c]! + U[r * 3 + 2]! * base[6 + c]!;
      const rot = quatFromMat3(R);
      if (rests.some((x) => quatAngle(x.rotation, rot) < (10 * Math.PI) / 180)) continue;
      rests.push(restOf(mesh.positions, rot));
    }
  }
  return {
    extents: sorted,
    volume,
    area: s.area,
    boxFill: volume / Math.max(1e-12, ext[0] * ext[1] * ext[2]),
    aspect: [sorted[1] / Math.max(1e-12, sorted[0]), sorted[2] / Math.max(1e-12, sorted[0])],
    radialRatio: mx > 0 ? sum / samples / mx : 0,
    centre,
    axes,
    rests,
    samples: s.points,
    normals: s.normals,
  };
}

/** Rested frame of a rotation: lowest vertex at z = 0, box centre over the origin. */
function restOf(positions: Float32Array, rotation: Quat): LibraryRest {
  const M = quatToMat3(rotation);
  const min = [Infinity, Infinity, Infinity],
    max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < positions.length; i += 3) {
    const x = positions[i]!,
      y = positions[i + 1]!,
      z = positions[i + 2]!;
    for (let r = 0; r < 3; r++) {
      const v = M[r * 3]! * x + M[r * 3 + 1]! * y + M[r * 3 + 2]! * z;
      if (v < min[r]!) min[r] = v;
      if (v > max[r]!) max[r] = v;
    }
  }
  const e = [0, 1, 2].map((r) => max[r]! - min[r]!);
  return {
    rotation,
    offset: [-(min[0]! + max[0]!) / 2, -(min[1]! + max[1]!) / 2, -min[2]!],
    height: e[2]!,
    footprint: [Math.max(e[0]!, e[1]!), Math.min(e[0]!, e[1]!)],
  };
}

/** Principal axes of a point set as the rows of a proper rotation, largest spread first. */
export function principalAxes(points: Float32Array): number[] {
  const { cov } = covariance(points);
  const { values, vectors } = symmetricEigen3(cov);
  // three nearly equal spreads (a squat can, a ball): the axes are arbitrary, keep the file's own
  if (values[2] - values[0] < 0.15 * values[2]) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  // eigenvector k is vectors[3k..3k+3), values ascending: rows = largest, middle, their cross product
  const a = [vectors[6]!, vectors[7]!, vectors[8]!],
    b = [vectors[3]!, vectors[4]!, vectors[5]!];
  const c = [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
  return [...a, ...b, ...c];
}

/** Item-frame points into a rest's frame. */
export function restPoints(points: Float32Array, rest: LibraryRest): Float32Array {
  return transformPositions({ position: rest.offset, orientation: rest.rotation }, points);
}

/** Item-frame directions (normals) into a rest's frame: rotated, not moved. */
export function restDirections(dirs: Float32Array, rest: LibraryRest): Float32Array {
  return transformPositions({ position: [0, 0, 0], orientation: rest.rotation }, dirs);
}

const spreadCache = new WeakMap<LibraryDescriptors, [number, number, number]>();

/** Extents of the surface samples along the principal axes (cached per descriptor set). */
export function principalSpread(desc: LibraryDescriptors): [number, number, number] {
  let e = spreadCache.get(desc);
  if (e) return e;
  const A = desc.axes,
    p = desc.samples;
  e = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    let lo = Infinity,
      hi = -Infinity;
    for (let i = 0; i < p.length; i += 3) {
      const v = A[k * 3]! * p[i]! + A[k * 3 + 1]! * p[i + 1]! + A[k * 3 + 2]! * p[i + 2]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    e[k] = hi - lo;
  }
  spreadCache.set(desc, e);
  return e;
}

/** Index of an item's symmetry axis among its principal axes: the one whose extent differs most from the other two. */
export function oddAxis(desc: LibraryDescriptors): number {
  const e = principalSpread(desc);
  const apart = (k: number) => Math.min(Math.abs(e[k]! - e[(k + 1) % 3]!), Math.abs(e[k]! - e[(k + 2) % 3]!));
  return [0, 1, 2].reduce((b, k) => (apart(k) > apart(b) ? k : b), 0);
}
