import { describe, expect, it } from 'vitest';
import { addColorNoise, addDepthNoise, depthSigma } from '../../src/synth/noise.ts';
import { createRng } from '../../src/geometry/random.ts';
import type { DepthImage } from '../../src/model/image.ts';

function flat(width: number, height: number, z: number): DepthImage {
  return { width, height, data: new Float32Array(width * height).fill(z) };
}

function std(a: Float32Array, mean: number): number {
  let s = 0,
    n = 0;
  for (const v of a) {
    if (v > 0) {
      s += (v - mean) ** 2;
      n++;
    }
  }
  return Math.sqrt(s / n);
}

describe('depth noise', () => {
  it('is deterministic for a seed and differs between seeds (seed 7)', () => {
    const d = flat(64, 48, 1.2);
    const a = addDepthNoise(d, createRng(7));
    const b = addDepthNoise(d, createRng(7));
    const c = addDepthNoise(d, createRng(8));
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(c.data.buffer))).toBe(false);
    // the input is untouched
    expect(d.data.every((v) => v === d.data[0])).toBe(true);
  });

  it('grows with z² and is quantised to 1 mm (seed 9)', () => {
    const near = addDepthNoise(flat(200, 200, 0.5), createRng(9), { quantum: 0, randomDropout: 0 });
    const far = addDepthNoise(flat(200, 200, 2.5), createRng(9), { quantum: 0, randomDropout: 0 });
    expect(std(near.data, 0.5)).toBeCloseTo(depthSigma(0.5), 4);
    expect(std(far.data, 2.5)).toBeCloseTo(depthSigma(2.5), 3);
    expect(depthSigma(2.5)).toBeGreaterThan(4 * depthSigma(0.5));
    const q = addDepthNoise(flat(50, 50, 1.0), createRng(9));
    for (const v of q.data) if (v > 0) expect(Math.abs(v * 1000 - Math.round(v * 1000))).toBeLessThan(1e-3);
  });

  it('drops pixels at depth edges more than elsewhere and keeps no-data as no-data (seed 4)', () => {
    const d = flat(100, 100, 1);
    for (let v = 0; v < 100; v++) for (let u = 50; u < 100; u++) d.data[v * 100 + u] = 1.5;
    for (let u = 0; u < 100; u++) d.data[u] = 0;
    const n = addDepthNoise(d, createRng(4));
    let edgeDropped = 0,
      inner = 0,
      innerDropped = 0;
    for (let v = 2; v < 100; v++) {
      if (n.data[v * 100 + 49] === 0) edgeDropped++;
      for (let u = 10; u < 40; u++) {
        inner++;
        if (n.data[v * 100 + u] === 0) innerDropped++;
      }
    }
    expect(edgeDropped).toBeGreaterThan(30);
    expect(innerDropped / inner).toBeLessThan(0.01);
    for (let u = 0; u < 100; u++) expect(n.data[u]).toBe(0);
  });

  it('colour noise is seeded and bounded', () => {
    const img = { width: 8, height: 8, encoding: 'rgb8' as const, data: new Uint8Array(192).fill(250) };
    const a = addColorNoise(img, createRng(3));
    expect(Array.from(a.data)).toEqual(Array.from(addColorNoise(img, createRng(3)).data));
    expect(Math.max(...a.data)).toBeLessThanOrEqual(255);
  });
});
