/**
 * `validateAndRepair`: check the scene; if anything is wrong, repair what can be repaired with
 * small, explainable moves, then check again. Every move is recorded (object, before, after,
 * why), and so is each object's total move over all steps (`moves`): an object moved more than
 * `maxMove` (5 cm) or turned more than `maxTurnDeg` (15°) in total is flagged and the scene's
 * verdict is needs_review, never a silent "repaired".
 *
 * The repair, in order:
 *  0. level: an object whose up axis is off the support normal by a small angle (≤ `levelTiltDeg`)
 *     is turned upright about its centre — by the scene model's convention an object's frame
 *     has z up as it stands, so a few degrees of tilt are a pose-estimation error (gravity alone
 *     would fix it by pivoting on an edge, which shifts a tall object by centimetres);
 *  1. separate: each penetration deeper than `separationSlop` is resolved along the exact
 *     least-penetration direction (EPA); the lighter object moves (a static one never does);
 *     a few rounds, since moving one object can push it into another;
 *  2. drop: floating objects, lowest first, drop straight down onto what is beneath;
 *  3. settle: the objects statics cannot vouch for (not resting on the ground alone) run under
 *     gravity (with some damping) for `settleSeconds`; an object keeps its settled pose only
 *     when it came to rest and its total move stays within the limits — one that would move
 *     more (a tower leaning past its support) or is still rolling keeps its pose and the
 *     re-check reports it unstable, instead of being silently "fixed" by a large move;
 *  4. re-check with `validateScene`.
 */
import type { PhysicsFinding, PhysicsMove, PhysicsRepair, PhysicsReport, PhysicsVerdict } from '../src/model/physics.ts';
import type { Scene } from '../src/model/scene.ts';
import { quatAngle, quatFromAxisAngle, quatMultiply, quatNormalize, rotateVec, type Pose, type Vec3 } from '../src/model/pose.ts';
import type { CollisionWorld } from './collision.ts';
import { findPenetrations, mm } from './checks/penetration.ts';
import { supportOf } from './checks/support.ts';
import { simulateWith } from './checks/stability.ts';
import { planSimulation } from './checks/statics.ts';
import { ENGINE_STEP } from './engines/index.ts';
import { REPAIR_DEFAULTS, withDefaults, type RepairOptions } from './options.ts';
import { geometricChecks, physicsInput, planBodies, referenceAlongside, referenceCheck, report, stabilityCheck, staticsPlan, validateScene, verdictOf, type PhysicsInput } from './validate.ts';

export interface RepairResult {
  scene: Scene;
  report: PhysicsReport;
}

const copyPose = (p: Pose): Pose => ({ position: [...p.position], orientation: [...p.orientation] });
const distance = (a: Pose, b: Pose) => Math.hypot(a.position[0] - b.position[0], a.position[1] - b.position[1], a.position[2] - b.position[2]);

export async function validateAndRepair(scene: Scene, options?: RepairOptions): Promise<RepairResult> {
  const t0 = performance.now();
  const o = withDefaults(REPAIR_DEFAULTS, options);
  const input = physicsInput(scene, o);
  if (!input.withinBudget) return { scene, report: report(o.engine, [...input.findings], [], [], [], t0) };

  // 1st look: geometry is cheap; simulate only when the geometry is clean
  const geo = geometricChecks(input, scene, o);
  const initial: PhysicsFinding[] = [...input.findings, ...geo.findings];
  if (!geo.findings.some((f) => f.severity === 'error') && input.objects.length > 0) {
    const plan = o.stability ? staticsPlan(input, o, geo.world) : null;
    const ours = plan ? stabilityCheck(input, scene, o, false, geo.world, plan) : null;
    // stopped when our engine finds the scene unstable: repair follows, and the check after it
    // runs MuJoCo on the repaired scene
    const unneeded = new AbortController();
    const mujoco = plan ? referenceAlongside(input, scene, o, plan, unneeded.signal) : null;
    const stab = await ours;
    const unstable = !!stab?.findings.some((f) => f.severity === 'error');
    if (unstable) unneeded.abort();
    if (!unstable) {
      const r = report(stab?.engine ?? o.engine, initial, [], geo.support, stab?.rows ?? [], t0);
      if (o.reference === 'mujoco' && stab) {
        const ref = await referenceCheck(input, scene, o, stab, mujoco);
        r.reference = ref.reference;
        r.findings.push(...ref.findings);
        r.verdict = verdictOf(r.findings);
      }
      r.moves = input.ids.filter((_, i) => !input.isStatic[i]).map((id) => ({ object: id, translation: 0, rotation: 0, flagged: false }));
      r.timeMs = performance.now() - t0;
      return { scene, report: r };
    }
    initial.push(...(stab?.findings ?? []));
  }
  if (input.objects.length === 0) return { scene, report: report(o.engine, initial, [], [], [], t0) };

  const world = geo.world;
  const original = input.objects.map((ob) => copyPose(ob.pose));
  const repairs: PhysicsRepair[] = [];
  const budget = { queries: o.maxPieceQueries };
  level(world, input, o, repairs);
  separate(world, input, o, repairs, budget, o.separationSlop);
  drop(world, input, o, repairs);
  await settle(world, input, scene, o, repairs, original);
  separate(world, input, o, repairs, budget, o.penetrationTolerance / 2);

  const objects = scene.objects.slice();
  input.usable.forEach((si, k) => {
    objects[si] = { ...scene.objects[si]!, pose: copyPose(world.poses[k]!) };
  });
  const repaired: Scene = { ...scene, objects };
  const final = await validateScene(repaired, o);
  // the limit is on each object's TOTAL move, all repair steps together
  const maxTurn = (o.maxTurnDeg * Math.PI) / 180;
  const moves: PhysicsMove[] = [];
  input.ids.forEach((id, k) => {
    if (input.isStatic[k]) return;
    const translation = distance(original[k]!, world.poses[k]!);
    const rotation = quatAngle(original[k]!.orientation, world.poses[k]!.orientation);
    const flagged = !(translation <= o.maxMove && rotation <= maxTurn);
    moves.push({ object: id, translation, rotation, flagged });
    if (!flagged) return;
    for (const r of repairs) if (r.object === id) r.flagged = true;
    final.findings.push({
      kind: 'repair_limit',
      severity: 'warning',
      objects: [id],
      values: { moved_m: translation, turned_rad: rotation, max_move_m: o.maxMove, max_turn_rad: maxTurn },
      message: `Repair moved '${id}' by ${mm(translation)} and turned it ${deg(rotation)} in total, more than the ${mm(o.maxMove)} / ${deg(maxTurn)} a repair may change an object unflagged: check its reconstruction`,
    });
  });
  final.repairs = repairs;
  final.moves = moves;
  final.initialFindings = initial;
  final.verdict = repairVerdict(
    final.findings,
    repairs.length,
    moves.some((m) => m.flagged),
  );
  final.timeMs = performance.now() - t0;
  return { scene: { ...repaired, physics: final }, report: final };
}

/**
 * Errors left → invalid. Otherwise a move over the limit or a disagreement with the reference
 * simulator → needs_review (the scene may be right, a person has to say). Otherwise repaired
 * when anything was moved, else valid.
 */
export function repairVerdict(findings: readonly PhysicsFinding[], repairs: number, flagged: boolean): PhysicsVerdict {
  const base = verdictOf(findings);
  if (base === 'invalid') return 'invalid';
  if (flagged || base === 'needs_review') return 'needs_review';
  return repairs > 0 ? 'repaired' : 'valid';
}

const deg = (rad: number) => `${((rad * 180) / Math.PI).toFixed(1)}°`;

/** Smallest change recorded as a repair (below it nothing was repaired: 0.05 mm, ~0.06°). */
const MIN_RECORDED_MOVE = 5e-5;
const MIN_RECORDED_TURN = 1e-3;

function record(repairs: PhysicsRepair[], id: string, before: Pose, after: Pose, why: string): void {
  if (distance(before, after) < MIN_RECORDED_MOVE && quatAngle(before.orientation, after.orientation) < MIN_RECORDED_TURN) return;
  repairs.push({ object: id, before: copyPose(before), after: copyPose(after), why });
}

/** Turns slightly tilted objects upright about their centre. */
function level(world: CollisionWorld, input: PhysicsInput, o: Required<RepairOptions>, repairs: PhysicsRepair[]): void {
  const n = world.ground.normal;
  const maxTilt = (o.levelTiltDeg * Math.PI) / 180;
  input.ids.forEach((id, i) => {
    if (input.isStatic[i]) return;
    const before = copyPose(world.poses[i]!);
    const up = rotateVec(before.orientation, [0, 0, 1]);
    const c = Math.min(1, Math.max(-1, up[0] * n[0] + up[1] * n[1] + up[2] * n[2]));
    const tilt = Math.acos(c);
    if (tilt < 0.005 || tilt > maxTilt) return;
    const axis: Vec3 = [up[1] * n[2] - up[2] * n[1], up[2] * n[0] - up[0] * n[2], up[0] * n[1] - up[1] * n[0]];
    const q = quatFromAxisAngle(axis, tilt);
    world.setPose(i, { position: before.position, orientation: quatNormalize(quatMultiply(q, before.orientation)) });
    record(repairs, id, before, world.poses[i]!, `level: stand upright (was tilted ${((tilt * 180) / Math.PI).toFixed(1)}° from the support normal)`);
  });
}

/** Pushes interpenetrating pairs apart along the least-penetration direction. */
function separate(world: CollisionWorld, input: PhysicsInput, o: Required<RepairOptions>, repairs: PhysicsRepair[], budget: { queries: number }, slop: number): void {
  const name = (j: number) => (j < 0 ? 'ground' : input.ids[j]!);
  const start = world.poses.map(copyPose);
  const why = new Map<number, Set<string>>();
  const note = (i: number, other: number, depth: number) => {
    const set = why.get(i) ?? new Set<string>();
    set.add(`'${name(other)}' (${mm(depth)})`);
    why.set(i, set);
  };
  for (let round = 0; round < o.separationRounds; round++) {
    const { penetrations } = findPenetrations(world, input.isStatic, slop, budget.queries);
    if (penetrations.length === 0) break;
    for (const p of penetrations) {
      if (p.j < 0) {
        const depth = -world.groundDistance(p.i);
        if (depth <= slop) continue;
        const n = world.ground.normal;
        // exactly onto the plane: the ground never moves, so no clearance is needed against it
        // (and an object resting there by statics is not settled afterwards)
        const s = depth;
        world.translate(p.i, [n[0] * s, n[1] * s, n[2] * s]);
        note(p.i, -1, depth);
        continue;
      }
      const d = world.distance(p.i, p.j, 0);
      if (!d || -d.distance <= slop) continue;
      const depth = -d.distance;
      const mover = chooseMover(input, p.i, p.j);
      if (mover < 0) continue;
      const s = (depth + o.clearance) * (mover === p.i ? 1 : -1);
      const step: Vec3 = [d.normal[0] * s, d.normal[1] * s, d.normal[2] * s];
      world.translate(mover, step);
      note(mover, mover === p.i ? p.j : p.i, depth);
    }
  }
  for (const [i, set] of why) record(repairs, input.ids[i]!, start[i]!, world.poses[i]!, `separate from ${[...set].join(', ')} along the least-penetration direction`);
}

/** The object that moves out of a pair: never a static one; the lighter, then the smaller. */
function chooseMover(input: PhysicsInput, i: number, j: number): number {
  const si = input.isStatic[i],
    sj = input.isStatic[j];
  if (si && sj) return -1;
  if (si) return j;
  if (sj) return i;
  const mi = input.objects[i]!.mass,
    mj = input.objects[j]!.mass;
  if (mi !== mj) return mi < mj ? i : j;
  const vi = input.objects[i]!.size.reduce((a, b) => a * b, 1),
    vj = input.objects[j]!.size.reduce((a, b) => a * b, 1);
  return vi <= vj ? i : j;
}

/** Floating objects, lowest first, drop straight down onto what is beneath them. */
function drop(world: CollisionWorld, input: PhysicsInput, o: Required<RepairOptions>, repairs: PhysicsRepair[]): void {
  const order = input.ids
    .map((_, i) => i)
    .filter((i) => !input.isStatic[i])
    .sort((a, b) => world.bounds[a]![2]! - world.bounds[b]![2]!);
  const contact = Math.min(o.supportTolerance, 5 * o.clearance + 2e-4);
  for (const i of order) {
    const s = supportOf(world, input.isStatic, i, contact, 2 * o.maxMove + 1);
    if (s.on.length > 0 || s.below.j === null || !Number.isFinite(s.below.gap)) continue;
    const before = copyPose(world.poses[i]!);
    const gap = s.below.gap;
    // onto the ground exactly (it never moves); onto an object with a little clearance
    world.translate(i, [0, 0, -(s.below.j < 0 ? gap : gap - o.clearance)]);
    record(repairs, input.ids[i]!, before, world.poses[i]!, `drop ${mm(gap)} onto '${s.below.j < 0 ? 'ground' : input.ids[s.below.j]!}'`);
  }
}

/**
 * Lets gravity finish the job for the objects statics cannot vouch for (those resting on the
 * ground alone are left where they are); keeps a settled pose only when the object came to rest
 * and its total move from the reconstruction stays within the limits.
 */
async function settle(world: CollisionWorld, input: PhysicsInput, scene: Scene, o: Required<RepairOptions>, repairs: PhysicsRepair[], original: readonly Pose[]): Promise<void> {
  const plan = planSimulation(world, input.objects, input.isStatic, { contact: o.supportTolerance, penetration: o.penetrationTolerance });
  if (plan.simulate.length === 0) return;
  const run = await simulateWith(o.spawn, planBodies(input, plan, world.poses), scene.support, {
    engine: o.engine,
    // damping only here (never in a stability check): settling is a repair tool, and damped
    // bodies come to rest sooner, so the run can stop early
    engineOptions: { linearDamping: 0.5, angularDamping: 0.9 },
    dt: o.dt > 0 ? o.dt : ENGINE_STEP[o.engine],
    seconds: o.settleSeconds,
    maxBodySteps: o.maxBodySteps,
    restMove: 1e-3,
    restTurn: 1e-2,
    restSeconds: 0.15,
    // the settled poses are checked again by the full stability run that follows
    minSeconds: 0.3,
    // a body that moved or turned past the limits will not be kept: it does not hold the run open
    decidedMove: o.maxMove,
    decidedTurn: (o.maxTurnDeg * Math.PI) / 180,
    // a settled pose is kept only within these limits: a body still creeping towards them keeps
    // the run open
    limitMove: o.maxMove,
    limitTurn: (o.maxTurnDeg * Math.PI) / 180,
  });
  const maxTurn = (o.maxTurnDeg * Math.PI) / 180;
  plan.simulate.forEach((i, k) => {
    const id = input.ids[i]!;
    const before = copyPose(world.poses[i]!);
    const after = run.finalPoses[k]!;
    const total = distance(original[i]!, after);
    const turned = quatAngle(original[i]!.orientation, after.orientation);
    // still rolling or sliding, or too far from where it was seen: left as it was, the re-check reports it
    if (run.moving[k] || !Number.isFinite(total) || total > o.maxMove || turned > maxTurn) return;
    world.setPose(i, after);
    record(repairs, id, before, after, `settle under gravity (moved ${mm(distance(before, after))}, turned ${deg(quatAngle(before.orientation, after.orientation))})`);
  });
}
