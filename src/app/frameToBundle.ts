/**
 * Frame → bundle, the main job shared by `reconstruct`, `demo` and the ROS node: stages 1–6,
 * physics validation and repair (on by default), debug products, the viewer report, and one
 * atomic bundle write. It joins the core to `sim/` and the viewer, so it sits outside the core
 * (`src/app/`): the CLI and `ros/` call it; nothing in the core imports it.
 *
 * The reconstruction is the one pipeline (`pipeline` option: RGB-D, single image with its
 * backends, or a mix), or replaceable (`reconstruct` option: e.g. segmentation on a GPU host
 * with its fallback warnings), so every path shares one tail: validation, debug products, report, write.
 */
import { writeBundle, type BundleManifest } from '../export/bundle.ts';
import { GLB_TASK, type GlbObject } from '../export/glb.ts';
import { encodePly } from '../io/mesh.ts';
import { encodeLabelPng, encodePng } from '../io/image.ts';
import { libraryPicture } from './libraryPicture.ts';
import type { PointCloud } from '../model/geometry.ts';
import type { ColorImage, DepthImage, LabelImage } from '../model/image.ts';
import { transformPositions } from '../model/pose.ts';
import type { Scene } from '../model/scene.ts';
import { PASSING_VERDICTS, type PhysicsReport } from '../model/physics.ts';
import { reconstructDetailed, type PipelineConfig, type PipelineFrame } from '../pipeline.ts';
import { objectId } from '../stages/compose.ts';
import type { LiftedObject } from '../stages/lift.ts';
import { SIMULATE_TASK, validateAndRepair, type RepairOptions, type Spawn } from '../../sim/index.ts';
import { reportHtml } from '../viewer/report.ts';
import { viewerScript } from '../viewer/appBundle.ts';
import { SHAPE_OBJECT_TASK } from '../stages/shapeGeometric.ts';
import { COMPOSE_OBJECT_TASK } from '../stages/compose.ts';
import { OUTLIER_TASK } from '../stages/lift.ts';
import { sharedPool, type TaskPool } from './pool.ts';
import { DEPTH_PREVIEW_TASK, depthPreviewPng, MASK_OVERLAY_TASK, maskOverlayPng } from './debugImages.ts';
import { sceneSnapshots, SNAPSHOTS_TASK } from '../viewer/snapshots.ts';
import { mergeClouds, toViewModel } from '../viewer/viewModel.ts';

export const STAGE_ORDER = ['perceive', 'lift', 'ground', 'shape', 'place', 'compose', 'validate', 'export'];

/** A frame as the bundle job takes it: intrinsics may be missing when a model estimates them. */
export type BundleFrame = PipelineFrame;

/** What the job needs from a reconstruction: the scene and the products written as debug files. */
export interface FrameReconstruction {
  scene: Scene;
  masks: LabelImage;
  /** Per-object clouds (optical frame, plus `world` when known): debug/clouds/*.ply and the report's cloud. */
  lifted: LiftedObject[];
  /** Depth the scene was built from when the frame carries none (a model's estimate): debug/depth.png. */
  depth?: DepthImage;
  /** Scene object id → its mask id in `masks`, where that is not the object's `instanceId`. */
  maskIdOf?: Map<string, number>;
}

/** Frame → scene; calls `onProgress(stage, 0|1)` around stages it runs (may call it never). */
export type FrameReconstructor = (frame: BundleFrame, onProgress: (stage: string, fraction: number) => void) => Promise<FrameReconstruction>;

export interface FrameToBundleOptions {
  out: string;
  /** Config of the default reconstruction (stages 1–6 of `src/pipeline.ts`); unused with `reconstruct`. */
  pipeline?: Omit<PipelineConfig, 'onProgress'>;
  /** Replaces stages 1–6 (default: `reconstructDetailed` with `pipeline`, which needs depth and intrinsics or a depth backend). */
  reconstruct?: FrameReconstructor;
  /** Physics validation and repair (default on). */
  validate?: boolean;
  physics?: RepairOptions;
  title?: string;
  /** Progress lines (stderr in the CLI); silent when absent. */
  log?: (text: string) => void;
  /**
   * Worker threads for per-object work in stages 1–6 (default: one pool per process, started
   * here and kept for the next frame; `null`: everything in this thread). Same scene either way.
   */
  pool?: TaskPool | null;
  /** Called as each stage of `STAGE_ORDER` starts (fraction 0) and ends (1): benches time stages with it. */
  onProgress?: (stage: string, fraction: number) => void;
  meta?: Record<string, unknown>;
  /** Replace an `out` folder that is not only an earlier bundle (kept beside it, never deleted). */
  force?: boolean;
  /** The bundle marker's `kind` (default 'bundle'; the ROS node's is 'ros'). */
  kind?: string;
  /**
   * The debug products, the bundle's debug/ folder: masks, depth, labels and library pictures,
   * per-object clouds, rendered views, report.html (default true). false: the simulator files,
   * scene.json and physics.json only, for a loop that needs the world fast and looks at none of
   * the pictures (their encoding and rendering are a third of a small frame's CPU time).
   */
  debug?: boolean;
}

export interface FrameToBundleResult {
  scene: Scene;
  manifest: BundleManifest;
  timeMs: number;
  /** Problems that did not stop the run (e.g. the physics engine failed: verdict `failed`). */
  warnings: string[];
}

/** Runs one frame through stages 1–6, validation + repair, and writes the bundle. */
export async function frameToBundle(frame: BundleFrame, options: FrameToBundleOptions): Promise<FrameToBundleResult> {
  return (await reconstructForBundle(frame, options)).write();
}

/** Stages 1–6 done, the tail (validation, debug products, the write) still to run. */
export interface StagedBundle {
  /** The scene as reconstructed, before physics validation and repair. */
  scene: Scene;
  /** Validation, repair, debug products and the bundle write (what `frameToBundle` ends with). */
  write(): Promise<FrameToBundleResult>;
}

/**
 * Starts the pool's workers and loads in each the task modules a bundle job runs there, without
 * waiting (a failure surfaces where the pool is used). Each job calls it; a process that will
 * run jobs (the ROS node) calls it at start, so that its first frame does not pay for it.
 */
export function warmBundlePool(pool: TaskPool | null = sharedPool()): void {
  if (pool) void pool.warm([OUTLIER_TASK.module, SHAPE_OBJECT_TASK.module, COMPOSE_OBJECT_TASK.module, SNAPSHOTS_TASK.module, DEPTH_PREVIEW_TASK.module, GLB_TASK.module, SIMULATE_TASK.module]);
}

/**
 * `frameToBundle` in two steps, so that a caller can look at the reconstructed scene and
 * decide whether it is worth a bundle (the ROS node's `write_bundle: on_change`) before the
 * validation and the write are paid for.
 */
export async function reconstructForBundle(frame: BundleFrame, options: FrameToBundleOptions): Promise<StagedBundle> {
  const log = options.log ?? (() => {});
  const t0 = performance.now();
  const started = new Map<string, number>();
  const progress = (stage: string, fraction: number) => {
    options.onProgress?.(stage, fraction);
    if (fraction === 0) {
      started.set(stage, performance.now());
      // Numbered in the order the stages start (ground runs before perceive on an organised
      // cloud, after it otherwise); an optional stage outside the fixed set (match with
      // --library, depth from a model) is shown without a number.
      const k = STAGE_ORDER.includes(stage) ? [...started.keys()].filter((s) => STAGE_ORDER.includes(s)).length : 0;
      log(`${k > 0 ? `[${k}/${STAGE_ORDER.length}]` : '  [+]'} ${stage.padEnd(9)}…`);
    } else if (fraction >= 1) {
      log(` ${(performance.now() - (started.get(stage) ?? performance.now())).toFixed(0)} ms\n`);
    }
  };
  const pool = options.pool === undefined ? sharedPool() : options.pool;
  // Work that does not depend on this frame starts now, on the other cores, while stages 1–3 run
  // here: the workers load the shape modules; esbuild (its own process) bundles the report's
  // viewer script. A failure surfaces where the result is used.
  const debug = options.debug !== false;
  if (pool && !options.reconstruct) warmBundlePool(pool);
  if (debug) viewerScript().catch(() => {});
  // the frame's debug pictures need only the frame and the masks: a worker encodes them as soon
  // as those exist, while this thread segments, lifts and validates
  // (awaited when the bundle is written; handled now, so a failure meanwhile is not unhandled)
  const handled = <T>(p: Promise<T>): Promise<T> => (p.catch(() => {}), p);
  const pictures: DebugPictures = {};
  if (debug && pool && frame.depth) pictures.depth = handled(pool.spawn(DEPTH_PREVIEW_TASK, frame.depth));
  const onMasks =
    debug && pool
      ? (masks: LabelImage): void => {
          pictures.masks = handled(pool.spawn(MASK_OVERLAY_TASK, { color: frame.color, masks }));
        }
      : undefined;
  const pipeline: FrameReconstructor = (f, onProgress) =>
    reconstructDetailed(f, { ...(pool ? { runner: pool.run } : {}), ...options.pipeline, onProgress, ...(onMasks && !options.pipeline?.onMasks ? { onMasks } : {}) });
  const { scene: reconstructed, masks, lifted, depth, maskIdOf } = await (options.reconstruct ?? pipeline)(frame, progress);

  const cloudFiles: Record<string, PointCloud> = {};
  // Clouds go to disk in the world frame, where the viewer draws them beside the objects.
  const toWorld = reconstructed.camera?.pose;
  for (const o of debug ? lifted : []) {
    const cloud: PointCloud = { ...o.cloud, positions: o.world ?? (toWorld ? transformPositions(toWorld, o.cloud.positions) : o.cloud.positions) };
    cloudFiles[objectId(o.label, o.id)] = cloud;
  }
  const shownDepth = frame.depth ?? depth;
  return {
    scene: reconstructed,
    async write() {
      const done = await sceneToBundle(
        reconstructed,
        { ...options, pool, color: frame.color, masks, ...(maskIdOf ? { maskIdOf } : {}), clouds: cloudFiles, ...(shownDepth ? { depth: shownDepth } : {}), pictures },
        progress,
      );
      return { ...done, timeMs: performance.now() - t0 };
    },
  };
}

/** What the shared tail writes as debug products besides the scene itself (all optional). */
export interface BundleDebugInputs {
  /** Input colour image: with `masks`, debug/masks.png and the report's image. */
  color?: ColorImage;
  masks?: LabelImage;
  /** Depth shown as debug/depth.png. */
  depth?: DepthImage;
  /** Per-object clouds in the world frame, by file stem: debug/clouds/<stem>.ply. */
  clouds?: Record<string, PointCloud>;
  /** Object id → the mask id it was built from, for debug/labels.png (default: its instanceId). */
  maskIdOf?: Map<string, number>;
  /** debug/masks.png and debug/depth.png already encoded (or on their way) from these inputs; made here otherwise. */
  pictures?: DebugPictures;
}

/** Debug pictures encoded ahead of the bundle write, on a pool worker. */
export interface DebugPictures {
  masks?: Promise<Uint8Array>;
  depth?: Promise<Uint8Array>;
}

/**
 * The tail every bundle shares (reconstruct, demo, the ROS node, import): physics validation
 * and repair (on by default), debug products (masks, depth, clouds, snapshots, report.html),
 * physics.json, one atomic bundle write.
 */
export async function sceneToBundle(
  reconstructed: Scene,
  options: Omit<FrameToBundleOptions, 'pipeline' | 'reconstruct'> & BundleDebugInputs,
  progress: (stage: string, fraction: number) => void = () => {},
): Promise<Omit<FrameToBundleResult, 'timeMs'>> {
  const log = options.log ?? (() => {});
  const pool = options.pool ?? null;
  let scene = reconstructed;
  const warnings: string[] = [];
  if (options.validate !== false && scene.objects.length > 0) {
    progress('validate', 0);
    const tv = performance.now();
    // A validation that throws must not cost the user the scene, nor pass as checked: the
    // bundle is still written, with the verdict `failed` and the error in physics.json.
    try {
      // The MuJoCo cross-check is on by default: a disagreement keeps the scene from passing.
      // With a pool, our engine's runs go to a worker and MuJoCo runs here meanwhile (not the
      // other way round: MuJoCo on a worker cost a second WASM heap, ~50 MB of peak RSS).
      const spawn: Spawn | null = pool ? (task, input) => pool.spawn(task, input) : null;
      const { scene: repaired, report } = await validateAndRepair(scene, { reference: 'mujoco', spawn, ...options.physics });
      scene = { ...repaired, physics: lowConfidenceVerdict(report, scene.confidence) };
      scene.reports = [
        ...scene.reports,
        {
          stage: 'validate',
          backend: report.engine,
          timeMs: performance.now() - tv,
          counts: {
            findings: report.findings.length,
            repairs: report.repairs.length,
            errors: report.findings.filter((f) => f.severity === 'error').length,
          },
          warnings: PASSING_VERDICTS.includes(report.verdict) ? [] : verdictWarnings(report),
        },
      ];
    } catch (err) {
      const message = `physics validation failed: ${(err as Error).message}`;
      warnings.push(message);
      scene = { ...scene, physics: failedReport(message, performance.now() - tv) };
      scene.reports = [...scene.reports, { stage: 'validate', backend: 'none', timeMs: performance.now() - tv, counts: {}, warnings: [message] }];
    }
    progress('validate', 1);
  }
  for (const r of scene.reports) for (const w of r.warnings) log(`warning (${r.stage}): ${w}\n`);

  progress('export', 0);
  const debug = options.debug !== false;
  // the CPU-rendered views, on a worker while this thread encodes and writes the rest (the
  // bundle takes them when they come: `pendingFiles`)
  const snapshots = !debug ? undefined : pool ? pool.spawn(SNAPSHOTS_TASK, scene) : Promise.resolve(sceneSnapshots(scene));
  // awaited by writeBundle; handled now, so a failure while this thread is busy is not unhandled
  snapshots?.catch(() => {});
  const extraFiles: Record<string, string | Uint8Array> = {};
  // the same file `real2sim validate` writes, so a bundle always says where physics stands
  if (scene.physics) extraFiles['physics.json'] = `${JSON.stringify(scene.physics, null, 2)}\n`;
  scene.meta = { ...scene.meta, ...options.meta, validated: scene.physics !== undefined && scene.physics.verdict !== 'failed' };
  if (debug) {
    const overlay = options.color && options.masks ? await (options.pictures?.masks ?? maskOverlayPng({ color: options.color, masks: options.masks })) : undefined;
    if (overlay) extraFiles['debug/masks.png'] = overlay;
    if (options.depth) extraFiles['debug/depth.png'] = await (options.pictures?.depth ?? depthPreviewPng(options.depth));
    if (options.masks) extraFiles['debug/labels.png'] = encodeLabelPng(sceneLabels(scene, options.masks, options.maskIdOf));
    // with a library: the matched items' outlines and names over the image
    if (options.color && scene.camera && scene.reports.some((r) => r.stage === 'match')) extraFiles['debug/library.png'] = encodePng(libraryPicture(options.color, scene));
    const clouds: PointCloud[] = [];
    for (const [stem, cloud] of Object.entries(options.clouds ?? {})) {
      clouds.push(cloud);
      extraFiles[`debug/clouds/${stem}.ply`] = encodePly(cloud);
    }
    const title = options.title ?? 'real2sim scene';
    extraFiles['debug/report.html'] = await reportHtml(toViewModel(scene, { title, ...(overlay ? { maskOverlayPng: overlay } : {}), ...(clouds.length ? { cloud: mergeClouds(clouds) } : {}) }));
  }
  const manifest = await writeBundle(options.out, scene, {
    extraFiles,
    ...(snapshots ? { pendingFiles: snapshots } : {}),
    ...(pool ? { makeGlb: (objects: readonly GlbObject[]) => pool.spawn(GLB_TASK, objects) } : {}),
    ...(options.force ? { force: true } : {}),
    ...(options.kind ? { kind: options.kind } : {}),
  });
  progress('export', 1);
  return { scene, manifest, warnings };
}

/** Why a scene did not pass, one line per reason, for the stage report. */
function verdictWarnings(report: PhysicsReport): string[] {
  const errors = report.findings.filter((f) => f.severity === 'error').map((f) => f.message);
  const flagged = (report.moves ?? [])
    .filter((m) => m.flagged)
    .map((m) => `repair moved '${m.object}' ${(m.translation * 1000).toFixed(1)} mm / ${((m.rotation * 180) / Math.PI).toFixed(1)}° in total: needs review`);
  return [...errors, ...flagged];
}

/** The report of a validation that threw: nothing is known, and the scene must not pass as checked. */
function failedReport(message: string, timeMs: number): PhysicsReport {
  return {
    engine: 'none',
    verdict: 'failed',
    findings: [{ kind: 'validation_failed', severity: 'error', objects: [], values: {}, message }],
    repairs: [],
    support: [],
    stability: [],
    timeMs,
  };
}

/**
 * Physics can only vouch for the geometry it was given: a scene whose geometry is low
 * confidence (not a tabletop, most points dropped, implausible objects) is never `valid`,
 * at best `needs_review`.
 */
export function lowConfidenceVerdict(report: PhysicsReport, confidence: Scene['confidence']): PhysicsReport {
  if (confidence?.level !== 'low' || report.verdict !== 'valid') return report;
  // the reasons are the scene's (scene.confidence), not a physics finding
  return { ...report, verdict: 'needs_review' };
}

/**
 * The final instance label image of a bundle (`debug/labels.png`): 0 = background, value k =
 * the k-th object of scene.json (1-based), drawn from the mask it was built from. Masks that
 * became no object (too small, excluded) are background, so the image scores what the scene holds.
 */
export function sceneLabels(scene: Scene, masks: LabelImage, maskIdOf?: Map<string, number>): LabelImage {
  // mask id → k, as a table over every 16-bit id (a Map lookup per pixel cost more than the rest)
  const toK = new Uint16Array(65536);
  scene.objects.forEach((o, k) => {
    const id = maskIdOf?.get(o.id) ?? o.instanceId;
    // ids a mask cannot hold (outside 0…65535, fractional) match no pixel; an id already taken
    // (toK non-zero: k + 1 ≥ 1) keeps its first object
    if (id === undefined || !Number.isInteger(id) || id < 0 || id > 65535 || toK[id] !== 0) return;
    toK[id] = k + 1;
  });
  const data = new Uint16Array(masks.data.length);
  const src = masks.data;
  for (let i = 0; i < data.length; i++) data[i] = toK[src[i]!]!;
  return { width: masks.width, height: masks.height, data, labels: new Map(scene.objects.map((o, k) => [k + 1, o.label] as [number, string])) };
}

/** One line per object, for the CLI. */
export function objectTable(scene: Scene): string {
  const status = new Map<string, string>();
  for (const s of scene.physics?.stability ?? []) status.set(s.object, s.stable ? 'stable' : 'UNSTABLE');
  for (const m of scene.physics?.moves ?? []) {
    if (m.translation < 5e-5 && m.rotation < 1e-3) continue;
    const moved = `moved ${(m.translation * 1000).toFixed(1)} mm${m.rotation >= 1e-3 ? ` ${((m.rotation * 180) / Math.PI).toFixed(1)}°` : ''}`;
    status.set(m.object, `${status.get(m.object) ?? '—'}, ${moved}${m.flagged ? ' (OVER LIMIT)' : ''}`);
  }
  if (scene.physics?.verdict === 'failed') for (const o of scene.objects) status.set(o.id, 'not checked (validation failed)');
  const head = `  ${'object'.padEnd(22)} ${'size (cm)'.padEnd(20)} ${'mass (g)'.padStart(9)}  hulls  physics`;
  const rows = scene.objects.map(
    (o) =>
      `  ${o.id.padEnd(22)} ${o.size
        .map((s) => (s * 100).toFixed(1))
        .join(' × ')
        .padEnd(20)} ${(o.mass * 1000).toFixed(0).padStart(9)}  ${String(o.collision.length).padStart(5)}  ${status.get(o.id) ?? '—'}`,
  );
  return [head, ...rows].join('\n');
}
