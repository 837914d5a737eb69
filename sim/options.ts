/**
 * Every threshold of physics validation and repair in one place, with the defaults the issue's
 * acceptance numbers are built on (2 mm penetration / gap, 1 cm and ~6° in 2 s, 5 cm and 15°
 * largest unflagged repair move of an object, all repair steps together).
 */
import type { EngineName } from './engine.ts';
import type { TaskRef } from '../src/stages/tasks.ts';
import { DEFAULT_ENGINE } from './engines/index.ts';

/** Runs one task, possibly on another thread (a task pool's `spawn`); the same result as `task.fn(input)`. */
export type Spawn = <I, O>(task: TaskRef<I, O>, input: I) => Promise<O>;

export interface ValidateOptions {
  engine?: EngineName;
  /** Engine step, seconds (0 = the engine's own default, `ENGINE_STEP`). */
  dt?: number;
  /** Length of the stability run, seconds. */
  seconds?: number;
  /** Largest allowed interpenetration, metres. */
  penetrationTolerance?: number;
  /** Largest allowed gap between an object and what it rests on, metres. */
  supportTolerance?: number;
  /** Largest displacement / rotation over the stability run for a stable object. */
  stableDisplacement?: number;
  stableRotation?: number;
  /** Run the stability simulation (off: geometric checks only). */
  stability?: boolean;
  /**
   * Stop a stability run early once every object is at rest and the rest of the run could not
   * change a verdict (`rest.ts`); off: every run takes its full `seconds`.
   */
  earlyStop?: boolean;
  /** Cross-check penetrations with the engine's own contacts at t = 0. */
  engineContacts?: boolean;
  /** Also simulate in MuJoCo and report disagreements (> `referenceTolerance`). */
  reference?: 'mujoco' | false;
  referenceTolerance?: number;
  /**
   * Where our engine's stability runs go: given a spawn (a worker pool's), to another thread,
   * while the MuJoCo cross-check of the same plan runs in this one; null: both here, one after
   * the other. The same findings and poses either way (the runs are deterministic).
   */
  spawn?: Spawn | null;
  /** Work budget: objects, bodies × steps, narrow-phase piece queries. */
  maxObjects?: number;
  maxBodySteps?: number;
  maxPieceQueries?: number;
}

export const VALIDATE_DEFAULTS: Required<ValidateOptions> = {
  engine: DEFAULT_ENGINE,
  dt: 0,
  seconds: 2,
  penetrationTolerance: 0.002,
  supportTolerance: 0.002,
  stableDisplacement: 0.01,
  stableRotation: 0.1,
  stability: true,
  earlyStop: true,
  engineContacts: true,
  reference: false,
  referenceTolerance: 0.01,
  spawn: null,
  maxObjects: 2000,
  maxBodySteps: 2_000_000,
  maxPieceQueries: 500_000,
};

export interface RepairOptions extends ValidateOptions {
  /** Largest move of one object (all repairs together) before it is flagged, metres. */
  maxMove?: number;
  /** Largest turn of one object (all repairs together) before it is flagged, degrees. */
  maxTurnDeg?: number;
  /** Penetrations deeper than this are separated, metres. */
  separationSlop?: number;
  /** Clearance left when separating / dropping, metres. */
  clearance?: number;
  /** Rounds of pairwise separation. */
  separationRounds?: number;
  /** Seconds of settling under gravity. */
  settleSeconds?: number;
  /** Objects tilted less than this from upright are levelled (0 = never), degrees. */
  levelTiltDeg?: number;
}

export const REPAIR_DEFAULTS: Required<RepairOptions> = {
  ...VALIDATE_DEFAULTS,
  maxMove: 0.05,
  // above the levelling limit (12°) plus a few degrees of settling: a real pose error, not a fix
  maxTurnDeg: 15,
  separationSlop: 0.0005,
  clearance: 0.0001,
  separationRounds: 24,
  settleSeconds: 2,
  levelTiltDeg: 12,
};

export function withDefaults<T extends object>(defaults: Required<T>, options: T | undefined): Required<T> {
  const out = { ...defaults };
  if (options) for (const [k, v] of Object.entries(options)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
