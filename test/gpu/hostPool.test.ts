/**
 * A pool of real GPU-host servers (`serve` with the tiny models) on 127.0.0.1, each behind a small
 * forwarding proxy that counts the requests it passes (the ground truth of where requests went),
 * can delay them (a slow host) or drop the connection mid-request (a host dying).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as reconstruct } from '../../src/commands/reconstruct.ts';
import { GpuHostPool, splitHostList } from '../../src/gpu/hostPool.ts';
import { TINY } from '../../src/gpu/tinyModels.ts';
import { encodePng } from '../../src/io/image.ts';
import { sceneFromJson } from '../../src/io/sceneJson.ts';
import { toWireImage } from '../../src/gpu/protocol.ts';
import { startTinyHost, testImage, type TinyHost } from './fixtures.ts';

interface Proxy {
  url: string;
  port: number;
  tasks: number;
  mode: 'pass' | 'slow' | 'die';
  server: Server;
  close(): Promise<void>;
}

async function startProxy(target: string, port = 0): Promise<Proxy> {
  const p = { tasks: 0, mode: 'pass' } as Proxy;
  const server = createServer((req, res) => {
    const isTask = req.url !== '/v1/health';
    if (p.mode === 'die') {
      // the host dies mid-request: the connection drops without an answer, and a dead host
      // answers no health check either (one that did would be taken in again at the next check,
      // 300 ms here, possibly before the test looks)
      req.resume();
      req.on('end', () => req.socket.destroy());
      return;
    }
    if (isTask) p.tasks++;
    const fwd = request(new URL(req.url!, target), { method: req.method, headers: req.headers }, (up) => {
      const send = () => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      };
      if (isTask && p.mode === 'slow') setTimeout(send, 400);
      else send();
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  p.port = (server.address() as AddressInfo).port;
  p.url = `http://127.0.0.1:${p.port}`;
  p.server = server;
  p.close = () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
  return p;
}

describe('GPU host pool', () => {
  const hosts: TinyHost[] = [];
  let proxies: Proxy[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) hosts.push(await startTinyHost());
    proxies = await Promise.all(hosts.map((h) => startProxy(h.server.url)));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all(hosts.map((h) => h.close()));
  });
  const req = () => ({ image: toWireImage(testImage()) });
  const reset = () => proxies.forEach((p) => ((p.tasks = 0), (p.mode = 'pass')));

  it('splits --gpu-host lists (comma-separated and repeated)', () => {
    expect(splitHostList(['http://a:1,http://b:2', 'http://c:3', 'http://a:1'])).toEqual(['http://a:1', 'http://b:2', 'http://c:3']);
  });

  it('sends each request to the host with the fewest outstanding: a slow host gets fewer', async () => {
    reset();
    proxies[0]!.mode = 'slow';
    const pool = new GpuHostPool({ urls: proxies.map((p) => p.url), healthIntervalMs: 0 });
    try {
      // 3 requests in flight at all times, 18 in all
      let next = 0;
      const lane = async () => {
        while (next++ < 18) {
          const r = await pool.call('segment', req());
          expect(r.instances.length).toBeGreaterThan(0);
        }
      };
      await Promise.all([lane(), lane(), lane()]);
      const [slow, b, c] = proxies.map((p) => p.tasks);
      expect(slow! + b! + c!).toBe(18);
      expect(slow).toBeLessThan(b!);
      expect(slow).toBeLessThan(c!);
      // sequential requests (nothing outstanding) spread evenly
      reset();
      for (let i = 0; i < 6; i++) await pool.call('segment', req());
      expect(proxies.map((p) => p.tasks)).toEqual([2, 2, 2]);
    } finally {
      pool.close();
    }
  }, 60_000);

  it('a request whose host dies mid-request is answered by another host; the dead host is out until its health check passes', async () => {
    reset();
    const pool = new GpuHostPool({ urls: proxies.map((p) => p.url), healthIntervalMs: 300 });
    try {
      proxies[1]!.mode = 'die';
      const results = await Promise.all(Array.from({ length: 6 }, () => pool.call('segment', req())));
      expect(results.every((r) => r.instances.length > 0)).toBe(true);
      expect(proxies[1]!.tasks).toBe(0);
      expect(proxies[0]!.tasks + proxies[2]!.tasks).toBe(6);
      expect(pool.status()[1]).toMatchObject({ healthy: false });
      expect(pool.status()[1]!.failures).toBeGreaterThanOrEqual(1);
      // the host goes away entirely: health checks keep it out
      const port = proxies[1]!.port;
      await proxies[1]!.close();
      await new Promise((r) => setTimeout(r, 700));
      expect(pool.status()[1]!.healthy).toBe(false);
      // it comes back on the same address: a health check takes it in again and it gets work
      proxies[1] = await startProxy(hosts[1]!.server.url, port);
      const t0 = Date.now();
      while (!pool.status()[1]!.healthy && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
      expect(pool.status()[1]!.healthy).toBe(true);
      for (let i = 0; i < 3; i++) await pool.call('segment', req());
      expect(proxies[1].tasks).toBeGreaterThanOrEqual(1);
    } finally {
      pool.close();
    }
  }, 60_000);

  it('every host down: a REMOTE "unreachable" error naming them (so the RGB-D fallback applies)', async () => {
    const dead = await Promise.all(
      [0, 1].map(async () => {
        const s = await startProxy('http://127.0.0.1:1');
        await s.close();
        return s.url;
      }),
    );
    const pool = new GpuHostPool({ urls: dead, healthIntervalMs: 0, retries: 0 });
    try {
      const err = await pool.call('segment', req(), { stage: 'perceive' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'REMOTE', context: { kind: 'unreachable', stage: 'perceive' } });
      expect((err as Error).message).toContain(`No GPU host of 2 is reachable for stage "perceive" (${dead.join(', ')})`);
    } finally {
      pool.close();
    }
  });

  it('reconstruct --gpu-host DEAD,LIVE: the single-image path runs on the live host of the pool', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'r2s-pool-cli-'));
    try {
      reset();
      const gone = await startProxy('http://127.0.0.1:1');
      await gone.close();
      writeFileSync(join(tmp, 'single.png'), encodePng(testImage()));
      const out = join(tmp, 'bundle');
      const code = await reconstruct(['--rgb', join(tmp, 'single.png'), '--gpu-host', `${gone.url},${proxies[2]!.url}`, '--out', out, '--quiet', '--no-validate']);
      expect(code).toBe(0);
      const scene = sceneFromJson(readFileSync(join(out, 'scene.json'), 'utf8'));
      expect(scene.meta?.['gpuHost']).toBe(`${gone.url},${proxies[2]!.url}`);
      expect(scene.objects.map((o) => o.label).sort()).toEqual(['blue box', 'green box', 'red box']);
      for (const o of scene.objects) for (let k = 0; k < 3; k++) expect(o.size[k]).toBeCloseTo(TINY.pose.size[k]!, 4);
      expect(proxies[2]!.tasks).toBeGreaterThanOrEqual(5); // segment, depth, deocclude, shape, pose
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});
