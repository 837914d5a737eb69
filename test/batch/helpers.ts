/** Real processes for the batch tests: a redis-server on a free loopback port, CLI workers. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from '../helpers/net.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { encodeDepthPng, encodeLabelPng, encodePng } from '../../src/io/image.ts';
import { renderFixture, type Solid } from '../stages/fixtures.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

export function hasRedis(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

export { freePort };

export interface RedisServer {
  url: string;
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no` (nothing persists), ready. */
export async function startRedis(port?: number): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const proc = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${p}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    try {
      await r.connect();
      await r.ping();
      r.disconnect();
      break;
    } catch {
      r.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server did not start on ${p}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  return {
    url,
    port: p,
    proc,
    stop: () =>
      new Promise<void>((res) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return res();
        proc.once('exit', () => res());
        proc.kill('SIGKILL');
      }),
  };
}

export interface CliProcess {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** `real2sim <args>` from the sources in a child process (stdout + stderr collected). */
export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  return { proc, output: () => out, exited };
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Scenes with known boxes: frame k has a box of height 0.06 + 0.01 k and a can of 0.12. */
export function solidsFor(k: number): Solid[] {
  return [
    { kind: 'box', id: 1, label: 'box', centre: [0, 0, (0.06 + 0.01 * k) / 2], size: [0.16, 0.1, 0.06 + 0.01 * k], yaw: 0.3 + 0.2 * k },
    { kind: 'cylinder', id: 2, label: 'can', centre: [0.1, 0.22, 0.06], radius: 0.04, height: 0.12 },
  ];
}

/** Writes frame folders (rgb.png, depth.png, masks.png, camera.json) dir/f<k>. */
export function writeFrames(dir: string, n: number, size = { width: 160, height: 120 }): string[] {
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const { frame } = renderFixture(solidsFor(k), size);
    const d = join(dir, `f${k}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'rgb.png'), encodePng(frame.color));
    writeFileSync(join(d, 'depth.png'), encodeDepthPng(frame.depth!));
    writeFileSync(join(d, 'masks.png'), encodeLabelPng(frame.masks!));
    writeFileSync(join(d, 'camera.json'), JSON.stringify(frame.camera));
    out.push(d);
  }
  return out;
}
