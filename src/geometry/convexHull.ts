import type { Mesh } from '../model/geometry.ts';
import { quickhullScratch } from './quickhull.ts';

/**
 * Convex hull of interleaved xyz points as a closed, outward-oriented, indexed triangle mesh
 * (own typed-array quickhull, see `quickhull.ts`; non-finite points are ignored). Throws
 * `BAD_MESH` for fewer than 4 points or a flat / collinear set: a hull with zero volume must
 * never reach a simulator. Only hull vertices are kept, re-indexed in first-use order.
 */
export function convexHull(points: Float32Array): Mesh {
  const { points: p, faces, n } = quickhullScratch(points);
  const map = new Int32Array(n).fill(-1);
  let nv = 0;
  for (let i = 0; i < faces.length; i++) if (map[faces[i]!] === -1) map[faces[i]!] = nv++;
  const positions = new Float32Array(nv * 3);
  const indices = new Uint32Array(faces.length);
  for (let i = 0; i < faces.length; i++) {
    const v = faces[i]!;
    const k = map[v]!;
    indices[i] = k;
    positions[k * 3] = p[v * 3]!;
    positions[k * 3 + 1] = p[v * 3 + 1]!;
    positions[k * 3 + 2] = p[v * 3 + 2]!;
  }
  return { positions, indices };
}
