import { describe, expect, it } from 'vitest';
import { massProperties } from '../../src/geometry/massProperties.ts';
import { boxMesh, capsuleMesh, coneMesh, cylinderMesh, latheMesh, sphereMesh } from '../../src/geometry/primitives.ts';
import type { Mesh } from '../../src/model/geometry.ts';

/** Every triangle's normal points away from the solid's centre line (z axis) or its caps. */
function outwardEverywhere(m: Mesh, centre: [number, number, number]): boolean {
  const p = m.positions;
  for (let t = 0; t < m.indices.length; t += 3) {
    const [a, b, c] = [m.indices[t]! * 3, m.indices[t + 1]! * 3, m.indices[t + 2]! * 3];
    const u = [p[b]! - p[a]!, p[b + 1]! - p[a + 1]!, p[b + 2]! - p[a + 2]!];
    const v = [p[c]! - p[a]!, p[c + 1]! - p[a + 1]!, p[c + 2]! - p[a + 2]!];
    const n = [u[1]! * v[2]! - u[2]! * v[1]!, u[2]! * v[0]! - u[0]! * v[2]!, u[0]! * v[1]! - u[1]! * v[0]!];
    const g = [(p[a]! + p[b]! + p[c]!) / 3 - centre[0], (p[a + 1]! + p[b + 1]! + p[c + 1]!) / 3 - centre[1], (p[a + 2]! + p[b + 2]! + p[c + 2]!) / 3 - centre[2]];
    if (n[0]! * g[0]! + n[1]! * g[1]! + n[2]! * g[2]! <= 0) return false;
  }
  return true;
}

describe('primitive solids', () => {
  it('are closed and outward: volumes match closed forms and the centre of mass is the centre', () => {
    const cases: [string, Mesh, number][] = [
      ['box', boxMesh(0.1, 0.2, 0.3), 0.006],
      ['cylinder', cylinderMesh(0.05, 0.2, 256), Math.PI * 0.05 ** 2 * 0.2],
      ['sphere', sphereMesh(0.05, 256, 128), (4 / 3) * Math.PI * 0.05 ** 3],
      ['capsule', capsuleMesh(0.03, 0.2, 256, 64), (4 / 3) * Math.PI * 0.03 ** 3 + Math.PI * 0.03 ** 2 * 0.14],
    ];
    for (const [name, mesh, volume] of cases) {
      const mp = massProperties(mesh, 1);
      expect(mp.volume / volume, name).toBeCloseTo(1, 3);
      for (const c of mp.centerOfMass) expect(Math.abs(c), name).toBeLessThan(1e-6);
    }
  });

  it('pole fans face outward at both ends (coarse sphere, cone, capsule)', () => {
    expect(outwardEverywhere(sphereMesh(1, 8, 4), [0, 0, 0])).toBe(true);
    expect(outwardEverywhere(capsuleMesh(1, 4, 8, 2), [0, 0, 0])).toBe(true);
    expect(outwardEverywhere(coneMesh(1, 2, 8), [0, 0, -0.5])).toBe(true);
    // a lathe with poles at both ends and nothing else: a double cone
    expect(
      outwardEverywhere(
        latheMesh(
          [
            [0, -1],
            [1, 0],
            [0, 1],
          ],
          6,
        ),
        [0, 0, 0],
      ),
    ).toBe(true);
  });
});
