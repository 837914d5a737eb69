/**
 * Orientation spellings of the three formats. Our quaternions are (x, y, z, w).
 * - URDF `rpy` / SDF `<pose>`: roll about x, then pitch about y, then yaw about z, all about
 *   the fixed parent axes: R = Rz(yaw)·Ry(pitch)·Rx(roll).
 * - MJCF `quat`: (w, x, y, z).
 * - glTF `rotation`: (x, y, z, w).
 */
import { quatToMat3, type Quat, type Vec3 } from '../model/pose.ts';

/** Roll, pitch, yaw of a unit quaternion, read from its rotation matrix so the result stays
 * exact at pitch = ±90° (objects lying on their side), where yaw is set to 0. */
export function rpyOf(q: Quat): Vec3 {
  const r = quatToMat3(q);
  const r00 = r[0]!,
    r10 = r[3]!,
    r20 = r[6]!,
    r21 = r[7]!,
    r22 = r[8]!,
    r11 = r[4]!,
    r12 = r[5]!;
  const cp = Math.hypot(r00, r10);
  const pitch = Math.atan2(-r20, cp);
  if (cp < 1e-12) return [Math.atan2(-r12, r11), pitch, 0];
  return [Math.atan2(r21, r22), pitch, Math.atan2(r10, r00)];
}

/** MJCF order (w, x, y, z), sign chosen so w ≥ 0 (one spelling per rotation: stable goldens). */
export function mjQuat(q: Quat): [number, number, number, number] {
  const s = q[3] < 0 ? -1 : 1;
  return [s * q[3], s * q[0], s * q[1], s * q[2]];
}
