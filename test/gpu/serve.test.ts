/** `real2sim serve` as a real process: starts on a free port with the tiny models, answers, stops gracefully on SIGTERM. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { GpuHostClient } from '../../src/gpu/client.ts';
import { toWireImage } from '../../src/gpu/protocol.ts';
import { testImage } from './fixtures.ts';

const root = join(import.meta.dirname, '../..');

test('serve --tiny: health, a segment call with the token, 401 without it, graceful SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'r2s-serve-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--models', dir, '--tiny', '--port', '0', '--token', 'abc'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
      child.stdout.on('data', () => {
        const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
    });
    expect(out).toMatch(/execution provider cpu, token required/);
    expect(out).toMatch(/segment\s+tiny-segment/);
    const c = new GpuHostClient({ url, token: 'abc', retries: 0 });
    const r = await c.call('segment', { image: toWireImage(testImage()) });
    expect(r.instances).toHaveLength(3);
    const anon = new GpuHostClient({ url, retries: 0 });
    await expect(anon.models()).rejects.toMatchObject({ context: { status: 401 } });
    c.close();
    anon.close();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/shutting down/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}, 40_000);

test('serve refuses a network address without a token', async () => {
  const { run } = await import('../../src/commands/serve.ts');
  await expect(run(['--models', '/nonexistent', '--host', '0.0.0.0'])).rejects.toThrow(/without a token would let anyone on the network/);
});
