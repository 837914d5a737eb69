/**
 * The single-image path: one colour image (no depth sensor) → a metric scene, with every
 * learned stage behind a backend (remote GPU host or in-process ONNX):
 *
 *   perceive  monocular depth (+ intrinsics when none are given), segmentation
 *   ground    support plane from the estimated depth (the CPU ground stage)
 *   lift      each instance's pixels → points in the world frame (no height filter: with
 *             monocular depth the object's points are whatever the model says)
 *   shape     crop + visible mask → de-occlusion → image-to-3D mesh in the canonical frame
 *   place     the pose model: canonical → world pose and per-axis scale
 *   compose   mesh, convex collision, mass, inertia (the CPU compose stage)
 *
 * `reconstruct` in `src/pipeline.ts` takes a segmentation backend but not yet the others
 * (depth, de-occlusion, shape, pose); this composes the same stage functions until it does.
 */
import type { CameraIntrinsics } from '../model/camera.ts';
import { checkIntrinsicsMatch } from '../model/camera.ts';
import { Real2SimError } from '../model/errors.ts';
import { boundsOf, type Mesh } from '../model/geometry.ts';
import { CHANNELS, type ColorImage, type DepthImage, type LabelImage } from '../model/image.ts';
import { transformPositions, type Pose, type Vec3 } from '../model/pose.ts';
import { timeStage, type StageReport } from '../model/report.ts';
import { SCENE_VERSION, type Scene } from '../model/scene.ts';
import { compose, type ComposeOptions } from '../stages/compose.ts';
import { ground, type GroundOptions } from '../stages/ground.ts';
import type { LiftedObject } from '../stages/lift.ts';
import { organizedCloud } from '../stages/organized.ts';
import type { PlacedObject } from '../stages/place.ts';
import type { LearnedBackends } from './backends.ts';
import { defined } from '../model/options.ts';

export interface SingleImageOptions {
  /** Intrinsics when known; else the depth backend estimates them. */
  camera?: CameraIntrinsics;
  /** Open-vocabulary prompts for segmentation. */
  prompts?: string[];
  ground?: GroundOptions;
  compose?: ComposeOptions;
  /** Instances with fewer valid pixels are dropped with a warning. */
  minPixels?: number;
  /** Extra pixels around each object's box in the crop sent to de-occlusion. */
  cropMargin?: number;
  /** Collect fallback warnings from `withFallback` backends into the stage reports. */
  warnings?: { stage: string; message: string }[];
  frameId?: string;
}

export const SINGLE_IMAGE_DEFAULTS = { minPixels: 20, cropMargin: 4 } as const;

export interface SingleImageResult {
  scene: Scene;
  masks: LabelImage;
  depth: DepthImage;
  camera: CameraIntrinsics;
}

interface Crop {
  image: ColorImage;
  mask: Uint8Array;
}

function cropOf(color: ColorImage, masks: LabelImage, id: number, pixels: Uint32Array, margin: number): Crop {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -1,
    y1 = -1;
  for (const p of pixels) {
    const x = p % color.width,
      y = (p - x) / color.width;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  x0 = Math.max(0, x0 - margin);
  y0 = Math.max(0, y0 - margin);
  x1 = Math.min(color.width - 1, x1 + margin);
  y1 = Math.min(color.height - 1, y1 + margin);
  const w = x1 - x0 + 1,
    h = y1 - y0 + 1;
  const c = CHANNELS[color.encoding];
  const data = new Uint8Array(w * h * c);
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = (y + y0) * color.width + x0;
    data.set(color.data.subarray(row * c, (row + w) * c), y * w * c);
    for (let x = 0; x < w; x++) mask[y * w + x] = masks.data[row + x] === id ? 1 : 0;
  }
  return { image: { width: w, height: h, encoding: color.encoding, data }, mask };
}

/** Scales a canonical mesh per axis (it stays centred on its box: the object frame). */
function scaleMesh(m: Mesh, s: readonly [number, number, number]): Mesh {
  const p = new Float32Array(m.positions.length);
  for (let i = 0; i < p.length; i += 3) {
    p[i] = m.positions[i]! * s[0];
    p[i + 1] = m.positions[i + 1]! * s[1];
    p[i + 2] = m.positions[i + 2]! * s[2];
  }
  // a negative determinant would turn the mesh inside out; scales are checked positive upstream
  return { positions: p, indices: m.indices.slice() };
}

export async function reconstructSingleImage(color: ColorImage, backends: LearnedBackends, options: SingleImageOptions = {}): Promise<SingleImageResult> {
  const o = { ...SINGLE_IMAGE_DEFAULTS, ...defined(options) } as SingleImageOptions & typeof SINGLE_IMAGE_DEFAULTS;
  if (o.camera) checkIntrinsicsMatch(o.camera, color.width, color.height, 'colour image');
  const warnings = o.warnings ?? [];
  const seen = warnings.length;
  const reports: StageReport[] = [];

  // 1 perceive: depth first (it may estimate the intrinsics segmentation's frame needs)
  const perceived = await timeStage('perceive', `${backends.depth.name}+${backends.segmentation.name}`, async (report) => {
    const d = await backends.depth.estimate(color, o.camera);
    const camera = d.camera;
    const seg = await backends.segmentation.segment({ color, depth: d.depth, camera }, o.prompts);
    report.counts['instances'] = seg.masks.labels.size;
    report.counts['intrinsicsEstimated'] = o.camera ? 0 : 1;
    return { depth: d.depth, camera, masks: seg.masks, scores: seg.scores ?? new Map<number, number>() };
  });
  reports.push(perceived.report);
  const { depth, camera, masks, scores } = perceived.output;

  // 2 ground
  const cloud = organizedCloud(depth, camera);
  if (cloud.validCount === 0) throw new Real2SimError('BAD_DEPTH', `The depth backend "${backends.depth.name}" returned no valid depth for this image.`);
  const objectPixels = new Uint8Array(masks.data.length);
  for (let i = 0; i < objectPixels.length; i++) objectPixels[i] = masks.data[i]! > 0 ? 1 : 0;
  const g = await ground(o.ground)({ cloud, objectPixels });
  const { cameraPose, support } = g.output;

  // 3 lift
  const lifted = await timeStage('lift', 'depth', (report) => {
    const byId = new Map<number, number[]>();
    for (let i = 0; i < masks.data.length; i++) {
      const id = masks.data[i]!;
      if (id > 0 && cloud.valid[i]) (byId.get(id) ?? byId.set(id, []).get(id)!).push(i);
    }
    const out: LiftedObject[] = [];
    const rgb = color.encoding === 'rgb8' ? color.data : undefined;
    for (const [id, label] of [...masks.labels].sort((a, b) => a[0] - b[0])) {
      const pix = Uint32Array.from(byId.get(id) ?? []);
      if (pix.length < o.minPixels) {
        report.warnings.push(`instance ${id} (${label}): ${pix.length} pixels with depth, fewer than ${o.minPixels}; dropped`);
        continue;
      }
      const pos = new Float32Array(pix.length * 3);
      const colors = rgb ? new Uint8Array(pix.length * 3) : undefined;
      for (let k = 0; k < pix.length; k++) {
        pos.set(cloud.positions.subarray(pix[k]! * 3, pix[k]! * 3 + 3), k * 3);
        if (colors && rgb) colors.set(rgb.subarray(pix[k]! * 3, pix[k]! * 3 + 3), k * 3);
      }
      out.push({ id, label, pixels: pix, cloud: colors ? { positions: pos, colors } : { positions: pos }, world: transformPositions(cameraPose, pos), maskPixels: pix.length });
    }
    report.counts['objects'] = out.length;
    return out;
  });

  // 4 shape: de-occlusion then image-to-3D
  const shaped = await timeStage('shape', `${backends.deocclusion.name}+${backends.shape.name}`, async (report) => {
    const out: { obj: LiftedObject; canonical: Mesh; crop: ColorImage }[] = [];
    for (const obj of lifted.output) {
      const crop = cropOf(color, masks, obj.id, obj.pixels, o.cropMargin);
      const completed = await backends.deocclusion.complete(crop.image, crop.mask, obj.label);
      const res = await backends.shape.generate({ id: String(obj.id), label: obj.label, image: completed, points: { positions: obj.world! }, support });
      if (res.frame !== 'canonical') {
        report.warnings.push(`object ${obj.id} (${obj.label}): the ${backends.shape.name} shape backend answered a world-frame mesh; it is re-fitted by the pose model like a canonical one`);
      }
      out.push({ obj, canonical: res.mesh, crop: crop.image });
    }
    report.counts['objects'] = out.length;
    return out;
  });

  // 5 place: the pose model
  const placed = await timeStage('place', backends.pose.name, async (report) => {
    if (shaped.output.length === 0) return [] as PlacedObject[];
    const est = await backends.pose.estimate({
      objects: shaped.output.map((s) => ({ id: String(s.obj.id), canonical: s.canonical, points: { positions: s.obj.world! }, crop: s.crop })),
      camera,
      cameraPose,
      support,
    });
    const out: PlacedObject[] = [];
    for (const [k, s] of shaped.output.entries()) {
      const e = est[k]!;
      if (!e.scale.every((v) => v > 0 && Number.isFinite(v))) {
        report.warnings.push(`object ${s.obj.id} (${s.obj.label}): the pose backend gave scale ${e.scale.join(', ')}; skipped`);
        continue;
      }
      const mesh = scaleMesh(s.canonical, e.scale);
      const { min, max } = boundsOf(mesh.positions);
      const size: Vec3 = [max[0] - min[0], max[1] - min[1], max[2] - min[2]];
      const pose: Pose = e.pose;
      out.push({ id: s.obj.id, label: s.obj.label, pose, size, mesh, symmetry: 'none', concave: false, source: s.obj });
    }
    report.counts['objects'] = out.length;
    return out;
  });

  // 6 compose
  const composed = await compose(o.compose)({ objects: placed.output });
  for (const obj of composed.output.objects) {
    const s = scores.get(obj.instanceId ?? -1);
    if (s !== undefined) obj.score = s;
  }

  reports.push(lifted.report, g.report, shaped.report, placed.report, composed.report);
  for (const w of warnings.slice(seen)) {
    (reports.find((r) => r.stage === w.stage) ?? reports[0]!).warnings.push(w.message);
  }
  const scene: Scene = {
    version: SCENE_VERSION,
    frameId: o.frameId ?? 'world',
    objects: composed.output.objects,
    support,
    camera: { intrinsics: camera, pose: cameraPose },
    reports,
    meta: {
      source: 'single-image',
      backends: { depth: backends.depth.name, segmentation: backends.segmentation.name, deocclusion: backends.deocclusion.name, shape: backends.shape.name, pose: backends.pose.name },
    },
  };
  return { scene, masks, depth, camera };
}
