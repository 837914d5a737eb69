import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLabelledFrame } from '../../../src/eval/labelledFrame.ts';
import { segmentGeometricFrame } from '../../../src/eval/segmentFrame.ts';
import { scoreSegmentation } from '../../../src/eval/segmentation.ts';
import { DATA } from '../../realframes/frames.ts';
import { renderFixture } from '../fixtures.ts';

const OSD = join(DATA, 'real_gt/osd_mosd');
const SKIP = existsSync(OSD) ? false : `${OSD} is missing: geometric segmentation ground-truth test skipped`;
if (SKIP) console.warn(SKIP);

describe.skipIf(!!SKIP)('segment/geometric vs real ground truth (OSD / mOSD)', () => {
  // Object pixels the depth sees must not be dropped as background: the crease bands' leftovers
  // (a strip of a tin's lid between a box on it and a can in front, slivers along outlines) are
  // components too small to stand alone, and were dropped with the specks (before: 1.2–2.0 % of
  // the object pixels of test13, test16, test26 and test45, 4.1 % pooled with the 14-object clutter).
  it('true object pixels with depth are labelled (≤ 1 % missed per frame, ≤ 3 % pooled) without labelling the table', async () => {
    const names = readdirSync(OSD).filter((d) => existsSync(join(OSD, d, 'labels.png')));
    expect(names.length).toBeGreaterThanOrEqual(7);
    let objects = 0,
      missed = 0,
      background = 0,
      spilled = 0;
    for (const n of names) {
      const lf = loadLabelledFrame(join(OSD, n), n);
      const pred = (await segmentGeometricFrame(lf.frame)).data;
      const depth = lf.frame.depth!.data;
      let t = 0,
        m = 0;
      for (let i = 0; i < depth.length; i++) {
        if (!(depth[i]! > 0)) continue;
        if (lf.truth.data[i]) {
          t++;
          if (!pred[i]) m++;
        } else {
          background++;
          if (pred[i]) spilled++;
        }
      }
      objects += t;
      missed += m;
      // frames with over 10 objects (test55, heavy clutter) still lose two flat objects whole (a book under a box, a CD case)
      if (t && !lf.truth.data.some((v) => v > 10)) expect(m / t, n).toBeLessThanOrEqual(0.01);
    }
    expect(missed / objects).toBeLessThanOrEqual(0.03);
    expect(spilled / background).toBeLessThanOrEqual(0.005);
  }, 120_000);
});

describe('segment/geometric: occlusion boundaries', () => {
  // A Kinect-class sensor smears a depth step at an object's silhouette over a few pixels, each
  // step under the neighbour jump (uoc_demo/000003: the drill in front of the mug, a can in a
  // bowl): a short box 8 cm in front of a tall one, rendered, then every step between the two
  // turned into a ramp over 6 pixels. The boxes stay two segments, each matching its true mask.
  it('a depth step smeared over 6 pixels still parts an object from the one behind it', async () => {
    const { frame } = renderFixture([
      { kind: 'box', id: 1, centre: [0, 0, 0.04], size: [0.1, 0.12, 0.08], yaw: 0 },
      { kind: 'box', id: 2, centre: [0.13, 0, 0.1], size: [0.06, 0.24, 0.2], yaw: 0 },
    ]);
    const { width: w, height: h } = frame.camera;
    const truth = frame.masks!.data;
    const depth = Float32Array.from(frame.depth!.data);
    let ramps = 0,
      steepest = 0;
    for (const [du, dv] of [
      [1, 0],
      [0, 1],
    ] as const) {
      const d = du + dv * w;
      for (let v = 2; v < h - 3; v++)
        for (let u = 2; u < w - 3; u++) {
          const i = v * w + u;
          const a = truth[i]!,
            b = truth[i + d]!;
          if (!a || !b || a === b) continue;
          const z0 = depth[i - 2 * d]!,
            z1 = depth[i + 3 * d]!;
          if (Math.abs(z1 - z0) < 0.04) continue;
          // the step between i and i + d spread evenly over i − 2 … i + 3 (five steps)
          for (let t = 1; t < 5; t++) depth[i + (t - 2) * d] = z0 + ((z1 - z0) * t) / 5;
          steepest = Math.max(steepest, Math.abs(z1 - z0) / 5 / (0.004 + 0.02 * Math.min(z0, z1)));
          ramps++;
        }
    }
    expect(ramps).toBeGreaterThan(20);
    // every neighbour step along the ramps is under the jump (4 mm + 2 % of the depth)
    expect(steepest).toBeLessThan(1);
    // the crease cut off: the rendered ramp's kinks are sharp enough for it to see, the smooth
    // smear of a real sensor is not (uoc_demo/000003), and the step alone must part them
    const pred = (await segmentGeometricFrame({ ...frame, depth: { ...frame.depth!, data: depth } }, { perceive: { creaseDeg: 0 } })).data;
    const score = scoreSegmentation(pred, truth, w, h);
    expect(score.predictedObjects).toBe(2);
    for (const o of score.perObject) expect(o.f, `box ${o.trueId}`).toBeGreaterThanOrEqual(0.9);
  });
});
