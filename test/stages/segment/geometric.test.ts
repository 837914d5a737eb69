import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLabelledFrame } from '../../../src/eval/labelledFrame.ts';
import { segmentGeometricFrame } from '../../../src/eval/segmentFrame.ts';
import { DATA } from '../../realframes/frames.ts';

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
