import type { Mesh } from '../model/geometry.ts';
import { timeStage, type StageResult } from '../model/report.ts';
import type { Plane } from '../model/scene.ts';
import type { ShapeBackend, ShapeView } from './backends.ts';
import type { LiftedObject } from './lift.ts';
import { geometricShapeBackend, SHAPE_OBJECT_TASK, type GeometricShapeDetails, type GeometricShapeOptions } from './shapeGeometric.ts';
import { restingSupports, settleContacts } from './stacking.ts';
import { meshVolume } from '../geometry/massProperties.ts';
import type { ShapeInput, ShapeResult } from './backends.ts';
import { inThread, type TaskRunner } from './tasks.ts';
import { Real2SimError } from '../model/errors.ts';
import type { DeocclusionBackend } from './backends.ts';
import type { ObjectCrop } from './crop.ts';

/**
 * Stage 4, shape: a closed mesh per object from a `ShapeBackend` — the `geometric` one by
 * default (symmetry + extrusion + hull + carving, see `shapeGeometric.ts`); learned backends
 * return canonical meshes that the place stage fits to the points (or hands to a pose backend).
 * With a `DeocclusionBackend`, each object's crop of the colour image (`crop.ts`) is completed
 * first and the backend generates from that image (image-to-3D models).
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
  /** Completes each object's crop (`ShapeStageInput.crops`) into the image `backend` generates from. */
  deocclusion?: DeocclusionBackend;
}

export interface ShapeStageInput {
  objects: LiftedObject[];
  view?: ShapeView;
  support?: Plane;
  /** Each object's crop of the colour image and its visible mask, by object id: de-occlusion completes it. */
  crops?: Map<number, ObjectCrop>;
}

export interface ShapedObject {
  id: number;
  mesh: Mesh;
  frame: 'world' | 'canonical';
  concave?: boolean;
  /** How the unseen part was completed (geometric backend), e.g. `revolved, extruded onto object`. */
  method?: string;
}

export function shape(options: ShapeOptions = {}) {
  const backend = options.backend ?? geometricShapeBackend(options.geometric);
  const geometricOptions = options.geometric ?? {};
  const runner = options.runner ?? inThread;
  const deocclusion = options.deocclusion;
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
      // image-to-3D backends generate from the completed (de-occluded) object image, one object at a time
      if (deocclusion) {
        for (const [k, si] of shapeInputs.entries()) {
          const obj = input.objects[k]!;
          const crop = input.crops?.get(obj.id);
          if (!crop) throw new Real2SimError('INTERNAL', `de-occlusion needs the crop of object ${obj.id} in the shape input`);
          si.image = await deocclusion.complete(crop.image, crop.mask, obj.label);
        }
      }
      // the default backend is a pure function per object: a task the runner may spread over
      // threads; a given backend (e.g. a GPU host client) is called here, one object at a time
      let results: (ShapeResult & { details?: GeometricShapeDetails })[];
      if (options.backend) {
        results = [];
        const detailed = 'generateDetailed' in backend ? (backend as ReturnType<typeof geometricShapeBackend>) : null;
        for (const si of shapeInputs) results.push(detailed ? await detailed.generateDetailed(si) : await backend.generate(si));
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
        shapes.push({ id: obj.id, mesh: res.mesh, frame: res.frame, ...(detailed ? { concave: detailed.concave, method: completionMethod(detailed) } : { method: backend.name }) });
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
