/**
 * `validateScene`: every physics check on a scene, without changing it. Bad objects are reported
 * and left out; the work is bounded by the budgets in `ValidateOptions` so any input returns.
 */
import type { PhysicsFinding, PhysicsReport } from '../src/model/physics.ts';
import type { Scene, SceneObject } from '../src/model/scene.ts';
import type { Pose } from '../src/model/pose.ts';
import type { PhysicsVerdict } from '../src/model/physics.ts';
import { bodySpec, inspectObject } from './bodies.ts';
import { CollisionWorld } from './collision.ts';
import { findPenetrations, mm, penetrationFindings } from './checks/penetration.ts';
import { checkSupport } from './checks/support.ts';
import { judgeStability, simulateWith, type SimulateResult, type StabilityRow } from './checks/stability.ts';
import { planSimulation, type StaticsPlan } from './checks/statics.ts';
import { mujocoModelFiles, runMujoco, type MujocoModelFiles, type MujocoRun, type MujocoRunOptions } from './mujoco/reference.ts';
import { ENGINE_STEP } from './engines/index.ts';
import { VALIDATE_DEFAULTS, withDefaults, type ValidateOptions } from './options.ts';

/** The objects physics can work on, and what is wrong with the others. */
export interface PhysicsInput {
  /** Indices into scene.objects of the usable objects. */
  usable: number[];
  objects: SceneObject[];
  ids: string[];
  isStatic: boolean[];
  /** Symmetric about the object's own z axis (spin about it is not movement). */
  symmetric: boolean[];
  findings: PhysicsFinding[];
  /** False when the scene is over the object budget: nothing else should run. */
  withinBudget: boolean;
}

export function physicsInput(scene: Scene, o: Required<ValidateOptions>): PhysicsInput {
  const findings: PhysicsFinding[] = [];
  if (!Array.isArray(scene.objects)) {
    return {
      usable: [],
      objects: [],
      ids: [],
      isStatic: [],
      symmetric: [],
      withinBudget: false,
      findings: [{ kind: 'bad_object', severity: 'error', objects: [], values: {}, message: 'The scene has no objects array' }],
    };
  }
  const n = scene.objects.length;
  if (n > o.maxObjects) {
    findings.push({
      kind: 'budget_exceeded',
      severity: 'error',
      objects: [],
      values: { objects: n, max_objects: o.maxObjects },
      message: `The scene has ${n} objects, more than the ${o.maxObjects} physics validation handles; split the scene or raise maxObjects. Nothing was checked.`,
    });
    return { usable: [], objects: [], ids: [], isStatic: [], symmetric: [], findings, withinBudget: false };
  }
  const usable: number[] = [];
  const seen = new Set<string>();
  scene.objects.forEach((ob, i) => {
    const bad = inspectObject(ob);
    if (bad) findings.push(bad);
    else if (seen.has(ob.id))
      findings.push({ kind: 'bad_object', severity: 'error', objects: [ob.id], values: {}, message: `Two objects share the id '${ob.id}'; the second was left out of the physics checks` });
    else usable.push(i);
    seen.add(ob.id);
  });
  const objects = usable.map((i) => scene.objects[i]!);
  return { usable, objects, ids: objects.map((ob) => ob.id), isStatic: objects.map((ob) => !!ob.isStatic), symmetric: objects.map((ob) => ob.symmetry === 'continuous'), findings, withinBudget: true };
}

export interface GeometricResult {
  findings: PhysicsFinding[];
  support: PhysicsReport['support'];
  world: CollisionWorld;
}

/** Penetration (exact) and support checks on the current poses. */
export function geometricChecks(
  input: PhysicsInput,
  scene: Scene,
  o: Required<ValidateOptions>,
  engineContacts: Parameters<typeof penetrationFindings>[3] = [],
  engineName?: string,
  world: CollisionWorld = new CollisionWorld(input.objects, scene.support),
): GeometricResult {
  const findings: PhysicsFinding[] = [];
  const pen = findPenetrations(world, input.isStatic, 0, o.maxPieceQueries);
  if (!pen.complete) findings.push(budgetFinding(o.maxPieceQueries));
  findings.push(...penetrationFindings(pen.penetrations, input.ids, o.penetrationTolerance, engineContacts, engineName));
  const sup = checkSupport(world, input.ids, input.isStatic, o.supportTolerance);
  findings.push(...sup.findings);
  return { findings, support: sup.edges, world };
}

function budgetFinding(maxPieceQueries: number): PhysicsFinding {
  return {
    kind: 'budget_exceeded',
    severity: 'error',
    objects: [],
    values: { max_piece_queries: maxPieceQueries },
    message: `Too many overlapping collision pieces: stopped after ${maxPieceQueries} exact pair queries, so some penetrations may be missing. Check for objects stacked in one place or raise maxPieceQueries.`,
  };
}

export interface StabilityResult {
  findings: PhysicsFinding[];
  rows: StabilityRow[];
  /** Per usable object: the pose after the run (unchanged for objects not simulated). */
  finalPoses: Pose[];
  contacts: SimulateResult['contacts'];
  engine: string;
  plan: StaticsPlan;
}

/** Bodies of a plan: the simulated objects free, then the fixed ones as static. */
export function planBodies(input: PhysicsInput, plan: StaticsPlan, poses: readonly Pose[] = input.objects.map((ob) => ob.pose)) {
  return [
    ...plan.simulate.map((i) => bodySpec({ ...input.objects[i]!, pose: poses[i]! })),
    ...plan.fixed.map((i, k) => {
      const spec = bodySpec({ ...input.objects[i]!, pose: poses[i]! });
      return { ...spec, pieces: plan.fixedPieces[k]!.map((p) => spec.pieces[p]!), isStatic: true };
    }),
  ];
}

/**
 * Stability: objects that rest on the ground alone are decided by statics (`checks/statics.ts`);
 * the others are simulated, with what they touch, and judged on how far they moved.
 */
export async function stabilityCheck(
  input: PhysicsInput,
  scene: Scene,
  o: Required<ValidateOptions>,
  withContacts: boolean,
  world?: CollisionWorld,
  plan: StaticsPlan = staticsPlan(input, o, world ?? new CollisionWorld(input.objects, scene.support)),
): Promise<StabilityResult> {
  const before = input.objects.map((ob) => ob.pose);
  const finalPoses = before.map((p): Pose => ({ position: [...p.position], orientation: [...p.orientation] }));
  let engine: string = o.engine;
  let contacts: StabilityResult['contacts'] = [];
  const findings: PhysicsFinding[] = [];
  const simulated = new Map<number, StabilityRow>();
  if (plan.simulate.length > 0) {
    const run = await simulateWith(o.spawn, planBodies(input, plan), scene.support, {
      engine: o.engine,
      dt: o.dt > 0 ? o.dt : ENGINE_STEP[o.engine],
      seconds: o.seconds,
      maxBodySteps: o.maxBodySteps,
      restMove: 5e-4,
      restTurn: 5e-3,
      ...(o.earlyStop ? { restSeconds: 0.25 } : {}),
      contacts: withContacts,
      // clearly gone (10 cm) or clearly toppled (past the 0.5 rad that names a fall 'toppled'):
      // the kind of the finding is already what the whole fall would give
      decidedMove: Math.max(0.1, 10 * o.stableDisplacement),
      decidedTurn: Math.max(0.6, 6 * o.stableRotation),
      // the run does not stop while an object could still creep past the stability limits
      limitMove: o.stableDisplacement,
      limitTurn: o.stableRotation,
      symmetric: plan.simulate.map((i) => input.symmetric[i]!),
    });
    engine = run.engine;
    contacts = run.contacts;
    plan.simulate.forEach((i, k) => (finalPoses[i] = run.finalPoses[k]!));
    const idx = plan.simulate;
    const judged = judgeStability(
      idx.map((i) => input.ids[i]!),
      idx.map((i) => before[i]!),
      idx.map((i) => finalPoses[i]!),
      idx.map(() => false),
      { displacement: o.stableDisplacement, rotation: o.stableRotation },
      run.engine,
      idx.map((i) => input.symmetric[i]!),
    );
    findings.push(...judged.findings);
    judged.rows.forEach((r, k) => simulated.set(idx[k]!, { ...r, method: run.engine }));
    if (run.budgetExceeded) {
      findings.push({
        kind: 'budget_exceeded',
        severity: 'error',
        objects: [],
        values: { simulated_s: run.seconds, max_body_steps: o.maxBodySteps },
        message: `Stability was simulated for ${run.seconds.toFixed(2)} s instead of ${o.seconds} s: ${plan.simulate.length} bodies exceed the step budget (${o.maxBodySteps} body-steps)`,
      });
    }
  }
  const rows: StabilityRow[] = [];
  input.ids.forEach((id, i) => {
    if (input.isStatic[i]) return;
    rows.push(simulated.get(i) ?? { object: id, displacement: 0, rotation: 0, stable: true, method: 'statics' });
  });
  return { findings, rows, finalPoses, contacts, engine, plan };
}

/** Which objects the stability run simulates, which it fixes, and which statics decides. */
export function staticsPlan(input: PhysicsInput, o: Required<ValidateOptions>, world: CollisionWorld): StaticsPlan {
  return planSimulation(world, input.objects, input.isStatic, { contact: o.supportTolerance, penetration: o.penetrationTolerance });
}

export async function validateScene(scene: Scene, options?: ValidateOptions): Promise<PhysicsReport> {
  const t0 = performance.now();
  const o = withDefaults(VALIDATE_DEFAULTS, options);
  const input = physicsInput(scene, o);
  const findings = [...input.findings];
  if (!input.withinBudget) return report(o.engine, findings, [], [], [], t0);
  const world = new CollisionWorld(input.objects, scene.support);
  let stab: StabilityResult | null = null;
  let mujoco: Promise<MujocoRun> | null = null;
  if (o.stability && input.objects.length > 0) {
    const plan = staticsPlan(input, o, world);
    const ours = stabilityCheck(input, scene, o, o.engineContacts, world, plan);
    mujoco = referenceAlongside(input, scene, o, plan);
    stab = await ours;
  }
  const geo = geometricChecks(input, scene, o, stab?.contacts ?? [], stab?.engine, world);
  findings.push(...geo.findings);
  if (stab) findings.push(...stab.findings);
  const r = report(stab?.engine ?? o.engine, findings, [], geo.support, stab?.rows ?? [], t0);
  if (o.reference === 'mujoco' && stab && input.objects.length > 0) {
    const ref = await referenceCheck(input, scene, o, stab, mujoco);
    r.reference = ref.reference;
    r.findings.push(...ref.findings);
    r.verdict = verdictOf(r.findings);
    r.timeMs = performance.now() - t0;
  }
  return r;
}

/**
 * MuJoCo runs the objects our engine simulated (free) with their fixed neighbours (objects that
 * statics decided are not simulated again); final poses further apart than the tolerance are
 * reported, and an object our engine calls stable that MuJoCo has moving is a disagreement
 * that keeps the scene from passing as valid (`engine_disagreement`, severity error: the
 * verdict becomes needs_review).
 */
export async function referenceCheck(
  input: PhysicsInput,
  scene: Scene,
  o: Required<ValidateOptions>,
  ours: StabilityResult,
  started: Promise<MujocoRun> | null = null,
): Promise<{ reference: NonNullable<PhysicsReport['reference']>; findings: PhysicsFinding[] }> {
  const plan = ours.plan;
  if (plan.simulate.length === 0) return { reference: { engine: 'mujoco', stability: [], agreement: 1, simulated: 0 }, findings: [] };
  const run = await (started ?? referenceRun(input, scene, o, plan));
  const idx = plan.simulate;
  const judged = judgeStability(
    idx.map((i) => input.ids[i]!),
    idx.map((i) => input.objects[i]!.pose),
    idx.map((_, k) => run.finalPoses[k]!),
    idx.map(() => false),
    { displacement: o.stableDisplacement, rotation: o.stableRotation },
    'mujoco',
    idx.map((i) => input.symmetric[i]!),
  );
  const findings: PhysicsFinding[] = [];
  let agree = 0;
  idx.forEach((i, k) => {
    const id = input.ids[i]!;
    const a = ours.finalPoses[i]!,
      b = run.finalPoses[k]!;
    const dist = Math.hypot(a.position[0] - b.position[0], a.position[1] - b.position[1], a.position[2] - b.position[2]);
    const mine = ours.rows.find((r) => r.object === id),
      theirs = judged.rows[k];
    if (mine && theirs && mine.stable === theirs.stable) agree++;
    // our engine says it stays, MuJoCo has it moving: the scene cannot pass as valid
    const contradicts = !!mine?.stable && !!theirs && !theirs.stable;
    if (!(dist <= o.referenceTolerance) || contradicts) {
      findings.push({
        kind: 'engine_disagreement',
        severity: contradicts ? 'error' : 'warning',
        objects: [id],
        values: { distance_m: Number.isFinite(dist) ? dist : -1, ours_stable: mine?.stable ? 1 : 0, mujoco_stable: theirs?.stable ? 1 : 0, mujoco_moved_m: theirs?.displacement ?? -1 },
        message: `After ${o.seconds} s, '${id}' ends ${mm(dist)} apart in ${ours.engine} and MuJoCo (allowed ${mm(o.referenceTolerance)}); ${ours.engine} says ${mine?.stable ? 'stable' : 'unstable'}, MuJoCo ${theirs?.stable ? 'stable' : `unstable (moved ${mm(theirs?.displacement ?? NaN)})`}${contradicts ? ': the scene needs review in the simulator it will be used in' : ''}`,
      });
    }
  });
  const total = judged.rows.length;
  const stability = judged.rows.map((r) => ({ ...r, method: 'mujoco' }));
  return { reference: { engine: 'mujoco', stability, agreement: total === 0 ? 1 : agree / total, simulated: total }, findings };
}

function referenceRun(input: PhysicsInput, scene: Scene, o: Required<ValidateOptions>, plan: StaticsPlan, signal?: AbortSignal): Promise<MujocoRun> {
  const ref = referenceInput(input, scene, o, plan);
  return runMujoco(ref.scene, signal ? { ...ref.options, signal } : ref.options);
}

/**
 * MuJoCo's run of a plan started now, in this thread, when the cross-check is asked for and our
 * engine's run of the same plan has gone to another thread (`spawn`): the two run at once. Null
 * otherwise (without a spawn the cross-check runs after our engine, and only when
 * `referenceCheck` asks). The run is the same either way. A scene our engine finds unstable
 * before any repair does not need it: `signal` stops it then (MuJoCo hands the thread back
 * between slices of steps, so our engine's answer is read while it runs). On osd_mosd test55
 * MuJoCo's run took ~270–300 ms against our engine's ~200, and repair waited for it.
 */
export function referenceAlongside(input: PhysicsInput, scene: Scene, o: Required<ValidateOptions>, plan: StaticsPlan, signal?: AbortSignal): Promise<MujocoRun> | null {
  if (o.reference !== 'mujoco' || !o.spawn || plan.simulate.length === 0) return null;
  const run = referenceRun(input, scene, o, plan, signal);
  // read by referenceCheck, or dropped: a failure read there, never unhandled
  run.catch(() => {});
  return run;
}

/** MuJoCo's run of a plan: the simulated objects free, their fixed neighbours (only the pieces near them) static. */
function referenceInput(input: PhysicsInput, scene: Scene, o: Required<ValidateOptions>, plan: StaticsPlan): { scene: MujocoModelFiles; options: MujocoRunOptions } {
  const objects = [
    ...plan.simulate.map((i) => input.objects[i]!),
    ...plan.fixed.map((i, k) => ({ ...input.objects[i]!, isStatic: true, collision: plan.fixedPieces[k]!.map((p) => input.objects[i]!.collision[p]!) })),
  ];
  const options: MujocoRunOptions = {
    seconds: o.seconds,
    maxBodySteps: 50 * o.maxBodySteps,
    restMove: 5e-4,
    restTurn: 5e-3,
    ...(o.earlyStop ? { restSeconds: 0.25 } : {}),
    // as in our engine's run: a body clearly gone or toppled is unstable in MuJoCo whatever
    // happens next, so it does not keep MuJoCo stepping
    decidedMove: Math.max(0.1, 10 * o.stableDisplacement),
    decidedTurn: Math.max(0.6, 6 * o.stableRotation),
    limitMove: o.stableDisplacement,
    limitTurn: o.stableRotation,
    symmetric: plan.simulate.map((i) => input.symmetric[i]!),
  };
  return { scene: mujocoModelFiles(objects, scene.support, options), options };
}

/**
 * The verdict from what remains: any error but an engine disagreement → invalid; only
 * disagreements (our engine and MuJoCo differ on an object) → needs_review; else valid.
 */
export function verdictOf(findings: readonly PhysicsFinding[]): PhysicsVerdict {
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length === 0) return 'valid';
  return errors.every((f) => f.kind === 'engine_disagreement') ? 'needs_review' : 'invalid';
}

export function report(
  engine: string,
  findings: PhysicsFinding[],
  repairs: PhysicsReport['repairs'],
  support: PhysicsReport['support'],
  stability: PhysicsReport['stability'],
  t0: number,
): PhysicsReport {
  return { engine, verdict: verdictOf(findings), findings, repairs, support, stability, timeMs: performance.now() - t0 };
}
