/**
 * The real GPU-host server on 127.0.0.1 with the tiny ONNX models: every task's output is
 * predicted exactly from the tiny models' definitions; protocol errors carry the documented
 * status and code.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GpuHostClient } from '../../src/gpu/client.ts';
import { glbToMesh, meshToGlb } from '../../src/gpu/glb.ts';
import { fromWireDepth, fromWireImage, fromWireLabels, toWireImage, toWireMask } from '../../src/gpu/protocol.ts';
import { focalFromFov, TINY, tinyPlaneDepth } from '../../src/gpu/tinyModels.ts';
import { decodeCbor, encodeCbor } from '../../src/gpu/wire.ts';
import { boxMesh } from '../../src/geometry/primitives.ts';
import { massProperties } from '../../src/geometry/massProperties.ts';
import { boundsOf } from '../../src/model/geometry.ts';
import { H, RECTS, startTinyHost, testImage, W, type TinyHost } from './fixtures.ts';
import { ModelQueue } from '../../src/gpu/queue.ts';
import { startGpuServer } from '../../src/gpu/server.ts';
import type { TaskRuntime } from '../../src/gpu/runtime.ts';
import type { Task, TaskRequests } from '../../src/gpu/protocol.ts';

const TOKEN = 'secret-token';
let host: TinyHost;
let client: GpuHostClient;

beforeAll(async () => {
  host = await startTinyHost({ token: TOKEN, maxBodyBytes: 1024 * 1024 });
  client = new GpuHostClient({ url: host.server.url, token: TOKEN, retries: 0 });
});
afterAll(async () => {
  client?.close();
  await host?.close();
});

const post = (path: string, body: Uint8Array, headers: Record<string, string> = {}) =>
  fetch(`${host.server.url}${path}`, { method: 'POST', body: body as unknown as BodyInit, headers: { 'content-type': 'application/cbor', authorization: `Bearer ${TOKEN}`, ...headers } });

describe('tasks on the tiny models', () => {
  test('health reports protocol 1, the CPU execution provider and all five tasks (no token needed)', async () => {
    const r = await fetch(`${host.server.url}/v1/health`);
    expect(r.status).toBe(200);
    const h = (await r.json()) as Record<string, unknown>;
    expect(h['protocol']).toBe(1);
    expect(h['executionProvider']).toBe('cpu');
    expect((h['availableProviders'] as string[]).includes('cpu')).toBe(true);
    expect([...(h['tasks'] as string[])].sort()).toEqual(['deocclude', 'depth', 'pose', 'segment', 'shape']);
    expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('models lists each manifest with licence and source', async () => {
    const m = await client.models();
    expect(m.models.map((x) => x.id).sort()).toEqual(['tiny-deocclude', 'tiny-depth', 'tiny-pose', 'tiny-segment', 'tiny-shape']);
    expect(m.models.every((x) => x.licence.length > 0 && x.source.length > 0)).toBe(true);
  });

  test('segment: one instance per coloured rectangle, exact masks, raster-order ids, softmax scores', async () => {
    const r = await client.call('segment', { image: toWireImage(testImage()) });
    const labels = fromWireLabels(r.masks, r.instances);
    // raster order of first pixel: blue (row 95), red (row 100), green (row 150)
    expect(r.instances.map((i) => i.label)).toEqual(['blue box', 'red box', 'green box']);
    for (const inst of r.instances) {
      const rect = RECTS.find((q) => q.label === inst.label)!;
      let inside = 0,
        total = 0;
      for (let i = 0; i < W * H; i++) {
        if (labels.data[i] !== inst.id) continue;
        total++;
        const x = i % W,
          y = Math.floor(i / W);
        if (x >= rect.x0 && x < rect.x1 && y >= rect.y0 && y < rect.y1) inside++;
      }
      expect(total).toBe((rect.x1 - rect.x0) * (rect.y1 - rect.y0));
      expect(inside).toBe(total);
      const c = rect.rgb.map((v) => v / 255);
      const k = RECTS.indexOf(rect);
      const logits = [TINY.segment.background, c[0]! - c[1]! - c[2]!, c[1]! - c[0]! - c[2]!, c[2]! - c[0]! - c[1]!];
      const p = Math.exp(logits[k + 1]!) / logits.reduce((s, l) => s + Math.exp(l), 0);
      expect(inst.score!).toBeCloseTo(p, 5);
    }
  });

  test('segment with a text prompt keeps only matching classes', async () => {
    const r = await client.call('segment', { image: toWireImage(testImage()), prompts: ['green'] });
    expect(r.instances.map((i) => i.label)).toEqual(['green box']);
    expect(r.instances[0]!.id).toBe(1);
  });

  test('depth: the known ground plane in metres, intrinsics estimated from the focal output', async () => {
    const r = await client.call('depth', { image: toWireImage(testImage()) });
    expect(r.intrinsicsEstimated).toBe(true);
    expect(r.intrinsics.fx).toBeCloseTo(focalFromFov(W, TINY.depth.fovDeg), 3);
    expect(r.intrinsics.cx).toBe((W - 1) / 2);
    const d = fromWireDepth(r.depth);
    for (const [u, v] of [
      [0, 0],
      [160, 120],
      [319, 239],
      [77, 201],
    ] as const) {
      expect(d.data[v * W + u]).toBeCloseTo(Math.fround(tinyPlaneDepth(u, v, W, H)), 5);
    }
  });

  test('depth with given intrinsics returns them unchanged', async () => {
    const intr = { width: W, height: H, fx: 300, fy: 301, cx: 160, cy: 120 };
    const r = await client.call('depth', { image: toWireImage(testImage()), intrinsics: intr });
    expect(r.intrinsicsEstimated).toBe(false);
    expect(r.intrinsics).toEqual(intr);
  });

  test('deocclude: rgb passes through, alpha becomes 255 (the object is complete)', async () => {
    const img = testImage();
    const crop = { width: 64, height: 64, encoding: 'rgb8' as const, data: img.data.slice(0, 64 * 64 * 3) };
    const mask = new Uint8Array(64 * 64).map((_, i) => (i % 3 === 0 ? 1 : 0));
    const r = await client.call('deocclude', { image: toWireImage(crop), mask: toWireMask(mask, 64, 64) });
    const out = fromWireImage(r.image);
    expect(out.encoding).toBe('rgba8');
    for (let i = 0; i < 64 * 64; i++) {
      expect([out.data[i * 4], out.data[i * 4 + 1], out.data[i * 4 + 2], out.data[i * 4 + 3]]).toEqual([crop.data[i * 3], crop.data[i * 3 + 1], crop.data[i * 3 + 2], 255]);
    }
  });

  test('shape: the occupancy box as a closed canonical mesh (z up, centred, largest extent 1)', async () => {
    const rgba = { width: 64, height: 64, encoding: 'rgba8' as const, data: new Uint8Array(64 * 64 * 4).fill(255) };
    const r = await client.call('shape', { image: toWireImage(rgba), label: 'box' });
    const mesh = await glbToMesh(r.mesh.data);
    const { min, max } = boundsOf(mesh.positions);
    const { i, j, k } = TINY.shape.box;
    const ext = [i[1] - i[0], j[1] - j[0], k[1] - k[0]];
    const big = Math.max(...ext);
    for (let a = 0; a < 3; a++) {
      expect(max[a]! - min[a]!).toBeCloseTo(ext[a]! / big, 6);
      expect(max[a]! + min[a]!).toBeCloseTo(0, 6);
    }
    expect(massProperties(mesh, 1).volume).toBeCloseTo((ext[0]! * ext[1]! * ext[2]!) / big ** 3, 6);
  });

  test('pose: translation = mean of the points + half the height, fixed yaw, scale = size / extent', async () => {
    const canonical = boxMesh(1, 0.5, 0.25);
    const pts = new Float32Array([0.5, 0.1, 0, 0.7, 0.3, 0, 0.6, 0.2, 0.02]);
    const r = await client.call('pose', {
      objects: [{ id: 'a', mesh: { format: 'glb', data: await meshToGlb(canonical) }, points: { count: 3, positions: new Uint8Array(pts.buffer) } }],
      intrinsics: { width: W, height: H, fx: 300, fy: 300, cx: 160, cy: 120 },
      cameraPose: { position: [0, 0, 1], orientation: [0, 0, 0, 1] },
    });
    const o = r.objects[0]!;
    expect(o.id).toBe('a');
    const s = TINY.pose.size;
    expect(o.pose.position[0]).toBeCloseTo(0.6, 5);
    expect(o.pose.position[1]).toBeCloseTo(0.2, 5);
    expect(o.pose.position[2]).toBeCloseTo(0.02 / 3 + s[2] / 2, 5);
    const yaw = (TINY.pose.yawDeg * Math.PI) / 180;
    expect(o.pose.orientation[2]).toBeCloseTo(Math.sin(yaw / 2), 6);
    expect(o.scale[0]).toBeCloseTo(s[0] / 1, 5);
    expect(o.scale[1]).toBeCloseTo(s[1] / 0.5, 5);
    expect(o.scale[2]).toBeCloseTo(s[2] / 0.25, 5);
  });
});

describe('protocol errors', () => {
  const body = () => encodeCbor({ image: toWireImage(testImage()) });

  test('401 UNAUTHORIZED without the token, and with a wrong one', async () => {
    for (const auth of [undefined, 'Bearer wrong']) {
      const r = await fetch(`${host.server.url}/v1/segment`, {
        method: 'POST',
        body: body() as unknown as BodyInit,
        headers: { 'content-type': 'application/cbor', ...(auth ? { authorization: auth } : {}) },
      });
      expect(r.status).toBe(401);
      const j = (await r.json()) as { error: { code: string; requestId: string } };
      expect(j.error.code).toBe('UNAUTHORIZED');
      expect(j.error.requestId).toBe(r.headers.get('x-request-id'));
    }
    const noToken = new GpuHostClient({ url: host.server.url, retries: 2 });
    await expect(noToken.call('segment', { image: toWireImage(testImage()) }, { stage: 'perceive' })).rejects.toMatchObject({
      code: 'REMOTE',
      context: { status: 401, remoteCode: 'UNAUTHORIZED', stage: 'perceive', host: host.server.url },
    });
    expect(noToken.lastAttempts).toBe(1); // 4xx is never retried
    noToken.close();
  });

  test('413 TOO_LARGE for an upload over the limit, by Content-Length and by streamed size', async () => {
    const big = new Uint8Array(2 * 1024 * 1024);
    const r = await post('/v1/segment', big);
    expect(r.status).toBe(413);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('TOO_LARGE');
    // chunked (no Content-Length): refused once the stream passes the limit
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new Uint8Array(128 * 1024));
        c.close();
      },
    });
    const r2 = await fetch(`${host.server.url}/v1/segment`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
      headers: { 'content-type': 'application/cbor', authorization: `Bearer ${TOKEN}` },
    } as RequestInit);
    expect(r2.status).toBe(413);
    // the client reports it with a hint
    const img = { width: 800, height: 600, encoding: 'rgb8' as const, data: new Uint8Array(800 * 600 * 3) };
    await expect(client.call('segment', { image: toWireImage(img) })).rejects.toThrow(/HTTP 413 TOO_LARGE.*Downscale the image/s);
  });

  test('422 INVALID_BODY lists every problem with its path', async () => {
    const r = await post('/v1/segment', encodeCbor({ image: { width: 10, height: 10, encoding: 'rgb8', data: Buffer.alloc(5) }, prompts: [1] }));
    expect(r.status).toBe(422);
    const j = (await r.json()) as { error: { code: string; problems: { path: string }[] } };
    expect(j.error.code).toBe('INVALID_BODY');
    expect(j.error.problems.map((p) => p.path)).toEqual(['image.data', 'prompts']);
  });

  test('400 for a body that is not CBOR, 415 for JSON, 404 for an unknown path, 405 for GET on a task', async () => {
    expect((await post('/v1/depth', new Uint8Array([0xff, 0xff, 0x1c]))).status).toBe(400);
    expect((await post('/v1/depth', body(), { 'content-type': 'application/json' })).status).toBe(415);
    expect((await post('/v2/depth', body())).status).toBe(404);
    expect((await fetch(`${host.server.url}/v1/depth`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
  });

  test('a request can only name a model id, never a file: a path-like id is 404 NOT_FOUND', async () => {
    const r = await post('/v1/segment', encodeCbor({ image: toWireImage(testImage()), model: '../../etc/passwd' }));
    expect(r.status).toBe(404);
    const j = (await r.json()) as { error: { code: string; message: string } };
    expect(j.error.code).toBe('NOT_FOUND');
    expect(j.error.message).toMatch(/No segment model "\.\.\/\.\.\/etc\/passwd" on this host; have: tiny-segment/);
  });

  test('the request id sent by the client comes back in the header and the body', async () => {
    const r = await post('/v1/segment', body(), { 'x-request-id': 'abc-123' });
    expect(r.headers.get('x-request-id')).toBe('abc-123');
    const b = decodeCbor(new Uint8Array(await r.arrayBuffer())) as { requestId: string };
    expect(b.requestId).toBe('abc-123');
  });
});

/** A runtime whose depth answers wait for `release()`, queued by a real ModelQueue (1 running, 0 waiting). */
function gatedRuntime() {
  let open!: () => void;
  let gate = new Promise<void>((r) => (open = r));
  const queue = new ModelQueue('gated', 1, 0);
  let closed = false;
  const runtime: TaskRuntime = {
    executionProvider: 'cpu',
    availableProviders: ['cpu'],
    tasks: ['depth'],
    manifests: [],
    handle: (<T extends Task>(_t: T, req: TaskRequests[T]) =>
      queue.run(async () => {
        await gate;
        const r = req as TaskRequests['depth'];
        const n = r.image.width * r.image.height;
        return {
          depth: { width: r.image.width, height: r.image.height, encoding: '32FC1', data: Buffer.alloc(n * 4) },
          intrinsics: { width: r.image.width, height: r.image.height, fx: 1, fy: 1, cx: 0, cy: 0 },
          intrinsicsEstimated: true,
          model: 'gated',
          timeMs: 0,
        };
      })) as TaskRuntime['handle'],
    close() {
      closed = true;
      return Promise.resolve();
    },
  };
  return {
    runtime,
    release: () => {
      open();
      gate = Promise.resolve();
    },
    isClosed: () => closed,
  };
}

test('graceful shutdown: an admitted request finishes, new requests are refused, the runtime is closed after', async () => {
  const g = gatedRuntime();
  const server = await startGpuServer(g.runtime, { port: 0 });
  const c = new GpuHostClient({ url: server.url, retries: 0, timeoutMs: 5000 });
  const pending = c.call('depth', { image: toWireImage(testImage()) });
  while (server.inFlight() === 0) await new Promise((r) => setTimeout(r, 1));
  const closing = server.close();
  await new Promise((r) => setTimeout(r, 20));
  expect(g.isClosed()).toBe(false);
  const late = new GpuHostClient({ url: server.url, retries: 0 });
  await expect(late.call('depth', { image: toWireImage(testImage()) })).rejects.toMatchObject({ code: 'REMOTE', context: { kind: 'unreachable' } });
  late.close();
  g.release();
  expect((await pending).depth.width).toBe(W);
  await closing;
  expect(g.isClosed()).toBe(true);
  c.close();
});

test('a full model queue answers 503 BUSY with Retry-After, and the client retries it to success', async () => {
  const g = gatedRuntime();
  const server = await startGpuServer(g.runtime, { port: 0 });
  const first = new GpuHostClient({ url: server.url, retries: 0 });
  const pending = first.call('depth', { image: toWireImage(testImage()) });
  while (server.inFlight() === 0) await new Promise((r) => setTimeout(r, 1));
  const r = await fetch(`${server.url}/v1/depth`, { method: 'POST', body: encodeCbor({ image: toWireImage(testImage()) }) as unknown as BodyInit, headers: { 'content-type': 'application/cbor' } });
  expect(r.status).toBe(503);
  expect(r.headers.get('retry-after')).toBe('1');
  expect(((await r.json()) as { error: { code: string } }).error.code).toBe('BUSY');
  // a retrying client gets through once the queue frees
  const sleeps: number[] = [];
  const c = new GpuHostClient({
    url: server.url,
    retries: 3,
    sleep: (ms) => {
      sleeps.push(ms);
      g.release();
      return Promise.resolve();
    },
  });
  expect((await c.call('depth', { image: toWireImage(testImage()) })).depth.width).toBe(W);
  expect(sleeps[0]).toBe(1000);
  await pending;
  first.close();
  c.close();
  await server.close();
});
