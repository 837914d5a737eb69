/**
 * Stability: simulate the scene for a while (2 s by default) in an engine and measure how far
 * each object moved and turned. An object that moved more than the allowed displacement or
 * rotation is unstable, and the finding says how: toppled (turned a lot), fell (went mostly
 * down), or slid (went mostly sideways).
 *
 * The step count is bounded by a work budget (bodies × steps) so a scene of 10 000 objects gives
 * a `budget_exceeded` finding instead of a hang. When every body has been at rest for a while
 * the run stops early (see `simulate`): a resting state is a fixed point of the simulation, so the
 * remaining steps could not change the verdict. Bodies already far past the stability limits
 * are decided (unstable) and do not hold the run open while they finish falling.
 */
import type { PhysicsFinding } from '../../src/model/physics.ts';
import type { Plane } from '../../src/model/scene.ts';
import type { Pose } from '../../src/model/pose.ts';
import type { BodySpec, EngineContact, EngineName, EngineOptions, PhysicsEngine } from '../engine.ts';
import { createEngine, DEFAULT_ENGINE } from '../engines/index.ts';
import type { Spawn } from '../options.ts';
import type { TaskRef } from '../../src/stages/tasks.ts';
import { mm } from './penetration.ts';

import { effectiveRotation, MIN_SECONDS, RestWatch, type RestTest } from '../rest.ts';

export { effectiveRotation, MIN_SECONDS };

export interface SimulateOptions extends RestTest {
  engine: EngineName;
  engineOptions?: EngineOptions;
  dt: number;
  seconds: number;
  /** bodies × steps allowed. */
  maxBodySteps: number;
  /** Early stop at rest (`RestTest`): the window, seconds. Off when absent. */
  restSeconds?: number;
  /** Shortest run before an early stop, seconds (default MIN_SECONDS). */
  minSeconds?: number;
  /** Read engine contacts at t = 0. */
  contacts?: boolean;
}

export interface SimulateResult {
  engine: string;
  finalPoses: Pose[];
  contacts: EngineContact[];
  /** Simulated seconds actually run. */
  seconds: number;
  budgetExceeded: boolean;
  /** Per body: still moving in the last rest window (false for fixed bodies and after an early stop at rest). */
  moving: boolean[];
}

export async function simulate(bodies: readonly BodySpec[], ground: Plane | undefined, opts: SimulateOptions): Promise<SimulateResult> {
  const engine: PhysicsEngine = await createEngine(opts.engine, opts.engineOptions);
  try {
    engine.setGround(ground);
    const handles = bodies.map((b) => engine.addBody(b));
    const contacts = opts.contacts ? engine.contacts() : [];
    const dynamic = handles.filter((_, k) => !bodies[k]!.isStatic);
    let steps = Math.round(opts.seconds / opts.dt);
    let budgetExceeded = false;
    if (dynamic.length * steps > opts.maxBodySteps) {
      budgetExceeded = true;
      steps = Math.floor(opts.maxBodySteps / Math.max(1, dynamic.length));
    }
    // early stop at rest (`rest.ts`), never before MIN_SECONDS
    const window = opts.restSeconds ? Math.max(1, Math.round(opts.restSeconds / opts.dt)) : Infinity;
    const minSteps = Math.round((opts.minSeconds ?? MIN_SECONDS) / opts.dt);
    const watch = new RestWatch(
      dynamic.map((h) => engine.pose(h)),
      { ...opts, symmetric: opts.symmetric && dynamic.map((h) => !!opts.symmetric![h]) },
    );
    let s = 0;
    let atRest = false;
    for (; s < steps; s++) {
      engine.step(opts.dt);
      if ((s + 1) % window !== 0) continue;
      const rest = watch.atRest(
        dynamic.map((h) => engine.pose(h)),
        Math.ceil((steps - s - 1) / window),
      );
      if (rest && s + 1 >= minSteps) {
        s++;
        atRest = true;
        break;
      }
    }
    const moving = bodies.map(() => false);
    dynamic.forEach((h, k) => (moving[h] = atRest ? watch.decided[k] === 1 : watch.moving(k)));
    return { engine: engine.name, finalPoses: handles.map((h) => engine.pose(h)), contacts, seconds: s * opts.dt, budgetExceeded, moving };
  } finally {
    engine.dispose();
  }
}

/** `simulate`'s arguments as one structured-cloneable value, for a worker thread. */
export interface SimulateInput {
  bodies: readonly BodySpec[];
  ground: Plane | undefined;
  opts: SimulateOptions;
}
export function simulateTask(t: SimulateInput): Promise<SimulateResult> {
  return simulate(t.bodies, t.ground, t.opts);
}
export const SIMULATE_TASK: TaskRef<SimulateInput, SimulateResult> = { module: import.meta.url, name: 'simulateTask', fn: simulateTask };

/** `simulate` here, or as a task through `spawn` (another thread): the same result. */
export function simulateWith(spawn: Spawn | null, bodies: readonly BodySpec[], ground: Plane | undefined, opts: SimulateOptions): Promise<SimulateResult> {
  return spawn ? spawn(SIMULATE_TASK, { bodies, ground, opts }) : simulate(bodies, ground, opts);
}

/** A worker loads the engine when the pool warms this module, not during its first run. */
export async function warmUp(): Promise<void> {
  (await createEngine(DEFAULT_ENGINE)).dispose();
}

export interface StabilityRow {
  object: string;
  displacement: number;
  rotation: number;
  stable: boolean;
  /** 'statics' or the engine that simulated it. */
  method?: string;
}

export interface StabilityThresholds {
  /** metres */
  displacement: number;
  /** radians */
  rotation: number;
}

export function judgeStability(
  ids: readonly string[],
  before: readonly Pose[],
  after: readonly Pose[],
  isStatic: readonly boolean[],
  t: StabilityThresholds,
  engine: string,
  symmetric: readonly boolean[] = [],
): { rows: StabilityRow[]; findings: PhysicsFinding[] } {
  const rows: StabilityRow[] = [];
  const findings: PhysicsFinding[] = [];
  ids.forEach((id, i) => {
    if (isStatic[i]) return;
    const a = before[i]!,
      b = after[i]!;
    const dx = b.position[0] - a.position[0],
      dy = b.position[1] - a.position[1],
      dz = b.position[2] - a.position[2];
    const displacement = Math.hypot(dx, dy, dz);
    const rotation = effectiveRotation(a.orientation, b.orientation, !!symmetric[i]);
    const finite = Number.isFinite(displacement) && Number.isFinite(rotation);
    const stable = finite && displacement <= t.displacement && rotation <= t.rotation;
    rows.push({ object: id, displacement: finite ? displacement : -1, rotation: finite ? rotation : -1, stable });
    if (stable) return;
    const drop = -dz,
      side = Math.hypot(dx, dy);
    const kind = !finite ? 'unstable' : rotation > 0.5 ? 'toppled' : drop > t.displacement && drop > side ? 'fell' : 'slid';
    findings.push({
      kind,
      severity: 'error',
      objects: [id],
      values: finite ? { displacement_m: displacement, rotation_rad: rotation, drop_m: drop, slide_m: side } : {},
      message: finite
        ? `'${id}' ${kind} in ${engine}: moved ${mm(displacement)} (down ${mm(drop)}, sideways ${mm(side)}) and turned ${((rotation * 180) / Math.PI).toFixed(1)}°; allowed ${mm(t.displacement)}, ${((t.rotation * 180) / Math.PI).toFixed(1)}°`
        : `'${id}' blew up in ${engine} (non-finite pose)`,
    });
  });
  return { rows, findings };
}
