import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA, FRAMES, HAVE_DATA, runRealFrame, type Reprojection } from './frames.ts';

/**
 * Real RGB-D frames from ../shared/data (units and intrinsics from its README), geometric
 * segmentation (they ship no masks). Per frame: objects found, the support plane's inlier
 * ratio, and the reprojection check — the reconstruction rendered back into the camera against
 * the observed depth (median |error| on object pixels, issue target ≤ 1.5 cm) and against the
 * segmented masks (median IoU over objects, issue target 0.8). The table is printed.
 */
const SKIP = HAVE_DATA ? false : `../shared/data is missing (${DATA}): real-frame tests skipped`;
if (SKIP) console.warn(SKIP);

const results = new Map<string, Reprojection>();
const print = (name: string, c: Reprojection) =>
  console.log(`${name.padEnd(24)} objects ${String(c.objects).padStart(2)}  plane inliers ${(100 * c.inlierRatio).toFixed(1)}%  depth error ${(100 * c.depthErrorM).toFixed(2)} cm  mask IoU ${c.maskIoU.toFixed(3)}`);

describe.skipIf(!!SKIP)('real frames (../shared/data)', () => {
  for (const f of FRAMES.filter((x) => x.name.startsWith('uoc_demo') || x.name.startsWith('posecnn'))) {
    it(`${f.name}: objects found, table plane, reconstruction reprojects onto the observed depth`, async () => {
      const { det, check } = await runRealFrame(f);
      results.set(f.name, check);
      print(f.name, check);
      expect(check.objects).toBeGreaterThanOrEqual(3);
      expect(check.inlierRatio).toBeGreaterThan(0.2);
      expect(check.depthErrorM).toBeLessThanOrEqual(0.015);
      // the target; measured 0.847–0.907 (deterministic: seeded RANSAC, no randomness elsewhere)
      expect(check.maskIoU).toBeGreaterThanOrEqual(0.8);
      // uoc 000006: smoothed depth ramps once joined everything along the table's back into one blob (4 segments); now 7
      if (f.name === 'uoc_demo/000006') expect(check.objects).toBeGreaterThanOrEqual(6);
      for (const o of det.scene.objects) {
        expect(o.mass).toBeGreaterThan(0);
        expect(o.size.every((s) => s > 0 && s < 1)).toBe(true);
      }
    });
  }

  it('posecnn_lov_demo: object sizes are YCB-Video sized (best-matching extents row within 35 %, median)', async () => {
    const extents = readFileSync(resolve(DATA, 'posecnn_lov_demo/extents.txt'), 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number).sort((a, b) => a - b));
    const errors: number[] = [];
    for (const f of FRAMES.filter((x) => x.name.startsWith('posecnn'))) {
      const { det } = await runRealFrame(f);
      for (const o of det.scene.objects) {
        const s = [...o.size].sort((a, b) => a - b);
        errors.push(Math.min(...extents.map((e) => (Math.abs(s[0]! - e[0]!) / e[0]! + Math.abs(s[1]! - e[1]!) / e[1]! + Math.abs(s[2]! - e[2]!) / e[2]!) / 3)));
      }
    }
    errors.sort((a, b) => a - b);
    const median = errors[errors.length >> 1]!;
    console.log(`posecnn sizes vs extents.txt: best-match error median ${(100 * median).toFixed(1)} % over ${errors.length} objects`);
    expect(median).toBeLessThan(0.35);
  });
});
