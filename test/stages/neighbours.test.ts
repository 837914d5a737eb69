import { describe, expect, it } from 'vitest';
import { separatingLine, shareBeyond } from '../../src/stages/neighbours.ts';

/** Points on a rectangle's area (xy) at z = 0.05, every `step` metres. */
function rect(x0: number, x1: number, y0: number, y1: number, step = 0.004): number[] {
  const out: number[] = [];
  for (let x = x0; x <= x1 + 1e-9; x += step) for (let y = y0; y <= y1 + 1e-9; y += step) out.push(x, y, 0.05);
  return out;
}

describe('separatingLine (neighbours side by side)', () => {
  it('two footprints 2 cm apart: the line runs midway across the gap, normal from the first to the second', () => {
    // the truth: a in x ∈ [0, 0.1], b in x ∈ [0.12, 0.2] → the line x = 0.11
    const line = separatingLine(Float32Array.from(rect(0, 0.1, 0, 0.1)), Float32Array.from(rect(0.12, 0.2, 0, 0.1)))!;
    expect(line).not.toBeNull();
    expect(line.nx).toBeCloseTo(1, 2);
    // within 6°: the quantiles trim a few points of each set's corners, which a slightly turned
    // line gains from
    expect(Math.abs(line.ny)).toBeLessThan(0.1);
    expect(line.c).toBeCloseTo(0.11, 2);
    expect(line.gap).toBeCloseTo(0.02, 2);
  });

  it('a few stray points of one labelled past the other do not hide the gap; a real overlap has no line', () => {
    const a = rect(0, 0.1, 0, 0.1);
    const strays = rect(0.13, 0.14, 0.04, 0.05); // 9 points, about 1 % of a
    const line = separatingLine(Float32Array.from([...a, ...strays]), Float32Array.from(rect(0.12, 0.2, 0, 0.1)))!;
    expect(line.c).toBeGreaterThan(0.1);
    expect(line.c).toBeLessThan(0.12);
    expect(shareBeyond(Float32Array.from([...a, ...strays]), line, 1)).toBeLessThan(0.03);
    // b wraps into a's footprint: an L around a corner, no line between them
    const wrapped = [...rect(0.12, 0.2, 0, 0.1), ...rect(0.02, 0.2, 0.12, 0.2), ...rect(0.02, 0.08, 0.06, 0.2)];
    expect(separatingLine(Float32Array.from(a), Float32Array.from(wrapped))).toBeNull();
  });
});
