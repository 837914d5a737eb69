import type { Pose } from './pose.ts';

/**
 * What physics validation found and did. Produced by `sim/`, stored in `scene.json` and
 * `physics.json`, shown by the viewer and published on ROS diagnostics.
 */
export type FindingKind =
  | 'penetration'
  | 'floating'
  | 'unsupported'
  | 'unstable'
  | 'toppled'
  | 'slid'
  | 'fell'
  | 'bad_object'
  | 'engine_disagreement'
  | 'budget_exceeded';

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

/** What an object rests on: 'ground', another object id, or null for nothing. */
export interface SupportEdge {
  object: string;
  restsOn: string | null;
  gap: number;
}

export interface PhysicsReport {
  engine: string;
  /** valid: passed as given; repaired: passed after repair; invalid: problems remain. */
  verdict: 'valid' | 'repaired' | 'needs_review' | 'invalid' | 'failed';
  findings: PhysicsFinding[];
  repairs: PhysicsRepair[];
  support: SupportEdge[];
  /** Per-object stability over the settle window. */
  stability: { object: string; displacement: number; rotation: number; stable: boolean }[];
  timeMs: number;
  /** The same stability run in a reference simulator (MuJoCo), when one was run. */
  reference?: {
    engine: string;
    stability: { object: string; displacement: number; rotation: number; stable: boolean }[];
    /** Fraction of objects whose stable / unstable verdict matches `stability`. */
    agreement: number;
  };
  /** After a repair: what the first check found, before anything was moved. */
  initialFindings?: PhysicsFinding[];
}
