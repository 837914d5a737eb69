/**
 * SDF 1.9 (Gazebo / libsdformat): a world with physics, a sun and a ground plane at the
 * support plane, one `<model>` per object; and a standalone `model.sdf` + `model.config` per
 * object for a Gazebo resource path (`models/<name>/`, spawnable by name).
 *
 * Frames: `<model><pose>` is the object pose in the world (x y z roll pitch yaw, see
 * frames.ts); the single link sits at the model origin; `<inertial><pose>` is the centre of
 * mass in the link frame, inertia axes parallel to the link frame.
 * URIs: world meshes are relative to the world file (`meshes/<name>.obj`); standalone models
 * carry their own copies and use `model://<name>/meshes/...` or relative `meshes/...`.
 */
import type { Scene, SceneObject } from '../model/scene.ts';
import { fmt, fmtList, xmlComment, xmlEscape } from './names.ts';
import { rpyOf } from './frames.ts';
import { prepareScene, type ExportObject, type PreparedScene } from './prepare.ts';
import { isPrepared, modelMeshPath, WRITTEN_BY_COMMENT } from './urdf.ts';
import { defined } from '../model/options.ts';
import { SURFACE_DEFAULTS, type Surface } from './surface.ts';
import { quatFromMat3, type Quat, type Vec3 } from '../model/pose.ts';

export interface SdfOptions {
  worldName?: string;
  /** Physics step, seconds. 1 ms keeps small objects (a few cm) from jittering. */
  maxStepSize?: number;
  /** How a standalone model refers to its meshes: `relative` (`meshes/x.obj`, resolved by
   * libsdformat against model.sdf) or `model` (`model://<name>/meshes/x.obj`). */
  modelUriStyle?: 'relative' | 'model';
  author?: string;
}

export const SDF_DEFAULTS: Required<SdfOptions> = {
  worldName: 'real2sim_world',
  maxStepSize: 0.001,
  modelUriStyle: 'model',
  author: 'real2sim',
};

function poseText(position: Vec3, q: Quat): string {
  return `${fmtList(position, 'position')} ${fmtList(rpyOf(q), 'orientation')}`;
}

/** Ground plane orientation: rotation taking +z to the support normal. */
function planeQuat(n: Vec3): Quat {
  const [nx, ny, nz] = n;
  // Build an orthonormal frame with z = n.
  const ax: Vec3 = Math.abs(nz) < 0.9 ? [0, 0, 1] : [1, 0, 0];
  let x: Vec3 = [ax[1] * nz - ax[2] * ny, ax[2] * nx - ax[0] * nz, ax[0] * ny - ax[1] * nx];
  const xl = Math.hypot(...x);
  x = [x[0] / xl, x[1] / xl, x[2] / xl];
  const y: Vec3 = [ny * x[2] - nz * x[1], nz * x[0] - nx * x[2], nx * x[1] - ny * x[0]];
  if (Math.abs(nz - 1) < 1e-12) return [0, 0, 0, 1];
  return quatFromMat3([x[0], y[0], nx, x[1], y[1], ny, x[2], y[2], nz]);
}

/** Ground plane origin: the support plane's point closest to the world origin (−d·n). */
function planeOrigin(plane: { normal: Vec3; d: number }): Vec3 {
  const n = plane.normal;
  return [-plane.d * n[0], -plane.d * n[1], -plane.d * n[2]];
}

export { planeOrigin, planeQuat };

/** `<surface>` of a collision: ODE and Bullet friction, restitution, ODE contact softness. */
function surfaceText(f: Surface): string {
  return (
    `<surface><bounce><restitution_coefficient>${fmt(f.restitution)}</restitution_coefficient></bounce>` +
    `<friction><ode><mu>${fmt(f.friction)}</mu><mu2>${fmt(f.friction)}</mu2></ode><bullet><friction>${fmt(f.friction)}</friction><friction2>${fmt(f.friction)}</friction2><rolling_friction>${fmt(f.rolling)}</rolling_friction></bullet></friction>` +
    '<contact><ode><min_depth>0.0005</min_depth><max_vel>0.1</max_vel></ode></contact></surface>'
  );
}

function linkLines(ob: ExportObject, uri: (path: string) => string, indent: string): string[] {
  const I = ob.inertia;
  const c = ob.source.color ?? [0.7, 0.7, 0.7];
  const L: string[] = [];
  const p = (s: string) => L.push(indent + s);
  p('<link name="link">');
  p('  <inertial>');
  p(`    <pose>${fmtList(ob.centerOfMass, 'centre of mass')} 0 0 0</pose>`);
  p(`    <mass>${fmt(ob.mass, 'mass')}</mass>`);
  p(`    <inertia><ixx>${fmt(I.ixx)}</ixx><ixy>${fmt(I.ixy)}</ixy><ixz>${fmt(I.ixz)}</ixz><iyy>${fmt(I.iyy)}</iyy><iyz>${fmt(I.iyz)}</iyz><izz>${fmt(I.izz)}</izz></inertia>`);
  p('  </inertial>');
  const surface = surfaceText(ob.surface);
  const prim = ob.primitive;
  if (prim) {
    p('  <collision name="collision_0">');
    p(`    <pose>${fmtList(prim.centre, 'primitive centre')} 0 0 0</pose>`);
    if (prim.kind === 'sphere') p(`    <geometry><sphere><radius>${fmt(prim.radius, 'radius')}</radius></sphere></geometry>`);
    else p(`    <geometry><box><size>${fmtList(prim.size, 'box size')}</size></box></geometry>`);
    p(`    ${surface}`);
    p('  </collision>');
  } else {
    ob.collisionFiles.forEach((file, k) => {
      p(`  <collision name="collision_${k}">`);
      p(`    <geometry><mesh><uri>${xmlEscape(uri(file))}</uri></mesh></geometry>`);
      p(`    ${surface}`);
      p('  </collision>');
    });
  }
  p('  <visual name="visual">');
  p(`    <geometry><mesh><uri>${xmlEscape(uri(ob.visualFile))}</uri></mesh></geometry>`);
  const rgba = fmtList([c[0], c[1], c[2], 1], 'colour');
  p(`    <material><ambient>${rgba}</ambient><diffuse>${rgba}</diffuse></material>`);
  p('  </visual>');
  p('</link>');
  return L;
}

function modelLines(ob: ExportObject, uri: (path: string) => string, indent: string, withPose: boolean): string[] {
  const L: string[] = [];
  L.push(`${indent}<!-- ${xmlComment(`id: ${ob.source.id}; label: ${ob.source.label}`)} -->`);
  L.push(`${indent}<model name="${ob.name}">`);
  L.push(`${indent}  <static>${ob.isStatic ? 'true' : 'false'}</static>`);
  if (withPose) L.push(`${indent}  <pose>${poseText(ob.pose.position, ob.pose.orientation)}</pose>`);
  L.push(...linkLines(ob, uri, indent + '  '));
  L.push(`${indent}</model>`);
  return L;
}

export function toSdfWorld(input: Scene | PreparedScene, options: SdfOptions = {}): string {
  const o = { ...SDF_DEFAULTS, ...defined(options) };
  const prep = isPrepared(input) ? input : prepareScene(input);
  const n = prep.support.normal;
  const origin = planeOrigin(prep.support);
  const L: string[] = [];
  L.push('<?xml version="1.0" encoding="utf-8"?>');
  L.push(WRITTEN_BY_COMMENT);
  L.push('<sdf version="1.9">');
  L.push(`  <world name="${xmlEscape(o.worldName)}">`);
  L.push('    <physics name="default_physics" default="true" type="ode">');
  L.push(`      <max_step_size>${fmt(o.maxStepSize)}</max_step_size>`);
  L.push('      <real_time_factor>1</real_time_factor>');
  L.push(`      <real_time_update_rate>${fmt(1 / o.maxStepSize)}</real_time_update_rate>`);
  L.push('    </physics>');
  L.push('    <gravity>0 0 -9.81</gravity>');
  L.push('    <scene><ambient>0.4 0.4 0.4 1</ambient><background>0.7 0.7 0.7 1</background><shadows>true</shadows></scene>');
  L.push('    <light type="directional" name="sun">');
  L.push('      <cast_shadows>true</cast_shadows>');
  L.push('      <pose>0 0 10 0 0 0</pose>');
  L.push('      <diffuse>0.8 0.8 0.8 1</diffuse>');
  L.push('      <specular>0.2 0.2 0.2 1</specular>');
  L.push('      <attenuation><range>1000</range><constant>0.9</constant><linear>0.01</linear><quadratic>0.001</quadratic></attenuation>');
  L.push('      <direction>-0.5 0.1 -0.9</direction>');
  L.push('    </light>');
  L.push('    <model name="ground_plane">');
  L.push('      <static>true</static>');
  L.push(`      <pose>${poseText(origin, planeQuat(n))}</pose>`);
  L.push('      <link name="link">');
  L.push('        <collision name="collision"><geometry><plane><normal>0 0 1</normal><size>100 100</size></plane></geometry>');
  L.push(`          ${surfaceText(prep.objects[0]?.surface ?? SURFACE_DEFAULTS)}</collision>`);
  L.push('        <visual name="visual"><geometry><plane><normal>0 0 1</normal><size>100 100</size></plane></geometry>');
  L.push('          <material><ambient>0.8 0.8 0.8 1</ambient><diffuse>0.8 0.8 0.8 1</diffuse></material></visual>');
  L.push('      </link>');
  L.push('    </model>');
  for (const ob of prep.objects) L.push(...modelLines(ob, (p) => p, '    ', true));
  L.push('  </world>');
  L.push('</sdf>');
  return L.join('\n') + '\n';
}

export { modelMeshPath };

/**
 * Standalone `model.sdf` (pose at the origin: the spawner places it) and `model.config` for
 * `models/<name>/`. Accepts a prepared object, or a raw object (prepared alone: its name is
 * then the sanitised id).
 */
export function toSdfModel(object: ExportObject | SceneObject, options: SdfOptions = {}): { sdf: string; config: string } {
  const o = { ...SDF_DEFAULTS, ...defined(options) };
  const ob: ExportObject = 'source' in object ? object : prepareScene({ version: 1, frameId: 'world', objects: [object], reports: [] }).objects[0]!;
  const uri = (file: string) => (o.modelUriStyle === 'model' ? `model://${ob.name}/${modelMeshPath(file)}` : modelMeshPath(file));
  const sdf = ['<?xml version="1.0" encoding="utf-8"?>', '<sdf version="1.9">', ...modelLines(ob, uri, '  ', false), '</sdf>'].join('\n') + '\n';
  const config =
    [
      '<?xml version="1.0" encoding="utf-8"?>',
      '<model>',
      `  <name>${ob.name}</name>`,
      '  <version>1.0</version>',
      '  <sdf version="1.9">model.sdf</sdf>',
      `  <author><name>${xmlEscape(o.author)}</name></author>`,
      `  <description>${xmlEscape(`${ob.source.label} (object ${ob.source.id}), reconstructed by real2sim`)}</description>`,
      '</model>',
    ].join('\n') + '\n';
  return { sdf, config };
}
