import { describe, expect, it } from 'vitest';
import { NodeIO } from '@gltf-transform/core';
import { toGlb } from '../../src/export/glb.ts';
import { transformPositions } from '../../src/model/pose.ts';
import { boundsOf } from '../../src/model/geometry.ts';
import { generateSynthScene } from '../../src/eval/synth.ts';
import { fixedScene } from './fixtures.ts';
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
    const min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
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
