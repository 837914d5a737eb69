import type { Mesh } from '../model/geometry.ts';
import { timeStage, type StageResult } from '../model/report.ts';
import type { Plane } from '../model/scene.ts';
import type { ShapeBackend, ShapeView } from './backends.ts';
import type { LiftedObject } from './lift.ts';
import { geometricShapeBackend, type GeometricShapeDetails, type GeometricShapeOptions } from './shapeGeometric.ts';
import { restingHeights } from './stacking.ts';
import { meshVolume } from '../geometry/massProperties.ts';

/**
 * Stage 4, shape: a closed mesh per object from a `ShapeBackend` — the `geometric` one by
 * default (symmetry + extrusion + hull + carving, see `shapeGeometric.ts`); learned backends
 * return canonical meshes that the place stage fits to the points.
 */
export const SHAPE = 'shape';

export interface ShapeOptions {
  backend?: ShapeBackend;
  /** Options of the default geometric backend. */
  geometric?: GeometricShapeOptions;
}

export interface ShapeStageInput {
  objects: LiftedObject[];
  view?: ShapeView;
  support?: Plane;
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
  return (input: ShapeStageInput): Promise<StageResult<{ shapes: ShapedObject[] }>> =>
    timeStage(SHAPE, backend.name, async (report) => {
      const shapes: ShapedObject[] = [];
      let mirrored = 0, concave = 0;
      const restsOn = restingHeights(input.objects);
      for (const obj of input.objects) {
        const shapeInput = {
          id: String(obj.id),
          label: obj.label,
          ...(obj.world ? { points: { positions: obj.world } } : {}),
          ...(input.support ? { support: input.support } : {}),
          ...(input.view ? { view: input.view } : {}),
          ...(restsOn.has(obj.id) ? { restsOn: restsOn.get(obj.id)! } : {}),
        };
        const detailed = 'generateDetailed' in backend ? await (backend as ReturnType<typeof geometricShapeBackend>).generateDetailed(shapeInput) : null;
        const res = detailed ?? (await backend.generate(shapeInput));
        if (detailed) {
          if (detailed.details.mirrors > 0) mirrored++;
          if (detailed.details.concave) concave++;
        }
        const vol = meshVolume(res.mesh);
        if (!(vol > 0)) {
          report.warnings.push(`object ${obj.id} (${obj.label}): the ${backend.name} backend returned a mesh with volume ${vol}; skipped`);
          continue;
        }
        shapes.push({ id: obj.id, mesh: res.mesh, frame: res.frame, ...(detailed ? { concave: detailed.details.concave, method: completionMethod(detailed.details) } : { method: backend.name }) });
      }
      Object.assign(report.counts, { objects: shapes.length, mirrored, concave, onObject: restsOn.size });
      return { shapes };
    });
}

function completionMethod(d: GeometricShapeDetails): string {
  const how = d.ball ? 'ball' : d.revolved ? 'revolved' : d.mirrors > 0 ? `mirrored ×${d.mirrors}` : 'hull';
  const base = d.ball ? '' : d.onObject ? ', extruded onto object' : ', extruded to support';
  return `${how}${base}${d.concave ? ', carved' : ''}`;
}
