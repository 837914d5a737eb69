/**
 * `real2sim reconstruct`: one frame → a simulator bundle.
 *
 * - RGB-D (`--depth`): stages 1–6 on the CPU; with `--gpu-host` segmentation runs on the GPU
 *   host, falling back to the frame's masks (or geometric segmentation) when the host is
 *   unreachable, with a warning in the perceive report.
 * - Single image (no `--depth`, `--gpu-host` required): the same pipeline with depth,
 *   segmentation, de-occlusion, shape and pose on the GPU host (`learnedPipeline`); no fallback
 *   (nothing to fall back on without depth).
 *
 * Both then run physics validation and repair (`--no-validate` skips it) and write the bundle
 * atomically with debug products and report.html, through the shared `frameToBundle` job.
 */
import { readFile } from 'node:fs/promises';
import { parseCommandArgs } from './args.ts';
import { physicsExitCode } from './verdict.ts';
import { checkOutDir } from '../export/outDir.ts';
import { Real2SimError } from '../model/errors.ts';
import { MAX_FRAME_PIXELS } from '../model/frame.ts';
import { decodeColorImage, decodeLabelPng } from '../io/image.ts';
import { EXIT } from './exitCodes.ts';
import { loadFrame } from '../io/frame.ts';
import { frameToBundle, objectTable, type BundleFrame, type FrameReconstructor } from '../app/frameToBundle.ts';
import { learnedPipeline, reconstructDetailed, withoutInstanceId, type PipelineConfig } from '../pipeline.ts';
import { loadLibrary, type Library } from '../library/index.ts';
import type { SegmentationBackend } from '../stages/backends.ts';
import { ground, type GroundOptions } from '../stages/ground.ts';
import { organizedCloud } from '../stages/organized.ts';
import { perceive } from '../stages/perceive.ts';
import { GpuHostClient } from '../gpu/client.ts';
import { remoteBackends, withFallback } from '../gpu/backends.ts';
import { BAG_USAGE } from '../recordings/bagUsage.ts';
import { GpuHostPool, splitHostList, type GpuCaller } from '../gpu/hostPool.ts';

const USAGE = `--rgb COLOR.png --depth DEPTH.png --camera CAMERA.json [--masks LABELS.png] [--depth-scale 0.001]
       [--segmentation auto|given|geometric] [--density KG_M3] [--seed N] [--no-validate] [--no-debug] [--quiet] --out DIR [--force]
       [--workspace XMIN,YMIN,ZMIN,XMAX,YMAX,ZMAX] [--roi ROI.png] [--max-object-size M] [--strict]
       [--library DIR]
       [--gpu-host URL [--gpu-token T] [--gpu-timeout-ms N]]
   or: real2sim reconstruct --rgb COLOR.png --gpu-host URL [--camera CAMERA.json] [--gpu-token T] [--gpu-timeout-ms N] … --out DIR

  --rgb            colour image (PNG or JPEG)
  --depth          16-bit depth PNG aligned to the colour image (RGB-D); without it the single-image
                   path runs on the GPU host (needs --gpu-host)
  --camera         intrinsics (JSON: fx/fy/cx/cy, CameraInfo, Open3D, BOP; or ROS calibration YAML);
                   needed with --depth; optional without (the host's depth model estimates them)
  --masks          instance label PNG (0 = background); without it objects are segmented geometrically
                   (or on the GPU host with --gpu-host; then --masks is only the fallback)
  --depth-scale    metres per depth unit (default 0.001 = millimetres; TUM 0.0002; BOP 0.1 mm = 0.0001)
  --segmentation   auto (default: given when --masks, else geometric), given, geometric
  --density        default density for labels not in the table, kg/m³ (default 600)
  --seed           RANSAC seed (default 1)
  --no-validate    skip physics validation and repair (on by default; the bundle is written as reconstructed)
  --no-debug       leave out the debug products (debug/: masks, depth, labels, clouds, views, report.html):
                   the simulator files, scene.json and physics.json only; faster in a loop
  --workspace      box where objects may be, in the support frame (z up from the table, x forward
                   from the camera's foot), metres: xmin,ymin,zmin,xmax,ymax,zmax
  --roi            region-of-interest PNG the size of the image: non-zero where objects may be
  --max-object-size  largest plausible object, metres (default 0.5); larger segments (a robot arm,
                   a bin wall, furniture) are excluded. Excluded segments are listed in the perceive
                   report of scene.json, never emitted as objects
  --library        folder of known objects' meshes (OBJ, STL, PLY, GLB, MSH; optional library.json
                   with names, densities, units, symmetry): an object that clearly matches an item
                   becomes that item's mesh at the registered pose (with its name and density);
                   the others keep their completion. Needs --depth. Writes debug/library.png
  --strict         exit 4 when the scene's confidence is low (not a tabletop, most points dropped,
                   implausible objects; reasons in scene.json 'confidence'); the bundle is still written
  --quiet          no progress display
  --out            bundle folder (replaced atomically; only a folder real2sim wrote is replaced)
  --force          replace an --out folder that is not only an earlier bundle (it is kept
                   beside the new one as <name>.replaced-<time>; nothing is deleted)

GPU host (real2sim serve, protocol v1):
  --gpu-host       e.g. http://gpu-box:8765; several (comma-separated or repeated) form a pool: each
                   request goes to the healthy host with the fewest in flight, a failed host is taken
                   out and health-checked back in, a request whose host died is retried on another. With --depth: segmentation runs there; if the host is
                   unreachable it falls back to --masks, else geometric segmentation, with a warning
                   in the report. Without --depth: depth, segmentation, de-occlusion, shape and pose
                   all run there (no fallback: there is no depth to fall back on).
  --gpu-token      the host's bearer token (default: $REAL2SIM_GPU_TOKEN)
  --gpu-timeout-ms per request attempt (default 60000)

ROS 2 recording (one bundle per selected frame):
   real2sim reconstruct ${BAG_USAGE}`;

/** Segmentation that needs no model: the frame's own masks. */
const givenSegmentation: SegmentationBackend = {
  name: 'given',
  segment(frame) {
    if (!frame.masks) return Promise.reject(new Real2SimError('BAD_INPUT', "The 'given' segmentation needs the frame's masks."));
    return Promise.resolve({ masks: frame.masks });
  },
};

/**
 * Geometric segmentation as a backend (the fallback when the host is down and no masks were
 * given): its own support-plane fit, then the geometric perceive stage. The pipeline fits the
 * plane again afterwards with the objects left out; the double fit only costs time on this path.
 */
function geometricSegmentation(groundOptions?: GroundOptions): SegmentationBackend {
  return {
    name: 'geometric',
    async segment(frame) {
      if (!frame.depth) throw new Real2SimError('BAD_DEPTH', 'Geometric segmentation needs depth.');
      const cloud = organizedCloud(frame.depth, frame.camera);
      const g = await ground(groundOptions)({ cloud });
      const p = await perceive({ backend: 'geometric' })({ frame, cloud, heightOf: g.output.heightOf });
      return { masks: p.output.masks };
    },
  };
}

/** RGB-D stages 1–6 with segmentation on the GPU host and the fallback's warnings in the stage reports. */
export function remoteSegmentationReconstructor(client: Pick<GpuHostClient, 'call'>, pipeline: Omit<PipelineConfig, 'onProgress' | 'segmentation'> = {}): FrameReconstructor {
  return async (frame, onProgress) => {
    if (!frame.depth || !frame.camera) throw new Real2SimError('BAD_INPUT', 'RGB-D reconstruction needs --depth and --camera.');
    const fallback = frame.masks ? givenSegmentation : geometricSegmentation(pipeline.ground);
    const b = withFallback(remoteBackends(client), { fallback: { segmentation: fallback } });
    const rec = await reconstructDetailed({ ...frame, camera: frame.camera }, { ...pipeline, segmentation: b.segmentation, onProgress });
    const reports = rec.scene.reports;
    for (const w of b.warnings) (reports.find((r) => r.stage === w.stage) ?? reports[0]!).warnings.push(w.message);
    if (b.warnings.length > 0) {
      rec.scene.meta = { ...rec.scene.meta, segmentation: `${fallback.name} (GPU host unreachable)` };
      // as in the pipeline's own geometric path: segments found here name no label in the input
      if (fallback.name === 'geometric') rec.scene.objects = rec.scene.objects.map(withoutInstanceId);
    }
    return rec;
  };
}

/** `--workspace xmin,ymin,zmin,xmax,ymax,zmax` → the box, min below max on every axis. */
export function parseWorkspace(text: string): [number, number, number, number, number, number] {
  const v = text.split(',').map((x) => Number(x.trim()));
  if (v.length !== 6 || !v.every(Number.isFinite) || !(v[0]! < v[3]! && v[1]! < v[4]! && v[2]! < v[5]!)) {
    throw new Real2SimError('BAD_INPUT', `--workspace must be six numbers xmin,ymin,zmin,xmax,ymax,zmax in metres (support frame), each min below its max; got '${text}'`);
  }
  return v as [number, number, number, number, number, number];
}

/** `--roi` PNG → one byte per pixel, 1 where objects may be (any non-zero sample or non-black colour). */
async function loadRoi(path: string, width: number, height: number): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Real2SimError('BAD_FILE', `Cannot read the region-of-interest image '${path}': ${code === 'ENOENT' ? 'no such file' : (e as Error).message}.`, { path, what: 'roi' }, e);
  }
  const img = decodeLabelPng(bytes, path);
  if (img.width !== width || img.height !== height) {
    throw new Real2SimError('SIZE_MISMATCH', `--roi is ${img.width}×${img.height} but the colour image is ${width}×${height}: draw the region on an image of the same size.`, {
      roi: [img.width, img.height],
      color: [width, height],
    });
  }
  return Uint8Array.from(img.data, (v) => (v ? 1 : 0));
}

async function loadColourOnly(rgb: string): Promise<BundleFrame> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(rgb));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Real2SimError('BAD_FILE', `Cannot read the colour image '${rgb}': ${code === 'ENOENT' ? 'no such file' : (e as Error).message}.`, { path: rgb, what: 'colour image' }, e);
  }
  const color = decodeColorImage(bytes, rgb);
  if (color.width * color.height > MAX_FRAME_PIXELS) {
    throw new Real2SimError('TOO_LARGE', `Image is ${color.width}×${color.height}; the limit is ${MAX_FRAME_PIXELS / 1e6} MP. Downscale it first.`, { width: color.width, height: color.height });
  }
  return { color };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'reconstruct',
    argv,
    {
      rgb: { type: 'string' },
      depth: { type: 'string' },
      camera: { type: 'string' },
      masks: { type: 'string' },
      'depth-scale': { type: 'string' },
      segmentation: { type: 'string' },
      density: { type: 'string' },
      seed: { type: 'string' },
      'no-validate': { type: 'boolean' },
      'no-debug': { type: 'boolean' },
      workspace: { type: 'string' },
      roi: { type: 'string' },
      'max-object-size': { type: 'string' },
      library: { type: 'string' },
      strict: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      out: { type: 'string', short: 'o' },
      force: { type: 'boolean' },
      'gpu-host': { type: 'string', multiple: true },
      'gpu-token': { type: 'string' },
      'gpu-timeout-ms': { type: 'string' },
      bag: { type: 'string' },
      topics: { type: 'string' },
      at: { type: 'string' },
      every: { type: 'string' },
      'sync-tolerance': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
  );
  if (values.help) {
    console.log(`usage: real2sim reconstruct ${USAGE}`);
    return 0;
  }
  if (values.bag !== undefined) {
    // the recording reader (MCAP, CDR, zstd) only when there is a recording: ~0.1 s of every other run's start
    const { reconstructBag } = await import('../recordings/reconstructBag.ts');
    const hosts = splitHostList(values['gpu-host']);
    const rest: Omit<typeof values, 'gpu-host' | 'gpu-token' | 'gpu-timeout-ms'> & Partial<Pick<typeof values, 'gpu-host' | 'gpu-token' | 'gpu-timeout-ms'>> = { ...values };
    const token = rest['gpu-token'];
    const timeout = rest['gpu-timeout-ms'];
    delete rest['gpu-host'];
    delete rest['gpu-token'];
    delete rest['gpu-timeout-ms'];
    if (hosts.length === 0)
      return reconstructBag({ ...rest, bag: values.bag, ...(token !== undefined ? { 'gpu-token': token } : {}), ...(timeout !== undefined ? { 'gpu-timeout-ms': timeout } : {}) });
    if (values.segmentation !== undefined) {
      throw new Real2SimError('BAD_INPUT', `With --gpu-host, segmentation runs on the GPU host: drop --segmentation ${values.segmentation}, or drop --gpu-host to segment on the CPU.`);
    }
    const t = timeout === undefined ? undefined : Number(timeout);
    if (t !== undefined && !(t > 0)) throw new Real2SimError('BAD_INPUT', `--gpu-timeout-ms must be a positive number, got '${timeout}'`);
    const tok = token ?? process.env['REAL2SIM_GPU_TOKEN'];
    const opts = { ...(tok ? { token: tok } : {}), ...(t !== undefined ? { timeoutMs: t } : {}) };
    // several hosts: a pool, as for one frame; the recording's frames are segmented on it in turn
    const client: GpuCaller = hosts.length > 1 ? new GpuHostPool({ urls: hosts, ...opts }) : new GpuHostClient({ url: hosts[0]!, ...opts });
    try {
      return await reconstructBag({ ...rest, bag: values.bag }, { gpu: client, reconstructor: remoteSegmentationReconstructor });
    } finally {
      client.close();
    }
  }
  const gpuHosts = splitHostList(values['gpu-host']);
  const gpuHost = gpuHosts[0];
  if (!values.depth && !gpuHost) {
    throw new Real2SimError(
      'BAD_INPUT',
      `reconstruct needs depth or a GPU host: pass --depth DEPTH.png (with --camera) for an RGB-D frame, or --gpu-host URL to reconstruct the single image with the host's models\n\nusage: real2sim reconstruct ${USAGE}`,
    );
  }
  const missing = (values.depth ? (['rgb', 'camera', 'out'] as const) : (['rgb', 'out'] as const)).filter((k) => !values[k]);
  if (missing.length) {
    throw new Real2SimError('BAD_INPUT', `reconstruct needs ${missing.map((m) => `--${m}`).join(', ')}\n\nusage: real2sim reconstruct ${USAGE}`);
  }
  const num = (name: string, v: string | undefined, positive = true): number | undefined => {
    if (v === undefined) return undefined;
    const x = v.trim() === '' ? NaN : Number(v);
    if (!Number.isFinite(x) || (positive && !(x > 0))) throw new Real2SimError('BAD_INPUT', `--${name} must be a ${positive ? 'positive ' : ''}number, got '${v}'`);
    return x;
  };
  const depthScale = num('depth-scale', values['depth-scale']);
  const density = num('density', values.density);
  const seed = num('seed', values.seed, false);
  const timeoutMs = num('gpu-timeout-ms', values['gpu-timeout-ms']);
  const maxObjectSize = num('max-object-size', values['max-object-size']);
  const workspace = values.workspace === undefined ? undefined : parseWorkspace(values.workspace);
  const seg = values.segmentation ?? 'auto';
  if (!['auto', 'given', 'geometric'].includes(seg)) throw new Real2SimError('BAD_INPUT', `--segmentation must be auto, given or geometric, got '${seg}'`);
  if (!gpuHost && (values['gpu-token'] !== undefined || timeoutMs !== undefined)) {
    throw new Real2SimError('BAD_INPUT', '--gpu-token and --gpu-timeout-ms only apply with --gpu-host URL.');
  }
  if (gpuHost && seg !== 'auto') {
    throw new Real2SimError('BAD_INPUT', `With --gpu-host, segmentation runs on the GPU host: drop --segmentation ${seg}, or drop --gpu-host to segment on the CPU.`);
  }
  if (!values.depth && values.library !== undefined) {
    throw new Real2SimError('BAD_INPUT', '--library needs --depth: matching registers the items to the measured depth.');
  }
  if (!values.depth && values.masks) {
    throw new Real2SimError('BAD_INPUT', '--masks needs --depth: the single-image path segments on the GPU host.');
  }

  // everything that can be wrong with --out is found now, not after the pipeline
  await checkOutDir(values.out!, { force: values.force === true });

  const quiet = values.quiet === true;
  const log = (s: string) => {
    if (!quiet) process.stderr.write(s);
  };
  const t0 = performance.now();
  const gpuOptions = {
    ...((values['gpu-token'] ?? process.env['REAL2SIM_GPU_TOKEN']) ? { token: values['gpu-token'] ?? process.env['REAL2SIM_GPU_TOKEN'] } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  };
  // several hosts (comma-separated or repeated --gpu-host): a pool with health checks and failover
  const client: GpuCaller | undefined =
    gpuHosts.length > 1
      ? new GpuHostPool({ urls: gpuHosts, ...gpuOptions })
      : gpuHost
        ? new GpuHostClient({
            url: gpuHost,
            ...((values['gpu-token'] ?? process.env['REAL2SIM_GPU_TOKEN']) ? { token: values['gpu-token'] ?? process.env['REAL2SIM_GPU_TOKEN'] } : {}),
            ...(timeoutMs !== undefined ? { timeoutMs } : {}),
          })
        : undefined;
  try {
    log(`loading ${values.rgb} …\n`);
    const frame: BundleFrame = values.camera
      ? await loadFrame({
          rgb: values.rgb!,
          ...(values.depth ? { depth: values.depth } : {}),
          camera: values.camera,
          ...(values.masks ? { masks: values.masks } : {}),
          ...(depthScale !== undefined ? { depthScale } : {}),
        })
      : await loadColourOnly(values.rgb!);
    const roi = values.roi ? await loadRoi(values.roi, frame.color.width, frame.color.height) : undefined;
    const scope = { ...(workspace ? { workspace } : {}), ...(roi ? { roi } : {}), ...(maxObjectSize !== undefined ? { maxObjectSize } : {}) };
    let library: Library | undefined;
    if (values.library !== undefined) {
      log(`indexing library ${values.library} …\n`);
      library = await loadLibrary(values.library);
      log(`library: ${library.items.length} items (${library.described} described now, ${library.items.length - library.described} from the cache)\n`);
      for (const w of library.warnings) log(`warning (library): ${w}\n`);
    }
    const stageOptions = {
      ...(library ? { library } : {}),
      ...(Object.keys(scope).length ? { scope } : {}),
      ...(density !== undefined ? { compose: { defaultDensity: density } } : {}),
      ...(seed !== undefined ? { ground: { seed } } : {}),
    };
    // RGB-D on a host: segmentation there, with a fallback; a single image: all five seams there
    const reconstruct: FrameReconstructor | undefined = client && values.depth ? remoteSegmentationReconstructor(client, stageOptions) : undefined;
    const learned = client && !values.depth ? learnedPipeline(remoteBackends(client)) : {};
    if (client) log(`GPU host ${client.url}: ${values.depth ? 'segmentation' : 'depth, segmentation, de-occlusion, shape, pose'}\n`);
    const { scene, manifest } = await frameToBundle(frame, {
      out: values.out!,
      title: `real2sim · ${values.rgb}`,
      validate: values['no-validate'] !== true,
      ...(values['no-debug'] ? { debug: false } : {}),
      ...(values.force ? { force: true } : {}),
      log,
      ...(reconstruct ? { reconstruct } : {}),
      pipeline: { segmentation: seg as 'auto' | 'given' | 'geometric', ...stageOptions, ...learned },
      meta: {
        rgb: values.rgb,
        ...(values.depth ? { depth: values.depth } : {}),
        ...(values.camera ? { camera: values.camera } : {}),
        ...(values.masks ? { masks: values.masks } : {}),
        ...(client ? { gpuHost: client.url } : {}),
      },
    });
    const ground = scene.reports.find((r) => r.stage === 'ground');
    console.log(
      `${scene.objects.length} object${scene.objects.length === 1 ? '' : 's'} reconstructed` +
        (ground ? `, support plane inliers ${(100 * (ground.counts['inlierRatio'] ?? 0)).toFixed(1)}%` : '') +
        `; physics: ${scene.physics?.verdict ?? 'not validated'}` +
        `; ${manifest.files.length} files written to ${manifest.dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    console.log(objectTable(scene));
    if (scene.confidence?.level === 'low') {
      console.log(`scene confidence LOW (${scene.confidence.score}): ${scene.confidence.reasons.join('; ')}`);
      if (values.strict) return EXIT.LOW_CONFIDENCE;
    }
    return physicsExitCode(scene.physics?.verdict, values['no-validate'] !== true && scene.objects.length > 0);
  } finally {
    client?.close();
  }
}
