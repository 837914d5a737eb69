import type { OrganizedCloud } from '../organized.ts';

/**
 * Pixels on a concave crease: along some image axis, the surface normals `r` pixels to either
 * side turn towards each other by more than `deg` (a valley, as where an object meets its
 * neighbour or the table), never at convex edges (a box's own corners).
 *
 * With `jump` (the largest depth step between neighbouring pixels on one surface at depth `z`,
 * metres), only where the surface runs on without a depth jump from one of the two pixels
 * to the other: a crease is where two surfaces meet. Across an occlusion boundary (a can in
 * front of a tin's wall) the two normals belong to surfaces that do not meet, their turn says
 * nothing, and the depth jump cuts there already; counted as a crease, it drew lines of crease
 * pixels `r` pixels off the occluder's silhouette through the surface behind it, which cut a
 * narrow surface (the wall and lid of a tin between a can in front and a box on top) into
 * pieces that no longer touched.
 */
export function creasePixels(cloud: OrganizedCloud, use: Uint8Array, deg: number, r: number, jump?: (z: number) => number): Uint8Array {
  const { width: w, height: h, positions: P } = cloud;
  const normals = pixelNormals(cloud, use, Math.max(2, r >> 1));
  const cosMax = Math.cos((deg * Math.PI) / 180);
  const out = new Uint8Array(w * h);
  const has = (i: number) => normals[i * 3] !== 0 || normals[i * 3 + 1] !== 0 || normals[i * 3 + 2] !== 0;
  const steps = [r, r * w, r * (w + 1), r * (w - 1)];
  for (let v = r; v < h - r; v++) {
    for (let u = r; u < w - r; u++) {
      const i = v * w + u;
      if (!use[i]) continue;
      for (const step of steps) {
        const a = i - step,
          b = i + step;
        if (!use[a] || !use[b] || !has(a) || !has(b)) continue;
        const ax = normals[a * 3]!,
          ay = normals[a * 3 + 1]!,
          az = normals[a * 3 + 2]!;
        const bx = normals[b * 3]!,
          by = normals[b * 3 + 1]!,
          bz = normals[b * 3 + 2]!;
        if (ax * bx + ay * by + az * bz >= cosMax) continue;
        // concave when (na − nb)·(pa − pb) < 0 with normals facing the camera
        const dx = P[a * 3]! - P[b * 3]!,
          dy = P[a * 3 + 1]! - P[b * 3 + 1]!,
          dz = P[a * 3 + 2]! - P[b * 3 + 2]!;
        if ((ax - bx) * dx + (ay - by) * dy + (az - bz) * dz < 0) {
          if (jump && !connected(a, b, step / r, use, P, jump)) continue;
          out[i] = 1;
          break;
        }
      }
    }
  }
  return out;
}

/**
 * Whether the surface runs on from `a` to `b` (`unit` apart in the image) without a depth jump:
 * between consecutive pixels in `use` on the line (over a gap of pixels not in `use` — no depth,
 * or not foreground — as many jumps as the gap is long) the depth changes by at most a jump.
 */
function connected(a: number, b: number, unit: number, use: Uint8Array, P: Float32Array, jump: (z: number) => number): boolean {
  let prev = a;
  for (let k = a + unit; ; k += unit) {
    if (use[k]) {
      const zp = P[prev * 3 + 2]!,
        zk = P[k * 3 + 2]!;
      if (Math.abs(zk - zp) > ((k - prev) / unit) * jump(Math.min(zp, zk))) return false;
      prev = k;
    }
    if (k === b) return true;
  }
}

/**
 * Per-pixel normals from central differences `r` pixels apart (optical frame, facing the
 * camera); 0,0,0 where a neighbour is missing. Layout: Float32Array(width·height·3).
 */
export function pixelNormals(cloud: OrganizedCloud, use: Uint8Array, r: number): Float32Array {
  const { width: w, height: h, positions: P } = cloud;
  const out = new Float32Array(w * h * 3);
  for (let v = r; v < h - r; v++) {
    for (let u = r; u < w - r; u++) {
      const i = v * w + u;
      if (!use[i]) continue;
      const l = i - r,
        rt = i + r,
        up = i - r * w,
        dn = i + r * w;
      if (!use[l] || !use[rt] || !use[up] || !use[dn]) continue;
      const ax = P[rt * 3]! - P[l * 3]!,
        ay = P[rt * 3 + 1]! - P[l * 3 + 1]!,
        az = P[rt * 3 + 2]! - P[l * 3 + 2]!;
      const bx = P[dn * 3]! - P[up * 3]!,
        by = P[dn * 3 + 1]! - P[up * 3 + 1]!,
        bz = P[dn * 3 + 2]! - P[up * 3 + 2]!;
      let nx = ay * bz - az * by,
        ny = az * bx - ax * bz,
        nz = ax * by - ay * bx;
      const len = Math.hypot(nx, ny, nz);
      if (len < 1e-12) continue;
      if (nz > 0) {
        nx = -nx;
        ny = -ny;
        nz = -nz;
      }
      out[i * 3] = nx / len;
      out[i * 3 + 1] = ny / len;
      out[i * 3 + 2] = nz / len;
    }
  }
  return out;
}
