import { describe, expect, it } from 'vitest';
import { lift } from '../../src/stages/lift.ts';
import { organizedCloud } from '../../src/stages/organized.ts';
import type { CameraIntrinsics } from '../../src/model/camera.ts';
import type { LabelImage } from '../../src/model/image.ts';
import { collectInstances } from '../../src/stages/perceive.ts';

/** A 40×40 view of a flat square at 1 m (id 1, pixels 10..29) in front of a wall at 2 m. */
function scene(): { depth: Float32Array; masks: LabelImage; camera: CameraIntrinsics } {
  const w = 40,
    h = 40;
  const depth = new Float32Array(w * h).fill(2);
  const data = new Uint16Array(w * h);
  for (let v = 10; v < 30; v++)
    for (let u = 10; u < 30; u++) {
      depth[v * w + u] = 1;
      data[v * w + u] = 1;
    }
  return {
    depth,
    masks: {
      width: w,
      height: h,
      data,
      labels: new Map([
        [1, 'plate'],
        [2, 'ghost'],
      ]),
    },
    camera: { width: w, height: h, fx: 40, fy: 40, cx: 19.5, cy: 19.5 },
  };
}

describe('lift stage', () => {
  it('keeps the object, drops flying pixels and mask pixels that spill onto the background', async () => {
    const { depth, masks, camera } = scene();
    const w = 40;
    // a flying pixel on the object's left edge, halfway between object and wall
    depth[20 * w + 10] = 1.5;
    // the mask spills one column onto the wall on the right
    for (let v = 10; v < 30; v++) masks.data[v * w + 30] = 1;
    const cloud = organizedCloud({ width: w, height: w, data: depth }, camera);
    const instances = collectInstances(masks, 1);
    const { output, report } = await lift({ outlierK: 0 })({ cloud, masks, instances });
    const obj = output.objects[0]!;
    expect(obj.maskPixels).toBe(420);
    // every kept point is on the plate at z = 1
    for (let i = 2; i < obj.cloud.positions.length; i += 3) expect(obj.cloud.positions[i]).toBeCloseTo(1, 6);
    expect(obj.pixels.length).toBe(399); // 400 plate pixels − the flying one
    expect(report.counts['flyingPixels']).toBe(1);
    expect(report.counts['edgePixels']).toBe(20);
  });

  it('a mask label with no depth under it is skipped with a warning, not a crash', async () => {
    const { depth, masks, camera } = scene();
    const w = 40;
    for (let v = 0; v < 5; v++)
      for (let u = 0; u < 5; u++) {
        masks.data[v * w + u] = 2;
        depth[v * w + u] = Number.NaN;
      }
    depth[0] = Number.POSITIVE_INFINITY;
    const cloud = organizedCloud({ width: w, height: w, data: depth }, camera);
    const { output, report } = await lift()({ cloud, masks, instances: collectInstances(masks, 1) });
    expect(output.objects.map((o) => o.id)).toEqual([1]);
    expect(report.warnings.join()).toMatch(/object 2 \(ghost\): 0 usable depth points of 25 mask pixels/);
    expect(report.counts['noDepthPixels']).toBe(25);
  });

  it('statistical outlier removal drops an isolated speck inside the mask (seed-free, exact)', async () => {
    const { depth, masks, camera } = scene();
    const w = 40;
    depth[15 * w + 15] = 0.5; // a speck far in front of the plate, inside the mask
    // surround it so it is not "flying" (both neighbours farther): it is an outlier
    const cloud = organizedCloud({ width: w, height: w, data: depth }, camera);
    const { output } = await lift({ outlierK: 8, outlierStd: 2 })({ cloud, masks, instances: collectInstances(masks, 1) });
    const zs = Array.from(output.objects[0]!.cloud.positions.filter((_, i) => i % 3 === 2));
    expect(Math.min(...zs)).toBeCloseTo(1, 6);
  });
});
