import { describe, expect, it } from 'vitest';
import { ground } from '../../../src/stages/ground.ts';
import { organizedCloud } from '../../../src/stages/organized.ts';
import { PERCEIVE_DEFAULTS } from '../../../src/stages/perceive.ts';
import { chromaModel, planeBasis, supportExtent, supportPatch } from '../../../src/stages/segment/support.ts';
import { renderFixture } from '../fixtures.ts';

describe('segment/support: the visible table, its outline and its colour', () => {
  it('a long box cutting the table in two: both pieces are support, the box is not', async () => {
    const { frame } = renderFixture([{ kind: 'box', id: 1, centre: [0, 0, 0.05], size: [0.12, 1.6, 0.1], yaw: 0 }], { width: 320, height: 240, floor: true });
    const cloud = organizedCloud(frame.depth!, frame.camera);
    const g = await ground()({ cloud });
    const P = cloud.positions;
    const height = new Float32Array(cloud.valid.length);
    for (let i = 0; i < height.length; i++) if (cloud.valid[i]) height[i] = g.output.heightOf(P[i * 3]!, P[i * 3 + 1]!, P[i * 3 + 2]!);
    const patch = supportPatch(cloud, height, PERCEIVE_DEFAULTS);
    const ids = frame.masks!.data;
    let floor = 0,
      inPatch = 0,
      box = 0,
      boxInPatch = 0;
    for (let i = 0; i < ids.length; i++) {
      if (!cloud.valid[i]) continue;
      if (ids[i]) {
        box++;
        boxInPatch += patch.mask[i]!;
      } else {
        floor++;
        inPatch += patch.mask[i]!;
      }
    }
    expect(boxInPatch / box).toBeLessThan(0.05); // only its foot, within the 1 cm band
    expect(inPatch / floor).toBeGreaterThan(0.95); // both sides of the box, not only the larger one
    expect(patch.count).toBe(inPatch + boxInPatch);
    // the outline: a point over the floor in view is on the support, one 3 m beyond it is not
    const on = supportExtent(cloud, g.output.heightOf, patch.mask, 0.03);
    const toOptical = (x: number, y: number, z: number) => {
      const c = g.output.cameraPose;
      // world → optical via the inverse pose
      const q = c.orientation,
        p = [x - c.position[0], y - c.position[1], z - c.position[2]];
      const [qx, qy, qz, qw] = [-q[0], -q[1], -q[2], q[3]];
      const tx = 2 * (qy * p[2]! - qz * p[1]!),
        ty = 2 * (qz * p[0]! - qx * p[2]!),
        tz = 2 * (qx * p[1]! - qy * p[0]!);
      return [p[0]! + qw * tx + (qy * tz - qz * ty), p[1]! + qw * ty + (qz * tx - qx * tz), p[2]! + qw * tz + (qx * ty - qy * tx)] as const;
    };
    const c = g.output.cameraPose.position;
    expect(on(...toOptical(c[0] + 0.8, c[1] + 0.1, 0.05))).toBe(true);
    expect(on(...toOptical(c[0] + 4, c[1], 0.05))).toBe(false);
  });

  it('planeBasis spans the plane: two orthonormal vectors, both perpendicular to its normal', () => {
    const n = [0.2, -0.9, 0.3].map((v, _, a) => v / Math.hypot(...a)) as [number, number, number];
    const [ax, ay, az, bx, by, bz] = planeBasis((x, y, z) => n[0] * x + n[1] * y + n[2] * z + 0.7);
    expect(Math.hypot(ax, ay, az)).toBeCloseTo(1, 9);
    expect(Math.hypot(bx, by, bz)).toBeCloseTo(1, 9);
    expect(ax * bx + ay * by + az * bz).toBeCloseTo(0, 9);
    expect(ax * n[0] + ay * n[1] + az * n[2]).toBeCloseTo(0, 9);
    expect(bx * n[0] + by * n[1] + bz * n[2]).toBeCloseTo(0, 9);
  });

  it('chromaModel: one-colour support → near for its colour, far for another; a checkerboard → no model', () => {
    const w = 64,
      h = 64,
      n = w * h;
    const mask = new Uint8Array(n).fill(1);
    const plain = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) plain.set([180 + (i % 3), 150, 110 + (i % 2)], i * 3);
    plain.set([40, 90, 200], 5 * 3); // one blue pixel
    const model = chromaModel({ width: w, height: h, encoding: 'rgb8', data: plain }, mask, 0.08)!;
    expect(model).not.toBeNull();
    expect(model(100)).toBeLessThan(1.5);
    expect(model(5)).toBeGreaterThan(10);
    const checker = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) checker.set((((i % w) >> 3) % 2) ^ ((Math.floor(i / w) >> 3) % 2) ? [220, 40, 40] : [40, 40, 220], i * 3);
    expect(chromaModel({ width: w, height: h, encoding: 'rgb8', data: checker }, mask, 0.08)).toBeNull();
  });
});
