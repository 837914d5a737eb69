import type { Mesh } from '../model/geometry.ts';
import type { Vec3 } from '../model/pose.ts';
import { meshVolume } from './massProperties.ts';

/**
 * Balls, found once for physics and export. Simulators treat a tessellated ball badly: it rests
 * on one vertex or a tiny facet and rolls away, and an exact sphere whose centre is off the mass
 * centre is a pendulum with no rolling resistance. Our engines and the MJCF writer both turn a
 * one-piece ball into the simulator's own sphere, placed by this one rule, so that cannon-es,
 * Rapier and MuJoCo see the same body.
 */
export const BALL_TOLERANCE = 0.02;
/** A one-piece ball whose fit centre lies this close (relative to its radius) to the mass centre is placed on it. */
export const BALL_CENTRE_TOLERANCE = 0.01;

export interface Ball {
  centre: Vec3;
  radius: number;
}

/**
 * Could these points be a ball's surface? The centre is the box centre of the points, not their
 * mean (tessellated balls bunch vertices at the poles; reconstructed ones wherever they were
 * seen): at least 20 points, every one within `tolerance` (relative) of the largest distance
 * from that centre. Necessary, not sufficient: `ballOf` also checks the volume.
 */
export function ballOfPoints(positions: ArrayLike<number>, tolerance = BALL_TOLERANCE): Ball | null {
  const n = Math.floor(positions.length / 3);
  if (n < 20) return null;
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n * 3; i += 3) {
    for (let k = 0; k < 3; k++) {
      const v = positions[i + k]!;
      if (v < lo[k]!) lo[k] = v;
      if (v > hi[k]!) hi[k] = v;
    }
  }
  const c: Vec3 = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2];
  let rMin = Infinity;
  let rMax = 0;
  for (let i = 0; i < n * 3; i += 3) {
    const r = Math.hypot(positions[i]! - c[0], positions[i + 1]! - c[1], positions[i + 2]! - c[2]);
    if (r < rMin) rMin = r;
    if (r > rMax) rMax = r;
  }
  if (!(rMax > 0) || (rMax - rMin) / rMax >= tolerance) return null;
  return { centre: c, radius: rMax };
}

/** Where a one-piece object's ball goes: on the mass centre when the fit is that close, else at its fit centre. */
export function ballCentre(ball: Ball, pieceCount: number, massCentre: Vec3): Vec3 {
  if (pieceCount !== 1) return ball.centre;
  const d = Math.hypot(ball.centre[0] - massCentre[0], ball.centre[1] - massCentre[1], ball.centre[2] - massCentre[2]);
  return d < BALL_CENTRE_TOLERANCE * ball.radius ? [...massCentre] : ball.centre;
}

/**
 * Is this closed convex piece a ball? Its points pass `ballOfPoints` and it fills at least 90 %
 * of that sphere (a box's corners are all equidistant from its centre too).
 */
export function ballOf(mesh: Mesh, tolerance = BALL_TOLERANCE): Ball | null {
  const ball = ballOfPoints(mesh.positions, tolerance);
  if (!ball) return null;
  return meshVolume(mesh) >= 0.9 * (4 / 3) * Math.PI * ball.radius ** 3 ? ball : null;
}
