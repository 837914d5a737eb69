import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLabelledFrame } from '../../src/eval/labelledFrame.ts';
import { segmentGeometricFrame } from '../../src/eval/segmentFrame.ts';
import { formatScoreTable, scoreSegmentation, summariseScores, type SegmentationScore } from '../../src/eval/segmentation.ts';
import { reconstructDetailed } from '../../src/pipeline.ts';
import { DATA } from './frames.ts';

/**
 * The geometric segmentation against hand-made ground-truth instance labels of real frames
 * (../shared/data/real_gt/osd_mosd: OSD with the mOSD labels), scored with the
 * unseen-object-segmentation protocol. Every labelled frame is scored and printed; none is left
 * out. Floors are the targets, which the defaults reach (measured: overall overlap F
 * 0.938, boundary F 0.906, 31/34 objects at F ≥ 0.75; `npm run bench:real` prints the table).
 */
const OSD = join(DATA, 'real_gt/osd_mosd');
const SKIP = existsSync(OSD) ? false : `${OSD} is missing: labelled real-frame tests skipped`;
if (SKIP) console.warn(SKIP);

/** Stacked objects per frame (true ids, from each frame's meta.json description and labels). */
const STACKS: Record<string, number[]> = { test16: [1, 2, 3], test31: [2, 3] };

describe.skipIf(!!SKIP)('geometric segmentation vs real ground truth (OSD / mOSD)', () => {
  const names = SKIP
    ? []
    : readdirSync(OSD)
        .filter((d) => existsSync(join(OSD, d, 'labels.png')))
        .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const scores = new Map<string, SegmentationScore>();

  it('every labelled frame is scored; overall overlap F ≥ 0.85, boundary F ≥ 0.75, ≥ 80 % of objects at F ≥ 0.75', async () => {
    for (const n of names) {
      const lf = loadLabelledFrame(join(OSD, n), n);
      const masks = await segmentGeometricFrame(lf.frame);
      scores.set(n, scoreSegmentation(masks.data, lf.truth.data, masks.width, masks.height));
    }
    const all = summariseScores([...scores.values()]);
    console.log(formatScoreTable([...[...scores].map(([name, score]) => ({ name, score })), { name: 'overall', score: all }]));
    expect(names.length).toBeGreaterThanOrEqual(7);
    expect(all.overlapF).toBeGreaterThanOrEqual(0.85);
    expect(all.boundaryF).toBeGreaterThanOrEqual(0.75);
    expect(all.detectedShare).toBeGreaterThanOrEqual(0.8);
    // no frame collapses (the weakest, test26, a box leaning on a box: 0.77)
    for (const [n, s] of scores) expect(s.overlapF, n).toBeGreaterThanOrEqual(0.7);
  }, 120_000);

  it('stacked objects are segmented separately (each stacked object matched with F ≥ 0.75, no two merged)', () => {
    for (const [n, ids] of Object.entries(STACKS)) {
      const s = scores.get(n);
      if (!s) continue;
      const matched = ids.map((id) => s.perObject.find((o) => o.trueId === id)!);
      for (const m of matched) expect(m.f, `${n} object ${m.trueId}`).toBeGreaterThanOrEqual(0.75);
      expect(new Set(matched.map((m) => m.predictedId)).size).toBe(ids.length);
    }
  });

  it('stacks are completed down to what they stand on: test16 (T-tower) and test31 (can on a flat tin)', async () => {
    const bottom = (o: { pose: { position: number[] }; size: number[] }) => o.pose.position[2]! - o.size[2]! / 2;
    const top = (o: { pose: { position: number[] }; size: number[] }) => o.pose.position[2]! + o.size[2]! / 2;
    // test16: a tea box lies across a narrow upright box on a flat box (meta.json extents: the
    // tea box is at most 13.5 cm in any direction); it was extruded into a 29 cm pillar
    const t16 = (await reconstructDetailed(loadLabelledFrame(join(OSD, 'test16'), 'test16').frame)).scene.objects;
    expect(t16).toHaveLength(3);
    const [base, pillar, tea] = [...t16].sort((a, b) => top(a) - top(b));
    expect(bottom(tea!)).toBeGreaterThan(top(pillar!) - 0.015);
    expect(tea!.size[2]).toBeLessThan(0.135);
    // nor any deeper or wider than its largest side (13.5 cm) and a little noise: its unseen back
    // was mirrored 17 cm deep where the depth behind it is cropped (no free space to stop it)
    expect(Math.max(tea!.size[0], tea!.size[1])).toBeLessThan(0.15);
    expect(Math.abs(bottom(pillar!) - top(base!))).toBeLessThan(0.015);
    expect(bottom(base!)).toBeLessThan(0.005);
    // test31: the can stands on the flat tin, the other tin on the table
    const t31 = (await reconstructDetailed(loadLabelledFrame(join(OSD, 'test31'), 'test31').frame)).scene.objects;
    expect(t31).toHaveLength(3);
    const raised = t31.filter((o) => bottom(o) > 0.03);
    expect(raised).toHaveLength(1);
    const under = t31.filter((o) => o !== raised[0]).reduce((a, b) => (top(a) < top(b) ? a : b));
    expect(Math.abs(bottom(raised[0]!) - top(under))).toBeLessThan(0.015);
    expect(raised[0]!.confidence?.method).toContain('extruded onto object');
  }, 120_000);
});
