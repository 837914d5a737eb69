/**
 * Small dense linear algebra for the geometry kernels: symmetric eigen-decomposition of 3×3 and
 * 4×4 matrices (plane fits, normals, Horn/Umeyama registration). Hand-written because these run
 * per point (normals) or per ICP iteration, where a general library's allocation would dominate.
 *
 * Matrices are row-major in `Float64Array`s.
 */

/**
 * Cyclic Jacobi rotations of a symmetric n×n matrix (n ≤ 4 in practice) until it is diagonal to
 * rounding: on return the eigenvalues are on the diagonal of `a`, in no particular order, and
 * column i of `vectors` (row-major n×n: `vectors[r * n + i]`) is the unit eigenvector of
 * `a[i * n + i]`. Callers whose result depends on that order (inertia frames) use this directly.
 */
export function jacobiDiagonalize(a: Float64Array, n: number, vectors: Float64Array): void {
  for (let i = 0; i < n * n; i++) vectors[i] = 0;
  for (let i = 0; i < n; i++) vectors[i * n + i] = 1;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < n; p++) {
      diag += a[p * n + p]! * a[p * n + p]!;
      for (let q = p + 1; q < n; q++) off += a[p * n + q]! * a[p * n + q]!;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = vectors[k * n + p]!;
          const vkq = vectors[k * n + q]!;
          vectors[k * n + p] = c * vkp - s * vkq;
          vectors[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
}

/**
 * Cyclic Jacobi eigen-decomposition of a symmetric n×n matrix (n ≤ 4 in practice).
 * `a` is destroyed. On return `values[i]` are the eigenvalues in ascending order and column i of
 * `vectors` (row-major n×n: `vectors[r * n + i]`) is the unit eigenvector of `values[i]`.
 */
export function jacobiEigen(a: Float64Array, n: number, values: Float64Array, vectors: Float64Array): void {
  jacobiDiagonalize(a, n, vectors);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  // selection sort of eigenpairs, ascending
  for (let i = 0; i < n; i++) {
    let m = i;
    for (let j = i + 1; j < n; j++) if (values[j]! < values[m]!) m = j;
    if (m === i) continue;
    const tv = values[i]!;
    values[i] = values[m]!;
    values[m] = tv;
    for (let r = 0; r < n; r++) {
      const t = vectors[r * n + i]!;
      vectors[r * n + i] = vectors[r * n + m]!;
      vectors[r * n + m] = t;
    }
  }
}

const scratchA = new Float64Array(9);
const scratchVal = new Float64Array(3);
const scratchVec = new Float64Array(9);

/**
 * Unit eigenvector of the smallest eigenvalue of the symmetric 3×3 matrix
 * [[a00 a01 a02] [a01 a11 a12] [a02 a12 a22]], written into `out[o..o+2]`; returns that eigenvalue.
 *
 * Closed form (trigonometric eigenvalues, then the largest cross product of two rows of A − λI),
 * which is several times faster than Jacobi and runs once per point in `estimateNormals`;
 * falls back to Jacobi when the smallest eigenvalue is not well separated (then the cross
 * products degenerate).
 */
export function smallestEigenvector3(a00: number, a01: number, a02: number, a11: number, a12: number, a22: number, out: Float32Array | Float64Array, o: number): number {
  // Scale to keep the cubic well conditioned.
  const scale = Math.max(Math.abs(a00), Math.abs(a01), Math.abs(a02), Math.abs(a11), Math.abs(a12), Math.abs(a22));
  if (!(scale > 0) || !Number.isFinite(scale)) {
    out[o] = 0;
    out[o + 1] = 0;
    out[o + 2] = 1;
    return 0;
  }
  const inv = 1 / scale;
  a00 *= inv;
  a01 *= inv;
  a02 *= inv;
  a11 *= inv;
  a12 *= inv;
  a22 *= inv;
  const q = (a00 + a11 + a22) / 3;
  const b00 = a00 - q,
    b11 = a11 - q,
    b22 = a22 - q;
  const p1 = a01 * a01 + a02 * a02 + a12 * a12;
  const p2 = b00 * b00 + b11 * b11 + b22 * b22 + 2 * p1;
  const p = Math.sqrt(p2 / 6);
  let lambda: number;
  let lmid: number;
  if (p < 1e-12) {
    lambda = q; // A ≈ qI: every direction is an eigenvector
    lmid = q;
  } else {
    const ip = 1 / p;
    const c00 = b00 * ip,
      c11 = b11 * ip,
      c22 = b22 * ip,
      c01 = a01 * ip,
      c02 = a02 * ip,
      c12 = a12 * ip;
    const det = c00 * (c11 * c22 - c12 * c12) - c01 * (c01 * c22 - c12 * c02) + c02 * (c01 * c12 - c11 * c02);
    const r = Math.max(-1, Math.min(1, det / 2));
    const phi = Math.acos(r) / 3;
    const l1 = q + 2 * p * Math.cos(phi); // largest
    lambda = q + 2 * p * Math.cos(phi + (2 * Math.PI) / 3); // smallest
    lmid = 3 * q - l1 - lambda;
  }
  // Rows of A − λI; the eigenvector is orthogonal to all of them.
  const r0x = a00 - lambda,
    r0y = a01,
    r0z = a02;
  const r1x = a01,
    r1y = a11 - lambda,
    r1z = a12;
  const r2x = a02,
    r2y = a12,
    r2z = a22 - lambda;
  const ax = r0y * r1z - r0z * r1y,
    ay = r0z * r1x - r0x * r1z,
    az = r0x * r1y - r0y * r1x;
  const bx = r0y * r2z - r0z * r2y,
    by = r0z * r2x - r0x * r2z,
    bz = r0x * r2y - r0y * r2x;
  const cx = r1y * r2z - r1z * r2y,
    cy = r1z * r2x - r1x * r2z,
    cz = r1x * r2y - r1y * r2x;
  const da = ax * ax + ay * ay + az * az,
    db = bx * bx + by * by + bz * bz,
    dc = cx * cx + cy * cy + cz * cz;
  const gap = lmid - lambda;
  if (gap > 1e-6 && Math.max(da, db, dc) > 1e-12 * gap * gap) {
    let vx: number, vy: number, vz: number, d: number;
    if (da >= db && da >= dc) {
      vx = ax;
      vy = ay;
      vz = az;
      d = da;
    } else if (db >= dc) {
      vx = bx;
      vy = by;
      vz = bz;
      d = db;
    } else {
      vx = cx;
      vy = cy;
      vz = cz;
      d = dc;
    }
    const s = 1 / Math.sqrt(d);
    out[o] = vx * s;
    out[o + 1] = vy * s;
    out[o + 2] = vz * s;
    return lambda * scale;
  }
  scratchA[0] = a00;
  scratchA[1] = a01;
  scratchA[2] = a02;
  scratchA[3] = a01;
  scratchA[4] = a11;
  scratchA[5] = a12;
  scratchA[6] = a02;
  scratchA[7] = a12;
  scratchA[8] = a22;
  jacobiEigen(scratchA, 3, scratchVal, scratchVec);
  out[o] = scratchVec[0]!;
  out[o + 1] = scratchVec[3]!;
  out[o + 2] = scratchVec[6]!;
  return scratchVal[0]! * scale;
}
