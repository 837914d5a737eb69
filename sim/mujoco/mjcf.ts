/**
 * A minimal MJCF writer for the MuJoCo reference check: collision pieces only, as inline mesh
 * assets (`<mesh vertex="…">`, MuJoCo takes their convex hull) of the same clean hull vertices
 * the engines get (`sim/hull.ts`, ≤ 128 per piece; a piece whose hull is a sphere becomes a
 * sphere geom, as in the engines), so nothing touches a file system. Contact parameters match the bundle's MJCF exporter (`src/export/mjcf.ts` defaults:
 * 1 ms step, solref 4 ms critically damped, condim 4, friction 0.8) so the reference behaves
 * like the file users get.
 *
 * Frames: `<body pos quat>` = object pose (quat w x y z); inertial `pos` = centre of mass in the
 * body frame; `fullinertia` = ixx iyy izz ixy ixz iyz. Body `name` is `b<index>` (ids can hold
 * any character; the caller maps back by index).
 */
import type { Plane, SceneObject } from '../../src/model/scene.ts';
import type { Vec3 } from '../../src/model/pose.ts';
import { rotationZTo } from '../engines/rapier.ts';
import { engineHull } from '../hull.ts';

export interface ReferenceMjcfOptions {
  timestep?: number;
  solref?: [number, number];
  solimp?: [number, number, number];
  friction?: [number, number, number];
}

export const REFERENCE_MJCF_DEFAULTS: Required<ReferenceMjcfOptions> = {
  timestep: 0.001,
  solref: [0.004, 1],
  solimp: [0.95, 0.99, 0.001],
  friction: [0.8, 0.005, 0.0001],
};

const num = (x: number) => {
  if (!Number.isFinite(x)) throw new Error(`non-finite number in MJCF: ${x}`);
  const r = Math.abs(x) < 1e-15 ? 0 : x;
  return String(Number(r.toPrecision(9)));
};
const list = (xs: ArrayLike<number>) => Array.from(xs, num).join(' ');

export function referenceMjcf(objects: readonly SceneObject[], support: Plane | undefined, options: ReferenceMjcfOptions = {}): string {
  const o = { ...REFERENCE_MJCF_DEFAULTS, ...options };
  const n: Vec3 = support ? support.normal : [0, 0, 1];
  const d = support ? support.d : 0;
  const q = rotationZTo(n);
  const L: string[] = [];
  L.push('<mujoco model="real2sim_reference">');
  L.push('  <compiler angle="radian" inertiafromgeom="false"/>');
  L.push(`  <option timestep="${num(o.timestep)}" gravity="0 0 -9.81"><flag multiccd="enable"/></option>`);
  L.push(`  <default><geom condim="4" friction="${list(o.friction)}" solref="${list(o.solref)}" solimp="${list(o.solimp)}"/></default>`);
  L.push('  <asset>');
  objects.forEach((ob, i) =>
    ob.collision.forEach((m, k) => {
      const h = engineHull(m.positions);
      if (!h?.sphere) L.push(`    <mesh name="m${i}_${k}" vertex="${list(h?.vertices ?? m.positions)}"/>`);
    }),
  );
  L.push('  </asset>');
  L.push('  <worldbody>');
  L.push(`    <geom name="floor" type="plane" size="0 0 1" pos="${list([-d * n[0], -d * n[1], -d * n[2]])}" quat="${list([q[3], q[0], q[1], q[2]])}"/>`);
  objects.forEach((ob, i) => {
    const p = ob.pose;
    const I = ob.inertia;
    L.push(`    <body name="b${i}" pos="${list(p.position)}" quat="${list([p.orientation[3], p.orientation[0], p.orientation[1], p.orientation[2]])}">`);
    if (!ob.isStatic) {
      L.push('      <freejoint/>');
      L.push(`      <inertial pos="${list(ob.centerOfMass)}" mass="${num(ob.mass)}" fullinertia="${list([I.ixx, I.iyy, I.izz, I.ixy, I.ixz, I.iyz])}"/>`);
    }
    ob.collision.forEach((m, k) => {
      const sph = engineHull(m.positions)?.sphere;
      L.push(sph ? `      <geom type="sphere" size="${num(sph.radius)}" pos="${list(sph.centre)}"/>` : `      <geom type="mesh" mesh="m${i}_${k}"/>`);
    });
    L.push('    </body>');
  });
  L.push('  </worldbody>');
  L.push('</mujoco>');
  return L.join('\n') + '\n';
}
