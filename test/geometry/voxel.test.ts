import { describe, expect, it } from 'vitest';
import { voxelDownsample } from '../../bench/kernels/voxel.ts';
import { createRng } from '../../src/geometry/random.ts';

describe('voxelDownsample', () => {
  it('matches a brute-force Map-based centroid grid (seed 21)', () => {
    const rng = createRng(21);
    const n = 20000;
    const p = new Float32Array(n * 3);
    const colors = new Uint8Array(n * 3);
    for (let i = 0; i < n * 3; i++) {
      p[i] = rng.range(-0.5, 0.7);
      colors[i] = rng.int(256);
    }
    p[3] = NaN;
    const size = 0.05;
    const out = voxelDownsample({ positions: p, colors }, size);
    // oracle
    let minX = Infinity,
      minY = Infinity,
      minZ = Infinity;
    for (let i = 0; i < n; i++) {
      if (i === 1) continue;
      minX = Math.min(minX, p[i * 3]!);
      minY = Math.min(minY, p[i * 3 + 1]!);
      minZ = Math.min(minZ, p[i * 3 + 2]!);
    }
    minX -= size / 2;
    minY -= size / 2;
    minZ -= size / 2;
    const cells = new Map<string, { s: number[]; c: number[]; k: number }>();
    for (let i = 0; i < n; i++) {
      if (i === 1) continue;
      const key = [Math.floor((p[i * 3]! - minX) / size), Math.floor((p[i * 3 + 1]! - minY) / size), Math.floor((p[i * 3 + 2]! - minZ) / size)].join();
      const cell = cells.get(key) ?? { s: [0, 0, 0], c: [0, 0, 0], k: 0 };
      for (let a = 0; a < 3; a++) {
        cell.s[a] = cell.s[a]! + p[i * 3 + a]!;
        cell.c[a] = cell.c[a]! + colors[i * 3 + a]!;
      }
      cell.k++;
      cells.set(key, cell);
    }
    expect(out.positions.length / 3).toBe(cells.size);
    let v = 0;
    for (const cell of cells.values()) {
      for (let a = 0; a < 3; a++) {
        expect(out.positions[v * 3 + a]).toBeCloseTo(cell.s[a]! / cell.k, 5);
        expect(out.colors![v * 3 + a]).toBe(Math.round(cell.c[a]! / cell.k));
      }
      v++;
    }
  });

  it('averages normals to unit length and rejects bad voxel sizes', () => {
    const positions = new Float32Array([0, 0, 0, 0.001, 0, 0, 5, 5, 5]);
    const normals = new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const out = voxelDownsample({ positions, normals }, 0.01);
    expect(out.positions.length).toBe(6);
    expect(out.normals![0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(out.normals![1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(() => voxelDownsample({ positions }, 0)).toThrow(/voxel size/);
    expect(() => voxelDownsample({ positions }, NaN)).toThrow(/voxel size/);
    expect(() => voxelDownsample({ positions: new Float32Array([0, 0, 0, 1e6, 1e6, 1e6]) }, 1e-9)).toThrow(/too small/);
    expect(voxelDownsample({ positions: new Float32Array([NaN, 0, 0]) }, 0.1).positions.length).toBe(0);
  });
});
