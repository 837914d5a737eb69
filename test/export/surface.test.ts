/** Collision primitives: a box only when the piece is exactly one, against the known shapes. */
import { describe, expect, it } from 'vitest';
import { exactBoxOf } from '../../src/export/surface.ts';
import { prepareScene } from '../../src/export/prepare.ts';
import { boxMesh, cylinderMesh, sphereMesh, translateMesh } from '../../src/geometry/primitives.ts';
import { convexHull } from '../../src/geometry/convexHull.ts';
import { quatFromAxisAngle, transformPositions } from '../../src/model/pose.ts';
import { makeObject } from './fixtures.ts';

describe('exactBoxOf', () => {
  it('finds an axis-aligned box (hull or 24-vertex mesh), off-centre, with its size and centre', () => {
    for (const m of [boxMesh(0.1, 0.2, 0.3), convexHull(boxMesh(0.1, 0.2, 0.3).positions)]) {
      const b = exactBoxOf(translateMesh(m, 0.01, -0.02, 0.03))!;
      expect(b).not.toBeNull();
      b.size.forEach((s, k) => expect(s).toBeCloseTo([0.1, 0.2, 0.3][k]!, 6));
      b.centre.forEach((c, k) => expect(c).toBeCloseTo([0.01, -0.02, 0.03][k]!, 6));
    }
  });
  it('rejects what is not exactly an axis-aligned box', () => {
    const rotated = { ...boxMesh(0.1, 0.2, 0.3), positions: transformPositions({ position: [0, 0, 0], orientation: quatFromAxisAngle([0, 0, 1], 0.3) }, boxMesh(0.1, 0.2, 0.3).positions) };
    expect(exactBoxOf(rotated)).toBeNull();
    expect(exactBoxOf(convexHull(cylinderMesh(0.05, 0.1, 4).positions))).toBeNull(); // a square prism turned 45°
    expect(exactBoxOf(convexHull(cylinderMesh(0.05, 0.1, 32).positions))).toBeNull();
    expect(exactBoxOf(convexHull(sphereMesh(0.05, 16, 8).positions))).toBeNull();
    const chamfered = convexHull(new Float32Array([...boxMesh(0.1, 0.1, 0.1).positions].map((v, i) => (i === 0 ? v * 0.9 : v))));
    expect(exactBoxOf(chamfered)).toBeNull();
  });
});

describe('prepareScene primitives', () => {
  it('a one-piece ball becomes a sphere on its mass centre, a box a box, a can stays pieces', () => {
    const prep = prepareScene({
      version: 1,
      frameId: 'world',
      objects: [
        makeObject('ball', 'ball', sphereMesh(0.04, 24, 12), [0.08, 0.08, 0.08], [0, 0, 0.04], [0, 0, 0, 1]),
        makeObject('box', 'box', boxMesh(0.1, 0.1, 0.2), [0.1, 0.1, 0.2], [0.3, 0, 0.1], [0, 0, 0, 1]),
        makeObject('can', 'can', cylinderMesh(0.03, 0.1, 24), [0.06, 0.06, 0.1], [0.6, 0, 0.05], [0, 0, 0, 1]),
      ],
      reports: [],
    });
    const [ball, box, can] = prep.objects;
    expect(ball!.primitive?.kind).toBe('sphere');
    expect(ball!.primitive!.kind === 'sphere' && ball!.primitive!.radius).toBeCloseTo(0.04, 6);
    expect(box!.primitive).toEqual({ kind: 'box', centre: [0, 0, 0], size: [0.1, 0.1, 0.2] });
    expect(can!.primitive).toBeUndefined();
    expect(ball!.surface).toEqual({ friction: 0.8, spinning: 0.005, rolling: 0.0001, restitution: 0 });
  });
});
