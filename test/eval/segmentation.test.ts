import { describe, expect, it } from 'vitest';
import { boundaryMap, scoreSegmentation, summariseScores } from '../../src/eval/segmentation.ts';

/** w×h label image with rectangles [u0, u1] × [v0, v1] (inclusive) set to their ids. */
function img(w: number, h: number, rects: [id: number, u0: number, u1: number, v0: number, v1: number][]): Uint16Array {
  const out = new Uint16Array(w * h);
  for (const [id, u0, u1, v0, v1] of rects) for (let v = v0; v <= v1; v++) for (let u = u0; u <= u1; u++) out[v * w + u] = id;
  return out;
}

// Expected values below are worked out by hand from the protocol's definitions.
describe('segmentation scoring (UOIS overlap / boundary protocol)', () => {
  it('identical instances under other ids score 1 everywhere', () => {
    const t = img(20, 20, [
      [1, 0, 4, 0, 9],
      [2, 10, 14, 5, 15],
    ]);
    const p = img(20, 20, [
      [7, 0, 4, 0, 9],
      [3, 10, 14, 5, 15],
    ]);
    const s = scoreSegmentation(p, t, 20, 20, { boundaryPixels: 1 });
    expect([s.overlapP, s.overlapR, s.overlapF, s.boundaryP, s.boundaryR, s.boundaryF, s.detectedShare]).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(s.perObject).toEqual([
      { trueId: 1, predictedId: 7, f: 1 },
      { trueId: 2, predictedId: 3, f: 1 },
    ]);
  });

  it('two objects merged into one: P = R = 1/2 (only one match counts), nothing detected', () => {
    // truth: two 5×10 halves; prediction: one 10×10 segment. Pair F = 2·(1/2·1)/(3/2) = 2/3.
    const t = img(10, 10, [
      [1, 0, 4, 0, 9],
      [2, 5, 9, 0, 9],
    ]);
    const p = img(10, 10, [[1, 0, 9, 0, 9]]);
    const s = scoreSegmentation(p, t, 10, 10);
    expect(s.overlapP).toBeCloseTo(0.5, 12);
    expect(s.overlapR).toBeCloseTo(0.5, 12);
    expect(s.overlapF).toBeCloseTo(0.5, 12);
    expect(s.detected).toBe(0);
    expect(s.perObject.map((o) => o.f).sort()).toEqual([0, 2 / 3]);
  });

  it('one object split in two: P = R = 1/2, the unmatched piece counts against precision', () => {
    const t = img(20, 20, [[1, 5, 14, 5, 14]]);
    const p = img(20, 20, [
      [1, 5, 9, 5, 14],
      [2, 10, 14, 5, 14],
    ]);
    const s = scoreSegmentation(p, t, 20, 20);
    expect(s.overlapP).toBeCloseTo(0.5, 12);
    expect(s.overlapR).toBeCloseTo(0.5, 12);
    expect(s.detected).toBe(0);
    expect(s.predictedObjects).toBe(2);
  });

  it('a missed object: P = 1, R = 30/100, F = 0.6/1.3, half the objects detected', () => {
    const t = img(20, 20, [
      [1, 0, 2, 0, 9],
      [2, 10, 16, 0, 9],
    ]); // 30 and 70 pixels
    const p = img(20, 20, [[4, 0, 2, 0, 9]]);
    const s = scoreSegmentation(p, t, 20, 20);
    expect(s.overlapP).toBe(1);
    expect(s.overlapR).toBeCloseTo(0.3, 12);
    expect(s.overlapF).toBeCloseTo(0.6 / 1.3, 12);
    expect(s.detected).toBe(1);
    expect(s.detectedShare).toBe(0.5);
  });

  it('boundary map follows seg2bmap: a 4×4 square has 16 boundary pixels (the ring of [1,5]²)', () => {
    const b = boundaryMap(img(10, 10, [[1, 2, 5, 2, 5]]), 1, 10, 10);
    expect(b.count).toBe(16);
    for (let v = 0; v < 10; v++) {
      for (let u = 0; u < 10; u++) {
        const ring = u >= 1 && u <= 5 && v >= 1 && v <= 5 && (u === 1 || u === 5 || v === 1 || v === 5);
        expect(b.map[v * 10 + u]).toBe(ring ? 1 : 0);
      }
    }
  });

  it('a one-pixel shift: overlap F = 12/16 = 0.75 (counts as detected); boundary F 1 within 1 px, 8/16 within 0 px', () => {
    const t = img(10, 10, [[1, 2, 5, 2, 5]]);
    const p = img(10, 10, [[1, 3, 6, 2, 5]]);
    const near = scoreSegmentation(p, t, 10, 10, { boundaryPixels: 1 });
    expect(near.overlapF).toBe(0.75);
    expect(near.detected).toBe(1);
    expect([near.boundaryP, near.boundaryR, near.boundaryF]).toEqual([1, 1, 1]);
    const exact = scoreSegmentation(p, t, 10, 10, { boundaryPixels: 0 });
    expect([exact.boundaryP, exact.boundaryR, exact.boundaryF]).toEqual([0.5, 0.5, 0.5]);
  });

  it('edge cases: nothing predicted → P 1, R 0, F 0; both empty → all 1', () => {
    const t = img(8, 8, [[1, 0, 3, 0, 3]]);
    const none = scoreSegmentation(new Uint16Array(64), t, 8, 8);
    expect([none.overlapP, none.overlapR, none.overlapF, none.detectedShare]).toEqual([1, 0, 0, 0]);
    const empty = scoreSegmentation(new Uint16Array(64), new Uint16Array(64), 8, 8);
    expect([empty.overlapF, empty.boundaryF, empty.detectedShare]).toEqual([1, 1, 1]);
    expect(() => scoreSegmentation(new Uint16Array(63), t, 8, 8)).toThrow(/8×8/);
  });

  it('default boundary tolerance is ceil(0.003 · diagonal): 3 px at 640 × 480', () => {
    const t = img(640, 480, [[1, 100, 199, 100, 199]]);
    const shifted3 = img(640, 480, [[1, 103, 202, 100, 199]]);
    const shifted4 = img(640, 480, [[1, 104, 203, 100, 199]]);
    expect(scoreSegmentation(shifted3, t, 640, 480).boundaryF).toBe(1);
    expect(scoreSegmentation(shifted4, t, 640, 480).boundaryF).toBeLessThan(1);
  });

  it('overall figures are means over frames; the detected share pools objects', () => {
    const t = img(10, 10, [
      [1, 0, 4, 0, 9],
      [2, 5, 9, 0, 9],
    ]);
    const a = scoreSegmentation(t, t, 10, 10);
    const b = scoreSegmentation(img(10, 10, [[1, 0, 9, 0, 9]]), t, 10, 10);
    const s = summariseScores([a, b]);
    expect(s.overlapF).toBeCloseTo(0.75, 12);
    expect(s.detected).toBe(2);
    expect(s.detectedShare).toBe(0.5);
  });
});
