import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/commands/validate.ts';
import { writeBundle } from '../../src/export/bundle.ts';
import type { PhysicsReport } from '../../src/model/physics.ts';
import { box, scene } from './fixtures.ts';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'r2s-validate-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function capture(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    return { code: await run(argv), out: lines.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

describe('real2sim validate BUNDLE', () => {
  it('prints a table, writes physics.json and leaves the rest of the bundle alone', async () => {
    const dir = join(root, 'stack');
    await writeBundle(dir, scene([box('base_1', [0.2, 0.2, 0.1], [0, 0, 0.05]), box('top_2', [0.1, 0.1, 0.1], [0, 0, 0.15])]));
    await writeFile(join(dir, 'notes.txt'), 'mine');
    const before = (await readdir(dir)).sort();
    const { code, out } = await capture([dir]);
    expect(code).toBe(0);
    expect(out).toMatch(/physics: VALID \(cannon, MuJoCo verdict agreement 100 %/);
    expect(out).toMatch(/top_2\s+base_1\s+0\.0/);
    const report = JSON.parse(await readFile(join(dir, 'physics.json'), 'utf8')) as PhysicsReport;
    expect(report.verdict).toBe('valid');
    expect(report.support.map((e) => e.restsOn)).toEqual(['ground', 'base_1']);
    expect(report.reference?.engine).toBe('mujoco');
    expect((await readdir(dir)).sort()).toEqual([...before, 'physics.json'].sort());
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('an invalid scene: exit 1, findings listed; --repair reports the moves; --json', async () => {
    const dir = join(root, 'floating');
    await writeBundle(dir, scene([box('float_1', [0.1, 0.1, 0.1], [0, 0, 0.08])]));
    const plain = await capture([dir, '--no-reference']);
    expect(plain.code).toBe(3);
    expect(plain.out).toMatch(/floating\s+'float_1' floats 30\.0 mm above 'ground'/);
    const fixed = await capture([dir, '--repair', '--no-reference', '--engine', 'rapier']);
    expect(fixed.code).toBe(0);
    expect(fixed.out).toMatch(/REPAIRED \(rapier/);
    expect(fixed.out).toMatch(/float_1: drop 30\.0 mm onto 'ground'/);
    expect(fixed.out).toMatch(/found before repair:\n {2}error {3}floating/);
    const json = await capture([dir, '--json', '--no-reference']);
    expect((JSON.parse(json.out) as PhysicsReport).findings[0]!.kind).toBe('floating');
  });

  it('bad arguments and missing bundles give clear errors', async () => {
    await expect(run([])).rejects.toThrow(/needs one bundle folder/);
    await expect(run([join(root, 'nope')])).rejects.toThrow(/is not a folder/);
    await expect(run([root, '--engine', 'bullet'])).rejects.toThrow(/Unknown engine 'bullet'/);
    await expect(run([root])).rejects.toThrow(/has no scene\.json/);
  });
});
