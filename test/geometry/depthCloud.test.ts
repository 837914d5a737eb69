import { describe, expect, it } from 'vitest';
import { depthToCloud } from '../../src/geometry/depthCloud.ts';
import { createRng } from '../../src/geometry/random.ts';
import type { CameraIntrinsics } from '../../src/model/camera.ts';

const cam: CameraIntrinsics = { width: 40, height: 30, fx: 50, fy: 55, cx: 19.5, cy: 14.5 };

describe('depthToCloud', () => {
  it('back-projects every valid pixel like the pinhole formula (seed 11)', () => {
    const rng = createRng(11);
    const data = new Float32Array(40 * 30);
    for (let i = 0; i < data.length; i++) data[i] = rng.range(0.3, 3);
    data[5] = 0;
    data[6] = NaN;
    data[7] = Infinity;
    data[8] = -1;
    const { cloud, pixels } = depthToCloud({ width: 40, height: 30, data }, cam);
    expect(pixels.length).toBe(data.length - 4);
    expect(cloud.positions.length).toBe(pixels.length * 3);
    let k = 0;
    for (let i = 0; i < data.length; i++) {
      const z = data[i]!;
      if (!(z > 0 && Number.isFinite(z))) continue;
      const u = i % 40,
        v = Math.floor(i / 40);
      expect(pixels[k]).toBe(i);
      expect(cloud.positions[k * 3]).toBeCloseTo(((u - cam.cx) * z) / cam.fx, 5);
      expect(cloud.positions[k * 3 + 1]).toBeCloseTo(((v - cam.cy) * z) / cam.fy, 5);
      expect(cloud.positions[k * 3 + 2]).toBeCloseTo(z, 6);
      k++;
    }
  });

  it('applies mask, stride and maxDepth', () => {
    const data = new Float32Array(40 * 30).fill(1);
    data[0] = 5;
    const masked = depthToCloud({ width: 40, height: 30, data }, cam, { mask: (i) => i % 40 < 10 });
    expect(masked.pixels.length).toBe(300);
    const strided = depthToCloud({ width: 40, height: 30, data }, cam, { stride: 4 });
    expect(strided.pixels.length).toBe(10 * 8);
    expect(Array.from(strided.pixels.slice(0, 3))).toEqual([0, 4, 8]);
    const trunc = depthToCloud({ width: 40, height: 30, data }, cam, { maxDepth: 2 });
    expect(trunc.pixels[0]).toBe(1);
  });

  it('never lets a later call overwrite an earlier result (scratch hand-over)', () => {
    const a = depthToCloud({ width: 40, height: 30, data: new Float32Array(1200).fill(1) }, cam);
    const before = Array.from(a.cloud.positions.slice(0, 6));
    const b = depthToCloud({ width: 40, height: 30, data: new Float32Array(1200).fill(2) }, cam);
    const partial = new Float32Array(1200).fill(3);
    partial[0] = 0;
    const c = depthToCloud({ width: 40, height: 30, data: partial }, cam);
    expect(Array.from(a.cloud.positions.slice(0, 6))).toEqual(before);
    expect(b.cloud.positions[2]).toBe(2);
    expect(c.cloud.positions[2]).toBe(3);
    expect(a.cloud.positions[2]).toBe(1);
    expect(c.pixels.length).toBe(1199);
  });

  it('rejects intrinsics that do not match the image and a bad stride', () => {
    const data = new Float32Array(20 * 30);
    expect(() => depthToCloud({ width: 20, height: 30, data }, cam)).toThrow(/40×30.*20×30/);
    expect(() => depthToCloud({ width: 40, height: 30, data: new Float32Array(1200) }, cam, { stride: 0 })).toThrow(/stride/);
    const all = depthToCloud({ width: 40, height: 30, data: new Float32Array(1200) }, cam);
    expect(all.pixels.length).toBe(0);
  });
});
