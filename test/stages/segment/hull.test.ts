import { describe, expect, it } from 'vitest';
import { convexHull2d, insideHull } from '../../../src/stages/segment/hull.ts';

describe('segment/hull', () => {
  it('convexHull2d keeps the corners of a square, counter-clockwise, and drops interior and edge points', () => {
    const hull = convexHull2d([
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
      [0.5, 0.5],
      [0.5, 0],
      [0.2, 0.7],
    ]);
    expect(hull).toEqual([
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ]);
  });
  it('insideHull honours the margin', () => {
    const sq: [number, number][] = [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ];
    expect(insideHull(sq, 0.5, 0.5, 0)).toBe(true);
    expect(insideHull(sq, 1.05, 0.5, 0)).toBe(false);
    expect(insideHull(sq, 1.05, 0.5, 0.1)).toBe(true);
  });
});
