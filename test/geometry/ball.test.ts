import { describe, expect, it } from 'vitest';
import { ballCentre, ballOf } from '../../src/geometry/ball.ts';
import { boxMesh, cylinderMesh, sphereMesh, translateMesh } from '../../src/geometry/primitives.ts';

describe('ball fit', () => {
  it('finds a tessellated ball, off-centre, with its radius and box centre', () => {
    const b = ballOf(translateMesh(sphereMesh(0.05, 32, 16), 0.1, -0.2, 0.3));
    expect(b).not.toBeNull();
    expect(b!.radius).toBeCloseTo(0.05, 6);
    b!.centre.forEach((c, k) => expect(c).toBeCloseTo([0.1, -0.2, 0.3][k]!, 6));
  });

  it('refuses a box (its 24 corners are equidistant from the centre), a cylinder and a squashed ball', () => {
    expect(ballOf(boxMesh(0.1, 0.1, 0.1))).toBeNull();
    expect(ballOf(cylinderMesh(0.05, 0.1, 64))).toBeNull();
    const egg = sphereMesh(0.05, 32, 16);
    for (let i = 2; i < egg.positions.length; i += 3) egg.positions[i]! *= 1.05;
    expect(ballOf(egg)).toBeNull();
  });

  it('puts a one-piece ball on the mass centre only when the two are within 1 % of the radius', () => {
    const ball = { centre: [0, 0, 0.0003] as [number, number, number], radius: 0.05 };
    expect(ballCentre(ball, 1, [0, 0, 0])).toEqual([0, 0, 0]);
    expect(ballCentre(ball, 2, [0, 0, 0])).toEqual([0, 0, 0.0003]);
    expect(ballCentre({ ...ball, centre: [0, 0, 0.001] }, 1, [0, 0, 0])).toEqual([0, 0, 0.001]);
  });
});
