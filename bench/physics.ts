/**
 * `npm run bench:physics [-- --scenes N --engines rapier,cannon --shared-meshes --no-real --only repair|simulators]`
 *
 * Two parts: validation + repair (below), and simulator fidelity (bench/simAgreement.ts: the
 * exported files in native MuJoCo 2.2, MuJoCo 3.14 and Bullet, over real frames and synthetic
 * scenes).
 *
 * The issue's acceptance numbers for physics validation and repair, on N seeded synthetic scenes
 * (ground truth from `generateSynthScene`, then `perturbScene`: penetrations ≤ 3 cm, floating
 * ≤ 5 cm, tilts ≤ 10°), for each engine:
 *  - after repair (measured with the exact GJK/EPA check, engine-independent): worst pair
 *    penetration, objects supported within 2 mm, objects moving > 1 cm in 2 s (the engine's
 *    re-check, and MuJoCo on the repaired scene), displacement from the true pose;
 *  - verdict agreement (stable / unstable per object) with MuJoCo on the perturbed scenes, and
 *    on the ground-truth scenes;
 *  - time of validation + repair per scene, wall and CPU (one thread; CPU time is the fairer
 *    figure on a shared machine).
 * Objects that MuJoCo finds unstable in the ground truth itself are counted separately: no
 * repair can make them stand where the generator put them.
 *
 * Then the same on REAL reconstructed scenes (`realPhysics.ts`; skipped without ../shared/data):
 * per scene the verdict, time with and without the MuJoCo cross-check, the largest repair move;
 * and, over both, how many objects a repair moved more than 5 cm / 15° without a flag.
 */
import { generateSynthScene } from '../src/synth/synth.ts';
import { perturbScene, type Perturbation } from '../src/eval/perturb.ts';
import { createRng } from '../src/geometry/random.ts';
import type { Scene } from '../src/model/scene.ts';
import type { PhysicsReport } from '../src/model/physics.ts';
import { validateAndRepair, validateScene, type EngineName } from '../sim/index.ts';
import { CollisionWorld } from '../sim/collision.ts';
import { findPenetrations } from '../sim/checks/penetration.ts';
import { checkSupport } from '../sim/checks/support.ts';
import { initRapier } from '../sim/engines/rapier.ts';
import { loadMujoco, simulateMujoco } from '../sim/mujoco/reference.ts';
import { physicsInput } from '../sim/validate.ts';
import { judgeStability } from '../sim/checks/stability.ts';
import { VALIDATE_DEFAULTS } from '../sim/options.ts';
import { simulatorAgreement } from './simAgreement.ts';
import { auditRepair, newAudit, realPhysicsTable, type LimitAudit } from './realPhysics.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const N = Number(arg('scenes', '100'));
const engines = arg('engines', 'rapier,cannon').split(',') as EngineName[];
const sharedMeshes = process.argv.includes('--shared-meshes');
const withReal = !process.argv.includes('--no-real');

interface Tally {
  objects: number;
  pairsOver2mm: number;
  maxPenetration: number;
  supported: number;
  movedEngine: number;
  movedMujoco: number;
  displacements: number[];
  agreePerturbed: number;
  totalPerturbed: number;
  agreeTruth: number;
  totalTruth: number;
  times: number[];
  cpu: number[];
  verdicts: Record<string, number>;
  flagged: number;
  truthUnstableObjects: number;
  /** same criteria restricted to objects stable in the ground truth */
  okObjects: number;
  okMovedEngine: number;
  okSupported: number;
  okDisplacements: number[];
  audit: LimitAudit;
}

const newTally = (): Tally => ({
  objects: 0,
  pairsOver2mm: 0,
  maxPenetration: 0,
  supported: 0,
  movedEngine: 0,
  movedMujoco: 0,
  displacements: [],
  agreePerturbed: 0,
  totalPerturbed: 0,
  agreeTruth: 0,
  totalTruth: 0,
  times: [],
  cpu: [],
  verdicts: {},
  flagged: 0,
  truthUnstableObjects: 0,
  okObjects: 0,
  okMovedEngine: 0,
  okSupported: 0,
  okDisplacements: [],
  audit: newAudit(),
});

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
const agreeWith = (r: PhysicsReport, mj: Map<string, boolean>) => r.stability.filter((s) => mj.get(s.object) === s.stable).length;

/** Stable / unstable per object after 2 s in MuJoCo (the scene's exported MJCF), same thresholds. */
async function mujocoVerdicts(scene: Scene): Promise<Map<string, boolean>> {
  const o = VALIDATE_DEFAULTS;
  const input = physicsInput(scene, o);
  const run = await simulateMujoco(input.objects, scene.support, { seconds: o.seconds });
  const j = judgeStability(
    input.ids,
    input.objects.map((ob) => ob.pose),
    run.finalPoses,
    input.isStatic,
    { displacement: o.stableDisplacement, rotation: o.stableRotation },
    'mujoco',
    input.symmetric,
  );
  return new Map(j.rows.map((r) => [r.object, r.stable]));
}

async function main(): Promise<void> {
  await initRapier();
  await loadMujoco();
  const tallies = Object.fromEntries(engines.map((e) => [e, newTally()])) as Record<EngineName, Tally>;
  const kinds: Record<string, number> = {};
  const t0 = performance.now();
  for (let seed = 0; seed < N; seed++) {
    const truth = generateSynthScene({ seed, width: 32, height: 24, sharedMeshesDir: sharedMeshes ? undefined : null }).scene;
    const bad = perturbScene(truth, createRng(1000 + seed));
    for (const p of (bad.meta?.['perturbations'] ?? []) as Perturbation[]) kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
    // MuJoCo's verdicts on the ground truth and on the perturbed scene: engine-independent, once per scene
    const truthMj = await mujocoVerdicts(truth);
    const badMj = await mujocoVerdicts(bad);
    const truthUnstable = new Set([...truthMj].filter(([, stable]) => !stable).map(([id]) => id));
    for (const engine of engines) {
      const t = tallies[engine];
      const truthReport = await validateScene(truth, { engine });
      t.agreeTruth += agreeWith(truthReport, truthMj);
      t.totalTruth += truthReport.stability.length;
      const perturbed = await validateScene(bad, { engine });
      t.agreePerturbed += agreeWith(perturbed, badMj);
      t.totalPerturbed += perturbed.stability.length;
      const start = performance.now();
      const cpu0 = process.cpuUsage();
      const { scene, report } = await validateAndRepair(bad, { engine });
      const cpu = process.cpuUsage(cpu0);
      t.times.push(performance.now() - start);
      t.cpu.push((cpu.user + cpu.system) / 1000);
      t.verdicts[report.verdict] = (t.verdicts[report.verdict] ?? 0) + 1;
      t.flagged += (report.moves ?? []).filter((m) => m.flagged).length;
      auditRepair(t.audit, bad, scene);
      measure(t, truth, scene, report, truthUnstable);
      // the repaired scene in MuJoCo (its exported MJCF): does it stand there too?
      const repairedMj = await mujocoVerdicts(scene);
      t.movedMujoco += [...repairedMj.values()].filter((stable) => !stable).length;
    }
    if ((seed + 1) % 10 === 0) process.stderr.write(`  ${seed + 1}/${N} scenes, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  print(tallies, kinds);
  const real = withReal ? await realPhysicsTable() : null;
  const all = [...Object.values(tallies).map((t) => t.audit), ...(real ? [real] : [])];
  const over = all.reduce((s, a) => s + a.overLimit, 0),
    unflagged = all.reduce((s, a) => s + a.unflagged, 0),
    objects = all.reduce((s, a) => s + a.objects, 0);
  console.log(
    `\nrepair limit over bench:physics${real ? ' and the real frames' : ''}: ${objects} repaired objects, ${over} moved more than 5 cm / 15° in total, ${unflagged} without a flag (target 0)`,
  );
}

function measure(t: Tally, truth: Scene, repaired: Scene, report: PhysicsReport, truthUnstable: Set<string>): void {
  const objects = repaired.objects;
  const world = new CollisionWorld(objects, repaired.support);
  const isStatic = objects.map((o) => !!o.isStatic);
  const pens = findPenetrations(world, isStatic, 0).penetrations;
  for (const p of pens) {
    t.maxPenetration = Math.max(t.maxPenetration, p.depth);
    if (p.depth > 0.002) t.pairsOver2mm++;
  }
  const sup = checkSupport(
    world,
    objects.map((o) => o.id),
    isStatic,
    0.002,
  );
  objects.forEach((o, i) => {
    if (o.isStatic) return;
    t.objects++;
    const ok = !truthUnstable.has(o.id);
    if (!ok) t.truthUnstableObjects++;
    const supported = sup.gaps[i]! <= 0.002 && sup.grounded[i]!;
    if (supported) t.supported++;
    const row = report.stability.find((s) => s.object === o.id);
    const moved = !row || row.displacement > 0.01 || row.displacement < 0;
    if (moved) t.movedEngine++;
    const tp = truth.objects[i]!.pose.position,
      p = o.pose.position;
    const d = Math.hypot(p[0] - tp[0], p[1] - tp[1], p[2] - tp[2]);
    t.displacements.push(d);
    if (ok) {
      t.okObjects++;
      if (moved) t.okMovedEngine++;
      if (supported) t.okSupported++;
      t.okDisplacements.push(d);
    }
  });
}

function print(tallies: Record<string, Tally>, kinds: Record<string, number>): void {
  const names = Object.keys(tallies);
  const rows: [string, string, ...string[]][] = [];
  const row = (label: string, target: string, f: (t: Tally) => string) => rows.push([label, target, ...names.map((n) => f(tallies[n]!))]);
  const mm = (m: number) => `${(m * 1000).toFixed(2)} mm`;
  const frac = (a: number, b: number) => `${a}/${b} (${((100 * a) / Math.max(1, b)).toFixed(1)} %)`;
  row('pairs interpenetrating > 2 mm after repair', '0', (t) => String(t.pairsOver2mm));
  row('deepest interpenetration after repair', '≤ 2 mm', (t) => mm(t.maxPenetration));
  row('objects supported (gap ≤ 2 mm, grounded)', '100 %', (t) => frac(t.supported, t.objects));
  row('objects moving > 1 cm in 2 s (engine re-check)', '0', (t) => String(t.movedEngine));
  row('objects moving > 1 cm in 2 s (MuJoCo, repaired)', '0', (t) => String(t.movedMujoco));
  row('median displacement from true pose', '< 5 mm', (t) => mm(median(t.displacements)));
  row('90th pct displacement from true pose', '', (t) => mm(pct(t.displacements, 0.9)));
  row('verdict agreement with MuJoCo (perturbed)', '≥ 95 %', (t) => frac(t.agreePerturbed, t.totalPerturbed));
  row('verdict agreement with MuJoCo (ground truth)', '', (t) => frac(t.agreeTruth, t.totalTruth));
  row('objects unstable in ground truth (MuJoCo)', '', (t) => String(t.truthUnstableObjects));
  row('  excluding those: supported', '100 %', (t) => frac(t.okSupported, t.okObjects));
  row('  excluding those: moving > 1 cm (engine)', '0', (t) => String(t.okMovedEngine));
  row('  excluding those: median displacement', '< 5 mm', (t) => mm(median(t.okDisplacements)));
  row('objects with a flagged repair (> 5 cm / 15° in total)', '', (t) => String(t.flagged));
  row('objects moved > 5 cm / 15° in total without a flag', '0', (t) => String(t.audit.unflagged));
  row('verdicts valid / repaired / needs_review / invalid / failed', '', (t) => ['valid', 'repaired', 'needs_review', 'invalid', 'failed'].map((v) => t.verdicts[v] ?? 0).join(' / '));
  row('validate + repair wall time, median (p95)', '', (t) => `${median(t.times).toFixed(0)} ms (${pct(t.times, 0.95).toFixed(0)} ms)`);
  row('validate + repair CPU time, median (p95)', '', (t) => `${median(t.cpu).toFixed(0)} ms (${pct(t.cpu, 0.95).toFixed(0)} ms)`);
  const header: [string, string, ...string[]] = ['criterion', 'target', ...names];
  const all = [header, ...rows];
  const w = header.map((_, k) => Math.max(...all.map((r) => r[k]!.length)));
  const line = (r: string[]) => `| ${r.map((c, k) => c.padEnd(w[k]!)).join(' | ')} |`;
  console.log(
    `\nphysics validation + repair on ${N} perturbed synthetic scenes (${sharedMeshes ? 'with' : 'without'} shared meshes); perturbations: ${Object.entries(kinds)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}\n`,
  );
  console.log(line(header));
  console.log(`|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

const only = arg('only', '');
if (only !== 'simulators') await main();
if (only !== 'repair') await simulatorAgreement(N);
