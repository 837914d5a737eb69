import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
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

  it('fillDepthHoles labels exactly the hole pixels its definition names (random label images, against a walk from each pixel)', () => {
    // the definition, walked out: from a pixel with neither depth nor label, up to `span` pixels
    // each way; the first labelled pixel gives its id, a measured one or the border gives none
    const byDefinition = (valid: Uint8Array, data: Uint16Array, w: number, h: number, span: number): Uint16Array => {
      const out = data.slice();
      const look = (u: number, v: number, du: number, dv: number): number => {
        for (let k = 1; k <= span; k++) {
          const x = u + k * du,
            y = v + k * dv;
          if (x < 0 || y < 0 || x >= w || y >= h) return 0;
          const j = y * w + x;
          if (data[j]) return data[j];
          if (valid[j]) return 0;
        }
        return 0;
      };
      for (let v = 0; v < h; v++)
        for (let u = 0; u < w; u++) {
          const i = v * w + u;
          if (data[i] || valid[i]) continue;
          const a = look(u, v, 1, 0);
          if (a && look(u, v, -1, 0) === a && look(u, v, 0, 1) === a && look(u, v, 0, -1) === a) out[i] = a;
        }
      return out;
    };
    const image = fc
      .record({ w: fc.integer({ min: 1, max: 24 }), h: fc.integer({ min: 1, max: 24 }), span: fc.integer({ min: 0, max: 10 }) })
      .chain(({ w, h, span }) => fc.record({ w: fc.constant(w), h: fc.constant(h), span: fc.constant(span), px: fc.array(fc.integer({ min: 0, max: 7 }), { minLength: w * h, maxLength: w * h }) }));
    fc.assert(
      fc.property(image, ({ w, h, span, px }) => {
        // 0–2: no depth (most pixels of a hole-riddled frame), 3: depth and no label, 4–7: labels 1–2 with or without depth
        const valid = Uint8Array.from(px, (p) => (p === 3 || p >= 6 ? 1 : 0));
        const data = Uint16Array.from(px, (p) => (p >= 4 ? 1 + (p & 1) : 0));
        const want = byDefinition(valid, data, w, h, span);
        fillDepthHoles(valid, data, w, h, span);
        expect([...data]).toEqual([...want]);
      }),
      { numRuns: 500, seed: 12 },
    );
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
