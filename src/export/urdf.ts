/**
 * URDF: a `world` root link and one link per object, joined to the world by a `floating`
 * joint (movable) or a `fixed` joint (static furniture, support surfaces).
 *
 * Frames: each link's frame is the object frame (`SceneObject.pose`, z up, origin at the
 * object's box centre); the joint `<origin>` is that pose in the world. `<inertial>` sits at
 * the centre of mass with axes parallel to the link frame, so the tensor is written as stored.
 * Meshes are OBJ files referenced relative to the URDF (or as `package://<pkg>/…`).
 *
 * The `<mujoco><compiler meshdir discardvisual/></mujoco>` block lets MuJoCo load this same
 * file: `strippath` keeps only the mesh file name (also of `package://` URIs), looked up in
 * `meshdir` relative to the URDF.
 */
import type { Scene } from '../model/scene.ts';
import { fmt, fmtList, xmlComment, xmlEscape } from './names.ts';
import { rpyOf } from './frames.ts';
import { prepareScene, type PreparedScene } from './prepare.ts';

export interface UrdfOptions {
  /** Robot name (sanitised by the caller if it comes from outside). */
  name?: string;
  /** When set, mesh URIs are `package://<packageName>/<path>` instead of relative paths. */
  packageName?: string;
  /** Joint type for movable objects. */
  movableJoint?: 'floating' | 'fixed';
  /** Add the `<mujoco>` compiler block. */
  mujocoBlock?: boolean;
}

export const URDF_DEFAULTS: Required<Omit<UrdfOptions, 'packageName'>> & { packageName: string | undefined } = {
  name: 'real2sim_scene',
  packageName: undefined,
  movableJoint: 'floating',
  mujocoBlock: true,
};

/** First comment of every scene file we write: who wrote it and the world frame's conventions. */
export const WRITTEN_BY_COMMENT = '<!-- Written by real2sim. World frame: x forward, y left, z up (REP 103); metres, kilograms, radians. -->';

export function isPrepared(x: Scene | PreparedScene): x is PreparedScene {
  return 'report' in x && 'scene' in x && Array.isArray((x as PreparedScene).objects) && 'support' in x;
}

export function meshUri(path: string, packageName?: string): string {
  return packageName ? `package://${packageName}/${path}` : path;
}

export function toUrdf(input: Scene | PreparedScene, options: UrdfOptions = {}): string {
  const o = { ...URDF_DEFAULTS, ...definedOnly(options) };
  const prep = isPrepared(input) ? input : prepareScene(input);
  const lines: string[] = [];
  const L = (s: string) => lines.push(s);
  L('<?xml version="1.0" encoding="utf-8"?>');
  L(WRITTEN_BY_COMMENT);
  L(`<robot name="${xmlEscape(o.name)}">`);
  if (o.mujocoBlock) {
    L('  <mujoco>');
    // strippath: MuJoCo 2.x strips mesh paths in URDF by default, 3.x does not; say it.
    L('    <compiler meshdir="meshes" discardvisual="true" strippath="true"/>');
    L('  </mujoco>');
  }
  L('  <link name="world"/>');
  for (const ob of prep.objects) {
    const s = ob.source;
    const c = s.color ?? [0.7, 0.7, 0.7];
    const I = ob.inertia;
    L(`  <!-- ${xmlComment(`id: ${s.id}; label: ${s.label}`)} -->`);
    L(`  <link name="${ob.name}">`);
    L('    <inertial>');
    L(`      <origin xyz="${fmtList(ob.centerOfMass, 'centre of mass')}" rpy="0 0 0"/>`);
    L(`      <mass value="${fmt(ob.mass, 'mass')}"/>`);
    L(`      <inertia ixx="${fmt(I.ixx)}" ixy="${fmt(I.ixy)}" ixz="${fmt(I.ixz)}" iyy="${fmt(I.iyy)}" iyz="${fmt(I.iyz)}" izz="${fmt(I.izz)}"/>`);
    L('    </inertial>');
    L(`    <visual name="${ob.name}_visual">`);
    L('      <origin xyz="0 0 0" rpy="0 0 0"/>');
    L(`      <geometry><mesh filename="${xmlEscape(meshUri(ob.visualFile, o.packageName))}"/></geometry>`);
    L(`      <material name="${ob.name}_material"><color rgba="${fmtList([c[0], c[1], c[2], 1], 'colour')}"/></material>`);
    L('    </visual>');
    ob.collisionFiles.forEach((file, k) => {
      L(`    <collision name="${ob.name}_collision_${k}">`);
      L('      <origin xyz="0 0 0" rpy="0 0 0"/>');
      L(`      <geometry><mesh filename="${xmlEscape(meshUri(file, o.packageName))}"/></geometry>`);
      L('    </collision>');
    });
    L('  </link>');
    const type = ob.isStatic ? 'fixed' : o.movableJoint;
    L(`  <joint name="${ob.name}_joint" type="${type}">`);
    L('    <parent link="world"/>');
    L(`    <child link="${ob.name}"/>`);
    L(`    <origin xyz="${fmtList(ob.pose.position, 'position')}" rpy="${fmtList(rpyOf(ob.pose.orientation), 'orientation')}"/>`);
    L('  </joint>');
  }
  L('</robot>');
  return lines.join('\n') + '\n';
}

/** Options merged without letting `undefined` overwrite a default. */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
