import { describe, expect, it } from 'vitest';
import { columnDecomposition } from '../../src/stages/decompose.ts';
import { latheMesh } from '../../src/geometry/primitives.ts';
import { meshVolume } from '../../src/geometry/massProperties.ts';
import { hullPlanes } from '../../src/stages/shapeGeometric.ts';
import type { Mesh } from '../../src/model/geometry.ts';

const inside = (m: Mesh, x: number, y: number, z: number) => {
  const pl = hullPlanes(m);
  for (let k = 0; k < pl.length; k += 4) if (pl[k]! * x + pl[k + 1]! * y + pl[k + 2]! * z > pl[k + 3]! + 1e-9) return false;
  return true;
};

describe('column decomposition', () => {
  // a cup: 8 cm wide, 10 cm tall, 6 mm walls and floor
  const r = 0.04,
    h = 0.1,
    w = 0.006;
  const cup = latheMesh(
    [
      [0, 0],
      [r, 0],
      [r, h],
      [r - w, h],
      [r - w, w],
      [0, w],
    ],
    48,
  );

  it('keeps a mug open: the cavity is free, the walls and floor are covered', () => {
    expect(meshVolume(cup)).toBeGreaterThan(0);
    const pieces = columnDecomposition(cup, { grid: 4, maxVertices: 64 });
    expect(pieces.length).toBeGreaterThan(4);
    expect(pieces.length).toBeLessThanOrEqual(16);
    for (const p of pieces) {
      expect(p.positions.length / 3).toBeLessThanOrEqual(64);
      expect(meshVolume(p)).toBeGreaterThan(0);
    }
    // a ball of radius 1.5 cm resting on the cup's floor: its centre and top are in no piece
    for (const z of [w + 0.015, w + 0.03, 0.08]) expect(pieces.some((p) => inside(p, 0, 0, z))).toBe(false);
    // the wall and the floor are solid
    expect(pieces.some((p) => inside(p, r - w / 2, 0, h / 2))).toBe(true);
    expect(pieces.some((p) => inside(p, 0.005, 0.005, w / 2))).toBe(true);
  });
});
