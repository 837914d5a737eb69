import { describe, expect, it } from 'vitest';
import { compose, densityFor, DENSITY_TABLE, objectId } from '../../src/stages/compose.ts';
import { boxMesh, mergeMeshes, translateMesh } from '../../src/geometry/primitives.ts';
import { isPhysicalInertia } from '../../src/geometry/massProperties.ts';
import type { PlacedObject } from '../../src/stages/place.ts';

const lifted = (id: number) => ({ id, label: 'x', pixels: new Uint32Array(), cloud: { positions: new Float32Array(), colors: Uint8Array.from([255, 0, 0]) }, maskPixels: 0 });
const placed = (id: number, label: string, mesh = boxMesh(0.1, 0.2, 0.3)): PlacedObject => ({
  id,
  label,
  pose: { position: [0, 0, 0.15], orientation: [0, 0, 0, 1] },
  size: [0.1, 0.2, 0.3],
  mesh,
  symmetry: 'rot2',
  concave: false,
  source: lifted(id),
});

describe('compose stage', () => {
  it('mass = volume × density from the label table, exact box inertia, one hull for a convex object', async () => {
    const { output } = await compose()({ objects: [placed(1, 'Cardboard Box')] });
    const o = output.objects[0]!;
    const m = 0.1 * 0.2 * 0.3 * DENSITY_TABLE['box']!;
    expect(o.mass).toBeCloseTo(m, 5);
    expect(o.inertia.ixx).toBeCloseTo((m * (0.2 ** 2 + 0.3 ** 2)) / 12, 6);
    expect(o.inertia.izz).toBeCloseTo((m * (0.1 ** 2 + 0.2 ** 2)) / 12, 6);
    expect(isPhysicalInertia(o.inertia)).toBe(true);
    expect(o.centerOfMass.map((c) => Math.abs(c) < 1e-6)).toEqual([true, true, true]);
    expect(o.collision.length).toBe(1);
    expect(o.id).toBe('cardboard_box_1');
    expect(o.color![0]).toBeCloseTo(1, 6);
    expect(o.instanceId).toBe(1);
  });

  it('default density for unknown labels, and overrides win over the table', async () => {
    expect(densityFor('zorblax', DENSITY_TABLE, 432)).toBe(432);
    expect(densityFor('coffee mug', DENSITY_TABLE, 1)).toBe(DENSITY_TABLE['mug']);
    const { output } = await compose({ defaultDensity: 100, densities: { mug: 2000 } })({ objects: [placed(1, 'mug'), placed(2, 'thing')] });
    expect(output.objects[0]!.mass).toBeCloseTo(0.006 * 2000, 4);
    expect(output.objects[1]!.mass).toBeCloseTo(0.006 * 100, 5);
  });

  it('a concave object gets its decomposition (or one hull and a warning without one)', async () => {
    // a U of three boxes: hull volume ≫ mesh volume
    const u = mergeMeshes([translateMesh(boxMesh(0.02, 0.1, 0.1), -0.04, 0, 0), translateMesh(boxMesh(0.02, 0.1, 0.1), 0.04, 0, 0), translateMesh(boxMesh(0.1, 0.1, 0.02), 0, 0, -0.04)]);
    const pieces = [translateMesh(boxMesh(0.02, 0.1, 0.1), -0.04, 0, 0), translateMesh(boxMesh(0.02, 0.1, 0.1), 0.04, 0, 0), translateMesh(boxMesh(0.1, 0.1, 0.02), 0, 0, -0.04)];
    const withDecomp = await compose({ decompose: () => pieces })({ objects: [placed(1, 'u', u)] });
    expect(withDecomp.output.objects[0]!.collision.length).toBe(3);
    expect(withDecomp.report.counts['concave']).toBe(1);
    const without = await compose({ decompose: null })({ objects: [placed(1, 'u', u)] });
    expect(without.output.objects[0]!.collision.length).toBe(1);
    expect(without.report.warnings.join()).toMatch(/concave/);
  });

  it('objects with no volume are dropped with a warning, never exported', async () => {
    const flat = { positions: Float32Array.from([0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0]), indices: Uint32Array.from([0, 1, 2, 1, 3, 2]) };
    const { output, report } = await compose()({ objects: [placed(1, 'sheet', flat)] });
    expect(output.objects).toEqual([]);
    expect(report.warnings.join()).toMatch(/sheet/);
    expect(objectId('  ', 5)).toBe('object_5');
  });
});
