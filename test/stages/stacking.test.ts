import { describe, expect, it } from 'vitest';
import { boxMesh, translateMesh } from '../../src/geometry/primitives.ts';
import { meshTopUnder, restingHeights, restingSupports, settleContacts } from '../../src/stages/stacking.ts';

/** Points on the camera-facing (−x) side and top of an axis-aligned box, world frame. */
function visibleBox(cx: number, cy: number, z0: number, sx: number, sy: number, sz: number): Float32Array {
  const out: number[] = [];
  for (let i = 0; i <= 12; i++)
    for (let j = 0; j <= 12; j++) {
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
    expect(
      restingHeights([
        { id: 1, world: visibleBox(0, 0, 0, 0.1, 0.1, 0.1) },
        { id: 2, world: visibleBox(0, 0.15, 0, 0.1, 0.1, 0.2) },
      ]).size,
    ).toBe(0);
  });
});

describe('settleContacts: a stacked pair meets at one surface', () => {
  it("the upper box's seam points 6 mm below the lower box's top are raised onto it; the lower box and far points are untouched", () => {
    const lower = visibleBox(0, 0, 0, 0.3, 0.2, 0.06);
    const upper = visibleBox(0.02, 0, 0.06, 0.1, 0.1, 0.08);
    // depth noise at the seam: the upper box's lowest row measured 6 mm low
    for (let k = 2; k < upper.length; k += 3) if (Math.abs(upper[k]! - 0.06) < 1e-6) upper[k] = 0.054;
    const objects = [
      { id: 1, world: lower },
      { id: 2, world: upper },
    ];
    const supports = restingSupports(objects);
    expect(supports.get(2)?.on).toBe(1);
    // the lower box's highest point under the upper one: its top, 0.06
    expect(supports.get(2)!.height).toBeCloseTo(0.06, 4);
    const settled = settleContacts(objects, supports);
    expect(settled.has(1)).toBe(false);
    const z = Array.from({ length: settled.get(2)!.length / 3 }, (_, k) => settled.get(2)![k * 3 + 2]!);
    expect(Math.min(...z)).toBeCloseTo(0.06, 5);
    expect(Math.max(...z)).toBeCloseTo(0.14, 5);
  });
});

describe('meshTopUnder: the completed top of what an object rests on', () => {
  // a 30 × 20 × 6 cm box on the support (its top at z = 0.06), a 10 cm box standing on it
  const lower = translateMesh(boxMesh(0.3, 0.2, 0.06), 0, 0, 0.03);
  const upper = visibleBox(0.02, 0, 0.06, 0.1, 0.1, 0.08);

  it('is the lower box top under the upper box, not seam points of it a few millimetres higher', () => {
    // the lower box's measured points with 7 pixels of the upper box's foot labelled as it, 3 to 11 mm up
    const seam = Float32Array.from(Array.from({ length: 7 }, (_, k) => [-0.03, -0.04 + 0.01 * k, 0.063 + 0.00133 * k]).flat());
    const seen = visibleBox(0, 0, 0, 0.3, 0.2, 0.06);
    const lowerPoints = new Float32Array(seen.length + seam.length);
    lowerPoints.set(seen);
    lowerPoints.set(seam, seen.length);
    const fromPoints = restingSupports([
      { id: 1, world: lowerPoints },
      { id: 2, world: upper },
    ]).get(2)!.height;
    expect(fromPoints).toBeGreaterThan(0.068); // what the points alone say
    expect(meshTopUnder(lower, upper)).toBeCloseTo(0.06, 6);
  });

  it('is undefined where no vertical line through the points meets the mesh', () => {
    const beside = visibleBox(0.5, 0, 0, 0.1, 0.1, 0.08);
    expect(meshTopUnder(lower, beside)).toBeUndefined();
  });

  it('under points that overhang the mesh, the highest crossing of those over it', () => {
    const overhanging = visibleBox(0.15, 0, 0.06, 0.1, 0.1, 0.08); // half of it past the lower box's edge
    expect(meshTopUnder(lower, overhanging)).toBeCloseTo(0.06, 6);
  });
});
