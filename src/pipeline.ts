import { checkFrame, type RgbdFrame } from './model/frame.ts';
import { Real2SimError } from './model/errors.ts';
import type { StageReport } from './model/report.ts';
import { SCENE_VERSION, type Scene } from './model/scene.ts';
import type { SegmentationBackend } from './stages/backends.ts';
import { compose, type ComposeOptions } from './stages/compose.ts';
import { ground, type GroundOptions } from './stages/ground.ts';
import { lift, type LiftedObject, type LiftOptions } from './stages/lift.ts';
import { organizedCloud, type OrganizedCloud } from './stages/organized.ts';
import { perceive, type PerceiveOptions } from './stages/perceive.ts';
import { place, type PlaceOptions } from './stages/place.ts';
import { shape, type ShapeOptions } from './stages/shape.ts';
import type { LabelImage } from './model/image.ts';
import type { ExcludedSegment } from './model/report.ts';
import { sceneConfidence } from './stages/confidence.ts';
import { objectConfidence } from './stages/objectConfidence.ts';
import { SCOPE_DEFAULTS, scopeInstances, type ScopeOptions } from './stages/segment/scope.ts';
import type { Library } from './library/index.ts';
import { libraryRef, match, type MatchedItem, type RegisterOptions } from './stages/match/index.ts';

const EXCLUDED_WHY: Record<ExcludedSegment['reason'], string> = {
  outside_workspace: 'outside the workspace box',
  outside_roi: 'outside the region of interest',
  too_large: 'larger than the largest plausible object (--max-object-size)',
};
import type { TaskRunner } from './stages/tasks.ts';
import { decimateFrame, upsampleLabels } from './stages/decimate.ts';
import type { StageResult } from './model/report.ts';
import type { PerceiveOutput } from './stages/perceive.ts';

/**
 * One RGB-D frame → a metric scene of completed, posed, simulator-ready objects: stages 1–6
 * (perceive, lift, ground, shape, place, compose) composed from one config. The ground stage
 * runs before segmentation when masks are not given (geometric segmentation needs the plane),
 * and before lift always (lift drops points on the plane); reports keep the stage order 1–6.
 */
export interface PipelineConfig {
  /** 'auto' (default): the frame's masks when it has them, else geometric segmentation. */
  segmentation?: 'auto' | 'given' | 'geometric' | SegmentationBackend;
  perceive?: Omit<PerceiveOptions, 'backend'>;
  /** Where objects may be (workspace box, region of interest, largest plausible size). */
  scope?: ScopeOptions;
  lift?: LiftOptions;
  ground?: GroundOptions;
  shape?: ShapeOptions;
  place?: PlaceOptions;
  compose?: ComposeOptions;
  /**
   * Known objects (`--library DIR`, indexed by `loadLibrary`): objects that match an item clearly
   * get the item's mesh at the registered pose instead of a completion (stage "match").
   */
  library?: Library;
  /** Match-stage thresholds (score, margin, tolerances); defaults in `stages/match/register.ts`. */
  match?: RegisterOptions;
  /** World frame name (default `world`). */
  frameId?: string;
  /**
   * Runs per-object work (shape completion, compose); default: in this thread. The app passes
   * a worker pool (`src/app/pool.ts`); the scene is the same either way.
   */
  runner?: TaskRunner;
  /** Called as each stage starts (fraction 0) and ends (1), and per object inside long stages. */
  onProgress?: (stage: string, fraction: number) => void;
  /**
   * Geometric segmentation on every k-th pixel of every k-th row, labels brought back to full
   * resolution along depth edges (`stages/decimate.ts`). 'auto' (default): 2 above 2× the
   * pixels of 640×480 (a 1280×720 frame segments at 640×360), else 1.
   */
  segmentationDecimation?: 'auto' | number;
}

/** Frames above this many pixels segment at half resolution by default. */
export const DECIMATE_ABOVE_PIXELS = 2 * 640 * 480;

/** The scene plus the intermediate products the CLI writes as debug files. */
export interface ReconstructionDetails {
  scene: Scene;
  masks: LabelImage;
  cloud: OrganizedCloud;
  lifted: LiftedObject[];
  /** Scene object id → the id of the mask in `masks` it was built from (geometric objects carry no instanceId). */
  maskIdOf: Map<string, number>;
}

export async function reconstruct(frame: RgbdFrame, config: PipelineConfig = {}): Promise<Scene> {
  return (await reconstructDetailed(frame, config)).scene;
}

export async function reconstructDetailed(frame: RgbdFrame, config: PipelineConfig = {}): Promise<ReconstructionDetails> {
  checkFrame(frame);
  const depth = frame.depth;
  if (!depth) {
    throw new Real2SimError('BAD_DEPTH', 'This frame has no depth image: the CPU pipeline needs RGB-D (pass --depth), or configure a monocular depth backend.');
  }
  const progress = config.onProgress ?? (() => {});
  const cloud = organizedCloud(depth, frame.camera);
  const nonFinite = countNonFinite(depth.data);
  if (cloud.validCount === 0) {
    throw new Real2SimError(
      'BAD_DEPTH',
      `The depth image has no valid pixel (${depth.width}×${depth.height}${nonFinite ? `, ${nonFinite} NaN/Inf` : ''}): check the file and its units (--depth-scale).`,
      { nonFinite },
    );
  }
  const seg = config.segmentation ?? 'auto';
  const backend = seg === 'auto' ? (frame.masks ? 'given' : 'geometric') : seg;
  const reports: StageReport[] = [];
  const runGround = ground(config.ground);
  const runPerceive = perceive({ ...config.perceive, backend });

  let groundRes, perceiveRes;
  if (backend === 'geometric') {
    progress('ground', 0);
    groundRes = await runGround({ cloud });
    progress('ground', 1);
    progress('perceive', 0);
    const dec = config.segmentationDecimation ?? 'auto';
    const k = dec === 'auto' ? (depth.width * depth.height > DECIMATE_ABOVE_PIXELS ? 2 : 1) : Math.max(1, Math.floor(dec));
    perceiveRes = k > 1 ? await perceiveDecimated(runPerceive, frame, cloud, groundRes.output.heightOf, k) : await runPerceive({ frame, cloud, heightOf: groundRes.output.heightOf });
    progress('perceive', 1);
  } else {
    progress('perceive', 0);
    perceiveRes = await runPerceive({ frame, cloud });
    progress('perceive', 1);
    const objectPixels = new Uint8Array(cloud.valid.length);
    for (const inst of perceiveRes.output.instances) for (const i of inst.pixels) objectPixels[i] = 1;
    progress('ground', 0);
    groundRes = await runGround({ cloud, objectPixels });
    progress('ground', 1);
  }
  if (nonFinite > 0) groundRes.report.warnings.push(`${nonFinite} depth pixels were NaN or ±Inf: treated as no data`);
  const { cameraPose, heightOf } = groundRes.output;
  // segments outside the workspace / ROI or too large to be an object: reported, never objects
  const scoped = scopeInstances({ instances: perceiveRes.output.instances, cloud, cameraPose }, config.scope);
  const excluded = scoped.excluded;
  const instances = scoped.kept;

  progress('lift', 0);
  const liftRes = await lift({ ...config.lift, ...(config.runner && !config.lift?.runner ? { runner: config.runner } : {}) })({
    cloud,
    masks: perceiveRes.output.masks,
    instances,
    color: frame.color,
    cameraPose,
    heightOf,
  });
  progress('lift', 1);

  progress('shape', 0);
  const shapeRes = await shape({ ...config.shape, ...(config.runner && !config.shape?.runner ? { runner: config.runner } : {}) })({
    objects: liftRes.output.objects,
    view: { depth, camera: frame.camera, cameraPose },
    support: groundRes.output.support,
  });
  progress('shape', 1);

  let shapes = shapeRes.output.shapes;
  let matchRes: StageResult<{ matched: Map<number, MatchedItem> }> | null = null;
  if (config.library) {
    progress('match', 0);
    const res = await match({ ...config.match, library: config.library })({
      objects: liftRes.output.objects,
      shapes,
      view: { depth, camera: frame.camera, cameraPose },
      support: groundRes.output.support,
    });
    shapes = res.output.shapes;
    matchRes = res;
    progress('match', 1);
  }

  progress('place', 0);
  const placeRes = await place(config.place)({ objects: liftRes.output.objects, shapes });
  if (matchRes) {
    // a matched object is the library item: its name, symmetry and density go with it
    for (const p of placeRes.output.objects) {
      const m = matchRes.output.matched.get(p.id);
      if (!m) continue;
      const { ref, symmetry } = libraryRef(m, p.pose);
      p.label = m.item.name;
      p.symmetry = symmetry;
      p.library = ref;
    }
  }
  progress('place', 1);

  progress('compose', 0);
  const composeRes = await compose({ ...config.compose, ...(config.runner && !config.compose?.runner ? { runner: config.runner } : {}) })({ objects: placeRes.output.objects });
  progress('compose', 1);

  // a completed shape can outgrow its segment (a wall's patch mirrored into a room-sized box):
  // the size limit holds for the objects emitted, too
  const maxSize = config.scope?.maxObjectSize ?? SCOPE_DEFAULTS.maxObjectSize;
  if (maxSize > 0) {
    composeRes.output.objects = composeRes.output.objects.filter((o) => {
      const big = Math.max(...o.size);
      if (big <= maxSize || o.instanceId === undefined) return true;
      const inst = instances.find((i) => i.id === o.instanceId);
      excluded.push({ id: o.instanceId, reason: 'too_large', sizeM: big, pixels: inst?.pixels.length ?? 0 });
      return false;
    });
  }
  if (excluded.length) {
    perceiveRes.report.excluded = excluded;
    perceiveRes.report.counts['objects'] = instances.length - excluded.filter((e) => instances.some((i) => i.id === e.id)).length;
    perceiveRes.report.counts['excluded'] = excluded.length;
    for (const e of excluded) perceiveRes.report.warnings.push(`segment ${e.id} (${e.pixels} pixels, ${e.sizeM.toFixed(2)} m) excluded: ${EXCLUDED_WHY[e.reason]}`);
  }
  reports.push(perceiveRes.report, liftRes.report, groundRes.report, shapeRes.report, ...(matchRes ? [matchRes.report] : []), placeRes.report, composeRes.report);
  if (composeRes.output.objects.length === 0) composeRes.report.warnings.push('no object could be reconstructed from this frame');
  // per object: how much of it was seen, how well it fits, how it was completed
  const liftedById = new Map(liftRes.output.objects.map((o) => [o.id, o]));
  const methodById = new Map(shapes.map((sh) => [sh.id, sh.method ?? 'unknown']));
  const composed = composeRes.output.objects.map((o) =>
    o.instanceId === undefined
      ? o
      : {
          ...o,
          confidence: objectConfidence(o.mesh, o.pose, liftedById.get(o.instanceId)?.world, methodById.get(o.instanceId) ?? 'unknown'),
        },
  );
  // an instance id names a label in the input; segments the pipeline found itself have none
  const objects = backend === 'geometric' ? composed.map(withoutInstanceId) : composed;
  const objectPixels = new Uint8Array(cloud.valid.length);
  const keptIds = new Set(composeRes.output.objects.map((o) => o.instanceId));
  for (const inst of instances) if (keptIds.has(inst.id)) for (const i of inst.pixels) objectPixels[i] = 1;
  const confidence = sceneConfidence({
    cloud,
    heightOf,
    objectPixels,
    inlierRatio: groundRes.output.inlierRatio,
    excluded,
    objects: composeRes.output.objects.length,
    ...(config.ground?.threshold !== undefined ? { band: config.ground.threshold } : {}),
  });
  for (const r of confidence.reasons) composeRes.report.warnings.push(`low scene confidence: ${r}`);
  const scene: Scene = {
    version: SCENE_VERSION,
    frameId: config.frameId ?? 'world',
    objects,
    support: groundRes.output.support,
    camera: { intrinsics: frame.camera, pose: cameraPose },
    reports,
    confidence,
    meta: { source: 'rgbd', segmentation: typeof backend === 'string' ? backend : backend.name, ...(frame.stamp !== undefined ? { stamp: frame.stamp } : {}) },
  };
  const maskIdOf = new Map(composeRes.output.objects.filter((o) => o.instanceId !== undefined).map((o) => [o.id, o.instanceId!] as [string, number]));
  return { scene, masks: perceiveRes.output.masks, cloud, lifted: liftRes.output.objects, maskIdOf };
}

/** The perceive stage on the frame decimated by `k`, its labels brought back to full resolution; timed as one stage. */
async function perceiveDecimated(
  run: ReturnType<typeof perceive>,
  frame: RgbdFrame,
  cloud: OrganizedCloud,
  heightOf: (x: number, y: number, z: number) => number,
  k: number,
): Promise<StageResult<PerceiveOutput>> {
  const t0 = performance.now();
  const small = decimateFrame(frame, cloud, k);
  const res = await run({ frame: small.frame, cloud: small.cloud, heightOf });
  const full = upsampleLabels(res.output.masks, res.output.instances, cloud, k);
  res.report.counts['decimation'] = k;
  res.report.timeMs = performance.now() - t0;
  return { output: full, report: res.report };
}

/** The object without its `instanceId` key (a segment the pipeline found itself names no input label). */
export function withoutInstanceId<T extends { instanceId?: number }>(o: T): Omit<T, 'instanceId'> {
  const out = { ...o };
  delete out.instanceId;
  return out;
}

function countNonFinite(d: Float32Array): number {
  let n = 0;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) n++;
  return n;
}
