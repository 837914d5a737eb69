/**
 * Mesh ⇄ GLB (binary glTF 2.0) through @gltf-transform/core: the shape endpoint answers GLB,
 * the pose endpoint takes GLB, and the research-model importers read GLB scenes.
 * glTF is y-up by convention, but these helpers copy coordinates as they are; callers that
 * change frames say so where they do it.
 */
import { Document, NodeIO, type Node as GltfNode } from '@gltf-transform/core';
import { Real2SimError } from '../model/errors.ts';
import type { Mesh } from '../model/geometry.ts';

const io = new NodeIO();

/** One triangle mesh as a GLB with a single node. */
export async function meshToGlb(mesh: Mesh, name = 'object'): Promise<Uint8Array> {
  return meshesToGlb([{ name, mesh }]);
}

/** Several meshes, one node each (identity transforms), as one GLB scene. */
export async function meshesToGlb(items: readonly { name: string; mesh: Mesh; matrix?: number[] }[]): Promise<Uint8Array> {
  const doc = new Document();
  const buffer = doc.createBuffer();
  const scene = doc.createScene('scene');
  for (const { name, mesh, matrix } of items) {
    const pos = doc.createAccessor().setType('VEC3').setArray(mesh.positions.slice()).setBuffer(buffer);
    const ind = doc.createAccessor().setType('SCALAR').setArray(mesh.indices.slice()).setBuffer(buffer);
    const prim = doc.createPrimitive().setAttribute('POSITION', pos).setIndices(ind);
    const node = doc.createNode(name).setMesh(doc.createMesh(name).addPrimitive(prim));
    // glTF matrices are column-major; `matrix` here is row-major 4×4 like the rest of the project
    if (matrix) node.setMatrix([0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15].map((k) => matrix[k]!) as never);
    scene.addChild(node);
  }
  return io.writeBinary(doc);
}

export interface GlbNodeMesh {
  name: string;
  /** Vertices transformed by the node's world matrix. */
  mesh: Mesh;
}

/** Every node that carries a mesh, with its triangles in scene coordinates. */
export async function glbNodeMeshes(bytes: Uint8Array): Promise<GlbNodeMesh[]> {
  let doc: Document;
  try {
    // gltf-transform views the bytes as Uint32: a slice of a larger buffer may be misaligned
    doc = await io.readBinary(bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes));
  } catch (cause) {
    throw new Real2SimError('BAD_MESH', `Not a readable GLB file: ${(cause as Error).message}`, {}, cause);
  }
  const out: GlbNodeMesh[] = [];
  const visit = (node: GltfNode) => {
    const m = node.getMesh();
    if (m) {
      const world = node.getWorldMatrix();
      const pos: number[] = [];
      const idx: number[] = [];
      for (const prim of m.listPrimitives()) {
        if (prim.getMode() !== 4) continue; // TRIANGLES only
        const pa = prim.getAttribute('POSITION');
        if (!pa) continue;
        const base = pos.length / 3;
        const arr = pa.getArray()!;
        for (let i = 0; i < pa.getCount(); i++) {
          const x = arr[i * 3]!,
            y = arr[i * 3 + 1]!,
            z = arr[i * 3 + 2]!;
          pos.push(world[0] * x + world[4] * y + world[8] * z + world[12], world[1] * x + world[5] * y + world[9] * z + world[13], world[2] * x + world[6] * y + world[10] * z + world[14]);
        }
        const ia = prim.getIndices();
        if (ia) {
          const a = ia.getArray()!;
          for (let i = 0; i < a.length; i++) idx.push(base + a[i]!);
        } else for (let i = 0; i < pa.getCount(); i++) idx.push(base + i);
      }
      // a mirroring node matrix flips the winding: keep triangles counter-clockwise from outside
      const det = world[0] * (world[5] * world[10] - world[6] * world[9]) - world[4] * (world[1] * world[10] - world[2] * world[9]) + world[8] * (world[1] * world[6] - world[2] * world[5]);
      if (det < 0) for (let t = 0; t < idx.length; t += 3) [idx[t + 1], idx[t + 2]] = [idx[t + 2]!, idx[t + 1]!];
      if (idx.length > 0) out.push({ name: node.getName() || m.getName() || `node_${out.length}`, mesh: { positions: new Float32Array(pos), indices: new Uint32Array(idx) } });
    }
    for (const child of node.listChildren()) visit(child);
  };
  const scene = doc.getRoot().getDefaultScene() ?? doc.getRoot().listScenes()[0];
  if (!scene) throw new Real2SimError('BAD_MESH', 'The GLB file has no scene.');
  for (const n of scene.listChildren()) visit(n);
  return out;
}

/** All triangles of a GLB merged into one mesh (scene coordinates). */
export async function glbToMesh(bytes: Uint8Array): Promise<Mesh> {
  const parts = await glbNodeMeshes(bytes);
  if (parts.length === 0) throw new Real2SimError('BAD_MESH', 'The GLB file holds no triangle mesh.');
  let nv = 0,
    ni = 0;
  for (const p of parts) {
    nv += p.mesh.positions.length;
    ni += p.mesh.indices.length;
  }
  const positions = new Float32Array(nv);
  const indices = new Uint32Array(ni);
  let ov = 0,
    oi = 0;
  for (const p of parts) {
    positions.set(p.mesh.positions, ov);
    const base = ov / 3;
    for (let i = 0; i < p.mesh.indices.length; i++) indices[oi + i] = p.mesh.indices[i]! + base;
    ov += p.mesh.positions.length;
    oi += p.mesh.indices.length;
  }
  return { positions, indices };
}
