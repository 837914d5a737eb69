import { describe, expect, it } from 'vitest';
import { alignToTruthCamera, formatQuality, runQuality, stat } from '../../src/eval/quality.ts';
import { boxBaseline } from '../../src/eval/baseline.ts';
import { composePoses, quatFromYaw, type Pose } from '../../src/model/pose.ts';
import type { Scene } from '../../src/model/scene.ts';

/** The truth re-expressed in another world frame: what a perfect estimator would return. */
function perfectInOtherFrame(truth: Scene): Scene {
  const T: Pose = { position: [0.3, -1.2, 0], orientation: quatFromYaw(0.7) };
  return {
    ...truth,
    objects: truth.objects.map((o) => ({ ...o, pose: composePoses(T, o.pose) })),
    camera: { ...truth.camera!, pose: composePoses(T, truth.camera!.pose) },
  };
}

describe('quality harness', () => {
  it('scores a perfect estimator as perfect through the camera alignment (seeds 1000, 1001)', async () => {
    const r = await runQuality({
      seeds: [1000, 1001],
      samples: 512,
      sharedMeshesDir: null,
      conditions: [
        { name: 'given', noise: false, masksGiven: true },
        { name: 'geometric', noise: false, masksGiven: false },
      ],
      estimators: {
        perfect: { estimate: (_frame, ctx) => Promise.resolve(perfectInOtherFrame(ctx.truth)) },
        baseline: { estimate: (frame) => Promise.resolve(boxBaseline(frame)), needsMasks: true },
      },
    });
    const given = r.conditions[0]!.estimators;
    const p = given['perfect']!;
    expect(p.paper.cdS.median).toBeLessThan(1e-9);
    expect(p.paper.fScoreS.median).toBeCloseTo(1, 9);
    expect(p.paper.iouB.mean).toBeCloseTo(1, 5);
    expect(p.metric.centreErrorMm.mean).toBeLessThan(1e-3);
    expect(p.metric.yawErrorDeg.mean).toBeLessThan(1e-3);
    expect(p.segmentation.foundFraction).toBe(1);
    expect(p.segmentation.spurious).toBe(0);
    // the baseline is worse on the discriminating numbers, and skipped without masks
    expect(given['baseline']!.paper.iouB.mean).toBeLessThan(0.95);
    expect(given['baseline']!.paper.iouB.mean).toBeGreaterThan(0.3);
    expect(r.conditions[1]!.estimators['baseline']).toBeUndefined();
    expect(r.conditions[1]!.estimators['perfect']!.segmentation.foundFraction).toBe(1);
    const text = formatQuality(r);
    expect(text).toMatch(/IoU-B/);
    expect(text).toMatch(/Chamfer \(mm\)/);
    expect(text).toMatch(/per shape — baseline/);
  });

  it('counts an estimator that throws as a failure, not a crash (seed 1002)', async () => {
    const r = await runQuality({
      seeds: [1002],
      samples: 256,
      sharedMeshesDir: null,
      conditions: [{ name: 'given', noise: false, masksGiven: true }],
      estimators: { broken: { estimate: () => Promise.reject(new Error('no plane')) } },
    });
    const b = r.conditions[0]!.estimators['broken']!;
    expect(b.failures).toEqual([{ seed: 1002, error: 'no plane' }]);
    expect(b.segmentation.found).toBe(0);
  });

  it('stat ignores non-finite values', () => {
    expect(stat([1, 2, Infinity, NaN, 3])).toEqual({ median: 2, mean: 2, n: 3 });
    expect(stat([]).n).toBe(0);
  });

  it('alignToTruthCamera leaves a prediction without camera alone', () => {
    const s: Scene = { version: 1, frameId: 'world', objects: [], reports: [] };
    expect(alignToTruthCamera(s, s)).toBe(s);
  });
});
