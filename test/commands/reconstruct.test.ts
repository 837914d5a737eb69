import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/commands/reconstruct.ts';
import { encodeDepthPng, encodeLabelPng, encodePng, decodeColorImage, decodeLabelPng } from '../../src/io/image.ts';
import { scoreSegmentation } from '../../src/eval/segmentation.ts';
import { EXIT } from '../../src/commands/exitCodes.ts';
import { lowConfidenceVerdict } from '../../src/app/frameToBundle.ts';
import type { PhysicsReport } from '../../src/model/physics.ts';
import { sceneFromJson } from '../../src/io/sceneJson.ts';
import { renderFixture } from '../stages/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'r2s-reconstruct-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('real2sim reconstruct', () => {
  const { frame } = renderFixture(
    [
      { kind: 'box', id: 1, label: 'box', centre: [0, 0, 0.05], size: [0.2, 0.1, 0.1], yaw: 0.4 },
      { kind: 'cylinder', id: 2, label: 'can', centre: [0.1, 0.22, 0.06], radius: 0.04, height: 0.12 },
    ],
    { width: 320, height: 240 },
  );
  writeFileSync(join(dir, 'rgb.png'), encodePng(frame.color));
  writeFileSync(join(dir, 'depth.png'), encodeDepthPng(frame.depth!));
  writeFileSync(join(dir, 'masks.png'), encodeLabelPng(frame.masks!));
  writeFileSync(join(dir, 'camera.json'), JSON.stringify(frame.camera));
  /** The frame with its given masks, into `out`, quietly; `more` flags after. */
  const maskedFrameArgs = (out: string, ...more: string[]) => [
    '--rgb',
    join(dir, 'rgb.png'),
    '--depth',
    join(dir, 'depth.png'),
    '--camera',
    join(dir, 'camera.json'),
    '--masks',
    join(dir, 'masks.png'),
    '--out',
    out,
    '--quiet',
    ...more,
  ];

  it('writes the bundle with scene.json, meshes and debug products', async () => {
    const out = join(dir, 'bundle');
    const code = await run(maskedFrameArgs(out, '--no-validate'));
    expect(code).toBe(0);
    const scene = sceneFromJson(readFileSync(join(out, 'scene.json'), 'utf8'));
    expect(scene.objects.length).toBe(2);
    expect(scene.reports.map((r) => r.stage).slice(0, 6)).toEqual(['perceive', 'lift', 'ground', 'shape', 'place', 'compose']);
    expect(scene.reports.every((r) => r.timeMs >= 0)).toBe(true);
    for (const f of ['scene.urdf', 'scene.sdf', 'scene.xml', 'debug/masks.png', 'debug/depth.png']) expect(existsSync(join(out, f)), f).toBe(true);
    for (const o of scene.objects) expect(existsSync(join(out, 'debug/clouds', `${o.id}.ply`))).toBe(true);
    const overlay = decodeColorImage(new Uint8Array(readFileSync(join(out, 'debug/masks.png'))));
    expect([overlay.width, overlay.height]).toEqual([320, 240]);
    const can = scene.objects.find((o) => o.instanceId === 2)!;
    expect(can.size[2]).toBeCloseTo(0.12, 2);
    // debug/labels.png: 16-bit, value k = the k-th object of scene.json, drawn from its given mask
    const labels = decodeLabelPng(new Uint8Array(readFileSync(join(out, 'debug/labels.png'))));
    expect([labels.width, labels.height]).toEqual([320, 240]);
    scene.objects.forEach((o, k) => {
      for (let i = 0; i < labels.data.length; i++) if (frame.masks!.data[i] === o.instanceId) expect(labels.data[i]).toBe(k + 1);
    });
  });

  it('geometric segmentation: debug/labels.png scores against the rendered truth (overlap F ≥ 0.9, both objects)', async () => {
    const out = join(dir, 'geometric');
    const code = await run(['--rgb', join(dir, 'rgb.png'), '--depth', join(dir, 'depth.png'), '--camera', join(dir, 'camera.json'), '--out', out, '--no-validate', '--quiet']);
    expect(code).toBe(0);
    const scene = sceneFromJson(readFileSync(join(out, 'scene.json'), 'utf8'));
    const labels = decodeLabelPng(new Uint8Array(readFileSync(join(out, 'debug/labels.png'))));
    expect(Math.max(...labels.data)).toBe(scene.objects.length);
    const s = scoreSegmentation(labels.data, frame.masks!.data, 320, 240);
    expect(s.overlapF).toBeGreaterThanOrEqual(0.9);
    expect(s.detected).toBe(2);
  });

  it('--max-object-size excludes larger segments (listed in the perceive report, absent from labels.png)', async () => {
    const out = join(dir, 'scoped');
    const args = ['--rgb', join(dir, 'rgb.png'), '--depth', join(dir, 'depth.png'), '--camera', join(dir, 'camera.json'), '--out', out, '--quiet', '--max-object-size', '0.15'];
    expect(await run(args)).toBe(0);
    const scene = sceneFromJson(readFileSync(join(out, 'scene.json'), 'utf8'));
    expect(scene.objects).toHaveLength(1); // the 12 cm can; the 20 cm box is excluded
    expect(Math.max(...scene.objects[0]!.size)).toBeLessThan(0.15);
    const perceive = scene.reports.find((r) => r.stage === 'perceive')!;
    expect(perceive.excluded).toHaveLength(1);
    expect(perceive.excluded![0]!.reason).toBe('too_large');
    expect(perceive.excluded![0]!.sizeM).toBeGreaterThan(0.18);
    expect(perceive.excluded![0]!.sizeM).toBeLessThan(0.23);
    const labels = decodeLabelPng(new Uint8Array(readFileSync(join(out, 'debug/labels.png'))));
    expect(Math.max(...labels.data)).toBe(1);
  });

  it('--strict exits 4 on a low-confidence scene (bundle still written), 0 on a confident one', async () => {
    const base = ['--rgb', join(dir, 'rgb.png'), '--depth', join(dir, 'depth.png'), '--camera', join(dir, 'camera.json'), '--quiet', '--no-validate'];
    // nothing is small enough to be an object: no object on the support → low confidence
    expect(await run([...base, '--out', join(dir, 'strict-low'), '--max-object-size', '0.05', '--strict'])).toBe(EXIT.LOW_CONFIDENCE);
    const low = sceneFromJson(readFileSync(join(dir, 'strict-low', 'scene.json'), 'utf8'));
    expect(low.confidence?.level).toBe('low');
    expect(low.confidence?.reasons).toContain('no object was found on the support');
    expect(await run([...base, '--out', join(dir, 'strict-ok'), '--strict'])).toBe(EXIT.OK);
    expect(sceneFromJson(readFileSync(join(dir, 'strict-ok', 'scene.json'), 'utf8')).confidence).toEqual({ level: 'high', score: 1, reasons: [] });
  });

  it('physics never vouches for low-confidence geometry: valid becomes needs_review, other verdicts stay', () => {
    const report = { engine: 'x', verdict: 'valid', findings: [], repairs: [], support: [] } as unknown as PhysicsReport;
    const low = { level: 'low' as const, score: 0.2, reasons: ['r'] };
    expect(lowConfidenceVerdict(report, low).verdict).toBe('needs_review');
    expect(lowConfidenceVerdict(report, { level: 'high', score: 1, reasons: [] }).verdict).toBe('valid');
    expect(lowConfidenceVerdict({ ...report, verdict: 'invalid' }, low).verdict).toBe('invalid');
  });

  it('--workspace keeps what stands inside the box; a malformed box is a BAD_INPUT naming the format', async () => {
    const out = join(dir, 'workspace');
    // the support frame's origin is under the camera, x forward: the objects stand ~0.5-0.9 m ahead
    const base = ['--rgb', join(dir, 'rgb.png'), '--depth', join(dir, 'depth.png'), '--camera', join(dir, 'camera.json'), '--quiet', '--no-validate'];
    expect(await run([...base, '--out', out, '--workspace=-5,-5,-1,5,5,2'])).toBe(0);
    expect(sceneFromJson(readFileSync(join(out, 'scene.json'), 'utf8')).objects).toHaveLength(2);
    expect(await run([...base, '--out', join(dir, 'workspace-empty'), '--workspace=-5,-5,1,5,5,2'])).toBe(0);
    const empty = sceneFromJson(readFileSync(join(dir, 'workspace-empty', 'scene.json'), 'utf8'));
    expect(empty.objects).toHaveLength(0);
    expect(empty.reports.find((r) => r.stage === 'perceive')!.excluded!.map((e) => e.reason)).toEqual(['outside_workspace', 'outside_workspace']);
    await expect(run([...base, '--out', join(dir, 'ws-bad'), '--workspace', '1,2,3'])).rejects.toThrow(/--workspace must be six numbers/);
    await expect(run([...base, '--out', join(dir, 'ws-bad'), '--workspace', '1,0,0,0,1,1'])).rejects.toThrow(/each min below its max/);
  });

  it('validates and repairs by default: physics verdict, physics.json, report.html, snapshots, world-frame clouds', async () => {
    const out = join(dir, 'validated');
    const code = await run(maskedFrameArgs(out));
    expect(code).toBe(0);
    const scene = sceneFromJson(readFileSync(join(out, 'scene.json'), 'utf8'));
    expect(['valid', 'repaired']).toContain(scene.physics?.verdict);
    expect(scene.reports.map((r) => r.stage)).toContain('validate');
    expect((JSON.parse(readFileSync(join(out, 'physics.json'), 'utf8')) as { verdict: string }).verdict).toBe(scene.physics!.verdict);
    for (const f of ['debug/report.html', 'debug/view_top.png', 'debug/view_camera.png']) expect(existsSync(join(out, f)), f).toBe(true);
    // clouds are written in the world frame (z up, on or above the support), beside their object
    const { decodePlyCloud } = await import('../../src/io/mesh.ts');
    for (const o of scene.objects) {
      const cloud = decodePlyCloud(new Uint8Array(readFileSync(join(out, 'debug/clouds', `${o.id}.ply`))));
      const n = cloud.positions.length / 3;
      let cx = 0,
        cy = 0,
        minZ = Infinity;
      for (let i = 0; i < n; i++) {
        cx += cloud.positions[i * 3]! / n;
        cy += cloud.positions[i * 3 + 1]! / n;
        minZ = Math.min(minZ, cloud.positions[i * 3 + 2]!);
      }
      expect(minZ).toBeGreaterThan(-0.01);
      expect(Math.hypot(cx - o.pose.position[0], cy - o.pose.position[1])).toBeLessThan(0.1);
    }
  });

  it('--no-debug: the same scene and simulator files, validated, without the debug/ folder', async () => {
    const full = join(dir, 'with-debug'),
      lean = join(dir, 'no-debug');
    expect(await run(maskedFrameArgs(full))).toBe(0);
    expect(await run(maskedFrameArgs(lean, '--no-debug'))).toBe(0);
    const files = (out: string) => (JSON.parse(readFileSync(join(out, '.real2sim-bundle'), 'utf8')) as { files: string[] }).files.sort();
    const withDebug = files(full);
    expect(withDebug.filter((f) => f.startsWith('debug/')).length).toBeGreaterThan(5);
    expect(files(lean)).toEqual(withDebug.filter((f) => !f.startsWith('debug/')));
    expect(existsSync(join(lean, 'debug'))).toBe(false);
    // the same scene: objects, poses and the physics verdict (timings and the title aside)
    const a = sceneFromJson(readFileSync(join(full, 'scene.json'), 'utf8')),
      b = sceneFromJson(readFileSync(join(lean, 'scene.json'), 'utf8'));
    expect(b.objects).toEqual(a.objects);
    expect(b.physics?.verdict).toBe(a.physics?.verdict);
    for (const f of ['scene.urdf', 'scene.sdf', 'scene.xml']) expect(readFileSync(join(lean, f), 'utf8'), f).toBe(readFileSync(join(full, f), 'utf8').replaceAll('with-debug', 'no-debug'));
    const physics = (out: string) => {
      const { timeMs: _t, ...rest } = JSON.parse(readFileSync(join(out, 'physics.json'), 'utf8')) as { timeMs: number };
      return rest;
    };
    expect(physics(lean)).toEqual(physics(full));
  });

  it('missing flags and bad numbers are BAD_INPUT errors naming them', async () => {
    await expect(run(['--rgb', 'x.png', '--out', join(dir, 'o')])).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/pass --depth DEPTH\.png \(with --camera\).*or --gpu-host URL/) as unknown,
    });
    await expect(run(['--rgb', 'x.png', '--depth', 'd.png', '--out', join(dir, 'o')])).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/needs --camera/) as unknown });
    await expect(run(['--rgb', 'a', '--depth', 'b', '--camera', 'c', '--out', 'd', '--gpu-token', 't'])).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/only apply with --gpu-host/) as unknown,
    });
    await expect(run(['--rgb', 'a', '--gpu-host', 'http://127.0.0.1:1', '--out', 'd', '--gpu-timeout-ms', '-5'])).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/--gpu-timeout-ms/) as unknown,
    });
    await expect(run(['--rgb', 'a', '--gpu-host', 'http://127.0.0.1:1', '--out', 'd', '--masks', 'm.png'])).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/--masks needs --depth/) as unknown,
    });
    await expect(run(['--rgb', 'a', '--depth', 'b', '--camera', 'c', '--out', 'd', '--gpu-host', 'http://127.0.0.1:1', '--segmentation', 'given'])).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/drop --segmentation given/) as unknown,
    });
    await expect(run(['--rgb', 'a', '--gpu-host', 'not a url', '--out', 'd'])).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/not a URL/) as unknown });
    await expect(run(['--rgb', 'a', '--depth', 'b', '--camera', 'c', '--out', 'd', '--depth-scale', 'zero'])).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/--depth-scale/) as unknown,
    });
    await expect(run(['--rgb', 'a', '--depth', 'b', '--camera', 'c', '--out', 'd', '--segmentation', 'magic'])).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('a missing file is a BAD_FILE error, and no bundle is left behind', async () => {
    const out = join(dir, 'never');
    await expect(run(['--rgb', join(dir, 'nope.png'), '--depth', join(dir, 'depth.png'), '--camera', join(dir, 'camera.json'), '--out', out, '--quiet'])).rejects.toMatchObject({ code: 'BAD_FILE' });
    expect(existsSync(out)).toBe(false);
  });
});
