import { describe, expect, it } from 'vitest';
import type { OrganizedCloud } from '../../../src/stages/organized.ts';
import { PERCEIVE_DEFAULTS } from '../../../src/stages/perceive.ts';
import { fillDepthHoles, growInto } from '../../../src/stages/segment/grow.ts';

/** A flat w×h cloud at depth 1 m (x, y = pixel coordinates in mm), all valid unless told. */
function flat(w: number, h: number, invalid: (u: number, v: number) => boolean = () => false): OrganizedCloud {
  const positions = new Float32Array(w * h * 3),
    valid = new Uint8Array(w * h);
  for (let v = 0; v < h; v++)
    for (let u = 0; u < w; u++) {
      const i = v * w + u;
      positions.set([u * 0.001, v * 0.001, 1], i * 3);
      valid[i] = invalid(u, v) ? 0 : 1;
    }
  return { width: w, height: h, positions, valid, validCount: valid.reduce((a, b) => a + b, 0) };
}

describe('segment/grow', () => {
  it('fillDepthHoles: a no-depth hole inside one segment joins it; one open to measured background does not', () => {
    const w = 20,
      h = 20;
    const hole = (u: number, v: number) => u >= 8 && u <= 10 && v >= 8 && v <= 10;
    const cloud = flat(w, h, hole);
    const data = new Uint16Array(w * h);
    for (let v = 4; v < 15; v++) for (let u = 4; u < 15; u++) if (!hole(u, v)) data[v * w + u] = 3;
    fillDepthHoles(cloud.valid, data, w, h, 25);
    for (let v = 8; v <= 10; v++) for (let u = 8; u <= 10; u++) expect(data[v * w + u]).toBe(3);
    // a notch at the segment's edge, facing measured background: left alone
    const notch = (u: number, v: number) => u >= 14 && u <= 16 && v >= 8 && v <= 10;
    const c2 = flat(w, h, notch);
    const d2 = new Uint16Array(w * h);
    for (let v = 4; v < 15; v++) for (let u = 4; u < 14; u++) d2[v * w + u] = 3;
    fillDepthHoles(c2.valid, d2, w, h, 25);
    expect(d2[9 * w + 15]).toBe(0);
  });

  it('growInto: grows at most `passes` pixels into allowed pixels, nearest segment first', () => {
    const w = 30,
      h = 5;
    const cloud = flat(w, h);
    const data = new Uint16Array(w * h);
    const allow = new Uint8Array(w * h).fill(1);
    for (let v = 0; v < h; v++) {
      data[v * w] = 1;
      data[v * w + 29] = 2;
    }
    growInto(cloud, data, allow, 5, PERCEIVE_DEFAULTS);
    expect(Array.from(data.subarray(0, w))).toEqual([1, 1, 1, 1, 1, 1, ...Array<number>(18).fill(0), 2, 2, 2, 2, 2, 2]);
  });
});
