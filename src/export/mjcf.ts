/**
 * MJCF (MuJoCo): OBJ mesh assets, one body per object (a `freejoint` when movable, welded to
 * the world when static), an explicit `<inertial>` from our own computation (MuJoCo's guess
 * from the mesh would disagree with the URDF and SDF), a floor plane on the support plane.
 *
 * Frames: `<body pos quat>` is the object pose in the world (quat as w x y z); the inertial
 * `pos` is the centre of mass in the body frame, `fullinertia` = ixx iyy izz ixy ixz iyz about
 * it. Meshes are in the body frame, resolved against `meshdir` (relative to this file).
 *
 * Contact parameters are for small objects (2–30 cm, 10 g–2 kg): 1 ms step, stiff but
 * critically damped contacts (`solref` time constant 4 ms = 4 steps), torsional/rolling
 * friction so round things do not spin forever. Written to load in MuJoCo 2.2 and 3.x.
 */
import type { Scene } from '../model/scene.ts';
import { fmt, fmtList, xmlComment, xmlEscape } from './names.ts';
import { mjQuat } from './frames.ts';
import { prepareScene, type PreparedScene } from './prepare.ts';
import { isPrepared, WRITTEN_BY_COMMENT } from './urdf.ts';
import { defined } from '../model/options.ts';
import { planeOrigin, planeQuat } from './sdf.ts';
import { SURFACE_DEFAULTS } from './surface.ts';
import { mjcfSize, MJCF_DEFAULTS_TIMESTEP } from './mujocoSize.ts';

export interface MjcfOptions {
  model?: string;
  /** Seconds. */
  timestep?: number;
  /** `geom solref` (time constant, damping ratio). */
  solref?: [number, number];
  /** `geom solimp` (dmin, dmax, width). */
  solimp?: [number, number, number];
  /** Sliding, torsional, rolling (default: the prepared scene's surface). */
  friction?: [number, number, number];
  meshDir?: string;
}

export const MJCF_DEFAULTS: Required<MjcfOptions> = {
  model: 'real2sim_scene',
  timestep: MJCF_DEFAULTS_TIMESTEP,
  solref: [0.004, 1],
  solimp: [0.95, 0.99, 0.001],
  friction: [SURFACE_DEFAULTS.friction, SURFACE_DEFAULTS.spinning, SURFACE_DEFAULTS.rolling],
  meshDir: 'meshes',
};

function fileName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function toMjcf(input: Scene | PreparedScene, options: MjcfOptions = {}): string {
  const prep = isPrepared(input) ? input : prepareScene(input);
  const f = prep.objects[0]?.surface ?? SURFACE_DEFAULTS;
  const o = { ...MJCF_DEFAULTS, friction: [f.friction, f.spinning, f.rolling] as [number, number, number], ...defined(options) };
  const size = mjcfSize(prep);
  const n = prep.support.normal;
  const origin = planeOrigin(prep.support);
  const L: string[] = [];
  L.push('<?xml version="1.0" encoding="utf-8"?>');
  L.push(WRITTEN_BY_COMMENT);
  L.push(`<mujoco model="${xmlEscape(o.model)}">`);
  L.push(`  <compiler angle="radian" meshdir="${xmlEscape(o.meshDir)}" inertiafromgeom="false"/>`);
  // Buffers sized from the scene: MuJoCo 2.x has fixed contact/constraint buffers (defaults 100 /
  // 500) and objects fall through the floor when they overflow; 3.x sizes its arena from the
  // same attributes (see mjcfSize).
  L.push(`  <size nconmax="${size.nconmax}" njmax="${size.njmax}"/>`);
  L.push(`  <option timestep="${fmt(o.timestep)}" gravity="0 0 -9.81"/>`);
  L.push('  <default>');
  L.push(`    <geom condim="4" friction="${fmtList(o.friction)}" solref="${fmtList(o.solref)}" solimp="${fmtList(o.solimp)}"/>`);
  L.push('    <default class="visual"><geom type="mesh" contype="0" conaffinity="0" group="2"/></default>');
  L.push('    <default class="collision"><geom type="mesh" group="3"/></default>');
  L.push('  </default>');
  L.push('  <asset>');
  for (const ob of prep.objects) {
    if (ob.visualIsSolid) L.push(`    <mesh name="${ob.name}" file="${xmlEscape(fileName(ob.visualFile))}"/>`);
    if (!ob.primitive) ob.collisionFiles.forEach((f, k) => L.push(`    <mesh name="${ob.name}_collision_${k}" file="${xmlEscape(fileName(f))}"/>`));
  }
  L.push('  </asset>');
  L.push('  <worldbody>');
  L.push('    <light name="sun" directional="true" pos="0 0 3" dir="-0.5 0.1 -0.9" diffuse="0.8 0.8 0.8"/>');
  L.push(`    <geom name="floor" type="plane" size="5 5 0.05" pos="${fmtList(origin)}" quat="${fmtList(mjQuat(planeQuat(n)))}" rgba="0.8 0.8 0.8 1"/>`);
  for (const ob of prep.objects) {
    const I = ob.inertia;
    const c = ob.source.color ?? [0.7, 0.7, 0.7];
    L.push(`    <!-- ${xmlComment(`id: ${ob.source.id}; label: ${ob.source.label}`)} -->`);
    L.push(`    <body name="${ob.name}" pos="${fmtList(ob.pose.position, 'position')}" quat="${fmtList(mjQuat(ob.pose.orientation), 'orientation')}">`);
    if (!ob.isStatic) L.push(`      <freejoint name="${ob.name}_joint"/>`);
    L.push(`      <inertial pos="${fmtList(ob.centerOfMass, 'centre of mass')}" mass="${fmt(ob.mass, 'mass')}" fullinertia="${fmtList([I.ixx, I.iyy, I.izz, I.ixy, I.ixz, I.iyz], 'inertia')}"/>`);
    const rgba = fmtList([c[0], c[1], c[2], 1], 'colour');
    if (ob.visualIsSolid) L.push(`      <geom name="${ob.name}_visual" class="visual" mesh="${ob.name}" rgba="${rgba}"/>`);
    const extra = ob.visualIsSolid ? '' : ` group="2" rgba="${rgba}"`;
    const prim = ob.primitive;
    if (prim) {
      // MuJoCo's own sphere / box: a tessellated ball would rest on one vertex and roll away
      const shape =
        prim.kind === 'sphere'
          ? `type="sphere" size="${fmt(prim.radius, 'radius')}"`
          : `type="box" size="${fmtList(
              prim.size.map((x) => x / 2),
              'box half size',
            )}"`;
      L.push(`      <geom name="${ob.name}_collision_0" class="collision" ${shape} pos="${fmtList(prim.centre, 'primitive centre')}"${extra}/>`);
    } else {
      ob.collisionFiles.forEach((_, k) => L.push(`      <geom name="${ob.name}_collision_${k}" class="collision" mesh="${ob.name}_collision_${k}"${extra}/>`));
    }
    L.push('    </body>');
  }
  L.push('  </worldbody>');
  L.push('</mujoco>');
  return L.join('\n') + '\n';
}
