import { describe, expect, it } from 'vitest';
import { itemMesh, loadLibrary, type Library } from '../../src/library/index.ts';
import { generateLibraryScene, libraryPoseError } from '../../src/synth/librarySynth.ts';
import { reconstructDetailed } from '../../src/pipeline.ts';
import { composePoses, invertPose } from '../../src/model/pose.ts';
import { massProperties } from '../../src/geometry/massProperties.ts';
import { shapesLibraryDir } from './shapes.ts';

async function sceneItems(lib: Library) {
  return Promise.all(lib.items.map(async (item) => ({ item, mesh: await itemMesh(lib, item) })));
}

describe('match stage (synthetic scenes with library items at known poses)', () => {
  it('finds the right item and its pose; the object carries the item (mesh, name, density, symmetry)', async () => {
    const lib = await loadLibrary(shapesLibraryDir());
    const items = await sceneItems(lib);
    let objects = 0;
    const mm: number[] = [],
      deg: number[] = [];
    for (const seed of [1, 2, 3]) {
      const s = generateLibraryScene({ seed, items, noise: true, minObjects: 2, maxObjects: 3 });
      const det = await reconstructDetailed(s.frame, { library: lib });
      const report = det.scene.reports.find((r) => r.stage === 'match')!;
      expect(report.matches!.length).toBe(s.truth.length);
      const toCam = invertPose(det.scene.camera!.pose),
        toCamTruth = invertPose(s.scene.camera!.pose);
      for (const t of s.truth) {
        objects++;
        const o = det.scene.objects.find((x) => x.instanceId === t.instanceId)!;
        expect(o.library?.name, `seed ${seed}, ${t.item.name}`).toBe(t.item.name);
        expect(o.label).toBe(t.item.name);
        const est = composePoses(toCam, composePoses(o.pose, o.library!.itemPose));
        const err = libraryPoseError(t.item, est, composePoses(toCamTruth, t.pose));
        expect(err.mm, `seed ${seed}, ${t.item.name}`).toBeLessThan(8);
        expect(err.deg, `seed ${seed}, ${t.item.name}`).toBeLessThan(5);
        mm.push(err.mm);
        deg.push(err.deg);
        // the object's mesh is the item's: same volume, mass = density × volume where given
        const vol = massProperties(t.object.mesh, 1).volume;
        expect(massProperties(o.mesh, 1).volume).toBeCloseTo(vol, 6);
        if (t.item.density !== undefined) expect(o.mass).toBeCloseTo(t.item.density * vol, 4);
        const row = report.matches!.find((m) => m.object === t.instanceId)!;
        expect(row.matched).toBe(true);
        expect(row.score).toBeGreaterThanOrEqual(0.8);
      }
    }
    expect(objects).toBeGreaterThanOrEqual(6);
    // the bench's targets, on these few scenes: median ≤ 3 mm / 3°
    const med = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1]!;
    expect(med(mm)).toBeLessThanOrEqual(3);
    expect(med(deg)).toBeLessThanOrEqual(3);
  }, 120_000);

  it('a library without the object matches nothing wrong (the completion stays)', async () => {
    const full = await loadLibrary(shapesLibraryDir());
    const absent = ['paint_can', 'tea_box', 'mug'];
    const lacking = await loadLibrary(shapesLibraryDir(absent.map((n) => `${n}.obj`)));
    const items = (await sceneItems(full)).filter((x) => absent.includes(x.item.name));
    let checked = 0;
    for (const seed of [11, 12]) {
      const s = generateLibraryScene({ seed, items, noise: true, minObjects: 2, maxObjects: 3 });
      const det = await reconstructDetailed(s.frame, { library: lacking });
      for (const t of s.truth) {
        const o = det.scene.objects.find((x) => x.instanceId === t.instanceId)!;
        expect(o.library, `seed ${seed}: ${t.item.name} matched to ${o.library?.name}`).toBeUndefined();
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  }, 120_000);
});
