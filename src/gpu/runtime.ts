/**
 * The model runtime: ONNX sessions built from manifests, one queue per model, and one handler
 * per task that turns a protocol request into a protocol response (pre-process → run →
 * post-process). The HTTP server and the in-process `onnx` backends both call `handle`, so a
 * model behaves the same behind either.
 *
 * Execution provider: CUDA when the installed onnxruntime-node build bundles it, CPU otherwise
 * (reported by `health`). onnxruntime is loaded only here, never by the core.
 */
import { boundsOf } from '../model/geometry.ts';
import { Real2SimError } from '../model/errors.ts';
import { quatNormalize } from '../model/pose.ts';
import { canonicalise, classesToInstances, logitsToInstances, occupancyToMesh } from './decode.ts';
import { glbToMesh, meshToGlb } from './glb.ts';
import type { ImageInputSpec, LoadedManifest, ModelManifest, OutputMeaning } from './manifest.ts';
import { fromWireImage, type Task, type TaskRequests, type TaskResponses, toWireImage, type WireIntrinsics } from './protocol.ts';
import { ModelQueue } from './queue.ts';
import { imageToTensor, resizeBilinear, resizeNearest, tensorToRgba8, type Tensor32 } from './tensor.ts';
import { bytesOf, float32From } from './wire.ts';

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;

let ortPromise: Promise<Ort> | undefined;
async function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').catch((cause: unknown) => {
    ortPromise = undefined;
    throw new Real2SimError('UNSUPPORTED', 'onnxruntime-node is not installed: run `npm install onnxruntime-node` to serve ONNX models.', {}, cause);
  });
  return ortPromise;
}

/**
 * Execution providers the installed build can use, best first, and the one models will use.
 * onnxruntime-node lists CUDA as "not bundled": its provider libraries arrive only with a CUDA
 * install (`libonnxruntime_providers_cuda.so` beside the binding), so that file decides.
 */
export async function executionProviders(): Promise<{ use: string; available: string[] }> {
  const ort = await loadOrt();
  const list = (ort as unknown as { listSupportedBackends?: () => { name: string; bundled: boolean }[] }).listSupportedBackends?.() ?? [{ name: 'cpu', bundled: true }];
  const available = list.filter((b) => b.bundled).map((b) => b.name);
  if (list.some((b) => b.name === 'cuda') && !available.includes('cuda')) {
    try {
      const { createRequire } = await import('node:module');
      const { existsSync } = await import('node:fs');
      const path = await import('node:path');
      const pkg = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
      const lib = path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
      if (existsSync(lib)) available.unshift('cuda');
    } catch {
      // no package.json export: keep the bundled list
    }
  }
  return { use: available.includes('cuda') ? 'cuda' : 'cpu', available };
}

interface LoadedModel {
  loaded: LoadedManifest;
  session: Session;
  queue: ModelQueue;
}

export interface RuntimeOptions {
  /** Override the execution provider (e.g. force 'cpu'). */
  executionProvider?: string;
  /** Threads per session (default: onnxruntime's choice). */
  intraOpThreads?: number;
}

/** What the server needs from a runtime (ModelRuntime; benches use a stand-in with no model). */
export interface TaskRuntime {
  readonly executionProvider: string;
  readonly availableProviders: string[];
  readonly tasks: Task[];
  readonly manifests: ModelManifest[];
  handle<T extends Task>(task: T, req: TaskRequests[T]): Promise<TaskResponses[T]>;
  close(): Promise<void>;
}

export class ModelRuntime implements TaskRuntime {
  private constructor(
    private readonly models: Map<string, LoadedModel>,
    readonly executionProvider: string,
    readonly availableProviders: string[],
  ) {}

  /** Creates sessions for every manifest (fails fast on a broken model). */
  static async create(manifests: readonly LoadedManifest[], opts: RuntimeOptions = {}): Promise<ModelRuntime> {
    const ort = await loadOrt();
    const eps = await executionProviders();
    let ep = opts.executionProvider ?? eps.use;
    const models = new Map<string, LoadedModel>();
    const create = (path: string, provider: string) =>
      ort.InferenceSession.create(path, {
        executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
        ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
      });
    for (const lm of manifests) {
      let session: Session;
      try {
        try {
          session = await create(lm.modelPath, ep);
        } catch (cause) {
          // a GPU provider that cannot load (driver, libraries) must not take the host down: use the CPU
          if (ep === 'cpu' || opts.executionProvider) throw cause;
          ep = 'cpu';
          session = await create(lm.modelPath, ep);
        }
      } catch (cause) {
        throw new Real2SimError('BAD_FILE', `Cannot load model "${lm.manifest.id}" from ${lm.modelPath}: ${(cause as Error).message}`, { model: lm.manifest.id }, cause);
      }
      const m = lm.manifest;
      const missingIn = m.inputs.filter((i) => !session.inputNames.includes(i.name)).map((i) => i.name);
      const missingOut = m.outputs.filter((o) => !session.outputNames.includes(o.name)).map((o) => o.name);
      if (missingIn.length + missingOut.length > 0) {
        throw new Real2SimError(
          'BAD_FILE',
          `Model "${m.id}": the manifest names ${[...missingIn.map((n) => `input "${n}"`), ...missingOut.map((n) => `output "${n}"`)].join(', ')} that the ONNX file lacks (it has inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.join(', ')}).`,
          { model: m.id },
        );
      }
      models.set(m.id, { loaded: lm, session, queue: new ModelQueue(m.id, m.concurrency ?? 1, m.maxQueue ?? 32) });
    }
    return new ModelRuntime(models, ep, eps.available);
  }

  get manifests(): ModelManifest[] {
    return [...this.models.values()].map((m) => m.loaded.manifest);
  }

  get tasks(): Task[] {
    return [...new Set(this.manifests.map((m) => m.task))];
  }

  queueStats(): Record<string, { running: number; waiting: number }> {
    return Object.fromEntries([...this.models].map(([id, m]) => [id, m.queue.stats]));
  }

  /** The model serving `task` (the one named, or the first loaded for the task). */
  modelFor(task: Task, id?: string): LoadedModel {
    if (id !== undefined) {
      const m = this.models.get(id);
      if (!m || m.loaded.manifest.task !== task) {
        throw new Real2SimError(
          'BAD_INPUT',
          `No ${task} model "${id}" on this host; have: ${
            this.manifests
              .filter((x) => x.task === task)
              .map((x) => x.id)
              .join(', ') || 'none'
          }.`,
          { noModel: true, task },
        );
      }
      return m;
    }
    for (const m of this.models.values()) if (m.loaded.manifest.task === task) return m;
    throw new Real2SimError('UNSUPPORTED', `This host serves no ${task} model: add a manifest with "task": "${task}" to its model folder.`, { noModel: true, task });
  }

  async handle<T extends Task>(task: T, req: TaskRequests[T]): Promise<TaskResponses[T]> {
    const model = this.modelFor(task, req.model);
    return model.queue.run(() => HANDLERS[task](model, req as never));
  }

  /** Waits until every admitted request has finished, then frees the sessions. */
  async close(): Promise<void> {
    await Promise.all([...this.models.values()].map((m) => m.queue.drain()));
    for (const m of this.models.values()) await m.session.release();
    this.models.clear();
  }
}

// ---------------------------------------------------------------------------------------------

function imageInput(m: ModelManifest): ImageInputSpec {
  const spec = m.inputs.find((i): i is ImageInputSpec => i.kind === 'image');
  if (!spec) throw new Real2SimError('BAD_FILE', `Model "${m.id}" (${m.task}) needs an input of kind "image" in its manifest.`);
  return spec;
}
function outputName(m: ModelManifest, meaning: OutputMeaning): string | undefined {
  return m.outputs.find((o) => o.meaning === meaning)?.name;
}

async function run(model: LoadedModel, feeds: Record<string, Tensor32>): Promise<{ out: Record<string, Tensor32>; ms: number }> {
  const ort = await loadOrt();
  const f: Record<string, import('onnxruntime-node').Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) f[k] = new ort.Tensor('float32', t.data, t.dims);
  const t0 = performance.now();
  let res: Record<string, import('onnxruntime-node').Tensor>;
  try {
    res = await model.session.run(f);
  } catch (cause) {
    throw new Real2SimError('INTERNAL', `Model "${model.loaded.manifest.id}" failed to run: ${(cause as Error).message}`, { modelFailed: true }, cause);
  }
  const ms = performance.now() - t0;
  const out: Record<string, Tensor32> = {};
  for (const [k, t] of Object.entries(res)) {
    if (t.type !== 'float32') throw new Real2SimError('INTERNAL', `Model "${model.loaded.manifest.id}" output "${k}" is ${t.type}; outputs must be float32.`, { modelFailed: true });
    out[k] = { data: t.data as Float32Array, dims: [...t.dims] };
  }
  return { out, ms };
}

function output(model: LoadedModel, out: Record<string, Tensor32>, meaning: OutputMeaning): Tensor32 {
  const name = outputName(model.loaded.manifest, meaning);
  const t = name === undefined ? undefined : out[name];
  if (!t) throw new Real2SimError('INTERNAL', `Model "${model.loaded.manifest.id}" gave no "${meaning}" output.`, { modelFailed: true });
  return t;
}

/** Last two dims = H, W of an image-like output ([1,C,H,W], [1,H,W], [H,W]). */
function hw(t: Tensor32): [number, number] {
  const d = t.dims;
  return [d[d.length - 2]!, d[d.length - 1]!];
}

type Handler<T extends Task> = (model: LoadedModel, req: TaskRequests[T]) => Promise<TaskResponses[T]>;

const HANDLERS: { [T in Task]: Handler<T> } = {
  async segment(model, req) {
    const m = model.loaded.manifest;
    const img = fromWireImage(req.image);
    const { out, ms } = await run(model, { [imageInput(m).name]: imageToTensor(img, imageInput(m)) });
    const logits = output(model, out, 'logits');
    const C = logits.dims[1]!;
    const [h, w] = hw(logits);
    if (C !== m.labels!.length) throw new Real2SimError('INTERNAL', `Model "${m.id}" gives ${C} class channels but its manifest lists ${m.labels!.length} labels.`, { modelFailed: true });
    const { classes, prob } = logitsToInstances(logits.data, C, h, w);
    const full = resizeNearest(classes, w, h, img.width, img.height);
    const fullProb = resizeNearest(prob, w, h, img.width, img.height);
    const inst = classesToInstances(full, fullProb, img.width, img.height, m.labels!, m.minPixels ?? 1, req.prompts);
    return {
      masks: { width: img.width, height: img.height, encoding: 'mono16', data: bytesOf(inst.labels) },
      instances: inst.instances,
      model: m.id,
      timeMs: ms,
    };
  },

  async depth(model, req) {
    const m = model.loaded.manifest;
    const img = fromWireImage(req.image);
    const spec = imageInput(m);
    const { out, ms } = await run(model, { [spec.name]: imageToTensor(img, spec) });
    const d = output(model, out, 'depth');
    const [h, w] = hw(d);
    const units = m.outputs.find((o) => o.meaning === 'depth')!.units;
    const data = resizeBilinear(d.data, w, h, img.width, img.height);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      data[i] = !Number.isFinite(v) || v <= 0 ? 0 : units === 'millimetres' ? v / 1000 : units === 'inverse-metres' ? 1 / v : v;
    }
    let intrinsics: WireIntrinsics;
    let estimated = false;
    if (req.intrinsics) intrinsics = req.intrinsics;
    else {
      estimated = true;
      const focalName = outputName(m, 'focal');
      const cx = (img.width - 1) / 2,
        cy = (img.height - 1) / 2;
      const f = focalName !== undefined ? out[focalName]?.data[0] : undefined;
      if (f !== undefined && Number.isFinite(f) && f > 0) {
        intrinsics = { width: img.width, height: img.height, fx: (f * img.width) / spec.size[0], fy: (f * img.height) / spec.size[1], cx, cy };
      } else {
        const fov = ((m.defaultFovDeg ?? 60) * Math.PI) / 180;
        const fx = img.width / 2 / Math.tan(fov / 2);
        intrinsics = { width: img.width, height: img.height, fx, fy: fx, cx, cy };
      }
    }
    return { depth: { width: img.width, height: img.height, encoding: '32FC1', data: bytesOf(data) }, intrinsics, intrinsicsEstimated: estimated, model: m.id, timeMs: ms };
  },

  async deocclude(model, req) {
    const m = model.loaded.manifest;
    const spec = imageInput(m);
    if (spec.channels !== 4) throw new Real2SimError('BAD_FILE', `De-occlusion model "${m.id}" must take 4 channels (colour + visible mask).`);
    const crop = fromWireImage(req.image);
    const { out, ms } = await run(model, { [spec.name]: imageToTensor(crop, spec, req.mask.data) });
    const t = output(model, out, 'rgba');
    const layout = m.outputs.find((o) => o.meaning === 'rgba')!.layout ?? 'NCHW';
    const rgba = tensorToRgba8(t, spec, layout, crop.width, crop.height);
    return { image: toWireImage(rgba), model: m.id, timeMs: ms };
  },

  async shape(model, req) {
    const m = model.loaded.manifest;
    const spec = imageInput(m);
    const { out, ms } = await run(model, { [spec.name]: imageToTensor(fromWireImage(req.image), spec) });
    const occ = output(model, out, 'occupancy');
    const d = occ.dims;
    const [D, H, W] = [d[d.length - 3]!, d[d.length - 2]!, d[d.length - 1]!];
    const g = m.grid!;
    const mesh = canonicalise(occupancyToMesh(occ.data, D, H, W, g.min, g.max, g.threshold), g.upAxis);
    return { mesh: { format: 'glb', data: await meshToGlb(mesh, req.label ?? 'object') }, frame: 'canonical', model: m.id, timeMs: ms };
  },

  async pose(model, req) {
    const m = model.loaded.manifest;
    const pts = m.inputs.find((i) => i.kind === 'points');
    const ext = m.inputs.find((i) => i.kind === 'extent');
    let total = 0;
    const objects: TaskResponses['pose']['objects'] = [];
    for (const obj of req.objects) {
      const feeds: Record<string, Tensor32> = {};
      if (pts) {
        if (!obj.points || obj.points.count === 0) {
          throw new Real2SimError('BAD_INPUT', `Pose model "${m.id}" needs observed points for every object; object "${obj.id}" has none.`, {
            problems: [{ path: `objects.${obj.id}.points`, message: 'required by this model' }],
          });
        }
        feeds[pts.name] = { data: float32From(obj.points.positions).slice(), dims: [1, obj.points.count, 3] };
      }
      if (ext) {
        const mesh = await glbToMesh(obj.mesh.data);
        const { min, max } = boundsOf(mesh.positions);
        feeds[ext.name] = { data: Float32Array.from([max[0] - min[0], max[1] - min[1], max[2] - min[2]]), dims: [1, 3] };
      }
      const { out, ms } = await run(model, feeds);
      total += ms;
      const r = output(model, out, 'rotation').data;
      const t = output(model, out, 'translation').data;
      const s = output(model, out, 'scale').data;
      objects.push({
        id: obj.id,
        pose: { position: [t[0]!, t[1]!, t[2]!], orientation: quatNormalize([r[0]!, r[1]!, r[2]!, r[3]!]) },
        scale: [s[0]!, s[1]!, s[2]!],
      });
    }
    return { objects, model: m.id, timeMs: total };
  },
};
