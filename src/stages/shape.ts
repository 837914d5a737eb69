import type { Mesh } from '../model/geometry.ts';
import { timeStage, type StageResult } from '../model/report.ts';
import type { Plane } from '../model/scene.ts';
import type { DeocclusionBackend, ShapeBackend, ShapeView } from './backends.ts';
import { CHANNELS, type ColorImage, type LabelImage } from '../model/image.ts';
import type { LiftedObject } from './lift.ts';
import { geometricShapeBackend, SHAPE_OBJECT_TASK, type GeometricShapeDetails, type GeometricShapeOptions } from './shapeGeometric.ts';
import { restingSupports, settleContacts } from './stacking.ts';
import { meshVolume } from '../geometry/massProperties.ts';
import type { ShapeInput, ShapeResult } from './backends.ts';
import { inThread, type TaskRunner } from './tasks.ts';
import { Real2SimError } from '../model/errors.ts';

/**
 * Stage 4, shape: a closed mesh per object from a `ShapeBackend` — the `geometric` one by
 * default (symmetry + extrusion + hull + carving, see `shapeGeometric.ts`); learned backends
 * return canonical meshes that the place stage fits to the points (or hands to a pose backend).
 * With a `DeocclusionBackend`, each object's crop of the colour image is completed first and
 * the backend generates from that image (image-to-3D models).
 */
export const SHAPE = 'shape';

export interface ShapeOptions {
  backend?: ShapeBackend;
  /** Options of the default geometric backend. */
  geometric?: GeometricShapeOptions;
  /**
   * Runs the default geometric backend's per-object completions (default: in this thread, one
   * after the other). The app passes a worker pool; results are the same either way.
   */
  runner?: TaskRunner;
  /** Completes each object's occluded crop before `backend` generates from it (needs `color` and `masks` in the input). */
  deocclusion?: DeocclusionBackend;
  /** Extra pixels around each object's box in the crop sent to de-occlusion (default 4). */
  cropMargin?: number;
}

export interface ShapeStageInput {
  objects: LiftedObject[];
  view?: ShapeView;
  support?: Plane;
  /** The colour image and the instance masks the objects came from: de-occlusion crops them. */
  color?: ColorImage;
  masks?: LabelImage;
}

export interface ShapedObject {
  id: number;
  mesh: Mesh;
  frame: 'world' | 'canonical';
  concave?: boolean;
  /** How the unseen part was completed (geometric backend), e.g. `revolved, extruded onto object`. */
  method?: string;
  /** The object's crop of the colour image (when de-occlusion ran): a pose backend reads it. */
  crop?: ColorImage;
}

export function shape(options: ShapeOptions = {}) {
  const backend = options.backend ?? geometricShapeBackend(options.geometric);
  const geometricOptions = options.geometric ?? {};
  const runner = options.runner ?? inThread;
  const deocclusion = options.deocclusion;
  const cropMargin = options.cropMargin ?? 4;
  return (input: ShapeStageInput): Promise<StageResult<{ shapes: ShapedObject[] }>> =>
    timeStage(SHAPE, deocclusion ? `${deocclusion.name}+${backend.name}` : backend.name, async (report) => {
      const supports = restingSupports(input.objects);
      const restsOn = new Map([...supports].map(([id, r]) => [id, r.height]));
      // stacked pairs meet at one surface instead of overlapping by the depth noise at the seam
      const settled = settleContacts(input.objects, supports);
      const shapeInputs: ShapeInput[] = input.objects.map((obj) => ({
        id: String(obj.id),
        label: obj.label,
        ...(obj.world ? { points: { positions: settled.get(obj.id) ?? obj.world } } : {}),
        ...(input.support ? { support: input.support } : {}),
        ...(input.view ? { view: input.view } : {}),
        ...(restsOn.has(obj.id) ? { restsOn: restsOn.get(obj.id)! } : {}),
      }));
      // the default backend is a pure function per object: a task the runner may spread over
      // threads; a given backend (e.g. a GPU host client) is called here, one object at a time
      let results: (ShapeResult & { details?: GeometricShapeDetails })[];
      const crops: (Crop | undefined)[] = [];
      if (options.backend || deocclusion) {
        results = [];
        const detailed = 'generateDetailed' in backend ? (backend as ReturnType<typeof geometricShapeBackend>) : null;
        for (const [k, si] of shapeInputs.entries()) {
          if (deocclusion) {
            if (!input.color || !input.masks) throw new Real2SimError('INTERNAL', 'de-occlusion needs the colour image and the masks in the shape input');
            const obj = input.objects[k]!;
            const crop = cropOf(input.color, input.masks, obj.id, obj.pixels, cropMargin);
            crops[k] = crop;
            si.image = await deocclusion.complete(crop.image, crop.mask, obj.label);
          }
          results.push(detailed ? await detailed.generateDetailed(si) : await backend.generate(si));
        }
      } else {
        results = await runner(
          SHAPE_OBJECT_TASK,
          shapeInputs.map((si) => ({ input: si, options: geometricOptions })),
        );
      }
      const shapes: ShapedObject[] = [];
      let mirrored = 0,
        concave = 0;
      input.objects.forEach((obj, k) => {
        const res = results[k]!;
        const detailed = res.details;
        if (detailed) {
          if (detailed.mirrors > 0) mirrored++;
          if (detailed.concave) concave++;
        }
        const vol = meshVolume(res.mesh);
        if (!(vol > 0)) {
          report.warnings.push(`object ${obj.id} (${obj.label}): the ${backend.name} backend returned a mesh with volume ${vol}; skipped`);
          return;
        }
        const crop = crops[k];
        shapes.push({
          id: obj.id,
          mesh: res.mesh,
          frame: res.frame,
          ...(detailed ? { concave: detailed.concave, method: completionMethod(detailed) } : { method: backend.name }),
          ...(crop ? { crop: crop.image } : {}),
        });
      });
      Object.assign(report.counts, { objects: shapes.length, mirrored, concave, onObject: restsOn.size });
      return { shapes };
    });
}

function completionMethod(d: GeometricShapeDetails): string {
  const how = d.ball ? 'ball' : d.revolved ? 'revolved' : d.mirrors > 0 ? `mirrored ×${d.mirrors}` : 'hull';
  const base = d.ball ? '' : d.onObject ? ', extruded onto object' : ', extruded to support';
  return `${how}${base}${d.concave ? ', carved' : ''}`;
}

interface Crop {
  image: ColorImage;
  /** 1 where the object is visible, crop-sized. */
  mask: Uint8Array;
}

/** The box around an object's pixels (grown by `margin`, clipped to the image) and its visible mask. */
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
