/**
 * Small dense linear algebra for the stages: 3×3 symmetric eigen-decomposition (cyclic
 * Jacobi; exact enough for plane fits and PCA, and branch-free of any library) and
 * covariance of interleaved xyz points.
 */

/** Eigenvalues ascending and unit eigenvectors (column k = vectors[3k..3k+3)) of a symmetric 3×3 (row-major). */
export function symmetricEigen3(m: ArrayLike<number>): { values: [number, number, number]; vectors: Float64Array } {
  const a = Float64Array.from([m[0]!, m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, m[7]!, m[8]!]);
  const v = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = Math.abs(a[1]!) + Math.abs(a[2]!) + Math.abs(a[5]!);
    if (off < 1e-30) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = a[p * 3 + q]!;
      if (Math.abs(apq) < 1e-300) continue;
      const app = a[p * 3 + p]!, aqq = a[q * 3 + q]!;
      const theta = (aqq - app) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < 3; k++) {
        // rotate rows/cols p,q of a
        const akp = a[k * 3 + p]!, akq = a[k * 3 + q]!;
        a[k * 3 + p] = c * akp - s * akq;
        a[k * 3 + q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p * 3 + k]!, aqk = a[q * 3 + k]!;
        a[p * 3 + k] = c * apk - s * aqk;
        a[q * 3 + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k * 3 + p]!, vkq = v[k * 3 + q]!;
        v[k * 3 + p] = c * vkp - s * vkq;
        v[k * 3 + q] = s * vkp + c * vkq;
      }
    }
  }
  const order = [0, 1, 2].sort((i, j) => a[i * 3 + i]! - a[j * 3 + j]!);
  const values = order.map((i) => a[i * 3 + i]!) as [number, number, number];
  const vectors = new Float64Array(9);
  order.forEach((i, k) => {
    vectors[k * 3] = v[i]!;
    vectors[k * 3 + 1] = v[3 + i]!;
    vectors[k * 3 + 2] = v[6 + i]!;
  });
  return { values, vectors };
}

/** Mean and covariance (row-major 3×3) of the points at the given indices (all when omitted). */
export function covariance(positions: Float32Array, indices?: ArrayLike<number>): { mean: [number, number, number]; cov: Float64Array; n: number } {
  const n = indices ? indices.length : positions.length / 3;
  let sx = 0, sy = 0, sz = 0;
  for (let k = 0; k < n; k++) {
    const i = (indices ? indices[k]! : k) * 3;
    sx += positions[i]!; sy += positions[i + 1]!; sz += positions[i + 2]!;
  }
  const mx = sx / Math.max(1, n), my = sy / Math.max(1, n), mz = sz / Math.max(1, n);
  let xx = 0, xy = 0, xz = 0, yy = 0, yz = 0, zz = 0;
  for (let k = 0; k < n; k++) {
    const i = (indices ? indices[k]! : k) * 3;
    const x = positions[i]! - mx, y = positions[i + 1]! - my, z = positions[i + 2]! - mz;
    xx += x * x; xy += x * y; xz += x * z; yy += y * y; yz += y * z; zz += z * z;
  }
  const s = 1 / Math.max(1, n);
  return { mean: [mx, my, mz], cov: Float64Array.from([xx * s, xy * s, xz * s, xy * s, yy * s, yz * s, xz * s, yz * s, zz * s]), n };
}
