import { describe, expect, it } from 'vitest';
import { NodeIO } from '@gltf-transform/core';
import { toGlb } from '../../src/export/glb.ts';
import { transformPositions } from '../../src/model/pose.ts';
import { boundsOf } from '../../src/model/geometry.ts';
import { generateSynthScene } from '../../src/synth/synth.ts';
import { fixedScene, makeObject } from './fixtures.ts';
import { boxMesh, cylinderMesh, sphereMesh } from '../../src/geometry/primitives.ts';
import type { Mesh } from '../../src/model/geometry.ts';
import type { Scene } from '../../src/model/scene.ts';

/** Our world bounds of each object, converted to glTF y-up: (x, y, z) → (x, z, −y). */
function expectedBounds(scene: Scene) {
  return scene.objects.map((o) => {
    const w = transformPositions(o.pose, o.mesh.positions);
    const y = new Float32Array(w.length);
    for (let i = 0; i < w.length; i += 3) {
      y[i] = w[i]!;
      y[i + 1] = w[i + 2]!;
      y[i + 2] = -w[i + 1]!;
    }
    return boundsOf(y);
  });
}

async function loadBack(bytes: Uint8Array) {
  const doc = await new NodeIO().readBinary(bytes);
  const out = new Map<string, { min: number[]; max: number[] }>();
  for (const node of doc.getRoot().listNodes()) {
    const mesh = node.getMesh();
    if (!mesh) continue;
    const m = node.getWorldMatrix(); // column-major 4×4, includes the root's z-up → y-up turn
    const min = [Infinity, Infinity, Infinity],
      max = [-Infinity, -Infinity, -Infinity];
    for (const prim of mesh.listPrimitives()) {
      const pos = prim.getAttribute('POSITION')!;
      const v: number[] = [0, 0, 0];
      for (let i = 0; i < pos.getCount(); i++) {
        pos.getElement(i, v);
        for (let k = 0; k < 3; k++) {
          const x = m[k]! * v[0]! + m[4 + k]! * v[1]! + m[8 + k]! * v[2]! + m[12 + k]!;
          min[k] = Math.min(min[k]!, x);
          max[k] = Math.max(max[k]!, x);
        }
      }
    }
    out.set(node.getName(), { min, max });
  }
  return { doc, nodes: out };
}

describe('toGlb', () => {
  for (const [name, scene] of [
    ['fixed scene', fixedScene()],
    ['synthetic seed=7', generateSynthScene({ seed: 7, width: 32, height: 24 }).scene],
  ] as const) {
    it(`${name}: same object count and names, bounds within 1e-5 after z-up → y-up`, async () => {
      const bytes = await toGlb(scene);
      expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('glTF');
      const { doc, nodes } = await loadBack(bytes);
      expect(nodes.size).toBe(scene.objects.length);
      const want = expectedBounds(scene);
      scene.objects.forEach((o, i) => {
        const got = nodes.get(o.id);
        expect(got, `node ${o.id}`).toBeDefined();
        for (let k = 0; k < 3; k++) {
          expect(Math.abs(got!.min[k]! - want[i]!.min[k]!)).toBeLessThan(1e-5);
          expect(Math.abs(got!.max[k]! - want[i]!.max[k]!)).toBeLessThan(1e-5);
        }
      });
      // up is +y: every resting object is above the glTF ground (y ≥ 0 up to contact noise)
      for (const b of nodes.values()) expect(b.min[1]!).toBeGreaterThan(-1e-3);
      expect(doc.getRoot().listScenes()[0]!.listChildren()[0]!.getName()).toBe('world');
    });
  }
});

describe('GLB normals: smooth where the surface is smooth, split at creases', () => {
  /** Loads back one object's primitive: positions, normals, indices. */
  async function primitiveOf(scene: Scene) {
    const doc = await new NodeIO().readBinary(await toGlb(scene));
    const prim = doc.getRoot().listMeshes()[0]!.listPrimitives()[0]!;
    const normal = prim.getAttribute('NORMAL');
    expect(normal, 'NORMAL attribute').not.toBeNull();
    return { p: prim.getAttribute('POSITION')!.getArray()!, n: normal!.getArray()!, idx: prim.getIndices()!.getArray()! };
  }
  const one = (mesh: Mesh, size: [number, number, number]): Scene => ({ version: 1, frameId: 'world', objects: [makeObject('o', 'o', mesh, size, [0, 0, 0.1], [0, 0, 0, 1])], reports: [] });
  const strip = (m: Mesh): Mesh => ({ positions: m.positions, indices: m.indices }); // no authored normals

  it('a ball (welded at its seam): every normal is radial within 2°', async () => {
    const r = 0.05;
    const { p, n } = await primitiveOf(one(strip(sphereMesh(r, 32, 16)), [2 * r, 2 * r, 2 * r]));
    for (let i = 0; i < p.length; i += 3) {
      const l = Math.hypot(p[i]!, p[i + 1]!, p[i + 2]!);
      const cos = (p[i]! * n[i]! + p[i + 1]! * n[i + 1]! + p[i + 2]! * n[i + 2]!) / l;
      expect(cos).toBeGreaterThan(Math.cos((2 * Math.PI) / 180));
    }
  });

  it('a box: each corner split into 3 vertices, every normal the face normal', async () => {
    const { p, n, idx } = await primitiveOf(one(strip(boxMesh(0.1, 0.2, 0.3)), [0.1, 0.2, 0.3]));
    expect(p.length / 3).toBe(24);
    for (let t = 0; t < idx.length; t += 3) {
      const [a, b, c] = [idx[t]!, idx[t + 1]!, idx[t + 2]!].map((v) => v * 3) as [number, number, number];
      const u = [p[b]! - p[a]!, p[b + 1]! - p[a + 1]!, p[b + 2]! - p[a + 2]!];
      const v = [p[c]! - p[a]!, p[c + 1]! - p[a + 1]!, p[c + 2]! - p[a + 2]!];
      const f = [u[1]! * v[2]! - u[2]! * v[1]!, u[2]! * v[0]! - u[0]! * v[2]!, u[0]! * v[1]! - u[1]! * v[0]!];
      const l = Math.hypot(f[0]!, f[1]!, f[2]!);
      for (const k of [a, b, c]) expect((n[k]! * f[0]! + n[k + 1]! * f[1]! + n[k + 2]! * f[2]!) / l).toBeGreaterThan(1 - 1e-6);
    }
  });

  it('a cylinder: the side is smooth (radial normals), the caps flat, the rim split', async () => {
    const { p, n } = await primitiveOf(one(strip(cylinderMesh(0.04, 0.1, 48)), [0.08, 0.08, 0.1]));
    let side = 0,
      cap = 0;
    for (let i = 0; i < p.length; i += 3) {
      if (Math.abs(n[i + 2]!) > 0.999) cap++;
      else {
        const l = Math.hypot(p[i]!, p[i + 1]!);
        expect((p[i]! * n[i]! + p[i + 1]! * n[i + 1]!) / l, 'side normal radial').toBeGreaterThan(0.999);
        expect(Math.abs(n[i + 2]!)).toBeLessThan(1e-6);
        side++;
      }
    }
    expect(side).toBeGreaterThanOrEqual(96); // 48 around × 2 rims
    expect(cap).toBeGreaterThanOrEqual(96);
  });
});
