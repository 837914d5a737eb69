/**
 * `real2sim ros` as a user runs it: a separate process over rosbridge, the real pipeline,
 * a Trigger call, then Ctrl-C — it must answer, write the bundle, clean up and exit 0.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { frameMessages } from './fixtures.ts';
import { RosbridgeTestServer } from './rosbridgeServer.ts';
import { synth } from './scenes.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = mkdtempSync(join(tmpdir(), 'real2sim-ros-cli-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('real2sim ros (process)', () => {
  it('seed 7: serves over rosbridge, reconstructs on request, exits 0 on SIGINT after unadvertising', async () => {
    const server = await RosbridgeTestServer.start();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'ros', '--transport', 'rosbridge', '--url', server.url, '--params-file', 'launch/params.yaml', '--output-dir', out, '--remap', 'image:=/cam/image', '--stats'],
      { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    child.stdout.on('data', (d) => (log += String(d)));
    child.stderr.on('data', (d) => (log += String(d)));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    try {
      await server.waitFor((op) => op.op === 'advertise_service' && op['service'] === '/reconstruct', 30_000);
      await server.waitFor((op) => op.op === 'subscribe' && op['topic'] === '/cam/image', 5000);
      const truth = synth(7, 320, 240);
      const m = frameMessages(truth.frame, 77.5);
      server.publish('/camera_info', m.info);
      server.publish('/depth', m.depth);
      server.publish('/cam/image', m.image);
      // Same socket, in order: the frame is in before the call arrives.
      const res = await server.callClientService('/reconstruct', {}, 60_000);
      expect(res['values'], log).toEqual({ success: true, message: join(out, 'scene_77_500') });
      expect(existsSync(join(out, 'scene_77_500', 'scene.urdf'))).toBe(true);
      child.kill('SIGINT');
      expect(await exited, log).toBe(0);
      expect(server.received.some((op) => op.op === 'unadvertise_service' && op['service'] === '/reconstruct')).toBe(true);
      expect(server.received.some((op) => op.op === 'unsubscribe' && op['topic'] === '/cam/image')).toBe(true);
      // --stats: the counters at shutdown.
      expect(log).toMatch(
        /real2sim ros counters:\n {2}received: [^\n]*\/cam\/image 1[^\n]*\n {2}dropped: none\n {2}synced 1, used 1, skipped inconsistent 0\n {2}reconstructions 1, failures 0, busy 0, mean time \d+ ms/,
      );
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await server.close();
    }
  });

  it('Ctrl-C while the node waits for a bridge that is not up: exits 130 at once, saying so', async () => {
    // a port nothing listens on: the start keeps trying (40 s by default)
    const server = await RosbridgeTestServer.start();
    const url = server.url;
    await server.close();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'ros', '--transport', 'rosbridge', '--url', url, '--output-dir', out], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += String(d)));
    child.stderr.on('data', (d) => (log += String(d)));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    try {
      const t0 = Date.now();
      while (!/trying again every 1 s for up to 40 s/.test(log) && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
      expect(log).toMatch(/ECONNREFUSED/);
      const sent = Date.now();
      child.kill('SIGINT');
      expect(await exited, log).toBe(130);
      expect(Date.now() - sent).toBeLessThan(5000);
      expect(log).toMatch(/real2sim ros: stopped while waiting for rosbridge at ws:\/\/127\.0\.0\.1:\d+/);
      expect(log).not.toMatch(/\n\s+at /);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
