/** `real2sim import` in-process: a MIDI scene GLB with one known object size → a validated bundle with physics.json and debug/ like every other bundle. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { run } from '../../src/commands/import.ts';
import { midiGlb, synth } from './fixtures.ts';

test('import --from midi --object-size (seed 23) writes a bundle whose scene.json holds every object', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'r2s-importcmd-'));
  try {
    const s = synth(23);
    const glb = join(tmp, 'output.glb');
    await writeFile(glb, await midiGlb(s));
    const first = s.scene.objects[0]!;
    const out = join(tmp, 'bundle');
    const code = await run(['--from', 'midi', glb, '--labels', s.scene.objects.map((o) => o.label).join(','), '--object-size', `${first.id}=${Math.max(...first.size)}`, '--out', out]);
    expect(code).toBe(0);
    const scene = JSON.parse(await readFile(join(out, 'scene.json'), 'utf8')) as { objects: { label: string }[] };
    expect(scene.objects.map((o) => o.label).sort()).toEqual(s.scene.objects.map((o) => o.label).sort());
    // like every other bundle: physics.json (the verdict scene.json carries) and debug/
    const stored = JSON.parse(await readFile(join(out, 'scene.json'), 'utf8')) as { physics?: { verdict: string; stability: unknown[] } };
    const physics = JSON.parse(await readFile(join(out, 'physics.json'), 'utf8')) as { verdict: string; stability: unknown[] };
    expect(physics.verdict).toBe(stored.physics!.verdict);
    expect(physics.stability.length).toBe(s.scene.objects.length);
    expect((await readFile(join(out, 'debug', 'report.html'), 'utf8')).length).toBeGreaterThan(1000);
    expect((await readFile(join(out, 'debug', 'view_top.png'))).subarray(1, 4).toString()).toBe('PNG');
    expect(await readFile(join(out, 'models', 'index.json'), 'utf8')).toContain('"urdf"');
    await expect(run(['--from', 'midi', glb, '--out', out])).rejects.toThrow(/exactly one scale reference/);
    await expect(run(['--from', 'nerf', glb, '--out', out])).rejects.toThrow(/--from must be scenemaker, midi or sam3d/);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}, 60_000);
