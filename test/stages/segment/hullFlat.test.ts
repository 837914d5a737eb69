import { describe, expect, it } from 'vitest';
import { convexHull2d } from '../../../src/stages/footprint.ts';
import { insideHull } from '../../../src/stages/stacking.ts';

describe('2-D hull helpers the segmentation uses (flat xy pairs)', () => {
  it('convexHull2d keeps the corners of a square, counter-clockwise, and drops interior and edge points', () => {
    const hull = convexHull2d([0, 0, 1, 0, 1, 1, 0, 1, 0.5, 0.5, 0.5, 0, 0.2, 0.7], 2);
    expect(Array.from(hull)).toEqual([0, 0, 1, 0, 1, 1, 0, 1]);
  });
  it('insideHull honours the margin, and a hull of fewer than three corners holds nothing', () => {
    const sq = Float64Array.from([0, 0, 1, 0, 1, 1, 0, 1]);
    expect(insideHull(sq, 0.5, 0.5, 0)).toBe(true);
    expect(insideHull(sq, 1.05, 0.5, 0)).toBe(false);
    expect(insideHull(sq, 1.05, 0.5, 0.1)).toBe(true);
    expect(insideHull(sq, 0.5, 0.5, -0.6)).toBe(false);
    expect(insideHull(Float64Array.from([0, 0, 1, 0]), 0.5, 0, 0.1)).toBe(false);
  });
});
