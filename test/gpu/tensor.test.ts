/** Pre- and post-processing kernels against brute-force expectations. */
import { expect, test } from 'vitest';
import { canonicalise, classesToInstances, logitsToInstances, occupancyToMesh } from '../../src/gpu/decode.ts';
import type { ImageInputSpec } from '../../src/gpu/manifest.ts';
import { imageToTensor, resizeBilinear, resizeNearest, tensorToRgba8 } from '../../src/gpu/tensor.ts';
import { massProperties } from '../../src/geometry/massProperties.ts';
import { boundsOf } from '../../src/model/geometry.ts';
import { createRng } from '../../src/geometry/random.ts';

const spec = (o: Partial<ImageInputSpec>): ImageInputSpec => ({
  name: 'x',
  kind: 'image',
  layout: 'NCHW',
  size: [4, 2],
  colorOrder: 'rgb',
  channels: 3,
  scale: 1 / 255,
  mean: [0, 0, 0],
  std: [1, 1, 1],
  ...o,
});

test('same-size image → tensor: exact values, rgb vs bgr order, NCHW vs NHWC, mean/std', () => {
  const data = Uint8Array.from({ length: 4 * 2 * 3 }, (_, i) => i * 10);
  const img = { width: 4, height: 2, encoding: 'rgb8' as const, data };
  const a = imageToTensor(img, spec({}));
  expect(a.dims).toEqual([1, 3, 2, 4]);
  // channel r of pixel (x=1, y=1) = data[(1*4+1)*3]
  expect(a.data[0 * 8 + 5]).toBeCloseTo(data[15]! / 255, 6);
  const b = imageToTensor(img, spec({ colorOrder: 'bgr', layout: 'NHWC', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }));
  expect(b.dims).toEqual([1, 2, 4, 3]);
  // NHWC pixel 5, channel 0 = blue
  expect(b.data[5 * 3]).toBeCloseTo((data[15 + 2]! / 255 - 0.5) / 0.25, 5);
  // a bgr8 image read as rgb gives the same tensor as its rgb twin
  const bgr = new Uint8Array(data.length);
  for (let i = 0; i < 8; i++) for (let c = 0; c < 3; c++) bgr[i * 3 + c] = data[i * 3 + 2 - c]!;
  expect(imageToTensor({ ...img, encoding: 'bgr8', data: bgr }, spec({})).data).toEqual(a.data);
});

test('4-channel input takes alpha from the mask (non-zero → 1) and rgba output round-trips', () => {
  const img = { width: 4, height: 2, encoding: 'rgb8' as const, data: new Uint8Array(24).fill(51) };
  const mask = Uint8Array.from([0, 1, 0, 7, 0, 0, 1, 1]);
  const s = spec({ channels: 4, mean: [0, 0, 0, 0], std: [1, 1, 1, 1] });
  const t = imageToTensor(img, s, mask);
  expect([...t.data.subarray(24, 32)]).toEqual([0, 1, 0, 1, 0, 0, 1, 1]);
  const back = tensorToRgba8(t, s, 'NCHW', 4, 2);
  expect([...back.data.subarray(0, 8)]).toEqual([51, 51, 51, 0, 51, 51, 51, 255]);
});

test('bilinear resize reproduces an affine field exactly away from the borders (seed 3)', () => {
  const rng = createRng(3);
  const [a, b, c] = [rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1)];
  const sw = 16,
    sh = 12,
    dw = 64,
    dh = 48;
  const src = new Float32Array(sw * sh);
  // sample at source pixel centres in destination pixel units
  for (let y = 0; y < sh; y++) for (let x = 0; x < sw; x++) src[y * sw + x] = a * ((x + 0.5) * 4 - 0.5) + b * ((y + 0.5) * 4 - 0.5) + c;
  const out = resizeBilinear(src, sw, sh, dw, dh);
  for (let y = 2; y < dh - 2; y++) for (let x = 2; x < dw - 2; x++) expect(out[y * dw + x]).toBeCloseTo(a * x + b * y + c, 4);
});

test('nearest resize of labels keeps block-aligned regions exactly', () => {
  const src = Uint16Array.from([1, 2, 3, 4]);
  const out = resizeNearest(src, 2, 2, 4, 4);
  expect([...out]).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
});

test('argmax + components: two same-class blobs are two instances; prompts filter by class name', () => {
  // 1 row × 5 px, 3 classes: bg, cup, cup-gap-cup, then class 2 at the end
  const W = 5,
    H = 1,
    C = 3;
  const logits = new Float32Array(C * W);
  const cls = [1, 0, 1, 2, 2];
  cls.forEach((k, i) => (logits[k * W + i] = 5));
  const { classes, prob } = logitsToInstances(logits, C, H, W);
  expect([...classes]).toEqual(cls);
  expect(prob[0]).toBeCloseTo(Math.exp(5) / (Math.exp(5) + 2), 6);
  const all = classesToInstances(classes, prob, W, H, ['bg', 'cup', 'plate']);
  expect(all.instances.map((i) => i.label)).toEqual(['cup', 'cup', 'plate']);
  expect([...all.labels]).toEqual([1, 0, 2, 3, 3]);
  const plates = classesToInstances(classes, prob, W, H, ['bg', 'cup', 'plate'], 1, ['plate']);
  expect([...plates.labels]).toEqual([0, 0, 0, 1, 1]);
});

test("occupancy → closed outward mesh whose volume is the cells' volume; y-up canonicalised to z-up", () => {
  const D = 4,
    H = 5,
    W = 6;
  const occ = new Float32Array(D * H * W);
  // an L of cells: volume = 3 cells
  for (const [k, j, i] of [
    [1, 1, 1],
    [1, 1, 2],
    [1, 2, 1],
  ])
    occ[(k! * H + j!) * W + i!] = 1;
  const mesh = occupancyToMesh(occ, D, H, W, [0, 0, 0], [W, H, D], 0.5);
  expect(massProperties(mesh, 1).volume).toBeCloseTo(3, 6);
  // y-up: extent along y becomes z
  const box = new Float32Array(D * H * W);
  for (let k = 0; k < 1; k++) for (let j = 0; j < 4; j++) for (let i = 0; i < 2; i++) box[(k * H + j) * W + i] = 1;
  const c = canonicalise(occupancyToMesh(box, D, H, W, [0, 0, 0], [W, H, D], 0.5), 'y');
  const { min, max } = boundsOf(c.positions);
  expect([max[0] - min[0], max[1] - min[1], max[2] - min[2]].map((v) => +v.toFixed(6))).toEqual([0.5, 0.25, 1]);
  expect(massProperties(c, 1).volume).toBeGreaterThan(0);
  expect(() => occupancyToMesh(new Float32Array(8), 2, 2, 2, [0, 0, 0], [1, 1, 1], 0.5)).toThrow(/no cell above 0.5/);
});
