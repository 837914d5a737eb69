import { describe, expect, it } from 'vitest';
import { validateAndRepair, validateScene } from '../../sim/index.ts';
import type { EngineName } from '../../sim/engine.ts';
import { box, ball, cup, plate, scene, tower } from './fixtures.ts';

const ENGINES: EngineName[] = ['cannon', 'rapier'];

/** Stable in the engine AND in MuJoCo (the reference run of validateScene). */
async function standsEverywhere(s: ReturnType<typeof scene>) {
  for (const engine of ENGINES) {
    const r = await validateScene(s, { engine, reference: 'mujoco' });
    const moved = r.stability.filter((x) => !x.stable).map((x) => `${x.object} ${(x.displacement * 1000).toFixed(1)} mm`);
    expect(moved, `${engine}: ${r.findings.map((f) => f.message).join('; ')}`).toEqual([]);
    const mj = r.reference!.stability.filter((x) => !x.stable).map((x) => `${x.object} ${(x.displacement * 1000).toFixed(1)} mm`);
    expect(mj, `mujoco: ${JSON.stringify(r.reference)}`).toEqual([]);
    expect(r.stability.length).toBe(s.objects.length);
    expect(r.verdict, r.findings.map((f) => f.message).join('; ')).toBe('valid');
  }
}

describe('stacks stand in cannon-es, Rapier and MuJoCo', () => {
  it('a box on a box on the floor', async () => {
    await standsEverywhere(scene([box('base_1', [0.2, 0.2, 0.1], [0, 0, 0.05]), box('top_2', [0.1, 0.1, 0.1], [0.01, 0, 0.15])]));
  });

  it('a bowl (convex parts) on a plate', async () => {
    const p = plate('plate_1', 0.12, 0.015, [0, 0, 0.0075]);
    const b = cup('bowl_2', { radius: 0.05, height: 0.06, wall: 0.006, bottom: 0.008, segments: 12, flare: 0.03 }, [0, 0, 0.015 + 0.03]);
    await standsEverywhere(scene([p, b]));
  });

  it('a 5-box tower', async () => {
    await standsEverywhere(scene(tower(5)));
  });
});

describe('unstable stacks are reported, not silently fixed', () => {
  it('a tower leaning past its support is unstable and keeps its pose', async () => {
    // each box 4 cm further out: the upper boxes' centre of mass is well past the bottom box's edge
    const s = scene(tower(5, 0.04));
    const before = await validateScene(s);
    expect(before.verdict).toBe('invalid');
    expect(before.findings.some((f) => ['toppled', 'fell', 'slid', 'unstable'].includes(f.kind))).toBe(true);
    const { scene: out, report } = await validateAndRepair(s);
    expect(report.verdict).toBe('invalid');
    expect(report.findings.some((f) => ['toppled', 'fell', 'slid'].includes(f.kind))).toBe(true);
    // nothing moved more than 5 cm without a flag
    for (const r of report.repairs) {
      const d = Math.hypot(...r.after.position.map((v, k) => v - r.before.position[k]!));
      if (d > 0.05) expect(r.flagged, `${r.object}: ${r.why}`).toBe(true);
    }
    // the upper boxes were not quietly moved onto a stable spot
    for (let k = 2; k < 5; k++) {
      const d = Math.hypot(...out.objects[k]!.pose.position.map((v, i) => v - s.objects[k]!.pose.position[i]!));
      expect(d).toBeLessThan(0.05);
    }
  });
});

describe('concave objects from convex parts', () => {
  it('a ball dropped in a mug stays inside it (cannon-es, Rapier, MuJoCo)', async () => {
    const mug = cup('mug_1', { radius: 0.045, height: 0.1, wall: 0.006, bottom: 0.01, segments: 12, handle: true }, [0, 0, 0.05]);
    const b = ball('ball_2', 0.02, [0.005, 0, 0.01 + 0.02 + 0.015]); // 1.5 cm above the mug's floor
    const s = scene([mug, b]);
    for (const engine of ENGINES) {
      const { scene: repaired, report } = await validateAndRepair(s, { engine });
      expect(report.verdict, report.findings.map((f) => f.message).join('; ')).not.toBe('invalid');
      const p = repaired.objects[1]!.pose.position;
      expect(Math.hypot(p[0], p[1]), `${engine}: ball left the mug`).toBeLessThan(0.045 - 0.006 - 0.02 + 0.002);
      expect(p[2], engine).toBeGreaterThan(0.01 + 0.02 - 0.003);
      expect(p[2], engine).toBeLessThan(0.01 + 0.02 + 0.003);
      expect(report.support.find((e) => e.object === 'ball_2')?.restsOn).toBe('mug_1');
    }
    // MuJoCo (the exported MJCF): the ball drops the 1.5 cm and stays in the mug
    const ref = await validateScene(s, { reference: 'mujoco' });
    const row = ref.reference!.stability.find((x) => x.object === 'ball_2')!;
    expect(row.displacement).toBeGreaterThan(0.01);
    expect(row.displacement).toBeLessThan(0.025);
  });
});
