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

  // a piece seen inside a bigger object's silhouette with no depth all round it (a transparent
  // bottle: depth read off its inner surface, uoc_demo/000003) is part of it even where its
  // points stick out of the bigger one's footprint; a box standing in front of the big one,
  // touching it in the image, is not (the table shows below it)
  it('a piece enclosed by a bigger segment and no-depth pixels joins it; a box in front of it does not', async () => {
    const { frame } = renderFixture(
      [
        { kind: 'box', id: 2, centre: [0, 0, 0.1], size: [0.12, 0.16, 0.2], yaw: 0 },
        { kind: 'box', id: 3, centre: [-0.12, 0.09, 0.03], size: [0.05, 0.05, 0.06], yaw: 0 },
      ],
      { width: 320, height: 240, camHeight: 0.25, pitch: 0.2, camXY: [-0.5, 0] },
    );
    const { width: w, height: h } = frame.camera;
    const labels = Uint16Array.from(frame.masks!.data);
    const depth = Float32Array.from(frame.depth!.data);
    // the big box's silhouette, its middle: a 14 × 14 px piece 5 cm nearer the camera, ringed by
    // 3 px with no depth
    let u0 = w,
      u1 = 0,
      v0 = h,
      v1 = 0;
    for (let i = 0; i < labels.length; i++)
      if (labels[i] === 2) {
        u0 = Math.min(u0, i % w);
        u1 = Math.max(u1, i % w);
        v0 = Math.min(v0, Math.floor(i / w));
        v1 = Math.max(v1, Math.floor(i / w));
      }
    const cu = Math.round((u0 + u1) / 2),
      cv = Math.round((v0 + v1) / 2);
    for (let v = cv - 10; v <= cv + 10; v++)
      for (let u = cu - 10; u <= cu + 10; u++) {
        const i = v * w + u;
        expect(labels[i]).toBe(2);
        if (Math.abs(u - cu) <= 7 && Math.abs(v - cv) <= 7) {
          labels[i] = 1;
          depth[i] = depth[i]! - 0.05;
        } else {
          labels[i] = 0;
          depth[i] = 0;
        }
      }
    const cloud = organizedCloud({ ...frame.depth!, data: depth }, frame.camera);
    const objectPixels = Uint8Array.from(labels, (v) => (v ? 1 : 0));
    const g = await ground()({ cloud, objectPixels });
    const counts = [0, 0, 0, 0];
    for (const v of labels) counts[v]!++;
    expect(counts[3]).toBeGreaterThan(50);
    // the box in front touches the big one in the image
    let touching = 0;
    for (let i = w; i < labels.length - w; i++) if (labels[i] === 3 && [i - 1, i + 1, i - w, i + w].some((j) => labels[j] === 2)) touching++;
    expect(touching).toBeGreaterThan(10);
    const merged = mergeFragments(cloud, g.output.heightOf, labels, 3, PERCEIVE_DEFAULTS);
    expect([...merged]).toEqual([1]);
    expect(labels.filter((v) => v === 2).length).toBe(counts[1]! + counts[2]!);
    expect(labels.filter((v) => v === 3).length).toBe(counts[3]);
  });
});
