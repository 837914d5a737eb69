import type { Mesh } from '../model/geometry.ts';
import type { Inertia } from '../model/scene.ts';
import type { Vec3 } from '../model/pose.ts';

/**
 * Exact mass properties of a closed, outward-oriented triangle mesh of uniform density, by the
 * divergence theorem over each triangle (Eberly, "Polyhedral Mass Properties (Revisited)",
 * 2002). Written by hand: no maintained JS library integrates the full inertia tensor, and this
 * runs once per object per export. Sums are in float64 with positions shifted to the mesh's
 * first vertex to keep small objects far from the origin accurate.
 */
export interface MassProperties {
  /** m³; negative when the mesh is inside-out, ~0 when open or flat. */
  volume: number;
  /** kg (volume × density). */
  mass: number;
  /** In the mesh's frame. */
  centerOfMass: Vec3;
  /** About the centre of mass, axes of the mesh's frame. */
  inertia: Inertia;
}

export function massProperties(mesh: Mesh, density: number): MassProperties {
  const p = mesh.positions;
  const idx = mesh.indices;
  const ox = p[0] ?? 0,
    oy = p[1] ?? 0,
    oz = p[2] ?? 0;
  // integrals of 1, x, y, z, x², y², z², xy, yz, zx over the volume
  let i0 = 0,
    ix = 0,
    iy = 0,
    iz = 0,
    ixx = 0,
    iyy = 0,
    izz = 0,
    ixy = 0,
    iyz = 0,
    izx = 0;
  for (let t = 0; t < idx.length; t += 3) {
    const a = idx[t]! * 3,
      b = idx[t + 1]! * 3,
      c = idx[t + 2]! * 3;
    const x0 = p[a]! - ox,
      y0 = p[a + 1]! - oy,
      z0 = p[a + 2]! - oz;
    const x1 = p[b]! - ox,
      y1 = p[b + 1]! - oy,
      z1 = p[b + 2]! - oz;
    const x2 = p[c]! - ox,
      y2 = p[c + 1]! - oy,
      z2 = p[c + 2]! - oz;
    // edges and cross product (unnormalised normal, |d| = 2 area)
    const a1 = x1 - x0,
      b1 = y1 - y0,
      c1 = z1 - z0;
    const a2 = x2 - x0,
      b2 = y2 - y0,
      c2 = z2 - z0;
    const d0 = b1 * c2 - b2 * c1,
      d1 = a2 * c1 - a1 * c2,
      d2 = a1 * b2 - a2 * b1;
    // per-axis subexpressions
    const [f1x, f2x, f3x, g0x, g1x, g2x] = sub(x0, x1, x2);
    const [, f2y, f3y, g0y, g1y, g2y] = sub(y0, y1, y2);
    const [, f2z, f3z, g0z, g1z, g2z] = sub(z0, z1, z2);
    i0 += d0 * f1x;
    ix += d0 * f2x;
    iy += d1 * f2y;
    iz += d2 * f2z;
    ixx += d0 * f3x;
    iyy += d1 * f3y;
    izz += d2 * f3z;
    ixy += d0 * (y0 * g0x + y1 * g1x + y2 * g2x);
    iyz += d1 * (z0 * g0y + z1 * g1y + z2 * g2y);
    izx += d2 * (x0 * g0z + x1 * g1z + x2 * g2z);
  }
  i0 /= 6;
  ix /= 24;
  iy /= 24;
  iz /= 24;
  ixx /= 60;
  iyy /= 60;
  izz /= 60;
  ixy /= 120;
  iyz /= 120;
  izx /= 120;

  const volume = i0;
  const mass = volume * density;
  const safe = Math.abs(volume) > 1e-18 ? volume : 1;
  const cx = ix / safe,
    cy = iy / safe,
    cz = iz / safe;
  // inertia about the origin, then shift to the centre of mass (parallel axis theorem)
  const r = density;
  const Ixx = r * (iyy + izz) - mass * (cy * cy + cz * cz);
  const Iyy = r * (izz + ixx) - mass * (cz * cz + cx * cx);
  const Izz = r * (ixx + iyy) - mass * (cx * cx + cy * cy);
  const Ixy = -(r * ixy - mass * cx * cy);
  const Iyz = -(r * iyz - mass * cy * cz);
  const Ixz = -(r * izx - mass * cz * cx);
  return {
    volume,
    mass,
    centerOfMass: [cx + ox, cy + oy, cz + oz],
    inertia: { ixx: Ixx, ixy: Ixy, ixz: Ixz, iyy: Iyy, iyz: Iyz, izz: Izz },
  };
}

function sub(w0: number, w1: number, w2: number): [number, number, number, number, number, number] {
  const t0 = w0 + w1;
  const t1 = w0 * w0;
  const t2 = t1 + w1 * t0;
  const f1 = t0 + w2;
  const f2 = t2 + w2 * f1;
  const f3 = w0 * t1 + w1 * t2 + w2 * f2;
  return [f1, f2, f3, f2 + w0 * (f1 + w0), f2 + w1 * (f1 + w1), f2 + w2 * (f1 + w2)];
}

/** Signed volume only (m³). */
export function meshVolume(mesh: Mesh): number {
  return massProperties(mesh, 1).volume;
}

/** Eigenvalues of the symmetric inertia tensor (principal moments), ascending. */
export function principalMoments(I: Inertia): [number, number, number] {
  // Closed-form eigenvalues of a symmetric 3×3 matrix (Smith 1961).
  const a = I.ixx,
    b = I.iyy,
    c = I.izz,
    d = I.ixy,
    e = I.iyz,
    f = I.ixz;
  const p1 = d * d + e * e + f * f;
  if (p1 < 1e-30 * (a * a + b * b + c * c + 1e-300)) {
    return [a, b, c].sort((x, y) => x - y) as [number, number, number];
  }
  const q = (a + b + c) / 3;
  const p2 = (a - q) ** 2 + (b - q) ** 2 + (c - q) ** 2 + 2 * p1;
  const p = Math.sqrt(p2 / 6);
  const B = [(a - q) / p, d / p, f / p, d / p, (b - q) / p, e / p, f / p, e / p, (c - q) / p];
  const detB = B[0]! * (B[4]! * B[8]! - B[5]! * B[7]!) - B[1]! * (B[3]! * B[8]! - B[5]! * B[6]!) + B[2]! * (B[3]! * B[7]! - B[4]! * B[6]!);
  const r = Math.max(-1, Math.min(1, detB / 2));
  const phi = Math.acos(r) / 3;
  const e1 = q + 2 * p * Math.cos(phi);
  const e3 = q + 2 * p * Math.cos(phi + (2 * Math.PI) / 3);
  const e2 = 3 * q - e1 - e3;
  return [e1, e2, e3].sort((x, y) => x - y) as [number, number, number];
}

/** Physically realisable: positive definite and every principal moment ≤ the sum of the other two. */
export function isPhysicalInertia(I: Inertia, tolerance = 1e-12): boolean {
  const [l0, l1, l2] = principalMoments(I);
  return l0 > 0 && l2 <= l0 + l1 + tolerance;
}
