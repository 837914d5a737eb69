import { describe, expect, it } from 'vitest';
import { boxBaseline, minAreaRect } from '../../src/eval/baseline.ts';
import { generateSynthScene } from '../../src/synth/synth.ts';
import { alignToTruthCamera } from '../../src/eval/quality.ts';
import { createRng } from '../../src/geometry/random.ts';
import { rpyFromQuat } from '../../src/model/pose.ts';

describe('minAreaRect', () => {
  it('recovers a rotated rectangle from points inside it (seed 5)', () => {
    const rng = createRng(5);
    const yaw = 0.4,
      sx = 0.3,
      sy = 0.1,
      cx = 0.2,
      cy = -0.1;
    const pts: number[] = [];
    for (const [a, b] of [
      [-1, -1],
      [1, -1],
      [1, 1],
      [-1, 1],
    ])
      pts.push(cx + ((a! * sx) / 2) * Math.cos(yaw) - ((b! * sy) / 2) * Math.sin(yaw), cy + ((a! * sx) / 2) * Math.sin(yaw) + ((b! * sy) / 2) * Math.cos(yaw));
    for (let k = 0; k < 200; k++) {
      const a = rng.range(-0.5, 0.5) * sx,
        b = rng.range(-0.5, 0.5) * sy;
      pts.push(cx + a * Math.cos(yaw) - b * Math.sin(yaw), cy + a * Math.sin(yaw) + b * Math.cos(yaw));
    }
    const r = minAreaRect(new Float64Array(pts));
    expect(r.cx).toBeCloseTo(cx, 9);
    expect(r.cy).toBeCloseTo(cy, 9);
    const long = Math.max(r.sx, r.sy),
      short = Math.min(r.sx, r.sy);
    expect(long).toBeCloseTo(sx, 9);
    expect(short).toBeCloseTo(sy, 9);
    const axisYaw = r.sx >= r.sy ? r.yaw : r.yaw + Math.PI / 2;
    expect(Math.abs(Math.sin(axisYaw - yaw))).toBeLessThan(1e-9);
  });

  it('handles degenerate footprints', () => {
    const r = minAreaRect(new Float64Array([0, 0, 1, 0, 2, 0]));
    expect(r.sx).toBeCloseTo(2, 9);
    expect(r.sy).toBeGreaterThan(0);
    const p = minAreaRect(new Float64Array([0.5, -0.25]));
    expect([p.cx, p.cy, p.sx, p.sy]).toEqual([0.5, -0.25, 1e-3, 1e-3]);
  });
});

describe('boxBaseline', () => {
  it('fits the visible box of every box object, without the truth pose (seed 31)', () => {
    const { scene, frame } = generateSynthScene({ seed: 31, shapes: ['box'], sharedMeshesDir: null });
    const raw = boxBaseline(frame);
    expect(raw.objects.length).toBe(scene.objects.length);
    // its world is its own (origin below the camera): camera height equals the truth's
    expect(raw.camera!.pose.position[2]).toBeCloseTo(scene.camera!.pose.position[2], 4);
    const pred = alignToTruthCamera(raw, scene);
    for (const t of scene.objects) {
      const p = pred.objects.find((o) => o.instanceId === t.instanceId)!;
      expect(p.label).toBe('box');
      // heights are exact up to the height quantile; footprints see only visible sides
      expect(Math.abs(p.size[2] - t.size[2])).toBeLessThan(0.01);
      expect(Math.abs(p.pose.position[2] - t.pose.position[2])).toBeLessThan(0.01);
      expect(rpyFromQuat(p.pose.orientation)[0]).toBeCloseTo(0, 6);
      expect(p.mass).toBeGreaterThan(0);
    }
  });

  it('refuses a frame without masks or depth', () => {
    const { frame } = generateSynthScene({ seed: 2, sharedMeshesDir: null });
    expect(() => boxBaseline({ ...frame, masks: undefined })).toThrow(/masks/);
    expect(() => boxBaseline({ ...frame, depth: undefined })).toThrow(/depth/);
  });
});
