/**
 * Frame → bundle, the main job shared by `reconstruct`, `demo` and the ROS node: stages 1–6,
 * physics validation and repair (on by default), debug products, the viewer report, and one
 * atomic bundle write. It joins the core to `sim/` and the viewer, so it sits outside the core
 * (`src/app/`): the CLI and `ros/` call it; nothing in the core imports it.
 *
 * The reconstruction itself is replaceable (`reconstruct` option: e.g. the single-image path
 * through a GPU host), so every path shares one tail: validation, debug products, report, write.
 */
import { writeBundle, type BundleManifest } from '../export/bundle.ts';
import { encodePly } from '../io/mesh.ts';
import { encodePng } from '../io/image.ts';
import type { CameraIntrinsics } from '../model/camera.ts';
import { Real2SimError } from '../model/errors.ts';
import type { RgbdFrame } from '../model/frame.ts';
import type { PointCloud } from '../model/geometry.ts';
import type { DepthImage, LabelImage } from '../model/image.ts';
import { transformPositions } from '../model/pose.ts';
import type { Scene } from '../model/scene.ts';
import { reconstructDetailed, type PipelineConfig } from '../pipeline.ts';
import { objectId } from '../stages/compose.ts';
import type { LiftedObject } from '../stages/lift.ts';
import { depthPreview, maskOverlay } from '../stages/debug.ts';
import { validateAndRepair, type RepairOptions } from '../../sim/index.ts';
import { reportHtml } from '../viewer/report.ts';
import { viewerScript } from '../viewer/appBundle.ts';
import { SHAPE_OBJECT_TASK } from '../stages/shapeGeometric.ts';
import { COMPOSE_OBJECT_TASK } from '../stages/compose.ts';
import { OUTLIER_TASK } from '../stages/lift.ts';
import { sharedPool, type TaskPool } from './pool.ts';
import { sceneSnapshots, SNAPSHOTS_TASK } from '../viewer/snapshots.ts';
import { mergeClouds, toViewModel } from '../viewer/viewModel.ts';

export const STAGE_ORDER = ['perceive', 'lift', 'ground', 'shape', 'place', 'compose', 'validate', 'export'];

/** A frame as the bundle job takes it: intrinsics may be missing when a model estimates them. */
export type BundleFrame = Omit<RgbdFrame, 'camera'> & { camera?: CameraIntrinsics };

/** What the job needs from a reconstruction: the scene and the products written as debug files. */
export interface FrameReconstruction {
  scene: Scene;
  masks: LabelImage;
  /** Per-object clouds (optical frame, plus `world` when known): debug/clouds/*.ply and the report's cloud. */
  lifted: LiftedObject[];
  /** Depth the scene was built from when the frame carries none (a model's estimate): debug/depth.png. */
  depth?: DepthImage;
}

/** Frame → scene; calls `onProgress(stage, 0|1)` around stages it runs (may call it never). */
export type FrameReconstructor = (frame: BundleFrame, onProgress: (stage: string, fraction: number) => void) => Promise<FrameReconstruction>;

export interface FrameToBundleOptions {
  out: string;
  /** Config of the default reconstruction (stages 1–6 of `src/pipeline.ts`); unused with `reconstruct`. */
  pipeline?: Omit<PipelineConfig, 'onProgress'>;
  /** Replaces stages 1–6 (default: `reconstructDetailed` with `pipeline`, which needs depth and intrinsics). */
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
}

export interface FrameToBundleResult {
  scene: Scene;
  manifest: BundleManifest;
  timeMs: number;
  /** Problems that did not stop the run (e.g. the physics engine failed: no verdict). */
  warnings: string[];
}

/** Runs one frame through stages 1–6, validation + repair, and writes the bundle. */
export async function frameToBundle(frame: BundleFrame, options: FrameToBundleOptions): Promise<FrameToBundleResult> {
  const log = options.log ?? (() => {});
  const t0 = performance.now();
  const started = new Map<string, number>();
  const progress = (stage: string, fraction: number) => {
    options.onProgress?.(stage, fraction);
    const k = STAGE_ORDER.indexOf(stage) + 1;
    if (fraction === 0) {
      started.set(stage, performance.now());
      log(`[${k}/${STAGE_ORDER.length}] ${stage.padEnd(9)}…`);
    } else if (fraction >= 1) {
      log(` ${(performance.now() - (started.get(stage) ?? performance.now())).toFixed(0)} ms\n`);
    }
  };
  const pool = options.pool === undefined ? sharedPool() : options.pool;
  // Work that does not depend on this frame starts now, on the other cores, while stages 1–3 run
  // here: the workers load the shape modules; esbuild (its own process) bundles the report's
  // viewer script. A failure surfaces where the result is used.
  if (pool && !options.reconstruct) void pool.warm([OUTLIER_TASK.module, SHAPE_OBJECT_TASK.module, COMPOSE_OBJECT_TASK.module, SNAPSHOTS_TASK.module]);
  viewerScript().catch(() => {});
  const rgbd: FrameReconstructor = (f, onProgress) => {
    if (!f.camera) throw new Real2SimError('BAD_CAMERA', 'The RGB-D reconstruction needs the camera intrinsics (--camera).');
    return reconstructDetailed({ ...f, camera: f.camera }, { ...(pool ? { runner: pool.run } : {}), ...options.pipeline, onProgress });
  };
  const { scene: reconstructed, masks, lifted, depth } = await (options.reconstruct ?? rgbd)(frame, progress);

  let scene = reconstructed;
  const warnings: string[] = [];
  if (options.validate !== false && scene.objects.length > 0) {
    progress('validate', 0);
    const tv = performance.now();
    // An engine failure (not a verdict) must not cost the user the scene: the bundle is still
    // written, without a verdict, and the failure is reported.
    try {
      const { scene: repaired, report } = await validateAndRepair(scene, options.physics);
      scene = { ...repaired, physics: report };
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
          warnings: report.verdict === 'invalid' ? report.findings.filter((f) => f.severity === 'error').map((f) => f.message) : [],
        },
      ];
    } catch (err) {
      const message = `physics validation failed: ${(err as Error).message}`;
      warnings.push(message);
      scene.reports = [...scene.reports, { stage: 'validate', backend: 'none', timeMs: performance.now() - tv, counts: {}, warnings: [message] }];
    }
    progress('validate', 1);
  }
  for (const r of scene.reports) for (const w of r.warnings) log(`warning (${r.stage}): ${w}\n`);

  progress('export', 0);
  // the CPU-rendered views, on a worker while this thread encodes the rest
  const snapshots = pool ? pool.spawn(SNAPSHOTS_TASK, scene) : Promise.resolve(sceneSnapshots(scene));
  const extraFiles: Record<string, string | Uint8Array> = {
    'debug/masks.png': encodePng(maskOverlay(frame.color, masks)),
  };
  const shownDepth = frame.depth ?? depth;
  if (shownDepth) extraFiles['debug/depth.png'] = encodePng(depthPreview(shownDepth));
  // Clouds go to disk in the world frame, where the viewer draws them beside the objects.
  const toWorld = scene.camera?.pose;
  const clouds: PointCloud[] = [];
  for (const o of lifted) {
    const cloud: PointCloud = { ...o.cloud, positions: o.world ?? (toWorld ? transformPositions(toWorld, o.cloud.positions) : o.cloud.positions) };
    clouds.push(cloud);
    extraFiles[`debug/clouds/${objectId(o.label, o.id)}.ply`] = encodePly(cloud);
  }
  Object.assign(extraFiles, await snapshots);
  // the same file `real2sim validate` writes, so a bundle always says where physics stands
  if (scene.physics) extraFiles['physics.json'] = `${JSON.stringify(scene.physics, null, 2)}\n`;
  scene.meta = { ...scene.meta, ...options.meta, validated: scene.physics !== undefined };
  const title = options.title ?? 'real2sim scene';
  const overlay = extraFiles['debug/masks.png'] as Uint8Array;
  extraFiles['debug/report.html'] = await reportHtml(toViewModel(scene, { title, maskOverlayPng: overlay, cloud: mergeClouds(clouds) }));
  const manifest = await writeBundle(options.out, scene, { extraFiles });
  progress('export', 1);
  return { scene, manifest, timeMs: performance.now() - t0, warnings };
}

/** One line per object, for the CLI. */
export function objectTable(scene: Scene): string {
  const status = new Map<string, string>();
  for (const s of scene.physics?.stability ?? []) status.set(s.object, s.stable ? 'stable' : 'UNSTABLE');
  const head = `  ${'object'.padEnd(22)} ${'size (cm)'.padEnd(20)} ${'mass (g)'.padStart(9)}  hulls  physics`;
  const rows = scene.objects.map(
    (o) =>
      `  ${o.id.padEnd(22)} ${o.size.map((s) => (s * 100).toFixed(1)).join(' × ').padEnd(20)} ${(o.mass * 1000).toFixed(0).padStart(9)}  ${String(o.collision.length).padStart(5)}  ${status.get(o.id) ?? '—'}`,
  );
  return [head, ...rows].join('\n');
}
