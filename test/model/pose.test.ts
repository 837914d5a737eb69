import { describe, expect, it } from 'vitest';
import {
  composePoses,
  invertPose,
  isFinitePose,
  poseFromMat4,
  poseToMat4,
  quatAngle,
  quatFromMat3,
  quatFromRpy,
  quatToMat3,
  rotateVec,
  rpyFromQuat,
  transformPoint,
  transformPositions,
  type Pose,
  type Quat,
  type Vec3,
} from '../../src/model/pose.ts';
import { createRng, type Rng } from '../../src/geometry/random.ts';

function randomQuat(rng: Rng): Quat {
  const q: Quat = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
  const n = Math.hypot(...q);
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}
function randomPose(rng: Rng): Pose {
  return { position: [rng.range(-2, 2), rng.range(-2, 2), rng.range(-2, 2)], orientation: randomQuat(rng) };
}
const close = (a: readonly number[], b: readonly number[], eps = 1e-9) => a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(eps));
/** q and −q are the same rotation. */
const sameRotation = (a: Quat, b: Quat) => expect(quatAngle(a, b)).toBeLessThan(1e-6);

describe('pose math (seed 101)', () => {
  const rng = createRng(101);
  const poses = Array.from({ length: 50 }, () => randomPose(rng));
  const points = Array.from({ length: 50 }, (): Vec3 => [rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1)]);

  it('inverse undoes the pose', () => {
    poses.forEach((p, i) => close(transformPoint(invertPose(p), transformPoint(p, points[i]!)), points[i]!));
  });

  it('compose(a, b) applies b first, then a', () => {
    for (let i = 0; i + 1 < poses.length; i++) {
      const a = poses[i]!,
        b = poses[i + 1]!;
      close(transformPoint(composePoses(a, b), points[i]!), transformPoint(a, transformPoint(b, points[i]!)));
    }
  });

  it('matrix round trips: quat → mat3 → quat and pose → mat4 → pose', () => {
    for (const p of poses) {
      sameRotation(quatFromMat3(quatToMat3(p.orientation)), p.orientation);
      const back = poseFromMat4(poseToMat4(p));
      close(back.position, p.position);
      sameRotation(back.orientation, p.orientation);
    }
  });

  it('mat3 rotates like the quaternion and is orthonormal', () => {
    poses.forEach((p, i) => {
      const m = quatToMat3(p.orientation);
      const v = points[i]!;
      close([m[0]! * v[0] + m[1]! * v[1] + m[2]! * v[2], m[3]! * v[0] + m[4]! * v[1] + m[5]! * v[2], m[6]! * v[0] + m[7]! * v[1] + m[8]! * v[2]], rotateVec(p.orientation, v));
      const det = m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
      expect(det).toBeCloseTo(1, 9);
    });
  });

  it('rpy round trip (pitch inside ±π/2) and URDF convention: yaw about z', () => {
    for (let i = 0; i < 50; i++) {
      const r = rng.range(-3, 3),
        pch = rng.range(-1.5, 1.5),
        y = rng.range(-3, 3);
      close(rpyFromQuat(quatFromRpy(r, pch, y)), [r, pch, y], 1e-7);
    }
    close(rotateVec(quatFromRpy(0, 0, Math.PI / 2), [1, 0, 0]), [0, 1, 0]);
    close(rotateVec(quatFromRpy(Math.PI / 2, 0, 0), [0, 1, 0]), [0, 0, 1]);
  });

  it('poseFromMat4 removes a uniform scale', () => {
    const p = poses[0]!;
    const m = poseToMat4(p).map((v, i) => (i < 12 && i % 4 !== 3 ? v * 2.5 : v));
    sameRotation(poseFromMat4(m).orientation, p.orientation);
  });

  it('transformPositions agrees with transformPoint', () => {
    const flat = new Float32Array(points.flat());
    const out = transformPositions(poses[3]!, flat);
    points.forEach((v, i) => close(Array.from(out.subarray(i * 3, i * 3 + 3)), transformPoint(poses[3]!, v), 1e-5));
  });

  it('isFinitePose rejects NaN and zero quaternions', () => {
    expect(isFinitePose(poses[0]!)).toBe(true);
    expect(isFinitePose({ position: [NaN, 0, 0], orientation: [0, 0, 0, 1] })).toBe(false);
    expect(isFinitePose({ position: [0, 0, 0], orientation: [0, 0, 0, 0] })).toBe(false);
  });
});
