/**
 * Geometry as flat typed arrays (no arrays of {x,y,z} on hot paths).
 *
 * Layouts:
 * - `positions`: Float32Array, xyz interleaved, metres: [x0, y0, z0, x1, y1, z1, …].
 * - `indices`: Uint32Array, three vertex indices per triangle, counter-clockwise seen from
 *   outside (outward normals by the right-hand rule).
 * - `colors`: Uint8Array, rgb interleaved, one triple per point/vertex.
 * - `normals`: Float32Array, xyz interleaved, unit length.
 */
export interface PointCloud {
  positions: Float32Array;
  colors?: Uint8Array;
  normals?: Float32Array;
}

export interface Mesh {
  positions: Float32Array;
  indices: Uint32Array;
  normals?: Float32Array;
  colors?: Uint8Array;
}

export function pointCount(c: { positions: Float32Array }): number {
  return c.positions.length / 3;
}

export function triangleCount(m: Mesh): number {
  return m.indices.length / 3;
}

/** Axis-aligned bounds of interleaved xyz positions; `min > max` when empty. */
export function boundsOf(positions: Float32Array): { min: [number, number, number]; max: [number, number, number] } {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < positions.length; i += 3) {
    for (let k = 0; k < 3; k++) {
      const v = positions[i + k]!;
      if (v < min[k]!) min[k] = v;
      if (v > max[k]!) max[k] = v;
    }
  }
  return { min, max };
}
