/**
 * GLB of the whole scene for viewers (glTF-Transform).
 *
 * Frames: glTF is y up, metres. Our world is z up (REP 103). Rather than rewriting vertex
 * data, the root node `world` carries a −90° rotation about x, which maps (x, y, z)_world to
 * (x, z, −y)_glTF: world up (z) becomes glTF up (y). Each object is a child node named by its
 * object id (unsanitised: glTF names are JSON strings) with the object pose as translation +
 * rotation (glTF quaternions are x, y, z, w like ours) and its visual mesh in the object frame.
 * Node extras keep label, mass and the static flag. Every primitive carries NORMAL: the mesh's
 * own, or smooth normals split at creases (normals.ts), so curved objects do not look faceted.
 */
import { Document, NodeIO } from '@gltf-transform/core';
import type { Mesh } from '../model/geometry.ts';
import type { Pose } from '../model/pose.ts';
import type { Scene } from '../model/scene.ts';
import type { TaskRef } from '../stages/tasks.ts';
import { prepareScene, type PreparedScene } from './prepare.ts';
import { isPrepared } from './urdf.ts';
import { creasedNormals } from './normals.ts';

export const Z_UP_TO_Y_UP: [number, number, number, number] = [-Math.SQRT1_2, 0, 0, Math.SQRT1_2];

export async function toGlb(input: Scene | PreparedScene): Promise<Uint8Array> {
  return glbOfObjects(glbObjects(isPrepared(input) ? input : prepareScene(input)));
}

/** What the GLB takes of each prepared object: a small input to send to another thread. */
export interface GlbObject {
  id: string;
  label: string;
  name: string;
  color?: readonly [number, number, number];
  visual: Mesh;
  pose: Pose;
  mass: number;
  isStatic: boolean;
}

export function glbObjects(prep: PreparedScene): GlbObject[] {
  return prep.objects.map((ob) => ({
    id: ob.source.id,
    label: ob.source.label,
    name: ob.name,
    ...(ob.source.color ? { color: ob.source.color } : {}),
    visual: ob.visual,
    pose: ob.pose,
    mass: ob.mass,
    isStatic: ob.isStatic,
  }));
}

export async function glbOfObjects(objects: readonly GlbObject[]): Promise<Uint8Array> {
  const doc = new Document();
  doc.getRoot().getAsset().generator = 'real2sim';
  const buffer = doc.createBuffer();
  const scene = doc.createScene('scene');
  const root = doc.createNode('world').setRotation(Z_UP_TO_Y_UP);
  scene.addChild(root);
  doc.getRoot().setDefaultScene(scene);
  for (const ob of objects) {
    const m = ob.visual;
    const c = ob.color ?? [0.7, 0.7, 0.7];
    const material = doc.createMaterial(ob.id).setBaseColorFactor([c[0], c[1], c[2], 1]).setRoughnessFactor(0.8).setMetallicFactor(0);
    // the mesh's own normals when it has them, else smooth ones split at creases
    const shaded = m.normals && m.normals.length === m.positions.length ? { positions: m.positions, normals: m.normals, indices: m.indices } : creasedNormals(m);
    const position = doc.createAccessor().setType('VEC3').setArray(new Float32Array(shaded.positions)).setBuffer(buffer);
    const indices = doc.createAccessor().setType('SCALAR').setArray(new Uint32Array(shaded.indices)).setBuffer(buffer);
    const normal = doc.createAccessor().setType('VEC3').setArray(new Float32Array(shaded.normals)).setBuffer(buffer);
    const prim = doc.createPrimitive().setAttribute('POSITION', position).setAttribute('NORMAL', normal).setIndices(indices).setMaterial(material);
    const mesh = doc.createMesh(ob.id).addPrimitive(prim);
    const node = doc
      .createNode(ob.id)
      .setMesh(mesh)
      .setTranslation([...ob.pose.position])
      .setRotation([...ob.pose.orientation])
      .setExtras({ label: ob.label, mass: ob.mass, isStatic: ob.isStatic, name: ob.name });
    root.addChild(node);
  }
  return new NodeIO().writeBinary(doc);
}

/** The GLB as a task: the bundle job has a pool worker make it while this thread writes the rest. */
export const GLB_TASK: TaskRef<readonly GlbObject[], Uint8Array> = { module: import.meta.url, name: 'glbOfObjects', fn: glbOfObjects };
