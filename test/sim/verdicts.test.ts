/**
 * Verdicts that say what happened: the repair limit is on each object's TOTAL move (all steps
 * together) and a scene over it needs review; a validation that throws is `failed`, never a
 * checked bundle; the report labels each object by what was done to it. Ground truth: boxes
 * placed at known positions, so every move a repair must make is known in advance.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateAndRepair } from '../../sim/index.ts';
import { frameToBundle } from '../../src/app/frameToBundle.ts';
import { toViewModel } from '../../src/viewer/viewModel.ts';
import type { PhysicsReport } from '../../src/model/physics.ts';
import type { SceneObject } from '../../src/model/scene.ts';
import { box, scene } from './fixtures.ts';

/**
 * A 10 cm box on the floor at x = 0, and a lighter 10 cm box overlapping it by `overlap` along
 * x and floating `float` above the floor: separation must push the light box out by `overlap`
 * (along x, the least-penetration direction) and the drop must lower it by `float`, so its total
 * move is the hypotenuse of the two, each step alone smaller.
 */
function pushedAndDropped(overlap: number, float: number): SceneObject[] {
  return [box('heavy_1', [0.1, 0.1, 0.1], [0, 0, 0.05], 800), box('light_2', [0.1, 0.1, 0.1], [0.1 - overlap, 0, 0.05 + float], 300)];
}

describe('the repair limit is on the total move', () => {
  it('two steps of 4 cm each (5.7 cm in total) are flagged and the scene needs review', async () => {
    const { scene: out, report } = await validateAndRepair(scene(pushedAndDropped(0.04, 0.04)));
    const p = out.objects[1]!.pose.position;
    // ground truth: side by side with the heavy box, on the floor
    expect(p[0]).toBeGreaterThan(0.1 - 0.001);
    expect(p[0]).toBeLessThan(0.1 + 0.001);
    expect(p[2]).toBeCloseTo(0.05, 3);
    // each step alone was under 5 cm …
    for (const r of report.repairs) expect(Math.hypot(...r.after.position.map((v, k) => v - r.before.position[k]!))).toBeLessThan(0.05);
    // … the total is not, and says so
    const m = report.moves!.find((x) => x.object === 'light_2')!;
    expect(m.translation).toBeCloseTo(Math.hypot(0.04, 0.04), 3);
    expect(m.flagged).toBe(true);
    expect(report.moves!.find((x) => x.object === 'heavy_1')).toEqual({ object: 'heavy_1', translation: 0, rotation: 0, flagged: false });
    expect(report.verdict).toBe('needs_review');
    expect(report.findings.find((f) => f.kind === 'repair_limit')!.objects).toEqual(['light_2']);
    for (const r of report.repairs.filter((x) => x.object === 'light_2')) expect(r.flagged).toBe(true);
  });

  it('the same repair at 2 cm + 2 cm (2.8 cm in total) passes as repaired', async () => {
    const { report } = await validateAndRepair(scene(pushedAndDropped(0.02, 0.02)));
    expect(report.verdict, report.findings.map((f) => f.message).join('; ')).toBe('repaired');
    const m = report.moves!.find((x) => x.object === 'light_2')!;
    expect(m.translation).toBeCloseTo(Math.hypot(0.02, 0.02), 3);
    expect(m.flagged).toBe(false);
  });

  it('report labels: moved (by how much), repaired, unchanged — not "unstable" for a move, not "repaired" for nothing', async () => {
    const over = await validateAndRepair(scene(pushedAndDropped(0.04, 0.04)));
    const vm = toViewModel(over.scene);
    const light = vm.objects.find((o) => o.id === 'light_2')!,
      heavy = vm.objects.find((o) => o.id === 'heavy_1')!;
    expect(light.status).toBe('moved');
    expect(light.statusText).toMatch(/^moved 56\.[0-9] mm .*needs review/);
    expect(heavy.status).toBe('unchanged');
    expect(heavy.statusText).toBe('unchanged');
    const small = await validateAndRepair(scene(pushedAndDropped(0.02, 0.02)));
    const vm2 = toViewModel(small.scene);
    expect(vm2.objects.find((o) => o.id === 'light_2')!.statusText).toMatch(/^repaired: moved 28\.[0-9] mm$/);
    // no repair is recorded for an object that did not move
    expect(small.report.repairs.filter((r) => r.object === 'heavy_1')).toEqual([]);
  });
});

describe('a validation that throws', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('writes the bundle with verdict failed, and report.html marks no object as checked', async () => {
    // a collision piece of collinear points: the inspection lets it through (too few faces to
    // measure a volume), and the engine cannot build a shape of it
    const line = new Float32Array([0, 0, 0, 0.01, 0, 0, 0.02, 0, 0, 0.03, 0, 0]);
    const bad: SceneObject = { ...box('rod_1', [0.1, 0.1, 0.1], [0, 0, 0.05]), collision: [{ positions: line, indices: new Uint32Array([0, 1, 2]) }] };
    const out = await mkdtemp(join(tmpdir(), 'r2s-failed-'));
    dirs.push(out);
    const color = { width: 4, height: 3, encoding: 'rgb8' as const, data: new Uint8Array(4 * 3 * 3) };
    const masks = { width: 4, height: 3, data: new Uint16Array(12), labels: new Map<number, string>() };
    const res = await frameToBundle({ color }, { out: join(out, 'bundle'), reconstruct: () => Promise.resolve({ scene: scene([bad]), masks, lifted: [] }) });
    expect(res.warnings.join(' ')).toMatch(/physics validation failed/);
    const physics = JSON.parse(await readFile(join(out, 'bundle', 'physics.json'), 'utf8')) as PhysicsReport;
    expect(physics.verdict).toBe('failed');
    expect(physics.findings[0]!.kind).toBe('validation_failed');
    const sceneJson = JSON.parse(await readFile(join(out, 'bundle', 'scene.json'), 'utf8')) as { meta: { validated: boolean } };
    expect(sceneJson.meta.validated).toBe(false);
    const html = await readFile(join(out, 'bundle', 'debug', 'report.html'), 'utf8');
    const vm = toViewModel(res.scene);
    expect(vm.objects[0]!.status).toBe('unchecked');
    expect(html).toContain('failed');
  });
});
