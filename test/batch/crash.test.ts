/**
 * Resumable after a crash without Redis: `real2sim batch` (a real process, its thread pool on this
 * machine) killed with SIGKILL once a bundle exists; the same command again finishes every frame,
 * redoes none that was finished, and leaves no half-written folder.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobResult } from '../../src/batch/job.ts';
import { sceneFromJson } from '../../src/io/sceneJson.ts';
import { startCli, waitFor, writeFrames } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'r2s-batch-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('batch killed with SIGKILL', () => {
  it('the same command again finishes the rest; finished bundles are kept as they are, nothing partial is left', async () => {
    const N = 4;
    writeFrames(join(dir, 'frames'), N);
    const out = join(dir, 'out');
    const bundles = join(out, 'frames');
    const finished = () => (existsSync(bundles) ? readdirSync(bundles).filter((n) => !n.startsWith('.') && existsSync(join(bundles, n, 'scene.json'))) : []);
    const args = ['batch', join(dir, 'frames'), '--out', out, '--workers', '1', '--no-validate'];
    const first = startCli(args);
    await waitFor('a first bundle', () => finished().length >= 1 || first.proc.exitCode !== null);
    first.proc.kill('SIGKILL');
    await first.exited;
    const before = finished();
    expect(before.length, first.output()).toBeGreaterThanOrEqual(1);
    expect(before.length, 'killed before the last frame').toBeLessThan(N);
    const mtimes = new Map(before.map((n) => [n, statSync(join(bundles, n, 'scene.json')).mtimeMs]));
    expect(existsSync(join(out, 'index.json'))).toBe(false);

    const second = startCli(args);
    expect(await second.exited, second.output()).toBe(0);
    const rows = (JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { frames: JobResult[] }).frames;
    expect(rows.map((r) => r.frame)).toEqual(['f0', 'f1', 'f2', 'f3']);
    for (const r of rows) {
      expect(r.status).toBe(mtimes.has(r.frame) ? 'cached' : 'done');
      // box heights of the rendered frames: 0.06 + 0.01 k and the 0.12 m can
      const k = Number(r.frame.slice(1));
      const h = sceneFromJson(readFileSync(join(r.bundle, 'scene.json'), 'utf8'))
        .objects.map((o) => o.size[2])
        .sort((a, b) => a - b);
      expect(h).toEqual([expect.closeTo(0.06 + 0.01 * k, 1), expect.closeTo(0.12, 1)]);
    }
    for (const [n, t] of mtimes) expect(statSync(join(bundles, n, 'scene.json')).mtimeMs).toBe(t);
    expect(readdirSync(bundles).sort()).toEqual(['f0', 'f1', 'f2', 'f3']);
  }, 240_000);
});
