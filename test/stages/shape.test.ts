import { describe, expect, it } from 'vitest';
import { boxMesh } from '../../src/geometry/primitives.ts';
import type { ColorImage, LabelImage } from '../../src/model/image.ts';
import type { DeocclusionBackend, ShapeBackend, ShapeInput } from '../../src/stages/backends.ts';
import type { LiftedObject } from '../../src/stages/lift.ts';
import { shape } from '../../src/stages/shape.ts';
import { objectCrops } from '../../src/stages/crop.ts';

describe('shape stage with a de-occlusion backend', () => {
  it("completes each object's crop (its box grown by the margin, clipped to the image, with its visible mask) and the shape backend generates from the completed image", async () => {
    const W = 12,
      H = 8;
    // colour: the pixel index in the red channel, so a crop tells where it was taken from
    const color: ColorImage = { width: W, height: H, encoding: 'rgb8', data: Uint8Array.from({ length: W * H * 3 }, (_, i) => (i % 3 === 0 ? i / 3 : 0)) };
    const masks: LabelImage = { width: W, height: H, data: new Uint16Array(W * H), labels: new Map([[5, 'cup']]) };
    // object 5: an L in rows 0..2, columns 1..3 (touching the top edge)
    const pix = [1, 2, 3, W + 1, 2 * W + 1];
    for (const p of pix) masks.data[p] = 5;
    masks.data[2 * W + 3] = 9; // a neighbour inside the box: not visible object
    const obj: LiftedObject = { id: 5, label: 'cup', pixels: Uint32Array.from(pix), cloud: { positions: new Float32Array(15) }, world: new Float32Array(15), maskPixels: 5 };
    const seen: { crop: ColorImage; mask: Uint8Array; prompt?: string }[] = [];
    const completed: ColorImage = { width: 1, height: 1, encoding: 'rgba8', data: new Uint8Array(4) };
    const deocclusion: DeocclusionBackend = {
      name: 'fill',
      complete: (crop, mask, prompt) => (seen.push({ crop, mask, ...(prompt !== undefined ? { prompt } : {}) }), Promise.resolve(completed)),
    };
    const inputs: ShapeInput[] = [];
    const backend: ShapeBackend = { name: 'img2mesh', generate: (i) => (inputs.push(i), Promise.resolve({ mesh: boxMesh(1, 1, 1), frame: 'canonical' })) };
    const crops = objectCrops(color, masks, [obj], 1);
    const { output, report } = await shape({ backend, deocclusion })({ objects: [obj], crops });
    expect(report.backend).toBe('fill+img2mesh');
    // box columns 1..3, rows 0..2; grown by 1: columns 0..4, rows 0..3 (row −1 clipped)
    expect(seen).toHaveLength(1);
    const { crop, mask, prompt } = seen[0]!;
    expect([crop.width, crop.height, prompt]).toEqual([5, 4, 'cup']);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) expect(crop.data[(y * 5 + x) * 3]).toBe(y * W + x);
    const want = new Uint8Array(20);
    for (const p of pix) want[Math.floor(p / W) * 5 + (p % W)] = 1;
    expect([...mask]).toEqual([...want]);
    expect(inputs[0]!.image).toBe(completed);
    expect(output.shapes[0]).toMatchObject({ id: 5, frame: 'canonical', method: 'img2mesh' });
    // without the crops the stage cannot de-occlude: an internal error, not a silent image-less call
    await expect(shape({ backend, deocclusion })({ objects: [obj] })).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
