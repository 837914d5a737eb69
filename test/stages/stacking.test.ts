import { describe, expect, it } from 'vitest';
import { restingHeights } from '../../src/stages/stacking.ts';

/** Points on the camera-facing (−x) side and top of an axis-aligned box, world frame. */
function visibleBox(cx: number, cy: number, z0: number, sx: number, sy: number, sz: number): Float32Array {
  const out: number[] = [];
  for (let i = 0; i <= 12; i++) for (let j = 0; j <= 12; j++) {
    out.push(cx - sx / 2, cy - sy / 2 + (sy * i) / 12, z0 + (sz * j) / 12); // front face
    out.push(cx - sx / 2 + (sx * i) / 12, cy - sy / 2 + (sy * j) / 12, z0 + sz); // top face
  }
  return Float32Array.from(out);
}

describe('restingHeights: what each object stands on', () => {
  it('a box on a box rests on the lower box top; the lower one on the support', () => {
    const h = restingHeights([
      { id: 1, world: visibleBox(0, 0, 0, 0.3, 0.2, 0.06) },
      { id: 2, world: visibleBox(0.02, 0, 0.06, 0.1, 0.1, 0.08) },
    ]);
    expect([...h.keys()]).toEqual([2]);
    expect(h.get(2)).toBeCloseTo(0.06, 3);
  });

  it('a T: a wide box on a narrow pillar whose visible face lies in front of it rests on the pillar, not the base', () => {
    const h = restingHeights([
      { id: 1, world: visibleBox(0, 0, 0, 0.3, 0.2, 0.06) },
      { id: 2, world: visibleBox(0, 0, 0.06, 0.05, 0.05, 0.2) }, // pillar, top at 0.26
      { id: 3, world: visibleBox(0.04, 0, 0.26, 0.1, 0.15, 0.05) }, // set back 1.5 cm behind the pillar's face
    ]);
    expect(h.get(2)).toBeCloseTo(0.06, 3);
    expect(h.get(3)).toBeCloseTo(0.26, 2);
  });

  it('side by side on the support: nothing rests on anything', () => {
    expect(restingHeights([
      { id: 1, world: visibleBox(0, 0, 0, 0.1, 0.1, 0.1) },
      { id: 2, world: visibleBox(0, 0.15, 0, 0.1, 0.1, 0.2) },
    ]).size).toBe(0);
  });
});
