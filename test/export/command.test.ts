import { describe, expect, it, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sceneToJson } from '../../src/io/sceneJson.ts';
import { fixedScene } from './fixtures.ts';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const work = mkdtempSync(join(tmpdir(), 'r2s-export-cmd-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
}

describe('real2sim export', () => {
  it('writes a bundle from scene.json', () => {
    const input = join(work, 'scene.json');
    writeFileSync(input, sceneToJson(fixedScene()));
    const out = join(work, 'bundle');
    const r = cli('export', input, '--out', out, '--package', 'my_scene');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote \d+ files/);
    for (const f of ['scene.urdf', 'scene.sdf', 'scene.xml', 'scene.glb', 'scene.json', 'meshes/box_1.obj']) expect(existsSync(join(out, f)), f).toBe(true);
  });

  it('says what is wrong with bad arguments and unreadable input', () => {
    const noOut = cli('export', join(work, 'scene.json'));
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toMatch(/--out DIR/);
    const missing = cli('export', join(work, 'nope.json'), '--out', join(work, 'x'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/Cannot read/);
    writeFileSync(join(work, 'bad.json'), '{"version": 1, "objects": 3}');
    const bad = cli('export', join(work, 'bad.json'), '--out', join(work, 'y'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/\[BAD_/);
    expect(existsSync(join(work, 'y'))).toBe(false);
  });
});
