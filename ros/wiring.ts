/**
 * The node's default pipeline: the same job as `real2sim reconstruct` (`frameToBundle`:
 * stages 1–6 → physics validation and repair → one atomic bundle with debug products and
 * report.html) — plus the strings the node publishes. Heavy modules (physics engines, the GPU client) are imported
 * when the pipeline is built, not when `real2sim ros --help` runs.
 *
 * Published URDF/SDF are the bundle's own files with mesh paths made absolute (`file://…`),
 * so RViz or Gazebo on the same machine can load them without knowing the bundle folder.
 * Spawned models use the bundle's `models/<name>/` meshes the same way.
 */
import { join, resolve } from 'node:path';
import type { RgbdFrame } from '../src/model/frame.ts';
import type { PipelineCallOptions, PipelineFn, PipelineResult, UnchangedResult } from './node.ts';
import type { NodeParams } from './params.ts';
import type { SpawnModel } from './spawn.ts';

/** `filename="meshes/…"` (URDF) and `<uri>meshes/…</uri>` (SDF) → absolute file URIs under `base`. */
export function absoluteMeshUris(xml: string, base: string): string {
  const root = `file://${resolve(base)}/`;
  return xml.replace(/filename="meshes\//g, `filename="${root}meshes/`).replace(/<uri>meshes\//g, `<uri>${root}meshes/`);
}

/** Folder name of one run: the frame's stamp (or the wall clock), sortable. */
export function runFolderName(frame: RgbdFrame, now = new Date()): string {
  if (frame.stamp !== undefined && frame.stamp > 0) {
    const ms = Math.round(frame.stamp * 1000);
    return `scene_${Math.floor(ms / 1000)}_${String(ms % 1000).padStart(3, '0')}`;
  }
  return `scene_${now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`;
}

export async function defaultPipeline(params: Pick<NodeParams, 'output_dir' | 'gpu_url' | 'scene_frame'> & Partial<Pick<NodeParams, 'library' | 'debug_products'>>): Promise<PipelineFn> {
  const [{ reconstructForBundle, warmBundlePool }, { prepareScene }, { toUrdf }, { toSdfWorld, toSdfModel }] = await Promise.all([
    import('../src/app/frameToBundle.ts'),
    import('../src/export/prepare.ts'),
    import('../src/export/urdf.ts'),
    import('../src/export/sdf.ts'),
  ]);
  let segmentation: import('../src/stages/backends.ts').SegmentationBackend | undefined;
  if (params.gpu_url.trim()) {
    const [{ GpuHostClient }, { GpuHostPool, splitHostList }, { remoteBackends }] = await Promise.all([
      import('../src/gpu/client.ts'),
      import('../src/gpu/hostPool.ts'),
      import('../src/gpu/backends.ts'),
    ]);
    // a list ("http://a:8765,http://b:8765") is a pool: least outstanding, health checks, failover
    const urls = splitHostList(params.gpu_url);
    segmentation = remoteBackends(urls.length > 1 ? new GpuHostPool({ urls }) : new GpuHostClient({ url: urls[0]! })).segmentation;
  }

  // A node validates frame after frame: MuJoCo (the reference check) is loaded now, before the
  // first frame, and with its hot code optimised, which pays off over many runs (sim/mujoco/reference.ts).
  void import('../sim/mujoco/reference.ts').then(({ loadMujoco }) => loadMujoco({ optimise: true })).catch(() => {});
  // Likewise the worker pool: its threads start and load the stage modules now, not during the first frame.
  warmBundlePool();

  // the library is indexed once, when the pipeline is built (descriptors cached beside it)
  const library = params.library ? await (await import('../src/library/index.ts')).loadLibrary(params.library) : undefined;

  return async (frame: RgbdFrame, o: PipelineCallOptions = {}): Promise<PipelineResult | UnchangedResult> => {
    const name = runFolderName(frame);
    // A physics failure (an engine error, not a verdict) still writes the bundle, without a
    // verdict (frameToBundle reports it in `warnings`); such a scene is then never spawned
    // unless spawn_invalid says so.
    const staged = await reconstructForBundle(frame, {
      kind: 'ros',
      out: resolve(join(params.output_dir, name)),
      title: `real2sim · ${name}`,
      pipeline: {
        frameId: params.scene_frame,
        ...(library ? { library } : {}),
        // Masks from an upstream node win; otherwise the GPU host segments when one is configured.
        ...(segmentation && !frame.masks ? { segmentation } : {}),
      },
      meta: { source: 'ros', stamp: frame.stamp ?? null },
      ...(params.debug_products === false ? { debug: false } : {}),
    });
    // write_bundle: on_change asks here, before validation and the write are paid for.
    if (o.write && !o.write(staged.scene)) return { unchanged: true, scene: staged.scene };
    await o.beforeWrite?.();
    const { scene, manifest, warnings } = await staged.write();
    const report = scene.physics;
    const prep = prepareScene(scene);
    const models: SpawnModel[] = prep.objects.map((ob) => ({
      name: `real2sim_${ob.name}`,
      sdf: absoluteMeshUris(toSdfModel(ob, { modelUriStyle: 'relative' }).sdf, join(manifest.dir, 'models', ob.name)),
      pose: ob.pose,
    }));
    return {
      scene,
      bundleDir: manifest.dir,
      urdf: absoluteMeshUris(toUrdf(prep), manifest.dir),
      sdf: absoluteMeshUris(toSdfWorld(prep), manifest.dir),
      ...(report ? { physics: report } : {}),
      models,
      warnings,
      meshFiles: Object.fromEntries(prep.objects.map((ob) => [ob.source.id, join(manifest.dir, ob.visualFile)])),
    };
  };
}
