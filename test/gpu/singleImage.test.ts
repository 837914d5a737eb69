/**
 * The full single-image path through the real GPU-host server on 127.0.0.1 with the tiny
 * models: depth → segment → de-occlude → shape → pose → compose → validate → export: the one
 * pipeline configured with the five `remote` backends (`learnedPipeline`). Every number is predicted from the tiny models' definitions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { GpuHostClient } from '../../src/gpu/client.ts';
import { remoteBackends } from '../../src/gpu/backends.ts';
import { learnedPipeline, reconstruct } from '../../src/pipeline.ts';
import { focalFromFov, TINY } from '../../src/gpu/tinyModels.ts';
import { writeBundle } from '../../src/export/bundle.ts';
import { quatAngle, quatFromYaw } from '../../src/model/pose.ts';
import { startTinyHost, testImage, tinyBoxCentre, W, type TinyHost } from './fixtures.ts';
import { checkSdf, checkUrdf, mujocoCompile, skipWithout } from '../export/validators.ts';

let host: TinyHost;
let client: GpuHostClient;
let out: string;
beforeAll(async () => {
  host = await startTinyHost({ token: 'tok' });
  client = new GpuHostClient({ url: host.server.url, token: 'tok' });
  out = await mkdtemp(join(tmpdir(), 'r2s-single-'));
});
afterAll(async () => {
  client?.close();
  await host?.close();
  await rm(out, { recursive: true, force: true });
});

test("single image → validated, exported scene: the tiny models' numbers come out exactly", async () => {
  const backends = remoteBackends(client);
  const scene = await reconstruct({ color: testImage() }, learnedPipeline(backends));
  const camera = scene.camera!.intrinsics;

  // perceive: intrinsics estimated by the depth model's focal output
  expect(camera.fx).toBeCloseTo(focalFromFov(W, TINY.depth.fovDeg), 3);
  // ground: the camera sits 1 m above the plane, pitched down 45°
  expect(scene.camera!.pose.position[2]).toBeCloseTo(TINY.depth.height, 3);
  expect(scene.reports.map((r) => r.stage)).toEqual(['perceive', 'lift', 'ground', 'shape', 'place', 'compose']);
  expect(scene.reports.every((r) => r.warnings.length === 0)).toBe(true);
  expect(scene.reports[0]!.backend).toBe('remote+remote');

  // one object per rectangle, each exactly the pose model's size and yaw, centred above its mask's ground points
  expect(scene.objects.map((o) => o.label).sort()).toEqual(['blue box', 'green box', 'red box']);
  for (const obj of scene.objects) {
    const want = tinyBoxCentre(obj.label);
    for (let k = 0; k < 3; k++) expect(Math.abs(obj.pose.position[k]! - want[k]!), `${obj.label} axis ${k}`).toBeLessThan(1e-3);
    for (let k = 0; k < 3; k++) expect(obj.size[k]).toBeCloseTo(TINY.pose.size[k]!, 5);
    expect(quatAngle(obj.pose.orientation, quatFromYaw((TINY.pose.yawDeg * Math.PI) / 180))).toBeLessThan(1e-5);
    const volume = TINY.pose.size[0] * TINY.pose.size[1] * TINY.pose.size[2];
    expect(obj.mass / volume).toBeGreaterThan(0);
    expect(obj.collision).toHaveLength(1);
    expect(obj.score).toBeGreaterThan(0.3);
  }

  // validate (physics) and export; the validators accept the bundle
  const sim = await import('../../sim/index.ts');
  const { scene: checked, report } = await sim.validateAndRepair(scene);
  expect(['valid', 'repaired']).toContain(report.verdict);
  for (const obj of checked.objects) {
    const before = scene.objects.find((o) => o.id === obj.id)!;
    expect(Math.hypot(...obj.pose.position.map((p, k) => p - before.pose.position[k]!))).toBeLessThan(0.01);
  }
  const dir = join(out, 'bundle');
  await writeBundle(dir, checked);
  if (!skipWithout('check_urdf')) expect(checkUrdf(join(dir, 'scene.urdf')).ok).toBe(true);
  if (!skipWithout('ign')) expect(checkSdf(join(dir, 'scene.sdf')).ok).toBe(true);
  if (!skipWithout('mujoco-compile')) expect(mujocoCompile(join(dir, 'scene.xml'), join(out, 'scene.mjb')).ok).toBe(true);
}, 60_000);

test('single image with the host down: no depth to fall back on, so the REMOTE error names host and stage', async () => {
  const { createServer } = await import('node:http');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(s.address() as { port: number }).port}`;
  await new Promise<void>((r) => s.close(() => r()));
  const dead = new GpuHostClient({ url, retries: 1, backoffMs: 1 });
  await expect(reconstruct({ color: testImage() }, learnedPipeline(remoteBackends(dead)))).rejects.toMatchObject({ code: 'REMOTE', context: { kind: 'unreachable', stage: 'perceive', host: url } });
  dead.close();
});
