/**
 * `validateScene`: every physics check on a scene, without changing it. Bad objects are reported
 * and left out; the work is bounded by the budgets in `ValidateOptions` so any input returns.
 */
import type { PhysicsFinding, PhysicsReport } from '../src/model/physics.ts';
import type { Scene, SceneObject } from '../src/model/scene.ts';
import type { Pose } from '../src/model/pose.ts';
import { bodySpec, inspectObject } from './bodies.ts';
import { CollisionWorld } from './collision.ts';
import { findPenetrations, mm, penetrationFindings } from './checks/penetration.ts';
import { checkSupport } from './checks/support.ts';
import { judgeStability, simulate, type StabilityRow } from './checks/stability.ts';
import { simulateMujoco } from './mujoco/reference.ts';
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
    return { usable: [], objects: [], ids: [], isStatic: [], symmetric: [], withinBudget: false, findings: [{ kind: 'bad_object', severity: 'error', objects: [], values: {}, message: 'The scene has no objects array' }] };
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
    else if (seen.has(ob.id)) findings.push({ kind: 'bad_object', severity: 'error', objects: [ob.id], values: {}, message: `Two objects share the id '${ob.id}'; the second was left out of the physics checks` });
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
export function geometricChecks(input: PhysicsInput, scene: Scene, o: Required<ValidateOptions>, engineContacts: Parameters<typeof penetrationFindings>[3] = [], engineName?: string): GeometricResult {
  const world = new CollisionWorld(input.objects, scene.support);
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
  finalPoses: Pose[];
  contacts: Awaited<ReturnType<typeof simulate>>['contacts'];
  engine: string;
}

export async function stabilityCheck(input: PhysicsInput, scene: Scene, o: Required<ValidateOptions>, withContacts: boolean): Promise<StabilityResult> {
  const bodies = input.objects.map(bodySpec);
  const run = await simulate(bodies, scene.support, {
    engine: o.engine,
    dt: o.dt > 0 ? o.dt : ENGINE_STEP[o.engine],
    seconds: o.seconds,
    maxBodySteps: o.maxBodySteps,
    restMove: 5e-4,
    restTurn: 5e-3,
    restSeconds: 0.25,
    contacts: withContacts,
  });
  const before = input.objects.map((ob) => ob.pose);
  const judged = judgeStability(input.ids, before, run.finalPoses, input.isStatic, { displacement: o.stableDisplacement, rotation: o.stableRotation }, run.engine, input.symmetric);
  const findings = judged.findings;
  if (run.budgetExceeded) {
    findings.push({
      kind: 'budget_exceeded',
      severity: 'error',
      objects: [],
      values: { simulated_s: run.seconds, max_body_steps: o.maxBodySteps },
      message: `Stability was simulated for ${run.seconds.toFixed(2)} s instead of ${o.seconds} s: ${bodies.length} bodies exceed the step budget (${o.maxBodySteps} body-steps)`,
    });
  }
  return { findings, rows: judged.rows, finalPoses: run.finalPoses, contacts: run.contacts, engine: run.engine };
}

export async function validateScene(scene: Scene, options?: ValidateOptions): Promise<PhysicsReport> {
  const t0 = performance.now();
  const o = withDefaults(VALIDATE_DEFAULTS, options);
  const input = physicsInput(scene, o);
  const findings = [...input.findings];
  if (!input.withinBudget) return report(o.engine, findings, [], [], [], t0);
  let stab: StabilityResult | null = null;
  if (o.stability && input.objects.length > 0) stab = await stabilityCheck(input, scene, o, o.engineContacts);
  const geo = geometricChecks(input, scene, o, stab?.contacts ?? [], stab?.engine);
  findings.push(...geo.findings);
  if (stab) findings.push(...stab.findings);
  const r = report(stab?.engine ?? o.engine, findings, [], geo.support, stab?.rows ?? [], t0);
  if (o.reference === 'mujoco' && stab && input.objects.length > 0) {
    const ref = await referenceCheck(input, scene, o, stab);
    r.reference = ref.reference;
    r.findings.push(...ref.findings);
    r.verdict = verdictOf(r.findings);
    r.timeMs = performance.now() - t0;
  }
  return r;
}

/** MuJoCo runs the same scene; final poses further apart than the tolerance are reported. */
export async function referenceCheck(input: PhysicsInput, scene: Scene, o: Required<ValidateOptions>, ours: StabilityResult): Promise<{ reference: NonNullable<PhysicsReport['reference']>; findings: PhysicsFinding[] }> {
  const run = await simulateMujoco(input.objects, scene.support, { seconds: o.seconds, maxBodySteps: 50 * o.maxBodySteps });
  const before = input.objects.map((ob) => ob.pose);
  const judged = judgeStability(input.ids, before, run.finalPoses, input.isStatic, { displacement: o.stableDisplacement, rotation: o.stableRotation }, 'mujoco', input.symmetric);
  const findings: PhysicsFinding[] = [];
  let agree = 0;
  let k = 0;
  input.ids.forEach((id, i) => {
    if (input.isStatic[i]) return;
    const a = ours.finalPoses[i]!, b = run.finalPoses[i]!;
    const dist = Math.hypot(a.position[0] - b.position[0], a.position[1] - b.position[1], a.position[2] - b.position[2]);
    const mine = ours.rows.find((r) => r.object === id), theirs = judged.rows[k++];
    if (mine && theirs && mine.stable === theirs.stable) agree++;
    if (!(dist <= o.referenceTolerance)) {
      findings.push({
        kind: 'engine_disagreement',
        severity: 'warning',
        objects: [id],
        values: { distance_m: Number.isFinite(dist) ? dist : -1, ours_stable: mine?.stable ? 1 : 0, mujoco_stable: theirs?.stable ? 1 : 0 },
        message: `After ${o.seconds} s, '${id}' ends ${mm(dist)} apart in ${ours.engine} and MuJoCo (allowed ${mm(o.referenceTolerance)}); ${ours.engine} says ${mine?.stable ? 'stable' : 'unstable'}, MuJoCo ${theirs?.stable ? 'stable' : 'unstable'}`,
      });
    }
  });
  const total = judged.rows.length;
  return { reference: { engine: 'mujoco', stability: judged.rows, agreement: total === 0 ? 1 : agree / total }, findings };
}

export function verdictOf(findings: readonly PhysicsFinding[]): 'valid' | 'invalid' {
  return findings.some((f) => f.severity === 'error') ? 'invalid' : 'valid';
}

export function report(engine: string, findings: PhysicsFinding[], repairs: PhysicsReport['repairs'], support: PhysicsReport['support'], stability: PhysicsReport['stability'], t0: number): PhysicsReport {
  return { engine, verdict: verdictOf(findings), findings, repairs, support, stability, timeMs: performance.now() - t0 };
}
