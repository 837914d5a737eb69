import { checkFrame, type RgbdFrame } from './model/frame.ts';
import type { CameraIntrinsics } from './model/camera.ts';
import { Real2SimError } from './model/errors.ts';
import type { StageReport } from './model/report.ts';
import { SCENE_VERSION, type Scene } from './model/scene.ts';
import type { DeocclusionBackend, DepthBackend, LearnedBackends, PoseBackend, SegmentationBackend } from './stages/backends.ts';
import { compose, type ComposeOptions } from './stages/compose.ts';
import { ground, type GroundOptions } from './stages/ground.ts';
import { lift, type LiftedObject, type LiftOptions } from './stages/lift.ts';
import { organizedCloud, type OrganizedCloud } from './stages/organized.ts';
import { perceive, type PerceiveOptions } from './stages/perceive.ts';
import { place, type PlaceOptions } from './stages/place.ts';
import { shape, type ShapeOptions } from './stages/shape.ts';
import { objectCrops } from './stages/crop.ts';
import type { DepthImage, LabelImage } from './model/image.ts';
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
 * One frame → a metric scene of completed, posed, simulator-ready objects: stages 1–6 (perceive,
 * lift, ground, shape, place, compose) composed from one config. Every learned seam is a
 * backend (`src/stages/backends.ts`); each one left out runs the CPU stage:
 *
 * | seam         | config                  | left out                                        |
 * | ------------ | ----------------------- | ----------------------------------------------- |
 * | segmentation | `segmentation`          | the frame's masks, else geometric segmentation  |
 * | depth        | `depth`                 | the frame's depth (a frame without needs one)   |
 * | de-occlusion | `deocclusion`           | none: the shape backend gets points, no image   |
 * | shape        | `shape.backend`         | geometric completion (`shapeGeometric.ts`)      |
 * | pose         | `pose`                  | scaled ICP of canonical meshes (`fitCanonical`) |
 *
 * So one pipeline serves RGB-D (no backend), a single image (all five: `learnedPipeline`) and
 * the mixes between (RGB-D with learned segmentation, or with image-to-3D shapes). The ground
 * stage runs before segmentation when segmenting geometrically (it needs the plane), and before
 * lift always (lift drops points on the plane); reports keep the stage order 1–6.
 */
export interface PipelineConfig {
  /** 'auto' (default): the frame's masks when it has them, else geometric segmentation. */
  segmentation?: 'auto' | 'given' | 'geometric' | SegmentationBackend;
  /** Open-vocabulary prompts for a segmentation backend. */
  prompts?: readonly string[];
  /**
   * Monocular depth (and intrinsics, when the frame has none) for a frame without depth. Its
   * points are taken as they are: lift runs without its sensor filters (`LiftOptions.filter`).
   */
  depth?: DepthBackend;
  /** Completes each object's occluded crop before the shape backend generates from the image. */
  deocclusion?: DeocclusionBackend;
  /** Places canonical meshes (from a learned shape backend) instead of scaled ICP. */
  pose?: PoseBackend;
  perceive?: Omit<PerceiveOptions, 'backend'>;
  /** Where objects may be (workspace box, region of interest, largest plausible size). */
  scope?: ScopeOptions;
  lift?: LiftOptions;
  ground?: GroundOptions;
  /** Shape stage options; `shape.backend` is the shape seam (default: geometric completion). */
  shape?: Omit<ShapeOptions, 'deocclusion'>;
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
  /**
   * Called once with the final instance masks, as soon as segmentation (and ground) end, before
   * lift: a caller can start work that needs only them (the bundle job encodes debug/masks.png).
   */
  onMasks?: (masks: LabelImage) => void;
}

/**
 * All five learned backends as a configuration: the single-image path (depth, segmentation,
 * de-occlusion, image-to-3D shape and pose from models). Spread it into a config; a `shape`
 * key given after it must keep its `backend`.
 */
export function learnedPipeline(b: LearnedBackends): Pick<PipelineConfig, 'segmentation' | 'depth' | 'deocclusion' | 'shape' | 'pose'> {
  return { segmentation: b.segmentation, depth: b.depth, deocclusion: b.deocclusion, shape: { backend: b.shape }, pose: b.pose };
}

/** A frame as the pipeline takes it: depth and intrinsics may be missing when a depth backend estimates them. */
export type PipelineFrame = Omit<RgbdFrame, 'camera'> & { camera?: CameraIntrinsics };

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
  /** The depth the scene was built from when a depth backend estimated it (the frame had none). */
  depth?: DepthImage;
}

export async function reconstruct(frame: PipelineFrame, config: PipelineConfig = {}): Promise<Scene> {
  return (await reconstructDetailed(frame, config)).scene;
}

/** Where the depth came from: the frame's sensor, or a depth backend (timed into the perceive report). */
interface SensedFrame {
  frame: RgbdFrame & { depth: DepthImage };
  estimated?: { backend: string; timeMs: number; intrinsicsEstimated: boolean };
}

/** The frame with its depth: its own, or the depth backend's estimate (which may bring the intrinsics too). */
async function senseDepth(input: PipelineFrame, config: PipelineConfig, progress: (stage: string, fraction: number) => void): Promise<SensedFrame> {
  checkFrame(input);
  if (input.depth) {
    if (!input.camera) throw new Real2SimError('BAD_CAMERA', 'The RGB-D reconstruction needs the camera intrinsics (--camera).');
    return { frame: { ...input, camera: input.camera, depth: input.depth } };
  }
  if (!config.depth) {
    throw new Real2SimError('BAD_DEPTH', 'This frame has no depth image: the CPU pipeline needs RGB-D (pass --depth), or configure a monocular depth backend.');
  }
  progress('depth', 0);
  const t0 = performance.now();
  const d = await config.depth.estimate(input.color, input.camera);
  const timeMs = performance.now() - t0;
  progress('depth', 1);
  const frame = checkFrame({ ...input, camera: d.camera, depth: d.depth });
  return { frame, estimated: { backend: config.depth.name, timeMs, intrinsicsEstimated: !input.camera } };
}

export async function reconstructDetailed(input: PipelineFrame, config: PipelineConfig = {}): Promise<ReconstructionDetails> {
  const progress = config.onProgress ?? (() => {});
  const { frame, estimated } = await senseDepth(input, config, progress);
  const depth = frame.depth;
  const cloud = organizedCloud(depth, frame.camera);
  const nonFinite = countNonFinite(depth.data);
  if (cloud.validCount === 0) {
    if (estimated) throw new Real2SimError('BAD_DEPTH', `The depth backend "${estimated.backend}" returned no valid depth for this image.`);
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
  const prompts = config.prompts ? { prompts: config.prompts } : {};

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
    perceiveRes = await runPerceive({ frame, cloud, ...prompts });
    progress('perceive', 1);
    const objectPixels = new Uint8Array(cloud.valid.length);
    for (const inst of perceiveRes.output.instances) for (const i of inst.pixels) objectPixels[i] = 1;
    progress('ground', 0);
    groundRes = await runGround({ cloud, objectPixels });
    progress('ground', 1);
  }
  config.onMasks?.(perceiveRes.output.masks);
  if (estimated) {
    // the depth model is part of perceiving: one report, both backends named
    const r = perceiveRes.report;
    r.backend = `${estimated.backend}+${r.backend}`;
    r.timeMs += estimated.timeMs;
    r.counts['intrinsicsEstimated'] = estimated.intrinsicsEstimated ? 1 : 0;
  }
  if (nonFinite > 0) groundRes.report.warnings.push(`${nonFinite} depth pixels were NaN or ±Inf: treated as no data`);
  const { cameraPose, heightOf } = groundRes.output;
  // segments outside the workspace / ROI or too large to be an object: reported, never objects
  const scoped = scopeInstances({ instances: perceiveRes.output.instances, cloud, cameraPose }, config.scope);
  const excluded = scoped.excluded;
  const instances = scoped.kept;

  progress('lift', 0);
  const liftRes = await lift({ ...config.lift, ...(estimated ? { filter: false } : {}), ...(config.runner && !config.lift?.runner ? { runner: config.runner } : {}) })({
    cloud,
    masks: perceiveRes.output.masks,
    instances,
    color: frame.color,
    cameraPose,
    heightOf,
  });
  progress('lift', 1);

  const view = { depth, camera: frame.camera, cameraPose };
  // what a de-occlusion model completes and a pose model reads: each object's crop of the image
  const crops = config.deocclusion || config.pose ? objectCrops(frame.color, perceiveRes.output.masks, liftRes.output.objects) : undefined;
  progress('shape', 0);
  const shapeRes = await shape({
    ...config.shape,
    ...(config.deocclusion ? { deocclusion: config.deocclusion } : {}),
    ...(config.runner && !config.shape?.runner ? { runner: config.runner } : {}),
  })({
    objects: liftRes.output.objects,
    view,
    support: groundRes.output.support,
    ...(crops ? { crops } : {}),
  });
  progress('shape', 1);

  let shapes = shapeRes.output.shapes;
  let matchRes: StageResult<{ matched: Map<number, MatchedItem> }> | null = null;
  if (config.library) {
    progress('match', 0);
    const res = await match({ ...config.match, library: config.library })({
      objects: liftRes.output.objects,
      shapes,
      view,
      support: groundRes.output.support,
    });
    shapes = res.output.shapes;
    matchRes = res;
    progress('match', 1);
  }

  progress('place', 0);
  const placeRes = await place(
    config.place,
    config.pose,
  )({
    objects: liftRes.output.objects,
    shapes,
    view: { camera: frame.camera, cameraPose },
    support: groundRes.output.support,
    ...(crops ? { crops: new Map([...crops].map(([id, c]) => [id, c.image])) } : {}),
  });
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
  // per object: how much of it was seen, how well it fits, how it was completed; the
  // segmentation backend's score when it gave one
  const liftedById = new Map(liftRes.output.objects.map((o) => [o.id, o]));
  const methodById = new Map(shapes.map((sh) => [sh.id, sh.method ?? 'unknown']));
  const scoreById = new Map(instances.filter((i) => i.score !== undefined).map((i) => [i.id, i.score!]));
  const composed = composeRes.output.objects.map((o) => {
    if (o.instanceId === undefined) return o;
    const score = scoreById.get(o.instanceId);
    return {
      ...o,
      confidence: objectConfidence(o.mesh, o.pose, liftedById.get(o.instanceId)?.world, methodById.get(o.instanceId) ?? 'unknown'),
      ...(score !== undefined ? { score } : {}),
    };
  });
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
  const learned = learnedNames(config, estimated?.backend);
  const scene: Scene = {
    version: SCENE_VERSION,
    frameId: config.frameId ?? 'world',
    objects,
    support: groundRes.output.support,
    camera: { intrinsics: frame.camera, pose: cameraPose },
    reports,
    confidence,
    meta: {
      source: estimated ? 'single-image' : 'rgbd',
      segmentation: typeof backend === 'string' ? backend : backend.name,
      ...(learned ? { backends: learned } : {}),
      ...(frame.stamp !== undefined ? { stamp: frame.stamp } : {}),
    },
  };
  const maskIdOf = new Map(composeRes.output.objects.filter((o) => o.instanceId !== undefined).map((o) => [o.id, o.instanceId!] as [string, number]));
  return { scene, masks: perceiveRes.output.masks, cloud, lifted: liftRes.output.objects, maskIdOf, ...(estimated ? { depth } : {}) };
}

/** The names of the learned backends that ran (scene meta), or null when none did. */
function learnedNames(config: PipelineConfig, depthBackend: string | undefined): Record<string, string> | null {
  const seg = config.segmentation;
  const names: Record<string, string | undefined> = {
    depth: depthBackend,
    segmentation: seg && typeof seg !== 'string' ? seg.name : undefined,
    deocclusion: config.deocclusion?.name,
    shape: config.shape?.backend?.name,
    pose: config.pose?.name,
  };
  const out = Object.fromEntries(Object.entries(names).filter((e): e is [string, string] => e[1] !== undefined));
  return Object.keys(out).length > 0 ? out : null;
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
