import { describe, expect, it } from 'vitest';
import { ground } from '../../../src/stages/ground.ts';
import { organizedCloud } from '../../../src/stages/organized.ts';
import { PERCEIVE_DEFAULTS } from '../../../src/stages/perceive.ts';
import { mergeFragments } from '../../../src/stages/segment/fragments.ts';
import { renderFixture } from '../fixtures.ts';

describe('segment/fragments', () => {
  // a wide box on a narrow one, both given as separate segments: the narrow one lies within the
  // wide one's footprint, touches it in the image, and is smaller: it is merged (a bowl's lower
  // wall under its rim); two boxes side by side are not
  it('a small segment under a bigger touching one joins it; a neighbour beside it does not', async () => {
    const { frame } = renderFixture(
      [
        { kind: 'box', id: 1, centre: [0, 0, 0.02], size: [0.06, 0.06, 0.04], yaw: 0 },
        { kind: 'box', id: 2, centre: [0, 0, 0.07], size: [0.16, 0.16, 0.06], yaw: 0 },
        { kind: 'box', id: 3, centre: [0, 0.2, 0.03], size: [0.05, 0.05, 0.06], yaw: 0 },
      ],
      { width: 320, height: 240, camHeight: 0.2, pitch: 0.15, camXY: [-0.5, 0] },
    );
    const cloud = organizedCloud(frame.depth!, frame.camera);
    const objectPixels = Uint8Array.from(frame.masks!.data, (v) => (v ? 1 : 0));
    const g = await ground()({ cloud, objectPixels });
    const data = Uint16Array.from(frame.masks!.data);
    const counts = [0, 0, 0, 0];
    for (const v of data) counts[v]!++;
    expect(counts[1]).toBeGreaterThan(50); // the lower box is in view under the overhang
    const merged = mergeFragments(cloud, g.output.heightOf, data, 3, PERCEIVE_DEFAULTS);
    expect([...merged]).toEqual([1]);
    expect(data.includes(1)).toBe(false);
    expect(data.filter((v) => v === 2).length).toBe(counts[1]! + counts[2]!);
    expect(data.filter((v) => v === 3).length).toBe(counts[3]);
  });

  // the same, with the lower box's top rows lost to the depth sensor (the shadow under a bowl's
  // overhanging rim, uoc_demo/000003: 7–8 px): a seam of missing depth does not part them
  it('a seam of missing depth up to a few pixels wide between them still counts as touching', async () => {
    const { frame } = renderFixture(
      [
        { kind: 'box', id: 1, centre: [0, 0, 0.02], size: [0.06, 0.06, 0.04], yaw: 0 },
        { kind: 'box', id: 2, centre: [0, 0, 0.07], size: [0.16, 0.16, 0.06], yaw: 0 },
        { kind: 'box', id: 3, centre: [0, 0.2, 0.03], size: [0.05, 0.05, 0.06], yaw: 0 },
      ],
      { width: 320, height: 240, camHeight: 0.2, pitch: 0.15, camXY: [-0.5, 0] },
    );
    const { width: w, height: h } = frame.camera;
    const labels = Uint16Array.from(frame.masks!.data);
    const depth = Float32Array.from(frame.depth!.data);
    const SEAM = 7;
    for (let u = 0; u < w; u++)
      for (let v = 1; v < h; v++) {
        if (labels[(v - 1) * w + u] !== 2 || labels[v * w + u] !== 1) continue;
        for (let k = 0; k < SEAM && v + k < h; k++) {
          labels[(v + k) * w + u] = 0;
          depth[(v + k) * w + u] = 0;
        }
      }
    const cloud = organizedCloud({ ...frame.depth!, data: depth }, frame.camera);
    const objectPixels = Uint8Array.from(labels, (v) => (v ? 1 : 0));
    const g = await ground()({ cloud, objectPixels });
    const counts = [0, 0, 0, 0];
    for (const v of labels) counts[v]!++;
    expect(counts[1]).toBeGreaterThan(50);
    const merged = mergeFragments(cloud, g.output.heightOf, labels, 3, PERCEIVE_DEFAULTS);
    expect([...merged]).toEqual([1]);
    expect(labels.filter((v) => v === 3).length).toBe(counts[3]);
  });
});
