/**
 * Small dense linear algebra for the stages: 3×3 symmetric eigen-decomposition (the geometry
 * kernels' cyclic Jacobi, with eigenvectors laid out one after another) and covariance of
 * interleaved xyz points.
 */
import { jacobiEigen } from '../geometry/linalg.ts';

/** Eigenvalues ascending and unit eigenvectors (column k = vectors[3k..3k+3)) of a symmetric 3×3 (row-major). */
export function symmetricEigen3(m: ArrayLike<number>): { values: [number, number, number]; vectors: Float64Array } {
  const a = Float64Array.from([m[0]!, m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, m[7]!, m[8]!]);
  const vals = new Float64Array(3);
  const cols = new Float64Array(9);
  jacobiEigen(a, 3, vals, cols);
  // jacobiEigen keeps eigenvector k in column k; here it is the k-th run of three.
  const vectors = new Float64Array(9);
  for (let k = 0; k < 3; k++) for (let r = 0; r < 3; r++) vectors[k * 3 + r] = cols[r * 3 + k]!;
  return { values: [vals[0]!, vals[1]!, vals[2]!], vectors };
}

/** Mean and covariance (row-major 3×3) of the points at the given indices (all when omitted). */
export function covariance(positions: Float32Array, indices?: ArrayLike<number>): { mean: [number, number, number]; cov: Float64Array; n: number } {
  const n = indices ? indices.length : positions.length / 3;
  let sx = 0,
    sy = 0,
    sz = 0;
  for (let k = 0; k < n; k++) {
    const i = (indices ? indices[k]! : k) * 3;
    sx += positions[i]!;
    sy += positions[i + 1]!;
    sz += positions[i + 2]!;
  }
  const mx = sx / Math.max(1, n),
    my = sy / Math.max(1, n),
    mz = sz / Math.max(1, n);
  let xx = 0,
    xy = 0,
    xz = 0,
    yy = 0,
    yz = 0,
    zz = 0;
  for (let k = 0; k < n; k++) {
    const i = (indices ? indices[k]! : k) * 3;
    const x = positions[i]! - mx,
      y = positions[i + 1]! - my,
      z = positions[i + 2]! - mz;
    xx += x * x;
    xy += x * y;
    xz += x * z;
    yy += y * y;
    yz += y * z;
    zz += z * z;
  }
  const s = 1 / Math.max(1, n);
  return { mean: [mx, my, mz], cov: Float64Array.from([xx * s, xy * s, xz * s, xy * s, yy * s, yz * s, xz * s, yz * s, zz * s]), n };
}
