import { describe, expect, it } from 'vitest';
import { perturbScene, type Perturbation } from '../../src/eval/perturb.ts';
import { generateSynthScene } from '../../src/synth/synth.ts';
import { createRng } from '../../src/geometry/random.ts';
import { quatAngle } from '../../src/model/pose.ts';
import { validateAndRepair, validateScene } from '../../sim/index.ts';
import { box, scene } from './fixtures.ts';

describe('perturbScene', () => {
  it('is seeded, stays within the limits and records every change (seeds 0–9)', () => {
    for (let seed = 0; seed < 10; seed++) {
      const truth = generateSynthScene({ seed, width: 32, height: 24, sharedMeshesDir: null }).scene;
      const copy = JSON.stringify(truth.objects.map((o) => o.pose));
      const a = perturbScene(truth, createRng(seed));
      const b = perturbScene(truth, createRng(seed));
      expect(JSON.stringify(a.objects.map((o) => o.pose))).toBe(JSON.stringify(b.objects.map((o) => o.pose)));
      expect(JSON.stringify(truth.objects.map((o) => o.pose))).toBe(copy); // input untouched
      const rec = a.meta!['perturbations'] as Perturbation[];
      expect(rec.length).toBe(truth.objects.length);
      rec.forEach((p, i) => {
        const t = truth.objects[i]!.pose,
          q = a.objects[i]!.pose;
        const dz = q.position[2] - t.position[2];
        const side = Math.hypot(q.position[0] - t.position[0], q.position[1] - t.position[1]);
        if (p.kind === 'sink') expect(-dz).toBeLessThanOrEqual(0.03 + 1e-12);
        if (p.kind === 'float') expect(dz).toBeLessThanOrEqual(0.05 + 1e-12);
        if (p.kind === 'tilt') expect((quatAngle(t.orientation, q.orientation) * 180) / Math.PI).toBeLessThanOrEqual(10 + 1e-6);
        if (p.kind === 'push') expect(p.amount).toBeLessThanOrEqual(0.03);
        if (p.kind !== 'push') expect(side).toBeLessThan(1e-12);
      });
    }
  });
});

describe('static objects and a raised support plane', () => {
  it('a box on a static table on a tabletop plane at 0.7 m: valid; repair never moves the table', async () => {
    const table = { ...box('table_1', [0.6, 0.4, 0.04], [0, 0, 0.72]), isStatic: true };
    const cup = box('cup_2', [0.08, 0.08, 0.1], [0.1, 0, 0.74 + 0.05 + 0.004]); // floats 4 mm
    const s = { ...scene([table, cup]), support: { normal: [0, 0, 1] as [number, number, number], d: -0.7 } };
    const before = await validateScene(s, { stability: false });
    expect(before.findings.map((f) => f.kind)).toEqual(['floating']);
    expect(before.support).toEqual([{ object: 'cup_2', restsOn: 'table_1', gap: expect.closeTo(0.004, 6) as unknown }]);
    const { scene: out, report } = await validateAndRepair(s);
    expect(report.verdict).toBe('repaired');
    expect(out.objects[0]!.pose).toEqual(table.pose);
    expect(out.objects[1]!.pose.position[2]).toBeCloseTo(0.79, 3);
    expect(report.repairs.every((r) => r.object === 'cup_2')).toBe(true);
  });
});
