/**
 * Contact surface and collision primitives shared by every writer, so a scene behaves the same
 * in URDF, SDF and MJCF consumers.
 *
 * Friction: our validation engines (sim/engine.ts) use Coulomb μ = 0.8 and restitution 0; each
 * format gets the same numbers in its own spelling:
 * - SDF `<surface><friction><ode><mu>/<mu2>` (+ `<torsional><coefficient>`), `<bounce>`;
 * - URDF has no standard friction: PyBullet and Isaac Sim's URDF importer read the link's
 *   `<contact><lateral_friction value/><rolling_friction/><spinning_friction/><restitution/>`;
 *   Gazebo reads `<gazebo reference="link"><mu1>/<mu2>` (sdformat's URDF extension);
 * - MJCF `geom friction` = sliding, torsional, rolling (restitution is expressed by `solref`:
 *   critically damped contacts bounce not at all, matching restitution 0).
 * Torsional and rolling resistance are small, only so that round things do not spin or roll
 * forever (MuJoCo and PyBullet integrate them; cannon-es and Rapier have none).
 */
import type { Mesh } from '../model/geometry.ts';
import type { Vec3 } from '../model/pose.ts';
import { formatFloat32 } from '../io/mesh.ts';

export interface Surface {
  /** Coulomb sliding friction. */
  friction: number;
  /** Torsional (spinning) friction, metres (MuJoCo, PyBullet `spinning_friction`). */
  spinning: number;
  /** Rolling friction, metres (MuJoCo, PyBullet `rolling_friction`). */
  rolling: number;
  /** Coefficient of restitution, 0..1. */
  restitution: number;
}

export const SURFACE_DEFAULTS: Surface = { friction: 0.8, spinning: 0.005, rolling: 0.0001, restitution: 0 };

/** A collision primitive a simulator has natively; centres in the object frame. */
export type Primitive = { kind: 'sphere'; centre: Vec3; radius: number } | { kind: 'box'; centre: Vec3; size: Vec3 };

/**
 * A convex piece that is exactly an axis-aligned box in the object frame: its distinct vertices
 * are the 8 corners of their bounding box (within `tolerance` relative to the largest extent).
 * Written as the simulator's own box, which collides with exact face contacts; the hull of 8
 * points is the same shape, so validators and exports still agree.
 * Cylinders are not detected: a tessellated cylinder is a prism, and our validators simulate
 * it as one (a prism lying on a facet rests; a true cylinder would roll), so replacing it
 * would make the exports disagree with the verdict.
 */
export function exactBoxOf(mesh: Mesh, tolerance = 1e-5): { centre: Vec3; size: Vec3 } | null {
  const p = mesh.positions;
  const n = p.length / 3;
  if (n < 8) return null;
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      const v = p[i * 3 + k]!;
      if (v < lo[k]!) lo[k] = v;
      if (v > hi[k]!) hi[k] = v;
    }
  }
  const size: Vec3 = [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]];
  const eps = tolerance * Math.max(...size);
  if (!(Math.min(...size) > eps)) return null;
  // every vertex on a corner: each coordinate at its min or max
  const corners = new Set<number>();
  for (let i = 0; i < n; i++) {
    let code = 0;
    for (let k = 0; k < 3; k++) {
      const v = p[i * 3 + k]!;
      if (Math.abs(v - lo[k]!) <= eps) continue;
      if (Math.abs(v - hi[k]!) <= eps) code |= 1 << k;
      else return null;
    }
    corners.add(code);
  }
  if (corners.size !== 8) return null;
  // the vertices are float32: write their shortest float32 spelling (0.6, not 0.600000023842)
  const f32 = (x: number) => Number(formatFloat32(x));
  const [a, b] = [lo.map(f32), hi.map(f32)] as [Vec3, Vec3];
  return { centre: [f32((a[0] + b[0]) / 2), f32((a[1] + b[1]) / 2), f32((a[2] + b[2]) / 2)], size: [f32(b[0] - a[0]), f32(b[1] - a[1]), f32(b[2] - a[2])] };
}
