import { describe, expect, it } from 'vitest';
import { MAX_VIEW_CLOUD_POINTS, mergeClouds, toViewModel } from '../../src/viewer/viewModel.ts';
import { emptyScene } from '../../src/model/scene.ts';

describe('view model clouds', () => {
  it('merges clouds, keeping colours only when every cloud has them', () => {
    const a = { positions: new Float32Array([1, 2, 3]), colors: new Uint8Array([10, 20, 30]) };
    const b = { positions: new Float32Array([4, 5, 6, 7, 8, 9]), colors: new Uint8Array([1, 2, 3, 4, 5, 6]) };
    const m = mergeClouds([a, b]);
    expect([...m.positions]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...m.colors!]).toEqual([10, 20, 30, 1, 2, 3, 4, 5, 6]);
    expect(mergeClouds([a, { positions: new Float32Array([0, 0, 0]) }]).colors).toBeUndefined();
  });

  it('sends at most MAX_VIEW_CLOUD_POINTS points, every k-th one, to the page (served viewer and report.html alike)', () => {
    const n = MAX_VIEW_CLOUD_POINTS * 2 + 1;
    const positions = new Float32Array(n * 3).map((_, i) => i);
    const model = toViewModel(emptyScene(), { cloud: { positions } });
    expect(model.cloud!.count).toBeLessThanOrEqual(MAX_VIEW_CLOUD_POINTS);
    const sent = new Float32Array(Uint8Array.from(Buffer.from(model.cloud!.positions, 'base64')).buffer);
    expect([...sent.subarray(3, 6)]).toEqual([9, 10, 11]); // point 3: step 3
    const small = toViewModel(emptyScene(), { cloud: { positions: new Float32Array([1, 2, 3]) } });
    expect(small.cloud!.count).toBe(1);
  });
});
