/**
 * Vertex normals for display (GLB): smooth where the surface is smooth, split at creases.
 *
 * Corners are grouped by position first (meshes often repeat a vertex along seams), so a
 * sphere's seam stays smooth; then each corner of each face takes the area-weighted mean of the
 * normals of the faces around its vertex that lie within `creaseAngle` of its own face. Corners
 * of one vertex that end up with the same normal share one output vertex; a box's corner
 * becomes three vertices, a sphere's vertex one. Why hand-written: glTF-Transform's `normals()`
 * is smooth-only (it would round a box's edges); three.js's `toCreasedNormals` needs a
 * BufferGeometry and un-indexes the whole mesh.
 */
import type { Mesh } from '../model/geometry.ts';
import { weldRemap } from '../geometry/weld.ts';

export const CREASE_ANGLE_DEFAULT = (35 * Math.PI) / 180;

/** Returns a new indexed mesh (positions, normals, indices) with creased normals. */
export function creasedNormals(mesh: Mesh, creaseAngle = CREASE_ANGLE_DEFAULT): { positions: Float32Array; normals: Float32Array; indices: Uint32Array } {
  const p = mesh.positions;
  const idx = mesh.indices;
  const nf = idx.length / 3;
  // weld by exact position
  const { remap: weld, keep } = weldRemap(p);
  const nw = keep.length;
  // area-weighted face normals (cross product length = 2 × area) and unit normals
  const fn = new Float64Array(nf * 3);
  const fu = new Float64Array(nf * 3);
  for (let f = 0; f < nf; f++) {
    const a = idx[f * 3]! * 3,
      b = idx[f * 3 + 1]! * 3,
      c = idx[f * 3 + 2]! * 3;
    const ux = p[b]! - p[a]!,
      uy = p[b + 1]! - p[a + 1]!,
      uz = p[b + 2]! - p[a + 2]!;
    const vx = p[c]! - p[a]!,
      vy = p[c + 1]! - p[a + 1]!,
      vz = p[c + 2]! - p[a + 2]!;
    const x = uy * vz - uz * vy,
      y = uz * vx - ux * vz,
      z = ux * vy - uy * vx;
    const l = Math.hypot(x, y, z) || 1;
    fn[f * 3] = x;
    fn[f * 3 + 1] = y;
    fn[f * 3 + 2] = z;
    fu[f * 3] = x / l;
    fu[f * 3 + 1] = y / l;
    fu[f * 3 + 2] = z / l;
  }
  // faces around each welded vertex (CSR layout: start[w] .. start[w + 1] in faces)
  const start = new Uint32Array(nw + 1);
  for (let k = 0; k < idx.length; k++) start[weld[idx[k]!]! + 1]!++;
  for (let w = 0; w < nw; w++) start[w + 1]! += start[w]!;
  const fill = start.slice(0, nw);
  const faces = new Uint32Array(idx.length);
  for (let k = 0; k < idx.length; k++) faces[fill[weld[idx[k]!]!]!++] = Math.floor(k / 3);
  const cosCrease = Math.cos(creaseAngle);
  // at most one output vertex per corner: typed arrays of that size, cut to length at the end
  // (growing number arrays here were most of the export stage's garbage)
  const outP = new Float32Array(idx.length * 3);
  const outN = new Float32Array(idx.length * 3);
  let made = 0;
  const outI = new Uint32Array(idx.length);
  // output vertices made so far per welded vertex (a short list each: one per crease side),
  // as (rounded normal x, y, z, output index) in `madeKeys`, chained through `madeNext`
  const madeHead = new Int32Array(nw).fill(-1);
  const madeKeys = new Int32Array(idx.length * 4);
  const madeNext = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const f = Math.floor(k / 3);
    const v = idx[k]!;
    const w = weld[v]!;
    let x = 0,
      y = 0,
      z = 0;
    for (let j = start[w]!; j < start[w + 1]!; j++) {
      const g = faces[j]!;
      if (fu[f * 3]! * fu[g * 3]! + fu[f * 3 + 1]! * fu[g * 3 + 1]! + fu[f * 3 + 2]! * fu[g * 3 + 2]! >= cosCrease) {
        x += fn[g * 3]!;
        y += fn[g * 3 + 1]!;
        z += fn[g * 3 + 2]!;
      }
    }
    const l = Math.hypot(x, y, z);
    if (l > 0) {
      x /= l;
      y /= l;
      z /= l;
    } else {
      x = fu[f * 3]!;
      y = fu[f * 3 + 1]!;
      z = fu[f * 3 + 2]!;
    }
    // corners of one vertex whose normals agree to 1e-4 share an output vertex
    const rx = Math.round(x * 1e4),
      ry = Math.round(y * 1e4),
      rz = Math.round(z * 1e4);
    let o = -1;
    for (let m = madeHead[w]!; m >= 0; m = madeNext[m]!) {
      if (madeKeys[m * 4] === rx && madeKeys[m * 4 + 1] === ry && madeKeys[m * 4 + 2] === rz) {
        o = madeKeys[m * 4 + 3]!;
        break;
      }
    }
    if (o < 0) {
      o = made++;
      madeNext[o] = madeHead[w]!;
      madeHead[w] = o;
      madeKeys[o * 4] = rx;
      madeKeys[o * 4 + 1] = ry;
      madeKeys[o * 4 + 2] = rz;
      madeKeys[o * 4 + 3] = o;
      outP[o * 3] = p[v * 3]!;
      outP[o * 3 + 1] = p[v * 3 + 1]!;
      outP[o * 3 + 2] = p[v * 3 + 2]!;
      outN[o * 3] = x;
      outN[o * 3 + 1] = y;
      outN[o * 3 + 2] = z;
    }
    outI[k] = o;
  }
  return { positions: outP.slice(0, made * 3), normals: outN.slice(0, made * 3), indices: outI };
}
