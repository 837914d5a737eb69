/**
 * Small numeric helpers the engines and checks share: principal axes of an inertia tensor and
 * float64 vector arithmetic on tuples.
 */
import type { Inertia } from '../src/model/scene.ts';
import { quatFromMat3, type Quat, type Vec3 } from '../src/model/pose.ts';
import { jacobiDiagonalize } from '../src/geometry/linalg.ts';

/**
 * Principal moments and axes of a symmetric inertia tensor (the geometry kernels' cyclic Jacobi,
 * float64; moments in diagonal order, not sorted, so the body frames stay as they were).
 * Returns the moments and the rotation whose columns are the principal axes (right-handed).
 */
export function principalAxes(I: Inertia): { moments: Vec3; rotation: Quat } {
  const a = Float64Array.from([I.ixx, I.ixy, I.ixz, I.ixy, I.iyy, I.iyz, I.ixz, I.iyz, I.izz]);
  const flat = new Float64Array(9);
  jacobiDiagonalize(a, 3, flat);
  const v = [
    [flat[0]!, flat[1]!, flat[2]!],
    [flat[3]!, flat[4]!, flat[5]!],
    [flat[6]!, flat[7]!, flat[8]!],
  ];
  // make the axes right-handed
  const det = v[0]![0]! * (v[1]![1]! * v[2]![2]! - v[1]![2]! * v[2]![1]!) - v[0]![1]! * (v[1]![0]! * v[2]![2]! - v[1]![2]! * v[2]![0]!) + v[0]![2]! * (v[1]![0]! * v[2]![1]! - v[1]![1]! * v[2]![0]!);
  if (det < 0) for (let k = 0; k < 3; k++) v[k]![2] = -v[k]![2]!;
  const m = [v[0]![0]!, v[0]![1]!, v[0]![2]!, v[1]![0]!, v[1]![1]!, v[1]![2]!, v[2]![0]!, v[2]![1]!, v[2]![2]!];
  return { moments: [a[0]!, a[4]!, a[8]!], rotation: quatFromMat3(m) };
}

export const sub3 = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const add3 = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
export const scale3 = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
export const dot3 = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const norm3 = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);
