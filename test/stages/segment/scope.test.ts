import { describe, expect, it } from 'vitest';
import { organizedCloud } from '../../../src/stages/organized.ts';
import { collectInstances } from '../../../src/stages/perceive.ts';
import { robustSize, scopeInstances } from '../../../src/stages/segment/scope.ts';
import { renderFixture } from '../fixtures.ts';

describe('scope: workspace box, region of interest, largest plausible object', () => {
  // a 10 cm cube at the origin, a 60 cm long low box beside it (a bin wall, a robot's base)
  const { frame, cameraPose } = renderFixture(
    [
      { kind: 'box', id: 1, centre: [0, 0, 0.05], size: [0.1, 0.1, 0.1], yaw: 0 },
      { kind: 'box', id: 2, centre: [0.1, 0.3, 0.05], size: [0.6, 0.08, 0.1], yaw: 0 },
    ],
    { width: 320, height: 240, camHeight: 1.0, camXY: [-1.0, 0] },
  );
  const cloud = organizedCloud(frame.depth!, frame.camera);
  const instances = collectInstances(frame.masks!, 20);

  it('a segment longer than maxObjectSize is excluded with its size; the cube is kept', () => {
    const { kept, excluded } = scopeInstances({ instances, cloud, cameraPose }, { maxObjectSize: 0.5 });
    expect(kept.map((k) => k.id)).toEqual([1]);
    expect(excluded).toHaveLength(1);
    expect(excluded[0]).toMatchObject({ id: 2, reason: 'too_large' });
    expect(excluded[0]!.sizeM).toBeGreaterThan(0.55);
    expect(excluded[0]!.sizeM).toBeLessThan(0.65);
    expect(excluded[0]!.pixels).toBe(instances.find((i) => i.id === 2)!.pixels.length);
    // with a larger limit both are objects
    expect(scopeInstances({ instances, cloud, cameraPose }, { maxObjectSize: 1 }).kept).toHaveLength(2);
  });

  it('a workspace box in the support frame keeps only what is mostly inside it', () => {
    const { kept, excluded } = scopeInstances({ instances, cloud, cameraPose }, { workspace: [-0.1, -0.1, -0.01, 0.1, 0.1, 0.3], maxObjectSize: 0 });
    expect(kept.map((k) => k.id)).toEqual([1]);
    expect(excluded.map((e) => [e.id, e.reason])).toEqual([[2, 'outside_workspace']]);
  });

  it('a region-of-interest mask keeps only segments mostly inside it', () => {
    const roi = new Uint8Array(frame.masks!.data.length);
    for (let i = 0; i < roi.length; i++) if (frame.masks!.data[i] === 2) roi[i] = 1;
    const { kept, excluded } = scopeInstances({ instances, cloud, cameraPose }, { roi, maxObjectSize: 0 });
    expect(kept.map((k) => k.id)).toEqual([2]);
    expect(excluded.map((e) => [e.id, e.reason])).toEqual([[1, 'outside_roi']]);
  });

  it('robustSize: the longest footprint side along principal directions, whatever the yaw', () => {
    const pts: number[] = [];
    const c = Math.cos(0.7),
      s = Math.sin(0.7);
    for (let i = 0; i <= 40; i++)
      for (let j = 0; j <= 10; j++) {
        const a = -0.2 + (0.4 * i) / 40,
          b = -0.05 + (0.1 * j) / 10;
        pts.push(c * a - s * b, s * a + c * b, 0.1);
      }
    // 2nd–98th percentile of an even 0.4 m spread: between 0.96 · 0.4 and 0.4
    const size = robustSize(Float32Array.from(pts));
    expect(size).toBeGreaterThan(0.38);
    expect(size).toBeLessThanOrEqual(0.4 + 1e-6);
  });
});
