import { describe, expect, it } from 'vitest';
import { sceneLabels } from '../../src/app/frameToBundle.ts';
import { boxMesh } from '../../src/geometry/primitives.ts';
import type { LabelImage } from '../../src/model/image.ts';
import { fixedScene, makeObject } from '../export/fixtures.ts';

describe('sceneLabels (debug/labels.png)', () => {
  it('numbers pixels by the object their mask became, 1-based in scene order; masks that became no object are background', () => {
    // a 4×2 mask image: ids 3, 7, 9 and 65535; 0 is background
    const masks: LabelImage = { width: 4, height: 2, data: new Uint16Array([0, 3, 3, 7, 9, 9, 65535, 0]), labels: new Map() };
    const scene = fixedScene();
    const box = boxMesh(0.05, 0.05, 0.05);
    scene.objects = [
      makeObject('a', 'cup', box, [0.05, 0.05, 0.05], [0, 0, 0.025], [0, 0, 0, 1], 500, { instanceId: 7 }),
      makeObject('b', 'box', box, [0.05, 0.05, 0.05], [0.1, 0, 0.025], [0, 0, 0, 1], 500, { instanceId: 3 }),
      // built from mask 65535 (maskIdOf wins over its instanceId 9)
      makeObject('c', 'can', box, [0.05, 0.05, 0.05], [0.2, 0, 0.025], [0, 0, 0, 1], 500, { instanceId: 9 }),
      // a second object from mask 3: the first one keeps the pixels
      makeObject('d', 'box', box, [0.05, 0.05, 0.05], [0.3, 0, 0.025], [0, 0, 0, 1], 500, { instanceId: 3 }),
    ];
    const out = sceneLabels(scene, masks, new Map([['c', 65535]]));
    expect(Array.from(out.data)).toEqual([0, 2, 2, 1, 0, 0, 3, 0]);
    expect([...out.labels]).toEqual([
      [1, 'cup'],
      [2, 'box'],
      [3, 'can'],
      [4, 'box'],
    ]);
    expect(masks.data[1]).toBe(3); // the input is not changed
  });
});
