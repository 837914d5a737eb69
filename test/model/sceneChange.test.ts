import { describe, expect, it } from 'vitest';
import { generateSynthScene } from '../../src/synth/synth.ts';
import { quatFromAxisAngle, quatMultiply } from '../../src/model/pose.ts';
import type { Scene, SceneObject } from '../../src/model/scene.ts';
import { sceneChange } from '../../src/model/sceneChange.ts';

const { scene } = generateSynthScene({ seed: 11, width: 64, height: 48, minObjects: 3, maxObjects: 3, sharedMeshesDir: null });
const tol = { translation: 0.01, rotation: (5 * Math.PI) / 180 };
const withObjects = (objects: SceneObject[]): Scene => ({ ...scene, objects });
const moved = (i: number, dx: number): Scene =>
  withObjects(scene.objects.map((o, k) => (k === i ? { ...o, pose: { ...o.pose, position: [o.pose.position[0] + dx, o.pose.position[1], o.pose.position[2]] } } : o)));
const turned = (i: number, deg: number): Scene =>
  withObjects(scene.objects.map((o, k) => (k === i ? { ...o, pose: { ...o.pose, orientation: quatMultiply(quatFromAxisAngle([0, 0, 1], (deg * Math.PI) / 180), o.pose.orientation) } } : o)));

describe('sceneChange', () => {
  it('the same scene, and moves or turns within the tolerance, are no change', () => {
    expect(scene.objects.length).toBe(3);
    expect(sceneChange(scene, scene, tol).changed).toBe(false);
    expect(sceneChange(scene, moved(1, 0.009), tol).changed).toBe(false);
    expect(sceneChange(scene, turned(2, 4), tol).changed).toBe(false);
    // ids renumbered and listed in another order: paired by label and position
    const renamed = withObjects([...scene.objects].reverse().map((o, k) => ({ ...o, id: `x_${k}` })));
    expect(sceneChange(scene, renamed, tol).changed).toBe(false);
  });

  it('a move or turn beyond the tolerance, an object added or removed, is a change', () => {
    expect(sceneChange(scene, moved(0, 0.011), tol)).toMatchObject({ changed: true, reason: expect.stringMatching(/moved 11\.0 mm/) as unknown });
    expect(sceneChange(scene, turned(1, 6), tol)).toMatchObject({ changed: true, reason: expect.stringMatching(/turned 6\.0°/) as unknown });
    expect(sceneChange(scene, withObjects(scene.objects.slice(1)), tol)).toMatchObject({ changed: true, reason: '3 → 2 objects' });
    const relabelled = withObjects(scene.objects.map((o, k) => (k === 0 ? { ...o, label: 'something_else' } : o)));
    expect(sceneChange(scene, relabelled, tol).changed).toBe(true);
  });
});
