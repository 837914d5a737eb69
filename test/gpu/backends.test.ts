/**
 * The `remote` and `onnx` backends agree; `withFallback` falls back to geometric/given backends
 * only when the host is unreachable and the input has depth, with a warning.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GpuHostClient } from '../../src/gpu/client.ts';
import { givenDepthBackend, identityDeocclusion, onnxBackends, remoteBackends, withFallback } from '../../src/gpu/backends.ts';
import { boxMesh } from '../../src/geometry/primitives.ts';
import { convexHull } from '../../src/geometry/convexHull.ts';
import type { RgbdFrame } from '../../src/model/frame.ts';
import type { SegmentationBackend, ShapeBackend } from '../../src/stages/backends.ts';
import { H, startTinyHost, testImage, W, type TinyHost } from './fixtures.ts';

let host: TinyHost;
let client: GpuHostClient;
let deadUrl: string;
beforeAll(async () => {
  host = await startTinyHost();
  client = new GpuHostClient({ url: host.server.url });
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  deadUrl = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  await new Promise<void>((r) => s.close(() => r()));
});
afterAll(async () => {
  client?.close();
  await host?.close();
});

const camera = { width: W, height: H, fx: 266, fy: 266, cx: 159.5, cy: 119.5 };
const frameWithDepth = (): RgbdFrame => {
  const masks = { width: W, height: H, data: new Uint16Array(W * H), labels: new Map([[1, 'thing']]) };
  masks.data.fill(1, 0, 100);
  return { color: testImage(), depth: { width: W, height: H, data: new Float32Array(W * H).fill(1.5) }, camera, masks };
};
const givenMasks: SegmentationBackend = {
  name: 'given',
  segment(frame) {
    if (!frame.masks) return Promise.reject(new Error('no masks'));
    return Promise.resolve({ masks: frame.masks });
  },
};
const hullShape: ShapeBackend = { name: 'geometric', generate: (input) => Promise.resolve({ mesh: convexHull(input.points!.positions), frame: 'world' }) };

test('remote and onnx backends give identical results (same manifests, same handlers)', async () => {
  const remote = remoteBackends(client);
  const local = onnxBackends(host.runtime);
  const frame = { color: testImage(), camera };
  const [a, b] = await Promise.all([remote.segmentation.segment(frame), local.segmentation.segment(frame)]);
  expect(a.masks.data).toEqual(b.masks.data);
  expect([...a.masks.labels]).toEqual([...b.masks.labels]);
  const [da, db] = await Promise.all([remote.depth.estimate(frame.color), local.depth.estimate(frame.color)]);
  expect(da.depth.data).toEqual(db.depth.data);
  expect(da.camera).toEqual(db.camera);
  expect(remote.segmentation.name).toBe('remote');
  expect(local.segmentation.name).toBe('onnx');
});

describe('automatic fallback', () => {
  const dead = () => new GpuHostClient({ url: deadUrl, retries: 1, backoffMs: 1 });

  test('host unreachable + frame has depth → the fallback answers and a warning names host and stage', async () => {
    const c = dead();
    const seen: string[] = [];
    const frame = frameWithDepth();
    const b = withFallback(remoteBackends(c), {
      fallback: { segmentation: givenMasks, depth: givenDepthBackend(frame), shape: hullShape, deocclusion: identityDeocclusion },
      hasDepth: () => true,
      onWarning: (stage) => seen.push(stage),
    });
    const seg = await b.segmentation.segment(frame);
    expect(seg.masks).toBe(frame.masks);
    const d = await b.depth.estimate(frame.color, camera);
    expect(d.depth).toBe(frame.depth);
    const pts = boxMesh(0.1, 0.1, 0.1).positions;
    const image = { width: 4, height: 4, encoding: 'rgba8' as const, data: new Uint8Array(64) };
    const s = await b.shape.generate({ id: '1', label: 'thing', image, points: { positions: pts } });
    expect(s.frame).toBe('world');
    expect(b.warnings.map((w) => w.stage)).toEqual(['perceive', 'perceive', 'shape']);
    expect(seen).toEqual(['perceive', 'perceive', 'shape']);
    expect(b.warnings[0]!.message).toBe(`GPU host ${deadUrl} is unreachable for stage "perceive" (ECONNREFUSED, 2 attempts); segmentation fell back to the "given" backend (the input has depth).`);
    c.close();
  });

  test('host unreachable without depth → the original REMOTE error, no fallback', async () => {
    const c = dead();
    const b = withFallback(remoteBackends(c), { fallback: { segmentation: givenMasks, shape: hullShape } });
    await expect(b.segmentation.segment({ color: testImage(), camera })).rejects.toMatchObject({ code: 'REMOTE', context: { kind: 'unreachable', stage: 'perceive' } });
    const img = { width: 4, height: 4, encoding: 'rgba8' as const, data: new Uint8Array(64) };
    await expect(b.shape.generate({ id: '1', label: 'x', image: img })).rejects.toMatchObject({ code: 'REMOTE', context: { kind: 'unreachable', stage: 'shape' } });
    expect(b.warnings).toEqual([]);
    c.close();
  });

  test('a reachable host that fails (HTTP error) never falls back: the error surfaces', async () => {
    const c = new GpuHostClient({ url: host.server.url, retries: 0 });
    const frame = frameWithDepth();
    const b = withFallback(remoteBackends(c, { models: { segment: 'no-such-model' } }), { fallback: { segmentation: givenMasks } });
    await expect(b.segmentation.segment(frame)).rejects.toMatchObject({ code: 'REMOTE', context: { status: 404, remoteCode: 'NOT_FOUND' } });
    expect(b.warnings).toEqual([]);
    c.close();
  });
});
