import { describe, expect, it } from 'vitest';
import { validateAndRepair, validateScene } from '../../sim/index.ts';
import type { EngineName } from '../../sim/engine.ts';
import { box, ball, can, cup, plate, scene, tower } from './fixtures.ts';
import type { SceneObject } from '../../src/model/scene.ts';
import type { Vec3 } from '../../src/model/pose.ts';

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

/**
 * tin → can → inverted bowl → table, built where each rests exactly on the one below (the ground
 * truth): bowl rim on the table (z 0), its flat bottom (now the top, r 6 cm) at z 5 cm; a can
 * (r 3.5 cm, h 10 cm) on it; a flat tin (r 4 cm, h 3 cm) on the can.
 */
function tinCanBowl(canOffsetX = 0, gaps: { can?: number; tin?: number } = {}): SceneObject[] {
  const bowl = cup('bowl_1', { radius: 0.06, height: 0.05, wall: 0.006, bottom: 0.006, segments: 12, flare: 0.02 }, [0, 0, 0.025], [1, 0, 0, 0]);
  const c = can('can_2', 0.035, 0.1, [canOffsetX, 0, 0.05 + 0.05 + (gaps.can ?? 0)]);
  const tin = can('tin_3', 0.04, 0.03, [canOffsetX, 0, 0.15 + 0.015 + (gaps.can ?? 0) + (gaps.tin ?? 0)]);
  return [bowl, c, tin];
}

const edges = (r: { support: { object: string; restsOn: string | null }[] }) => r.support.map((e) => `${e.object}>${e.restsOn}`).sort();
const dist = (a: Vec3, b: Vec3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

describe('the support graph of a stack (tin → can → bowl → table)', () => {
  it('object-on-object edges, and the stack stands in cannon-es, Rapier and MuJoCo with nothing moving over 1 cm', async () => {
    const s = scene(tinCanBowl());
    for (const engine of ENGINES) {
      const r = await validateScene(s, { engine, reference: 'mujoco' });
      expect(edges(r)).toEqual(['bowl_1>ground', 'can_2>bowl_1', 'tin_3>can_2']);
      expect(r.verdict, r.findings.map((f) => f.message).join('; ')).toBe('valid');
      for (const row of [...r.stability, ...r.reference!.stability]) expect(row.displacement, `${engine} ${row.method} ${row.object}`).toBeLessThanOrEqual(0.01);
      // the stacked objects were simulated (statics only vouches for objects on the ground alone)
      expect(r.stability.find((x) => x.object === 'tin_3')!.method).toBe(engine);
    }
  });

  it('a stack put back together by repair: gaps closed, no object moved over 1 cm, the same graph', async () => {
    // the can sunk 1.5 mm into the bowl, the tin floating 4 mm over the can
    const truth = tinCanBowl();
    const bad = scene(tinCanBowl(0, { can: -0.0015, tin: 0.004 + 0.0015 }));
    const { scene: out, report } = await validateAndRepair(bad, { reference: 'mujoco' });
    expect(report.verdict, report.findings.map((f) => f.message).join('; ')).toBe('repaired');
    expect(edges(report)).toEqual(['bowl_1>ground', 'can_2>bowl_1', 'tin_3>can_2']);
    for (const m of report.moves!) expect(m.translation, m.object).toBeLessThanOrEqual(0.01);
    out.objects.forEach((o, i) => expect(dist(o.pose.position, truth[i]!.pose.position), o.id).toBeLessThan(0.002));
    for (const row of report.stability) expect(row.displacement, row.object).toBeLessThanOrEqual(0.01);
  });

  it('a can standing past the edge of the bowl is reported unstable, not passed', async () => {
    // the can's centre 8 cm out: past the bowl's 6 cm top, so it tips off (with the tin)
    const s = scene(tinCanBowl(0.08));
    const r = await validateScene(s, { reference: 'mujoco' });
    expect(r.verdict).toBe('invalid');
    expect(r.findings.filter((f) => ['toppled', 'fell', 'slid'].includes(f.kind)).map((f) => f.objects[0])).toContain('can_2');
    expect(r.reference!.stability.find((x) => x.object === 'can_2')!.stable).toBe(false);
    const { report } = await validateAndRepair(s);
    expect(['invalid', 'needs_review']).toContain(report.verdict);
    expect(report.stability.find((x) => x.object === 'can_2')!.stable).toBe(false);
  });
});

describe('rolling is never called stable', () => {
  it('a ball on a 5° slope rolls: unstable in our engine and in MuJoCo, never valid or repaired', async () => {
    const slope = (5 * Math.PI) / 180;
    const support = { normal: [Math.sin(slope), 0, Math.cos(slope)] as Vec3, d: 0 };
    // resting on the plane: centre one radius along the normal from the origin
    const b = ball('ball_1', 0.03, [0.03 * Math.sin(slope), 0, 0.03 * Math.cos(slope)]);
    const s = { ...scene([b]), support };
    const r = await validateScene(s, { reference: 'mujoco' });
    expect(r.stability[0]!.stable).toBe(false);
    expect(r.reference!.stability[0]!.stable).toBe(false);
    expect(r.verdict).toBe('invalid');
    const { report } = await validateAndRepair(s, { reference: 'mujoco' });
    expect(['invalid', 'needs_review']).toContain(report.verdict);
    // the repair did not keep a pose the ball was still rolling through
    expect(report.repairs.filter((x) => x.why.startsWith('settle'))).toEqual([]);
  });

  it('the same ball on a level table is stable everywhere', async () => {
    const r = await validateScene(scene([ball('ball_1', 0.03, [0, 0, 0.03])]), { reference: 'mujoco' });
    expect(r.verdict, r.findings.map((f) => f.message).join('; ')).toBe('valid');
  });
});
