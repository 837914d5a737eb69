/**
 * What a stage did: the bridge keeps one per stage so a user can see *which* stage failed.
 */
export interface StageReport {
  /** e.g. 'perceive', 'lift', 'ground', 'shape', 'place', 'compose', 'validate', 'export'. */
  stage: string;
  /** e.g. 'given', 'geometric', 'onnx', 'remote'. */
  backend: string;
  timeMs: number;
  /** Named counts and measures (objects found, inliers, points kept, …). */
  counts: Record<string, number>;
  warnings: string[];
  /** Perceive: segments left out (outside the workspace or region of interest, implausibly large). */
  excluded?: ExcludedSegment[];
  /** Match (library): per object, the best library item, its score and the runner-up's. */
  matches?: LibraryMatch[];
}

/** One object's library match: the best item and the runner-up (another object), with scores in 0..1. */
export interface LibraryMatch {
  /** The object's instance id in the stage's label image. */
  object: number;
  best?: string;
  /** coverage × (1 − seeThrough) */
  score?: number;
  /** Share of the seen points on the placed item's surface. */
  coverage?: number;
  /** Share of the placed item's visible surface in front of the measured depth. */
  seeThrough?: number;
  runnerUp?: string;
  runnerUpScore?: number;
  /** Whether the best item replaced the completion (a clear win). */
  matched: boolean;
  /** (item, rest) pairs of the right size that were registered. */
  candidates: number;
  timeMs: number;
  reason?: string;
}

/** A segment that is not an object, and why. */
export interface ExcludedSegment {
  /** Its id in the stage's label image. */
  id: number;
  reason: 'outside_workspace' | 'outside_roi' | 'too_large';
  /** Its size in the support frame (longest footprint side or height, robust), metres. */
  sizeM: number;
  pixels: number;
}

export interface StageResult<T> {
  output: T;
  report: StageReport;
}

/** Times an async or sync function and builds the report around its result. */
export async function timeStage<T>(stage: string, backend: string, fn: (report: StageReport) => T | Promise<T>, now: () => number = () => performance.now()): Promise<StageResult<T>> {
  const report: StageReport = { stage, backend, timeMs: 0, counts: {}, warnings: [] };
  const t0 = now();
  const output = await fn(report);
  report.timeMs = now() - t0;
  return { output, report };
}
