import type { Pose } from './pose.ts';

/**
 * What physics validation found and did. Produced by `sim/`, stored in `scene.json` and
 * `physics.json`, shown by the viewer and published on ROS diagnostics.
 */
export type FindingKind =
  'penetration' | 'floating' | 'unsupported' | 'unstable' | 'toppled' | 'slid' | 'fell' | 'bad_object' | 'engine_disagreement' | 'repair_limit' | 'validation_failed' | 'budget_exceeded';

export interface PhysicsFinding {
  kind: FindingKind;
  severity: 'info' | 'warning' | 'error';
  /** Objects involved (one, or a pair for penetrations). */
  objects: string[];
  /** Named measures: depth_m, gap_m, displacement_m, rotation_rad, … */
  values: Record<string, number>;
  message: string;
}

export interface PhysicsRepair {
  object: string;
  before: Pose;
  after: Pose;
  /** e.g. 'separate from mug_1', 'drop onto ground', 'settle'. */
  why: string;
  /** Set when the move exceeded the allowed distance. */
  flagged?: boolean;
}

export type PhysicsVerdict = 'valid' | 'repaired' | 'needs_review' | 'invalid' | 'failed';

/** The verdicts a scene may be used with as it is (exit code 0 of the CLI). */
export const PASSING_VERDICTS: readonly PhysicsVerdict[] = ['valid', 'repaired'];

/** Each object's total move over all repairs (final pose against the reconstructed one). */
export interface PhysicsMove {
  object: string;
  /** metres */
  translation: number;
  /** radians */
  rotation: number;
  /** More than the repair limit (translation or rotation): the scene needs review. */
  flagged: boolean;
}

/** What an object rests on: 'ground', another object id, or null for nothing. */
export interface SupportEdge {
  object: string;
  restsOn: string | null;
  gap: number;
}

export interface PhysicsReport {
  engine: string;
  /**
   * valid: passed as given; repaired: passed after small repairs; needs_review: passed only after
   * repairs that moved an object more than the limit in total, or the reference simulator
   * disagrees (a person should look); invalid: problems remain; failed: validation itself threw
   * (nothing is known about the scene's physics).
   */
  verdict: PhysicsVerdict;
  findings: PhysicsFinding[];
  repairs: PhysicsRepair[];
  support: SupportEdge[];
  /**
   * Per-object stability over the settle window. `method`: 'statics' when the object rests on the
   * ground alone with its centre of mass over its contact polygon (decided from the exact
   * geometry, no simulation needed), else the engine that simulated it.
   */
  stability: { object: string; displacement: number; rotation: number; stable: boolean; method?: string }[];
  /** After a repair: every object's total move (all repair steps together). */
  moves?: PhysicsMove[];
  timeMs: number;
  /** The same stability run in a reference simulator (MuJoCo), when one was run. */
  reference?: {
    engine: string;
    stability: { object: string; displacement: number; rotation: number; stable: boolean; method?: string }[];
    /** Fraction of objects whose stable / unstable verdict matches `stability`. */
    agreement: number;
    /** Objects the reference simulated (those decided by statics are not simulated again). */
    simulated?: number;
  };
  /** After a repair: what the first check found, before anything was moved. */
  initialFindings?: PhysicsFinding[];
}
