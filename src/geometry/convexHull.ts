import { Vector3 } from 'three';
import { ConvexHull } from 'three/examples/jsm/math/ConvexHull.js';
import type { Mesh } from '../model/geometry.ts';
import { Real2SimError } from '../model/errors.ts';

/**
 * Convex hull of interleaved xyz points as a closed, outward-oriented, indexed triangle mesh
 * (three.js quickhull). Throws `BAD_MESH` for fewer than 4 points or a flat / collinear set:
 * a hull with zero volume must never reach a simulator.
 */
export function convexHull(points: Float32Array): Mesh {
  const n = points.length / 3;
  if (n < 4) throw new Real2SimError('BAD_MESH', `Convex hull needs at least 4 points, got ${n}`);
  const vs: Vector3[] = new Array(n);
  for (let i = 0; i < n; i++) vs[i] = new Vector3(points[i * 3]!, points[i * 3 + 1]!, points[i * 3 + 2]!);
  const hull = new ConvexHull();
  try {
    hull.setFromPoints(vs);
  } catch (cause) {
    throw new Real2SimError('BAD_MESH', 'Convex hull failed: the points are degenerate (flat or collinear)', { points: n }, cause);
  }
  if (hull.faces.length < 4) {
    throw new Real2SimError('BAD_MESH', 'Convex hull is degenerate (the points are flat or collinear): it has no volume', { points: n });
  }
  // Re-index: hull vertices keep their Vector3 identity; faces are convex polygons (fan them).
  const index = new Map<Vector3, number>();
  const pos: number[] = [];
  const tri: number[] = [];
  const id = (v: Vector3) => {
    let k = index.get(v);
    if (k === undefined) {
      k = index.size;
      index.set(v, k);
      pos.push(v.x, v.y, v.z);
    }
    return k;
  };
  for (const face of hull.faces) {
    const loop: number[] = [];
    let edge = face.edge;
    do {
      loop.push(id(edge.head().point));
      edge = edge.next;
    } while (edge !== face.edge);
    for (let k = 1; k + 1 < loop.length; k++) tri.push(loop[0]!, loop[k]!, loop[k + 1]!);
  }
  return { positions: new Float32Array(pos), indices: new Uint32Array(tri) };
}
