/**
 * `real2sim reconstruct --bag RECORDING`: the selected frames of a ROS 2 recording, each through
 * the same frame → bundle job as a single frame, into `<out>/<recording>/frame_<stamp>/`.
 */
import { join } from 'node:path';
import { frameToBundle, type FrameReconstructor, type FrameToBundleOptions } from '../app/frameToBundle.ts';
import type { GpuCaller } from '../gpu/hostPool.ts';
import type { PipelineConfig } from '../pipeline.ts';
import { Real2SimError } from '../model/errors.ts';
import { BAG_USAGE } from './bagUsage.ts';
import { Recording } from './mcap.ts';
import { detectTopics, frameFolderName, parseTopicsFlag, recordedFrames, type FrameSelection } from './frames.ts';

export interface BagFlags {
  bag: string;
  out?: string;
  topics?: string;
  at?: string;
  every?: string;
  'depth-scale'?: string;
  'sync-tolerance'?: string;
  segmentation?: string;
  density?: string;
  seed?: string;
  'no-validate'?: boolean;
  'no-debug'?: boolean;
  quiet?: boolean;
}

/** Segmentation on a GPU host (or pool): the caller and how to build the RGB-D reconstructor on it. */
export interface BagGpu {
  gpu: GpuCaller;
  reconstructor: (client: GpuCaller, pipeline: Omit<PipelineConfig, 'onProgress' | 'segmentation'>) => FrameReconstructor;
}

function num(name: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || x < min) throw new Real2SimError('BAD_INPUT', `--${name} must be a number ≥ ${min}, got '${v}'`);
  return x;
}

/** Parses the recording flags shared by `reconstruct --bag` and `batch`. */
export function bagSelection(f: Pick<BagFlags, 'at' | 'every'>): FrameSelection {
  if (f.at !== undefined && f.every !== undefined) throw new Real2SimError('BAD_INPUT', '--at and --every exclude each other: --at picks one frame, --every a frame every S seconds.');
  const at = num('at', f.at);
  const every = num('every', f.every);
  if (every !== undefined && every <= 0) throw new Real2SimError('BAD_INPUT', `--every must be a positive number of seconds, got '${f.every}'`);
  return { ...(at !== undefined ? { at } : {}), ...(every !== undefined ? { every } : {}) };
}

export async function reconstructBag(f: BagFlags & Record<string, unknown>, remote?: BagGpu): Promise<number> {
  if (!remote && (f['gpu-token'] !== undefined || f['gpu-timeout-ms'] !== undefined)) throw new Real2SimError('BAD_INPUT', '--gpu-token and --gpu-timeout-ms only apply with --gpu-host URL.');
  const clash = ['rgb', 'depth', 'camera', 'masks'].filter((k) => f[k] !== undefined);
  if (clash.length > 0) {
    throw new Real2SimError('BAD_INPUT', `--bag reads colour, depth and intrinsics from the recording: drop ${clash.map((k) => `--${k}`).join(', ')}\n\nusage: real2sim reconstruct ${BAG_USAGE}`);
  }
  if (!f.out) throw new Real2SimError('BAD_INPUT', `reconstruct --bag needs --out DIR\n\nusage: real2sim reconstruct ${BAG_USAGE}`);
  const select = bagSelection(f);
  const depthScale = num('depth-scale', f['depth-scale']);
  const tolerance = num('sync-tolerance', f['sync-tolerance']);
  const density = num('density', f.density);
  const seed = num('seed', f.seed);
  const seg = f.segmentation ?? 'auto';
  if (!['auto', 'given', 'geometric'].includes(seg)) throw new Real2SimError('BAD_INPUT', `--segmentation must be auto, given or geometric, got '${seg}'`);
  const log = (s: string) => {
    if (!f.quiet) process.stderr.write(s);
  };
  const rec = await Recording.open(f.bag);
  try {
    const topics = await detectTopics(rec, f.topics ? parseTopicsFlag(f.topics) : {});
    log(`recording ${rec.name}: colour ${topics.image}, depth ${topics.depth ?? '(none)'}, intrinsics ${topics.cameraInfo}\n`);
    if (!topics.depth) throw new Real2SimError('BAD_INPUT', `The recording '${f.bag}' has no depth image topic; the RGB-D reconstruction needs one (name it with --topics IMAGE,DEPTH,CAMERA_INFO).`);
    const stageOptions = {
      ...(density !== undefined ? { compose: { defaultDensity: density } } : {}),
      ...(seed !== undefined ? { ground: { seed } } : {}),
    };
    const pipeline: FrameToBundleOptions['pipeline'] = { segmentation: seg as 'auto' | 'given' | 'geometric', ...stageOptions };
    const reconstruct = remote ? remote.reconstructor(remote.gpu, stageOptions) : undefined;
    if (remote) log(`GPU host ${remote.gpu.url}: segmentation\n`);
    let n = 0;
    const t0 = performance.now();
    for await (const rf of recordedFrames(rec, { topics, select, ...(depthScale !== undefined ? { depthScale } : {}), ...(tolerance !== undefined ? { tolerance } : {}) })) {
      const out = join(f.out, rec.name, frameFolderName(rf.stampNs));
      log(`frame ${rf.stamp.toFixed(3)} s → ${out}\n`);
      const { scene } = await frameToBundle(rf.assemble(), {
        out,
        title: `real2sim · ${rec.name} @ ${rf.stamp.toFixed(3)} s`,
        validate: f['no-validate'] !== true,
        ...(f['no-debug'] ? { debug: false } : {}),
        log,
        pipeline,
        ...(reconstruct ? { reconstruct } : {}),
        meta: { recording: f.bag, topics, stamp: rf.stamp, contentHash: rf.contentHash, ...(remote ? { gpuHost: remote.gpu.url } : {}) },
      });
      n++;
      console.log(`${frameFolderName(rf.stampNs)}: ${scene.objects.length} object${scene.objects.length === 1 ? '' : 's'}; physics: ${scene.physics?.verdict ?? 'not validated'}`);
    }
    if (n === 0) {
      throw new Real2SimError(
        'BAD_INPUT',
        `No frame of '${f.bag}' could be synced: no colour image on ${topics.image} has a depth image on ${topics.depth} within ${tolerance ?? 0.02} s after a CameraInfo on ${topics.cameraInfo}. Raise --sync-tolerance or check the stamps.`,
      );
    }
    console.log(`${n} frame${n === 1 ? '' : 's'} written to ${join(f.out, rec.name)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  } finally {
    await rec.close();
  }
}
