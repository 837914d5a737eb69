/**
 * `real2sim reconstruct --gpu-host` against the real GPU-host server on 127.0.0.1 with the tiny
 * models: the single-image path (no depth) and the RGB-D path with remote segmentation, both to a
 * validated bundle with report.html; host down (fallback with depth, REMOTE error without) and a
 * wrong token. Object numbers are predicted from the tiny models' definitions (src/gpu/tinyModels.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/commands/reconstruct.ts';
import { focalFromFov, TINY } from '../../src/gpu/tinyModels.ts';
import { encodeDepthPng, encodeLabelPng, encodePng } from '../../src/io/image.ts';
import { sceneFromJson } from '../../src/io/sceneJson.ts';
import { quatAngle, quatFromYaw } from '../../src/model/pose.ts';
import type { Scene } from '../../src/model/scene.ts';
import { renderFixture } from '../stages/fixtures.ts';
import { H, startTinyHost, testImage, tinyBoxCentre, W, type TinyHost } from './fixtures.ts';

const TOKEN = 'cli-token';
let host: TinyHost;
let dir: string;
let deadUrl: string;
const rgbdFiles = { rgb: '', depth: '', camera: '', masks: '' };

beforeAll(async () => {
  host = await startTinyHost({ token: TOKEN });
  dir = mkdtempSync(join(tmpdir(), 'r2s-gpu-cli-'));
  writeFileSync(join(dir, 'single.png'), encodePng(testImage()));

  // an RGB-D frame whose objects wear the colours the tiny segmentation model separates
  const { frame } = renderFixture(
    [
      { kind: 'box', id: 1, label: 'box', centre: [0, 0, 0.05], size: [0.2, 0.1, 0.1], yaw: 0.4 },
      { kind: 'box', id: 2, label: 'crate', centre: [0.05, 0.25, 0.06], size: [0.12, 0.12, 0.12], yaw: 0 },
    ],
    { width: W, height: H },
  );
  const paint: Record<number, [number, number, number]> = { 1: [200, 30, 30], 2: [30, 200, 30] };
  for (let i = 0; i < frame.masks!.data.length; i++) frame.color.data.set(paint[frame.masks!.data[i]!] ?? [128, 128, 128], i * 3);
  for (const [k, bytes] of [
    ['rgb', encodePng(frame.color)],
    ['depth', encodeDepthPng(frame.depth!)],
    ['masks', encodeLabelPng(frame.masks!)],
    ['camera', JSON.stringify(frame.camera)],
  ] as const) {
    rgbdFiles[k] = join(dir, `rgbd-${k}.${k === 'camera' ? 'json' : 'png'}`);
    writeFileSync(rgbdFiles[k], bytes);
  }

  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  deadUrl = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  await new Promise<void>((r) => s.close(() => r()));
}, 30_000);

afterAll(async () => {
  await host?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const readScene = (out: string): Scene => sceneFromJson(readFileSync(join(out, 'scene.json'), 'utf8'));

describe('real2sim reconstruct --gpu-host', () => {
  it("single image (no depth) → validated bundle with report.html; sizes, yaw, placement and intrinsics are the tiny models'", async () => {
    const out = join(dir, 'single-bundle');
    const code = await run(['--rgb', join(dir, 'single.png'), '--gpu-host', host.server.url, '--gpu-token', TOKEN, '--gpu-timeout-ms', '20000', '--out', out, '--quiet']);
    expect(code).toBe(0);
    const scene = readScene(out);
    expect(scene.meta?.['source']).toBe('single-image');
    expect(scene.meta?.['gpuHost']).toBe(host.server.url);
    expect(scene.camera!.intrinsics.fx).toBeCloseTo(focalFromFov(W, TINY.depth.fovDeg), 3);
    expect(scene.camera!.pose.position[2]).toBeCloseTo(TINY.depth.height, 3);
    expect(scene.reports.map((r) => r.stage)).toEqual(['perceive', 'lift', 'ground', 'shape', 'place', 'compose', 'validate', 'export']);
    expect(scene.reports[0]!.backend).toBe('remote+remote');
    expect(scene.objects.map((o) => o.label).sort()).toEqual(['blue box', 'green box', 'red box']);
    for (const obj of scene.objects) {
      for (let k = 0; k < 3; k++) expect(obj.size[k], `${obj.label} size ${k}`).toBeCloseTo(TINY.pose.size[k]!, 4);
      const want = tinyBoxCentre(obj.label);
      // validation may settle an object by a few millimetres; 1 cm is the repair budget
      expect(Math.hypot(...obj.pose.position.map((p, k) => p - want[k]!)), `${obj.label} position`).toBeLessThan(0.01);
      expect(quatAngle(obj.pose.orientation, quatFromYaw((TINY.pose.yawDeg * Math.PI) / 180)), `${obj.label} yaw`).toBeLessThan(0.02);
      expect(existsSync(join(out, 'debug/clouds', `${obj.id}.ply`)), `${obj.id} cloud`).toBe(true);
    }
    expect(['valid', 'repaired']).toContain(scene.physics?.verdict);
    expect((JSON.parse(readFileSync(join(out, 'physics.json'), 'utf8')) as { verdict: string }).verdict).toBe(scene.physics!.verdict);
    for (const f of ['scene.urdf', 'scene.sdf', 'scene.xml', 'debug/report.html', 'debug/masks.png', 'debug/depth.png']) expect(existsSync(join(out, f)), f).toBe(true);
  }, 60_000);

  it("RGB-D with segmentation on the host (token from REAL2SIM_GPU_TOKEN) → bundle with the host's labels and the sensor's sizes", async () => {
    const out = join(dir, 'rgbd-bundle');
    process.env['REAL2SIM_GPU_TOKEN'] = TOKEN;
    try {
      const code = await run(['--rgb', rgbdFiles.rgb, '--depth', rgbdFiles.depth, '--camera', rgbdFiles.camera, '--gpu-host', host.server.url, '--out', out, '--quiet']);
      expect(code).toBe(0);
    } finally {
      delete process.env['REAL2SIM_GPU_TOKEN'];
    }
    const scene = readScene(out);
    expect(scene.meta?.['source']).toBe('rgbd');
    expect(scene.meta?.['segmentation']).toBe('remote');
    const perceive = scene.reports.find((r) => r.stage === 'perceive')!;
    expect(perceive.backend).toBe('remote');
    expect(perceive.warnings).toEqual([]);
    const byLabel = new Map(scene.objects.map((o) => [o.label, o]));
    expect([...byLabel.keys()].sort()).toEqual(['green box', 'red box']);
    // sizes come from the sensor's depth, not the pose model: the rendered boxes, within the masks' 5-px cells
    const red = [...byLabel.get('red box')!.size].sort((a, b) => b - a);
    expect(red[0]).toBeCloseTo(0.2, 1);
    expect(byLabel.get('red box')!.size[2]).toBeCloseTo(0.1, 1);
    expect(byLabel.get('green box')!.size[2]).toBeCloseTo(0.12, 1);
    expect(['valid', 'repaired']).toContain(scene.physics?.verdict);
    expect(existsSync(join(out, 'debug/report.html'))).toBe(true);
  }, 60_000);

  it('host down + depth: falls back to the given masks, else geometric segmentation, with the warning in the perceive report', async () => {
    for (const withMasks of [true, false]) {
      const out = join(dir, `fallback-${withMasks ? 'masks' : 'geometric'}`);
      // not --quiet: the warning is printed on stderr as well
      const printed: string[] = [];
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (printed.push(String(chunk)), true));
      let code: number;
      try {
        code = await run([
          '--rgb',
          rgbdFiles.rgb,
          '--depth',
          rgbdFiles.depth,
          '--camera',
          rgbdFiles.camera,
          ...(withMasks ? ['--masks', rgbdFiles.masks] : []),
          '--gpu-host',
          deadUrl,
          '--out',
          out,
          '--no-validate',
        ]);
      } finally {
        spy.mockRestore();
      }
      expect(code).toBe(0);
      expect(printed.join('')).toContain(`warning (perceive): GPU host ${deadUrl} is unreachable for stage "perceive"`);
      const scene = readScene(out);
      const perceive = scene.reports.find((r) => r.stage === 'perceive')!;
      expect(perceive.warnings).toHaveLength(1);
      expect(perceive.warnings[0]).toContain(`GPU host ${deadUrl} is unreachable for stage "perceive"`);
      expect(perceive.warnings[0]).toContain(`fell back to the "${withMasks ? 'given' : 'geometric'}" backend`);
      expect(scene.meta?.['segmentation']).toBe(`${withMasks ? 'given' : 'geometric'} (GPU host unreachable)`);
      expect(scene.objects).toHaveLength(2);
      expect(existsSync(join(out, 'debug/report.html'))).toBe(true);
      // the given masks' instance ids survive; geometric segments carry none
      expect(scene.objects.map((o) => o.instanceId).sort()).toEqual(withMasks ? [1, 2] : [undefined, undefined]);
    }
  }, 60_000);

  it('host down + no depth: a REMOTE error naming the host and the stage, and no bundle', async () => {
    const out = join(dir, 'down-single');
    await expect(run(['--rgb', join(dir, 'single.png'), '--gpu-host', deadUrl, '--out', out, '--quiet'])).rejects.toMatchObject({
      code: 'REMOTE',
      message: expect.stringContaining(`GPU host ${deadUrl} is unreachable for stage "perceive"`) as unknown,
      context: { host: deadUrl, stage: 'perceive', kind: 'unreachable' },
    });
    expect(existsSync(out)).toBe(false);
  }, 30_000);

  it('wrong or missing token: the 401 is a REMOTE error that says to pass --gpu-token, with or without depth, and no bundle', async () => {
    const single = join(dir, 'bad-token-single');
    await expect(run(['--rgb', join(dir, 'single.png'), '--gpu-host', host.server.url, '--gpu-token', 'wrong', '--out', single, '--quiet'])).rejects.toMatchObject({
      code: 'REMOTE',
      message: expect.stringMatching(/refused stage "perceive" with HTTP 401.*--gpu-token/) as unknown,
      context: { host: host.server.url, status: 401 },
    });
    expect(existsSync(single)).toBe(false);
    // a 401 is not "unreachable": no silent fallback even though the frame has depth and masks
    const rgbd = join(dir, 'bad-token-rgbd');
    await expect(
      run(['--rgb', rgbdFiles.rgb, '--depth', rgbdFiles.depth, '--camera', rgbdFiles.camera, '--masks', rgbdFiles.masks, '--gpu-host', host.server.url, '--out', rgbd, '--quiet']),
    ).rejects.toMatchObject({ code: 'REMOTE', context: { status: 401, stage: 'perceive' } });
    expect(existsSync(rgbd)).toBe(false);
  }, 30_000);

  it('neither --depth nor --gpu-host: BAD_INPUT that says to pass one of them', async () => {
    await expect(run(['--rgb', join(dir, 'single.png'), '--out', join(dir, 'none')])).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/--depth.*or --gpu-host URL/) as unknown,
    });
  });
});
