/**
 * Client fault tests against real misbehaving HTTP servers on 127.0.0.1: each asserts the exact
 * error (code, kind, attempts) or the retry it causes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { GpuHostClient } from '../../src/gpu/client.ts';
import { toWireImage } from '../../src/gpu/protocol.ts';
import { encodeCbor } from '../../src/gpu/wire.ts';
import { testImage } from './fixtures.ts';

const servers: Server[] = [];
const clients: GpuHostClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
});

async function fakeHost(handler: (req: IncomingMessage, res: ServerResponse, hit: number) => void): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res, ++hits));
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, hits: () => hits };
}

function client(url: string, extra: Partial<ConstructorParameters<typeof GpuHostClient>[0]> = {}) {
  const sleeps: number[] = [];
  const c = new GpuHostClient({
    url,
    retries: 2,
    backoffMs: 10,
    timeoutMs: 2000,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...extra,
  });
  clients.push(c);
  return { c, sleeps };
}
const req = () => ({ image: toWireImage(testImage()) });

describe('client faults', () => {
  test('host down: REMOTE "unreachable" after 3 attempts with doubling backoff, naming host and stage', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    await new Promise<void>((r) => s.close(() => r()));
    const { c, sleeps } = client(url);
    const err = await c.call('segment', req(), { stage: 'perceive' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REMOTE', context: { kind: 'unreachable', host: url, stage: 'perceive', attempts: 3, errno: 'ECONNREFUSED' } });
    expect((err as Error).message).toBe(`GPU host ${url} is unreachable for stage "perceive" (ECONNREFUSED, 3 attempts): start \`real2sim serve\` there or fix the host address.`);
    expect(sleeps).toEqual([10, 20]);
  });

  test('connection reset mid-body: REMOTE "reset", retried for idempotent calls only', async () => {
    const host = await fakeHost((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/cbor', 'content-length': '1000' });
      res.write(Buffer.alloc(100));
      setTimeout(() => res.socket?.destroy(), 5);
    });
    const { c } = client(host.url);
    await expect(c.call('depth', req())).rejects.toMatchObject({ code: 'REMOTE', context: { kind: 'reset', stage: 'depth', attempts: 3 } });
    expect(host.hits()).toBe(3);
    await expect(c.call('depth', req(), { idempotent: false })).rejects.toMatchObject({ code: 'REMOTE', context: { kind: 'reset', attempts: 1 } });
    expect(host.hits()).toBe(4);
  });

  test('response slower than the timeout: TIMEOUT after each attempt times out', async () => {
    const timers: NodeJS.Timeout[] = [];
    const host = await fakeHost((_req, res) => {
      timers.push(setTimeout(() => res.end(), 1000));
    });
    const { c } = client(host.url, { timeoutMs: 80, retries: 1 });
    const t0 = performance.now();
    const err = await c.call('shape', { image: toWireImage({ width: 2, height: 2, encoding: 'rgba8', data: new Uint8Array(16) }) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT', context: { kind: 'timeout', stage: 'shape', attempts: 2 } });
    expect((err as Error).message).toMatch(/did not answer stage "shape" within 80 ms \(2 attempts\)/);
    expect(performance.now() - t0).toBeLessThan(900);
    timers.forEach(clearTimeout);
  });

  test("HTTP 500: REMOTE with the status and the host's error code and message, not retried", async () => {
    const host = await fakeHost((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'MODEL_FAILED', message: 'CUDA out of memory', requestId: 'x' } }));
    });
    const { c } = client(host.url);
    const err = await c.call('depth', req(), { stage: 'perceive' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REMOTE', context: { kind: 'http', status: 500, remoteCode: 'MODEL_FAILED', stage: 'perceive' } });
    expect((err as Error).message).toMatch(/refused stage "perceive" with HTTP 500 MODEL_FAILED: CUDA out of memory/);
    expect(host.hits()).toBe(1);
  });

  test('a body that is not the declared shape: REMOTE "bad-response" listing the paths', async () => {
    const host = await fakeHost((_req, res) => {
      const body = encodeCbor({ masks: 'nope', instances: [{ id: 0, label: 3 }], model: 'm', timeMs: 1 });
      res.writeHead(200, { 'content-type': 'application/cbor', 'content-length': body.length });
      res.end(body);
    });
    const { c } = client(host.url);
    const err = await c.call('segment', req()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REMOTE', context: { kind: 'bad-response', stage: 'segment' } });
    expect((err as Error).message).toMatch(/masks: must be a map, got "nope"/);
    expect((err as Error).message).toMatch(/instances\[0\]\.id: must be an integer ≥ 1, got 0/);
    expect((err as Error).message).toMatch(/instances\[0\]\.label: must be a string, got 3/);
  });

  test('a 200 with another content type is a bad response too', async () => {
    const host = await fakeHost((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>proxy login</html>');
    });
    const { c } = client(host.url);
    await expect(c.call('segment', req())).rejects.toMatchObject({ code: 'REMOTE', context: { kind: 'bad-response' } });
  });

  test('503 BUSY with Retry-After is retried after the advertised wait, then succeeds', async () => {
    const good = encodeCbor({ image: { width: 1, height: 1, encoding: 'rgba8', data: Buffer.from([1, 2, 3, 4]) }, model: 'm', timeMs: 0 });
    const host = await fakeHost((_req, res, hit) => {
      if (hit === 1) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
        return res.end(JSON.stringify({ error: { code: 'BUSY', message: 'busy', requestId: 'x' } }));
      }
      res.writeHead(200, { 'content-type': 'application/cbor', 'content-length': good.length });
      res.end(good);
    });
    const { c, sleeps } = client(host.url, { maxBackoffMs: 5000 });
    const r = await c.call('deocclude', {
      image: toWireImage({ width: 1, height: 1, encoding: 'rgb8', data: new Uint8Array(3) }),
      mask: { width: 1, height: 1, encoding: 'mono8', data: new Uint8Array(1) },
    });
    expect([...r.image.data]).toEqual([1, 2, 3, 4]);
    expect(host.hits()).toBe(2);
    expect(sleeps).toEqual([1000, 10]);
  });
});
