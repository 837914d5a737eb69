import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadFrame, type FramePaths } from '../../src/io/frame.ts';
import { encodeDepthPng, encodeLabelPng, encodePng } from '../../src/io/image.ts';
import { expectRejection } from '../helpers/errors.ts';

let dir = '';
const p = (f: string) => path.join(dir, f);

const W = 8,
  H = 6;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'r2s-frame-'));
  writeFileSync(p('rgb.png'), encodePng({ width: W, height: H, encoding: 'rgb8', data: new Uint8Array(W * H * 3).fill(90) }));
  writeFileSync(p('rgb_small.png'), encodePng({ width: 4, height: 3, encoding: 'rgb8', data: new Uint8Array(36) }));
  const units = new Uint16Array(W * H).fill(10000);
  writeFileSync(p('depth.png'), encodeLabelPng({ width: W, height: H, data: units, labels: new Map() }));
  writeFileSync(p('depth_small.png'), encodeDepthPng({ width: 4, height: 3, data: new Float32Array(12).fill(1) }));
  writeFileSync(p('masks.png'), encodeLabelPng({ width: W, height: H, data: new Uint16Array(W * H).fill(3), labels: new Map() }));
  writeFileSync(p('cam.json'), JSON.stringify({ width: W, height: H, fx: 10, fy: 10, cx: 3.5, cy: 2.5 }));
  writeFileSync(p('cam_bad.json'), JSON.stringify({ width: W, height: H, fx: 0, fy: 10, cx: 3.5, cy: 2.5 }));
  writeFileSync(p('uoc_camera_params.json'), JSON.stringify({ img_width: W, img_height: H, fx: 10, fy: 11, x_offset: 3.5, y_offset: 2.5 }));
  writeFileSync(p('scene_camera.json'), JSON.stringify({ '0': { cam_K: [10, 0, 3.5, 0, 10, 2.5, 0, 0, 1], depth_scale: 0.1 }, '1': { cam_K: [20, 0, 3.5, 0, 20, 2.5, 0, 0, 1], depth_scale: 1 } }));
  writeFileSync(p('calib.yaml'), ['image_width: 8', 'image_height: 6', 'camera_name: cam', 'camera_matrix:', '  rows: 3', '  cols: 3', '  data: [12, 0, 3.5, 0, 13, 2.5, 0, 0, 1]', ''].join('\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadFrame', () => {
  it('loads colour, mm depth, masks and JSON intrinsics', async () => {
    const f = await loadFrame({ rgb: p('rgb.png'), depth: p('depth.png'), camera: p('cam.json'), masks: p('masks.png') });
    expect(f.color.width).toBe(W);
    expect(f.depth!.data[0]).toBeCloseTo(10, 5);
    expect(f.masks!.data[5]).toBe(3);
    expect(f.camera.fx).toBe(10);
  });

  it('applies depthScale (0.1 mm and 1/5000 m units)', async () => {
    const a = await loadFrame({ rgb: p('rgb.png'), depth: p('depth.png'), camera: p('cam.json'), depthScale: 0.0001 });
    expect(a.depth!.data[0]).toBeCloseTo(1, 6);
    const b = await loadFrame({ rgb: p('rgb.png'), depth: p('depth.png'), camera: p('cam.json'), depthScale: 1 / 5000 });
    expect(b.depth!.data[0]).toBeCloseTo(2, 6);
  });

  it('reads UOC camera_params.json (size from the image), BOP scene_camera.json (depth_scale) and calibration YAML', async () => {
    const u = await loadFrame({ rgb: p('rgb.png'), camera: p('uoc_camera_params.json') });
    expect([u.camera.width, u.camera.height, u.camera.fy, u.camera.cx]).toEqual([W, H, 11, 3.5]);
    const bop = await loadFrame({ rgb: p('rgb.png'), depth: p('depth.png'), camera: p('scene_camera.json') });
    expect(bop.camera.fx).toBe(10);
    expect(bop.depth!.data[0]).toBeCloseTo(1, 6); // 10000 × 0.1 mm
    const bop1 = await loadFrame({ rgb: p('rgb.png'), depth: p('depth.png'), camera: p('scene_camera.json'), cameraEntry: '1' });
    expect(bop1.camera.fx).toBe(20);
    expect(bop1.depth!.data[0]).toBeCloseTo(10, 5);
    const y = await loadFrame({ rgb: p('rgb.png'), camera: p('calib.yaml') });
    expect([y.camera.fx, y.camera.fy]).toEqual([12, 13]);
  });

  const bad: [string, Partial<FramePaths>, string, RegExp][] = [
    ['depth size differs from colour size', { depth: 'depth_small.png' }, 'SIZE_MISMATCH', /Depth image is 4×3 but the colour image is 8×6/],
    ['intrinsics with fx ≤ 0', { camera: 'cam_bad.json' }, 'BAD_CAMERA', /cam_bad\.json[\s\S]*fx: focal length must be a finite number > 0, got 0/],
    ['intrinsics made for another image size', { rgb: 'rgb_small.png' }, 'SIZE_MISMATCH', /intrinsics are for 8×6 but the colour image is 4×3/],
    ['a 16-bit PNG given as colour', { rgb: 'depth.png' }, 'BAD_IMAGE', /depth\.png' is a 16-bit .*not a colour image/],
    ['an 8-bit colour PNG given as depth', { depth: 'rgb.png' }, 'BAD_IMAGE', /rgb\.png' is a 8-bit RGB PNG; depth must be a 16-bit/],
    ['a missing file', { depth: 'nope.png' }, 'BAD_FILE', /Cannot read the depth image '.*nope\.png': no such file/],
    ['a missing BOP entry', { camera: 'scene_camera.json', cameraEntry: '9' }, 'BAD_CAMERA', /has no entry '9'/],
  ];
  for (const [what, change, code, pattern] of bad) {
    it(`refuses ${what} with ${code}`, async () => {
      const paths: FramePaths = { rgb: p('rgb.png'), camera: p('cam.json') };
      for (const [k, v] of Object.entries(change)) (paths as unknown as Record<string, unknown>)[k] = k === 'cameraEntry' ? v : p(v as string);
      await expectRejection(() => loadFrame(paths), code, pattern);
    });
  }

  it('refuses a truncated colour PNG on disk', async () => {
    const full = encodePng({ width: 32, height: 32, encoding: 'rgb8', data: new Uint8Array(32 * 32 * 3).map((_, i) => (i * 7) & 255) });
    writeFileSync(p('cut.png'), full.subarray(0, full.length - 25));
    await expectRejection(() => loadFrame({ rgb: p('cut.png'), camera: p('cam.json') }), 'BAD_IMAGE', /cut\.png' is a truncated PNG/);
  });
});
