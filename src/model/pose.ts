/**
 * Rigid transforms. A `Pose` maps points from a child frame into its parent frame:
 * p_parent = R(orientation) · p_child + position. Quaternions are (x, y, z, w), unit length.
 * Matrices are 4×4 row-major in a plain `number[16]` (or `Float64Array`).
 */
export type Vec3 = [number, number, number];
export type Quat = [number, number, number, number];

export interface Pose {
  position: Vec3;
  orientation: Quat;
}

export const IDENTITY_POSE: Readonly<Pose> = Object.freeze({ position: [0, 0, 0], orientation: [0, 0, 0, 1] }) as Pose;

export function identityPose(): Pose {
  return { position: [0, 0, 0], orientation: [0, 0, 0, 1] };
}

export function quatNormalize(q: Quat): Quat {
  const n = Math.hypot(q[0], q[1], q[2], q[3]);
  if (!(n > 0) || !Number.isFinite(n)) return [0, 0, 0, 1];
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}

export function quatMultiply(a: Quat, b: Quat): Quat {
  const [ax, ay, az, aw] = a;
  const [bx, by, bz, bw] = b;
  return [aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz];
}

export function quatConjugate(q: Quat): Quat {
  return [-q[0], -q[1], -q[2], q[3]];
}

export function quatFromAxisAngle(axis: Vec3, angle: number): Quat {
  const n = Math.hypot(axis[0], axis[1], axis[2]) || 1;
  const s = Math.sin(angle / 2) / n;
  return [axis[0] * s, axis[1] * s, axis[2] * s, Math.cos(angle / 2)];
}

export function quatFromYaw(yaw: number): Quat {
  return [0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)];
}

/** Roll (x), pitch (y), yaw (z), applied in that order about fixed axes (URDF/SDF `rpy`). */
export function quatFromRpy(roll: number, pitch: number, yaw: number): Quat {
  const cr = Math.cos(roll / 2),
    sr = Math.sin(roll / 2);
  const cp = Math.cos(pitch / 2),
    sp = Math.sin(pitch / 2);
  const cy = Math.cos(yaw / 2),
    sy = Math.sin(yaw / 2);
  return [sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy, cr * cp * cy + sr * sp * sy];
}

/** Inverse of `quatFromRpy`; pitch is clamped at ±π/2. */
export function rpyFromQuat(q: Quat): Vec3 {
  const [x, y, z, w] = q;
  const roll = Math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y));
  const sp = 2 * (w * y - z * x);
  const pitch = Math.abs(sp) >= 1 ? (Math.sign(sp) * Math.PI) / 2 : Math.asin(sp);
  const yaw = Math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
  return [roll, pitch, yaw];
}

/** Row-major 3×3 rotation matrix of a unit quaternion. */
export function quatToMat3(q: Quat): number[] {
  const [x, y, z, w] = q;
  return [
    1 - 2 * (y * y + z * z),
    2 * (x * y - z * w),
    2 * (x * z + y * w),
    2 * (x * y + z * w),
    1 - 2 * (x * x + z * z),
    2 * (y * z - x * w),
    2 * (x * z - y * w),
    2 * (y * z + x * w),
    1 - 2 * (x * x + y * y),
  ];
}

/** Unit quaternion of a row-major 3×3 rotation matrix (Shepperd's method). */
export function quatFromMat3(m: ArrayLike<number>): Quat {
  const m00 = m[0]!,
    m01 = m[1]!,
    m02 = m[2]!,
    m10 = m[3]!,
    m11 = m[4]!,
    m12 = m[5]!,
    m20 = m[6]!,
    m21 = m[7]!,
    m22 = m[8]!;
  const tr = m00 + m11 + m22;
  let q: Quat;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    q = [(m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s, s / 4];
  } else if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2;
    q = [s / 4, (m01 + m10) / s, (m02 + m20) / s, (m21 - m12) / s];
  } else if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2;
    q = [(m01 + m10) / s, s / 4, (m12 + m21) / s, (m02 - m20) / s];
  } else {
    const s = Math.sqrt(1 + m22 - m00 - m11) * 2;
    q = [(m02 + m20) / s, (m12 + m21) / s, s / 4, (m10 - m01) / s];
  }
  return quatNormalize(q);
}

export function rotateVec(q: Quat, v: Vec3): Vec3 {
  // v' = v + 2w(u×v) + 2u×(u×v), u = (x, y, z)
  const [x, y, z, w] = q;
  const tx = 2 * (y * v[2] - z * v[1]);
  const ty = 2 * (z * v[0] - x * v[2]);
  const tz = 2 * (x * v[1] - y * v[0]);
  return [v[0] + w * tx + (y * tz - z * ty), v[1] + w * ty + (z * tx - x * tz), v[2] + w * tz + (x * ty - y * tx)];
}

/** p_parent = pose · p_child */
export function transformPoint(pose: Pose, p: Vec3): Vec3 {
  const r = rotateVec(pose.orientation, p);
  return [r[0] + pose.position[0], r[1] + pose.position[1], r[2] + pose.position[2]];
}

/** (a ∘ b): first b, then a. If b maps C→B and a maps B→A, the result maps C→A. */
export function composePoses(a: Pose, b: Pose): Pose {
  return { position: transformPoint(a, b.position), orientation: quatNormalize(quatMultiply(a.orientation, b.orientation)) };
}

export function invertPose(p: Pose): Pose {
  const qi = quatConjugate(p.orientation);
  const t = rotateVec(qi, p.position);
  return { position: [-t[0], -t[1], -t[2]], orientation: qi };
}

/** Row-major 4×4 matrix. */
export function poseToMat4(p: Pose): number[] {
  const r = quatToMat3(p.orientation);
  return [r[0]!, r[1]!, r[2]!, p.position[0], r[3]!, r[4]!, r[5]!, p.position[1], r[6]!, r[7]!, r[8]!, p.position[2], 0, 0, 0, 1];
}

/** From a row-major 4×4 rigid matrix (a uniform scale in the 3×3 block is removed). */
export function poseFromMat4(m: ArrayLike<number>): Pose {
  const r = [m[0]!, m[1]!, m[2]!, m[4]!, m[5]!, m[6]!, m[8]!, m[9]!, m[10]!];
  const s = Math.cbrt(r[0]! * (r[4]! * r[8]! - r[5]! * r[7]!) - r[1]! * (r[3]! * r[8]! - r[5]! * r[6]!) + r[2]! * (r[3]! * r[7]! - r[4]! * r[6]!));
  const rn = s !== 0 && Number.isFinite(s) ? r.map((v) => v / s) : r;
  return { position: [m[3]!, m[7]!, m[11]!], orientation: quatFromMat3(rn) };
}

/** Applies a pose to interleaved xyz positions; returns a new array. */
export function transformPositions(pose: Pose, positions: Float32Array): Float32Array {
  const r = quatToMat3(pose.orientation);
  const [tx, ty, tz] = pose.position;
  const out = new Float32Array(positions.length);
  for (let i = 0; i < positions.length; i += 3) {
    const x = positions[i]!,
      y = positions[i + 1]!,
      z = positions[i + 2]!;
    out[i] = r[0]! * x + r[1]! * y + r[2]! * z + tx;
    out[i + 1] = r[3]! * x + r[4]! * y + r[5]! * z + ty;
    out[i + 2] = r[6]! * x + r[7]! * y + r[8]! * z + tz;
  }
  return out;
}

/** Angle of the relative rotation between two orientations, radians in [0, π]. */
export function quatAngle(a: Quat, b: Quat): number {
  const d = Math.abs(a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]);
  return 2 * Math.acos(Math.min(1, d));
}

export function isFinitePose(p: Pose): boolean {
  return [...p.position, ...p.orientation].every(Number.isFinite) && Math.hypot(...p.orientation) > 1e-9;
}
