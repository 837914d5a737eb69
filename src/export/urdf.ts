/**
 * URDF: a `world` root link and one link per object, joined to the world by a `floating`
 * joint (movable) or a `fixed` joint (static furniture, support surfaces).
 *
 * Frames: each link's frame is the object frame (`SceneObject.pose`, z up, origin at the
 * object's box centre); the joint `<origin>` is that pose in the world. `<inertial>` sits at
 * the centre of mass with axes parallel to the link frame, so the tensor is written as stored.
 * Meshes are OBJ files referenced relative to the URDF (or as `package://<pkg>/…`).
 *
 * Gazebo: sdformat drops `floating` joints, so each gets a `<gazebo><frame>` of the joint's name
 * at its origin (see toUrdf); the file passes `ign sdf -k` and each object is a free link.
 * PyBullet turns `floating` into `fixed`: it loads the per-object `toUrdfModel` files instead.
 *
 * The `<mujoco><compiler meshdir discardvisual/></mujoco>` block lets MuJoCo load this same
 * file: `strippath` keeps only the mesh file name (also of `package://` URIs), looked up in
 * `meshdir` relative to the URDF.
 */
import type { Scene } from '../model/scene.ts';
import { fmt, fmtList, xmlComment, xmlEscape } from './names.ts';
import { rpyOf } from './frames.ts';
import { prepareScene, type ExportObject, type PreparedScene } from './prepare.ts';
import { mjcfSize, MJCF_DEFAULTS_TIMESTEP } from './mujocoSize.ts';
import { defined } from '../model/options.ts';

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
  return 'report' in x && 'scene' in x && Array.isArray(x.objects) && 'support' in x;
}

export function meshUri(path: string, packageName?: string): string {
  return packageName ? `package://${packageName}/${path}` : path;
}

/** What scene.urdf is for, said in the file itself (PyBullet cannot use it as a free-body scene). */
export const SCENE_URDF_NOTE =
  '<!-- For MuJoCo (the <mujoco> block below), Gazebo (a <gazebo> frame per floating joint), RViz/robot_state_publisher and other URDF tools. PyBullet and Isaac Sim: load models/<name>/model.urdf per object (PyBullet turns floating joints into fixed ones). -->';

/** Collision elements of one object: its primitive when it has one, else its convex pieces. */
function collisionLines(ob: ExportObject, uri: (path: string) => string, indent: string): string[] {
  const L: string[] = [];
  const p = ob.primitive;
  if (p) {
    L.push(`${indent}<collision name="${ob.name}_collision_0">`);
    L.push(`${indent}  <origin xyz="${fmtList(p.centre, 'primitive centre')}" rpy="0 0 0"/>`);
    if (p.kind === 'sphere') L.push(`${indent}  <geometry><sphere radius="${fmt(p.radius, 'radius')}"/></geometry>`);
    else L.push(`${indent}  <geometry><box size="${fmtList(p.size, 'box size')}"/></geometry>`);
    L.push(`${indent}</collision>`);
    return L;
  }
  ob.collisionFiles.forEach((file, k) => {
    L.push(`${indent}<collision name="${ob.name}_collision_${k}">`);
    L.push(`${indent}  <origin xyz="0 0 0" rpy="0 0 0"/>`);
    L.push(`${indent}  <geometry><mesh filename="${xmlEscape(uri(file))}"/></geometry>`);
    L.push(`${indent}</collision>`);
  });
  return L;
}

/**
 * One object's `<link>`: inertial, visual, collision, and PyBullet/Isaac Sim's `<contact>`
 * friction; followed by its `<gazebo reference>` friction (sdformat's URDF extension).
 */
function linkLines(ob: ExportObject, linkName: string, uri: (path: string) => string): string[] {
  const s = ob.source;
  const c = s.color ?? [0.7, 0.7, 0.7];
  const I = ob.inertia;
  const f = ob.surface;
  const L: string[] = [];
  L.push(`  <link name="${linkName}">`);
  L.push('    <inertial>');
  L.push(`      <origin xyz="${fmtList(ob.centerOfMass, 'centre of mass')}" rpy="0 0 0"/>`);
  L.push(`      <mass value="${fmt(ob.mass, 'mass')}"/>`);
  L.push(`      <inertia ixx="${fmt(I.ixx)}" ixy="${fmt(I.ixy)}" ixz="${fmt(I.ixz)}" iyy="${fmt(I.iyy)}" iyz="${fmt(I.iyz)}" izz="${fmt(I.izz)}"/>`);
  L.push('    </inertial>');
  L.push(`    <visual name="${ob.name}_visual">`);
  L.push('      <origin xyz="0 0 0" rpy="0 0 0"/>');
  L.push(`      <geometry><mesh filename="${xmlEscape(uri(ob.visualFile))}"/></geometry>`);
  L.push(`      <material name="${ob.name}_material"><color rgba="${fmtList([c[0], c[1], c[2], 1], 'colour')}"/></material>`);
  L.push('    </visual>');
  L.push(...collisionLines(ob, uri, '    '));
  // PyBullet's URDF convention, also read by Isaac Sim's URDF importer
  L.push(
    `    <contact><lateral_friction value="${fmt(f.friction)}"/><rolling_friction value="${fmt(f.rolling)}"/><spinning_friction value="${fmt(f.spinning)}"/><restitution value="${fmt(f.restitution)}"/></contact>`,
  );
  L.push('  </link>');
  L.push(`  <gazebo reference="${linkName}"><mu1>${fmt(f.friction)}</mu1><mu2>${fmt(f.friction)}</mu2></gazebo>`);
  return L;
}

export function toUrdf(input: Scene | PreparedScene, options: UrdfOptions = {}): string {
  const o = { ...URDF_DEFAULTS, ...defined(options) };
  const prep = isPrepared(input) ? input : prepareScene(input);
  const lines: string[] = [];
  const L = (s: string) => lines.push(s);
  const uri = (path: string) => meshUri(path, o.packageName);
  L('<?xml version="1.0" encoding="utf-8"?>');
  L(WRITTEN_BY_COMMENT);
  L(SCENE_URDF_NOTE);
  L(`<robot name="${xmlEscape(o.name)}">`);
  if (o.mujocoBlock) {
    L('  <mujoco>');
    // strippath: MuJoCo 2.x strips mesh paths in URDF by default, 3.x does not; say it.
    L('    <compiler meshdir="meshes" discardvisual="true" strippath="true"/>');
    const size = mjcfSize(prep);
    L(`    <size nconmax="${size.nconmax}" njmax="${size.njmax}"/>`);
    // scene.xml's step; MuJoCo's URDF import ignores <default>, so contact softness and
    // friction stay MuJoCo's defaults on this path
    L(`    <option timestep="${fmt(MJCF_DEFAULTS_TIMESTEP)}"/>`);
    L('  </mujoco>');
  }
  L('  <link name="world"/>');
  for (const ob of prep.objects) {
    L(`  <!-- ${xmlComment(`id: ${ob.source.id}; label: ${ob.source.label}`)} -->`);
    lines.push(...linkLines(ob, ob.name, uri));
    const type = ob.isStatic ? 'fixed' : o.movableJoint;
    L(`  <joint name="${ob.name}_joint" type="${type}">`);
    L('    <parent link="world"/>');
    L(`    <child link="${ob.name}"/>`);
    L(`    <origin xyz="${fmtList(ob.pose.position, 'position')}" rpy="${fmtList(rpyOf(ob.pose.orientation), 'orientation')}"/>`);
    L('  </joint>');
    // SDFormat (Gazebo) drops floating joints but still places the child link relative to the
    // joint's name: a frame of that name, at the joint's origin, makes the link a free body at
    // its pose there (copied into the SDF model by sdformat's URDF extension; others ignore it).
    if (type === 'floating') L(`  <gazebo><frame name="${ob.name}_joint"><pose>${fmtList(ob.pose.position, 'position')} ${fmtList(rpyOf(ob.pose.orientation), 'orientation')}</pose></frame></gazebo>`);
  }
  L('</robot>');
  return lines.join('\n') + '\n';
}

/**
 * Standalone `models/<name>/model.urdf`: one link, no joint, so every consumer loads it as a
 * free body (PyBullet `loadURDF(path, pos, orn)`, Isaac Sim's URDF importer with "fix base"
 * off, Gazebo `ign sdf`/spawn); the loader places it at the pose listed in
 * `models/index.json`. Meshes are the model folder's own copies (`meshes/…`, relative).
 */
export function toUrdfModel(ob: ExportObject): string {
  const uri = (path: string) => modelMeshPath(path);
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    WRITTEN_BY_COMMENT,
    `<!-- ${xmlComment(`id: ${ob.source.id}; label: ${ob.source.label}; ${ob.isStatic ? 'static: load with a fixed base' : 'free body'}; link frame = object frame, placed by the loader (models/index.json)`)} -->`,
    `<robot name="${ob.name}">`,
    ...linkLines(ob, ob.name, uri),
    '</robot>',
  ];
  return lines.join('\n') + '\n';
}

/** Mesh path of a standalone model's file inside `models/<name>/`. */
export function modelMeshPath(file: string): string {
  return `meshes/${file.slice(file.lastIndexOf('/') + 1)}`;
}
