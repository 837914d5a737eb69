import { describe, expect, it } from 'vitest';
import { cleanHull, engineHull } from '../../sim/hull.ts';
import { createRng } from '../../src/geometry/random.ts';

function cloud(seed: number, n = 80): Float32Array {
  const rng = createRng(seed);
  const p = new Float32Array(3 * n);
  for (let i = 0; i < p.length; i++) p[i] = rng.range(-0.05, 0.05);
  return p;
}

describe('engineHull cache', () => {
  it('finds the hull of a new array with the same vertices, and computes a new one for other vertices', () => {
    const a = cloud(3);
    const h = engineHull(a);
    expect(h).not.toBeNull();
    // same geometry, another array (a repair pass, a merged piece, the next frame of a loop)
    expect(engineHull(Float32Array.from(a))).toBe(h);
    // one coordinate moved by 0.1 mm: another geometry, another hull
    const b = Float32Array.from(a);
    b[7] = b[7]! + 1e-4;
    const hb = engineHull(b);
    expect(hb).not.toBe(h);
    expect(hb).toEqual(cleanHull(b));
    // the cap is part of the key
    expect(engineHull(Float32Array.from(a), 12)).toEqual(cleanHull(a, 12));
    expect(engineHull(Float32Array.from(a), 12)).not.toBe(h);
  });
});
