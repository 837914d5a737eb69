/**
 * Signals, as a user's shell or npm sends them:
 * - SIGINT during `reconstruct` exits 130, removes its temporary folder, keeps the previous bundle;
 * - `view` started the way npm/npx starts a binary (through `sh -c`, `npm_command` set) stops
 *   when that shell is sent SIGTERM — the shell dies without passing the signal on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXIT } from '../../src/commands/exitCodes.ts';
import { readMarker, verifyOutDir } from '../../src/export/outDir.ts';
import { prepareKillWorkspace, type KillWorkspace } from './killTrials.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const exited = (c: ChildProcess) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => c.on('close', (code, signal) => r({ code, signal })));

describe('signals', () => {
  let ws: KillWorkspace;
  beforeAll(async () => {
    ws = await prepareKillWorkspace(mkdtempSync(join(tmpdir(), 'r2s-sig-')), { width: 160, height: 120 }, ['--no-validate']);
  }, 120_000);
  afterAll(() => {
    if (ws) rmSync(ws.root, { recursive: true, force: true });
  });

  it('SIGINT while reconstruct writes its bundle: exit 130, no temporary folder, the previous bundle intact', async () => {
    const parent = resolve(ws.out, '..');
    const before = (await readMarker(ws.out))?.written;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...ws.args], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // the moment the writer creates its temporary folder
    const w = watch(parent, (_e, name) => {
      if (name && /\.tmp-\d+/.test(String(name))) {
        w.close();
        child.kill('SIGINT');
      }
    });
    const { code } = await exited(child);
    w.close();
    const marker = await readMarker(ws.out);
    if (code === EXIT.INTERRUPTED) {
      expect(stderr).toMatch(/interrupted by SIGINT.*\[INTERRUPTED\]/);
      expect(marker?.written).toBe(before);
    } else {
      // the signal arrived after the last rename: a complete new bundle
      expect(code).toBe(EXIT.OK);
    }
    expect((await verifyOutDir(ws.out)).complete).toBe(true);
    expect(readdirSync(parent).filter((n) => /\.(tmp|old)-/.test(n))).toEqual([]);
  }, 60_000);

  it('view under an npm-style launcher stops when the launcher is sent SIGTERM', async () => {
    const cmd = `exec_node() { "${process.execPath}" --import tsx src/cli.ts view '${ws.out}' --port 0; }; exec_node`;
    // a shell function keeps sh alive as the parent (as npm's `sh -c` does)
    const sh = spawn('sh', ['-c', cmd], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_command: 'exec' } });
    let out = '';
    sh.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 60_000;
    while (!/http:\/\/127\.0\.0\.1:(\d+)\//.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)?.[0];
    expect(url, 'the viewer did not start').toBeTruthy();
    expect((await fetch(url!)).status).toBe(200);
    sh.kill('SIGTERM');
    await exited(sh);
    // the viewer notices within its poll interval and closes its port
    let up = true;
    for (let i = 0; i < 50 && up; i++) {
      await new Promise((r) => setTimeout(r, 200));
      up = await fetch(url!).then(
        () => true,
        () => false,
      );
    }
    expect(up, 'the viewer kept running after its launcher was terminated').toBe(false);
  }, 90_000);
});
