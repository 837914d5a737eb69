/**
 * Stage backends for the learned stages, over the GPU-host protocol:
 * - `remote`: the GPU host over HTTP (`GpuHostClient`);
 * - `onnx`: the same manifests and handlers in-process (`ModelRuntime`), no HTTP;
 * - `withFallback`: a remote backend that falls back to a geometric one when the host is
 *   unreachable and the input has depth, recording a warning (for the stage report).
 * All three share one conversion layer, so a model behaves the same wherever it runs.
 */
import type { CameraIntrinsics } from '../model/camera.ts';
import { Real2SimError } from '../model/errors.ts';
import type { ColorImage } from '../model/image.ts';
import type { RgbdFrame } from '../model/frame.ts';
import type { DeocclusionBackend, DepthBackend, DepthResult, LearnedBackends, PoseEstimate, PoseInput, SegmentationResult, ShapeInput, ShapeResult } from '../stages/backends.ts';
import { type GpuHostClient, isUnreachable } from './client.ts';
import { glbToMesh, meshToGlb } from './glb.ts';
import {
  fromWireDepth,
  fromWireImage,
  fromWireLabels,
  fromWirePose,
  type Task,
  type TaskRequests,
  type TaskResponses,
  toWireImage,
  toWireIntrinsics,
  toWireMask,
  toWirePlane,
  toWirePoints,
  toWirePose,
} from './protocol.ts';
import type { ModelRuntime } from './runtime.ts';

/** Runs one protocol task somewhere (over HTTP or in-process). */
export type TaskCaller = <T extends Task>(task: T, req: TaskRequests[T], stage: string) => Promise<TaskResponses[T]>;

export type { LearnedBackends };

export interface ProtocolBackendOptions {
  /** Model id per task when the host has several (default: the host's first for the task). */
  models?: Partial<Record<Task, string>>;
}

/** The five learned backends over any `TaskCaller`. */
export function protocolBackends(name: string, call: TaskCaller, opts: ProtocolBackendOptions = {}): LearnedBackends {
  const model = (t: Task) => (opts.models?.[t] !== undefined ? { model: opts.models[t] } : {});
  return {
    segmentation: {
      name,
      async segment(frame: RgbdFrame, prompts?: readonly string[]): Promise<SegmentationResult> {
        const r = await call('segment', { image: toWireImage(frame.color), ...(prompts && prompts.length > 0 ? { prompts: [...prompts] } : {}), ...model('segment') }, 'perceive');
        if (r.masks.width !== frame.color.width || r.masks.height !== frame.color.height) {
          throw new Real2SimError('REMOTE', `Segmentation model "${r.model}" returned a ${r.masks.width}×${r.masks.height} label image for a ${frame.color.width}×${frame.color.height} frame.`, {
            stage: 'perceive',
          });
        }
        const masks = fromWireLabels(r.masks, r.instances);
        const scores = new Map<number, number>();
        for (const i of r.instances) if (i.score !== undefined) scores.set(i.id, i.score);
        return { masks, scores };
      },
    },
    depth: {
      name,
      async estimate(color: ColorImage, camera?: CameraIntrinsics): Promise<DepthResult> {
        const r = await call('depth', { image: toWireImage(color), ...(camera ? { intrinsics: toWireIntrinsics(camera) } : {}), ...model('depth') }, 'perceive');
        if (r.depth.width !== color.width || r.depth.height !== color.height) {
          throw new Real2SimError('REMOTE', `Depth model "${r.model}" returned ${r.depth.width}×${r.depth.height} depth for a ${color.width}×${color.height} image.`, { stage: 'perceive' });
        }
        return { depth: fromWireDepth(r.depth), camera: camera ?? { ...r.intrinsics } };
      },
    },
    deocclusion: {
      name,
      async complete(crop: ColorImage, visibleMask: Uint8Array, prompt?: string): Promise<ColorImage> {
        if (visibleMask.length !== crop.width * crop.height) {
          throw new Real2SimError('SIZE_MISMATCH', `Visible mask holds ${visibleMask.length} values for a ${crop.width}×${crop.height} crop.`);
        }
        const r = await call(
          'deocclude',
          { image: toWireImage(crop), mask: toWireMask(visibleMask, crop.width, crop.height), ...(prompt !== undefined ? { prompt } : {}), ...model('deocclude') },
          'shape',
        );
        return fromWireImage(r.image);
      },
    },
    shape: {
      name,
      async generate(input: ShapeInput): Promise<ShapeResult> {
        if (!input.image) {
          throw new Real2SimError(
            'BAD_INPUT',
            `The ${name} shape backend generates from an object image, but object "${input.id}" has none: run a de-occlusion backend first, or use the geometric shape backend (needs depth).`,
            { object: input.id },
          );
        }
        const r = await call('shape', { image: toWireImage(input.image), label: input.label, ...model('shape') }, 'shape');
        return { mesh: await glbToMesh(r.mesh.data), frame: 'canonical' };
      },
    },
    pose: {
      name,
      async estimate(input: PoseInput): Promise<PoseEstimate[]> {
        const objects = await Promise.all(
          input.objects.map(async (o) => ({
            id: o.id,
            mesh: { format: 'glb' as const, data: await meshToGlb(o.canonical, o.id) },
            ...(o.points ? { points: toWirePoints(o.points) } : {}),
            ...(o.crop ? { crop: toWireImage(o.crop) } : {}),
          })),
        );
        const r = await call(
          'pose',
          { objects, intrinsics: toWireIntrinsics(input.camera), cameraPose: toWirePose(input.cameraPose), ...(input.support ? { support: toWirePlane(input.support) } : {}), ...model('pose') },
          'place',
        );
        const byId = new Map(r.objects.map((o) => [o.id, o]));
        return input.objects.map((o) => {
          const e = byId.get(o.id);
          if (!e) throw new Real2SimError('REMOTE', `Pose model "${r.model}" returned no pose for object "${o.id}".`, { stage: 'place', object: o.id });
          return { id: o.id, pose: fromWirePose(e.pose), scale: e.scale, ...(e.score !== undefined ? { score: e.score } : {}) };
        });
      },
    },
  };
}

/** The learned backends on a GPU host or a pool of them (anything with the client's `call`). */
export function remoteBackends(client: Pick<GpuHostClient, 'call'>, opts: ProtocolBackendOptions = {}): LearnedBackends {
  return protocolBackends('remote', (task, req, stage) => client.call(task, req, { stage }), opts);
}

/** The learned backends in this process, from the same manifests (CPU, or CUDA where present). */
export function onnxBackends(runtime: ModelRuntime, opts: ProtocolBackendOptions = {}): LearnedBackends {
  return protocolBackends('onnx', (task, req) => runtime.handle(task, req), opts);
}

// ---------------------------------------------------------------------------------------------
// Automatic fallback

export interface FallbackOptions {
  /** Geometric (or given) backends to use when the host is unreachable. */
  fallback: Partial<LearnedBackends>;
  /** Does the current input carry depth? Decides de-occlusion and segmentation fallback (default: frame.depth for segmentation, false otherwise). */
  hasDepth?: () => boolean;
  /** Called with each warning; warnings also collect in `warnings`. */
  onWarning?: (stage: string, message: string) => void;
}

export interface FallbackBackends extends LearnedBackends {
  /** Every fallback warning so far, in order, as `stage: message`. */
  readonly warnings: { stage: string; message: string }[];
}

/**
 * Wraps learned backends so that, when the host is unreachable (not on any other failure) and the
 * input has depth, the call goes to the fallback backend and a warning is recorded. Without depth,
 * or without a fallback for that stage, the original error is thrown.
 */
export function withFallback(primary: LearnedBackends, opts: FallbackOptions): FallbackBackends {
  const warnings: { stage: string; message: string }[] = [];
  const hasDepth = opts.hasDepth ?? (() => false);
  async function guarded<R>(stage: string, what: string, fb: { name: string } | undefined, depthOk: boolean, first: () => Promise<R>, second: () => Promise<R>): Promise<R> {
    try {
      return await first();
    } catch (err) {
      if (!isUnreachable(err) || !fb || !depthOk) throw err;
      const m = (err as Error).message;
      const cut = m.indexOf('): ');
      const message = `${cut > 0 ? m.slice(0, cut + 1) : m}; ${what} fell back to the "${fb.name}" backend (the input has depth).`;
      warnings.push({ stage, message });
      opts.onWarning?.(stage, message);
      return second();
    }
  }
  const f = opts.fallback;
  return {
    warnings,
    segmentation: {
      name: primary.segmentation.name,
      segment: (frame, prompts) =>
        guarded(
          'perceive',
          'segmentation',
          f.segmentation,
          !!frame.depth,
          () => primary.segmentation.segment(frame, prompts),
          () => f.segmentation!.segment(frame, prompts),
        ),
    },
    depth: {
      name: primary.depth.name,
      estimate: (color, camera) =>
        guarded(
          'perceive',
          'depth',
          f.depth,
          !!f.depth,
          () => primary.depth.estimate(color, camera),
          () => f.depth!.estimate(color, camera),
        ),
    },
    deocclusion: {
      name: primary.deocclusion.name,
      complete: (crop, mask, prompt) =>
        guarded(
          'shape',
          'de-occlusion',
          f.deocclusion,
          hasDepth(),
          () => primary.deocclusion.complete(crop, mask, prompt),
          () => f.deocclusion!.complete(crop, mask, prompt),
        ),
    },
    shape: {
      name: primary.shape.name,
      generate: (input) =>
        guarded(
          'shape',
          'shape',
          f.shape,
          !!input.points && input.points.positions.length > 0,
          () => primary.shape.generate(input),
          () => f.shape!.generate(input),
        ),
    },
    pose: {
      name: primary.pose.name,
      estimate: (input) =>
        guarded(
          'place',
          'pose',
          f.pose,
          input.objects.every((o) => !!o.points && o.points.positions.length > 0),
          () => primary.pose.estimate(input),
          () => f.pose!.estimate(input),
        ),
    },
  };
}

/** A depth backend that returns depth the input already carries (the sensor's). */
export function givenDepthBackend(frame: RgbdFrame): DepthBackend {
  return {
    name: 'given',
    estimate(color, camera) {
      if (!frame.depth) return Promise.reject(new Real2SimError('BAD_DEPTH', 'This frame carries no depth to give.'));
      return Promise.resolve({ depth: frame.depth, camera: camera ?? frame.camera });
    },
  };
}

/** De-occlusion without a model: the crop with the visible mask as alpha (what is seen is what is kept). */
export const identityDeocclusion: DeocclusionBackend = {
  name: 'identity',
  complete(crop, visibleMask) {
    const n = crop.width * crop.height;
    const out = new Uint8Array(n * 4);
    const c = crop.encoding === 'mono8' ? 1 : crop.encoding.endsWith('a8') ? 4 : 3;
    const bgr = crop.encoding.startsWith('bgr');
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 3; k++) out[i * 4 + k] = c === 1 ? crop.data[i]! : crop.data[i * c + (bgr ? 2 - k : k)]!;
      out[i * 4 + 3] = visibleMask[i] ? 255 : 0;
    }
    return Promise.resolve({ width: crop.width, height: crop.height, encoding: 'rgba8', data: out });
  },
};
