import { describe, expect, it } from 'vitest';
import { validateAndRepair, validateScene } from '../../sim/index.ts';
import { physicsInput, referenceCheck, stabilityCheck } from '../../sim/validate.ts';
import { VALIDATE_DEFAULTS } from '../../sim/options.ts';
import { CollisionWorld } from '../../sim/collision.ts';
import { findPenetrations } from '../../sim/checks/penetration.ts';
import { generateSynthScene } from '../../src/synth/synth.ts';
import { perturbScene } from '../../src/eval/perturb.ts';
import { createRng } from '../../src/geometry/random.ts';
import { box, scene, tower } from './fixtures.ts';
import { createPool } from '../../src/app/pool.ts';
import type { PhysicsReport } from '../../src/model/physics.ts';
import { simulateMujoco } from '../../sim/mujoco/reference.ts';
import { Real2SimError } from '../../src/model/errors.ts';

describe('bad scenes give a clear finding, quickly', () => {
  it('an object with no collision pieces, zero mass, a NaN pose', async () => {
    const ok = box('ok_1', [0.1, 0.1, 0.1], [0, 0, 0.05]);
    const noPieces = { ...box('nopieces_2', [0.1, 0.1, 0.1], [0.3, 0, 0.05]), collision: [] };
    const zeroMass = { ...box('zeromass_3', [0.1, 0.1, 0.1], [0.6, 0, 0.05]), mass: 0 };
    const nanPose = box('nanpose_4', [0.1, 0.1, 0.1], [NaN, 0, 0.05]);
    const r = await validateScene(scene([ok, noPieces, zeroMass, nanPose]));
    const bad = r.findings.filter((f) => f.kind === 'bad_object');
    expect(bad.map((f) => f.objects[0]).sort()).toEqual(['nanpose_4', 'nopieces_2', 'zeromass_3']);
    expect(bad.find((f) => f.objects[0] === 'nopieces_2')!.message).toMatch(/no collision pieces/);
    expect(bad.find((f) => f.objects[0] === 'zeromass_3')!.message).toMatch(/mass is 0 kg/);
    expect(bad.find((f) => f.objects[0] === 'nanpose_4')!.message).toMatch(/pose is not finite/);
    expect(r.verdict).toBe('invalid');
    // the good object is still checked
    expect(r.stability.map((s) => s.object)).toEqual(['ok_1']);
    const repaired = await validateAndRepair(scene([ok, noPieces, zeroMass, nanPose]));
    expect(repaired.report.verdict).toBe('invalid');
    expect(repaired.scene.objects[3]!.pose.position[0]).toBeNaN(); // left alone, not "fixed"
  });

  it('10 000 objects: a budget finding in well under a second', async () => {
    const one = box('b_0', [0.05, 0.05, 0.05], [0, 0, 0.025]);
    const many = Array.from({ length: 10_000 }, (_, i) => ({
      ...one,
      id: `b_${i}`,
      pose: { position: [(i % 100) * 0.06, Math.floor(i / 100) * 0.06, 0.025] as [number, number, number], orientation: [0, 0, 0, 1] as [number, number, number, number] },
    }));
    const t0 = performance.now();
    const r = await validateScene(scene(many));
    const { report } = await validateAndRepair(scene(many));
    expect(performance.now() - t0).toBeLessThan(1000);
    for (const rep of [r, report]) {
      expect(rep.verdict).toBe('invalid');
      const f = rep.findings.find((x) => x.kind === 'budget_exceeded')!;
      expect(f.message).toMatch(/10000 objects/);
      expect(f.values['objects']).toBe(10_000);
    }
  });

  it('the step budget cuts a long simulation short and says so', async () => {
    const r = await validateScene(scene(tower(3)), { maxBodySteps: 300 });
    const f = r.findings.find((x) => x.kind === 'budget_exceeded');
    expect(f?.message).toMatch(/instead of 2 s/);
    expect(r.verdict).toBe('invalid');
  });
});

describe('checks', () => {
  it('penetration: the exact check and the engine contacts agree on a box sunk 1.5 cm', async () => {
    for (const engine of ['cannon', 'rapier'] as const) {
      const r = await validateScene(scene([box('sunk_1', [0.1, 0.1, 0.1], [0, 0, 0.035])]), { engine });
      const f = r.findings.find((x) => x.kind === 'penetration')!;
      expect(f.objects).toEqual(['sunk_1', 'ground']);
      expect(f.values['depth_m']).toBeCloseTo(0.015, 6);
      expect(f.values['engine_depth_m']!, engine).toBeCloseTo(0.015, 3);
    }
  });

  it('support: a floating box reports its gap and what is beneath; the support graph of a stack', async () => {
    const r = await validateScene(scene([box('base_1', [0.2, 0.2, 0.1], [0, 0, 0.05]), box('float_2', [0.1, 0.1, 0.1], [0, 0, 0.1 + 0.05 + 0.012])]), { stability: false });
    const f = r.findings.find((x) => x.kind === 'floating')!;
    expect(f.objects).toEqual(['float_2', 'base_1']);
    expect(f.values['gap_m']).toBeCloseTo(0.012, 5);
    const t = await validateScene(scene(tower(3)), { stability: false });
    expect(t.support.map((e) => `${e.object}>${e.restsOn}`)).toEqual(['box_1>ground', 'box_2>box_1', 'box_3>box_2']);
    expect(t.verdict).toBe('valid');
  });

  it('MuJoCo reference: agreement on a stable stack; a 5 cm disagreement is reported', async () => {
    const s = scene(tower(3));
    const r = await validateScene(s, { reference: 'mujoco' });
    expect(r.reference!.agreement).toBe(1);
    expect(r.findings.filter((f) => f.kind === 'engine_disagreement')).toEqual([]);
    // our engine's result moved by 5 cm (as if it had let a box slide away): MuJoCo disagrees
    const o = { ...VALIDATE_DEFAULTS };
    const input = physicsInput(s, o);
    const ours = await stabilityCheck(input, s, o, false);
    ours.finalPoses[2] = { ...ours.finalPoses[2]!, position: [0.05, 0, ours.finalPoses[2]!.position[2]] };
    const ref = await referenceCheck(input, s, o, ours);
    const d = ref.findings.find((f) => f.kind === 'engine_disagreement')!;
    expect(d.objects).toEqual(['box_3']);
    expect(d.values['distance_m']).toBeGreaterThan(0.04);
  });
});

describe('our engine on a worker thread, MuJoCo here meanwhile', () => {
  it('a MuJoCo run hands the thread back while it steps, and a signal stops it (ABORTED); unstopped, the same poses', async () => {
    const s = scene(tower(3));
    const full = await simulateMujoco(s.objects, s.support, { seconds: 2 });
    // a timer set before the run fires while it runs: the thread is handed back between steps
    const events: string[] = [];
    const stop = new AbortController();
    setTimeout(() => {
      events.push('timer');
      stop.abort();
    }, 1);
    const aborted = await simulateMujoco(s.objects, s.support, { seconds: 2, signal: stop.signal }).then(
      () => null,
      (e: unknown) => e,
    );
    events.push('run ended');
    expect(events).toEqual(['timer', 'run ended']);
    expect(aborted).toBeInstanceOf(Real2SimError);
    expect((aborted as Real2SimError).code).toBe('ABORTED');
    // the same run without a stop: the slices do not change what comes out
    const again = await simulateMujoco(s.objects, s.support, { seconds: 2, signal: new AbortController().signal });
    expect(again.finalPoses).toEqual(full.finalPoses);
    expect(full.seconds).toBeGreaterThan(0.5);
  });

  // what a run decides, without its times
  const decided = (r: PhysicsReport) => ({ ...r, timeMs: 0 });
  it('the same reports, repairs and poses as in this thread: a stable tower (cross-check) and a perturbed scene (repair)', async () => {
    // a tower whose top box sinks 6 mm into the one below and hangs 1 cm over its edge: separated,
    // then settled and checked again (three runs of our engine, the last with the cross-check)
    const sunk = tower(3).map((o, k) => (k === 2 ? { ...o, pose: { ...o.pose, position: [0.01, 0, o.pose.position[2] - 0.006] as [number, number, number] } } : o));
    const scenes = [scene(tower(3)), scene(sunk)];
    const pool = createPool({ threads: 1 });
    const counts: [number, number][] = [];
    try {
      for (const s of scenes) {
        const here = await validateAndRepair(s, { reference: 'mujoco' });
        const tasks: string[] = [];
        const spawned = await validateAndRepair(s, {
          reference: 'mujoco',
          spawn: (task, input) => {
            tasks.push(task.name);
            return pool.spawn(task, input);
          },
        });
        expect(tasks.length).toBeGreaterThan(0);
        expect(new Set(tasks)).toEqual(new Set(['simulateTask']));
        expect(pool.failure).toBeNull();
        expect(here.report.reference?.simulated).toBeGreaterThan(0);
        counts.push([tasks.length, here.report.repairs.length]);
        expect(decided(spawned.report)).toEqual(decided(here.report));
        expect(spawned.scene.objects.map((o) => o.pose)).toEqual(here.scene.objects.map((o) => o.pose));
      }
      // the tower: one run, no repair; the sunk one: repaired, and simulated more than once
      expect(counts[0]).toEqual([1, 0]);
      expect(counts[1]![0]).toBeGreaterThan(1);
      expect(counts[1]![1]).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  }, 60_000);
});

describe('repair of perturbed synthetic scenes', () => {
  for (const seed of [3, 11, 17]) {
    it(`seed ${seed}: no penetration > 2 mm, all supported, nothing moves > 1 cm, close to the truth`, async () => {
      const truth = generateSynthScene({ seed, width: 32, height: 24, sharedMeshesDir: null, shapes: ['box', 'cylinder', 'cone', 'lshape', 'mug'] }).scene;
      const bad = perturbScene(truth, createRng(1000 + seed));
      const before = await validateScene(bad, { stability: false });
      expect(before.verdict).toBe('invalid');
      const { scene: out, report } = await validateAndRepair(bad);
      expect(report.verdict, report.findings.map((f) => f.message).join('; ')).toBe('repaired');
      expect(report.initialFindings!.length).toBeGreaterThan(0);
      for (const rep of report.repairs) expect(rep.why.length).toBeGreaterThan(5);
      const world = new CollisionWorld(out.objects, out.support);
      const pens = findPenetrations(
        world,
        out.objects.map(() => false),
        0.002,
      ).penetrations;
      expect(pens).toEqual([]);
      expect(report.stability.every((s) => s.stable && s.displacement <= 0.01)).toBe(true);
      expect(report.findings.filter((f) => f.kind === 'floating' || f.kind === 'unsupported')).toEqual([]);
      const d = out.objects.map((o, i) => Math.hypot(...o.pose.position.map((v, k) => v - truth.objects[i]!.pose.position[k]!))).sort((a, b) => a - b);
      expect(d[Math.floor(d.length / 2)]!).toBeLessThan(0.005);
      // the caller's scene is untouched
      expect(bad.objects[0]!.pose).toEqual(perturbScene(truth, createRng(1000 + seed)).objects[0]!.pose);
    });
  }
});
