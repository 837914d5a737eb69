import { boundsOf, type Mesh } from '../model/geometry.ts';
import { timeStage, type StageResult } from '../model/report.ts';
import type { Plane } from '../model/scene.ts';
import type { ShapeBackend, ShapeView } from './backends.ts';
import type { LiftedObject } from './lift.ts';
import { GEOMETRIC_SHAPE_DEFAULTS, geometricShapeBackend, SHAPE_OBJECT_TASK, type GeometricShapeDetails, type GeometricShapeOptions } from './shapeGeometric.ts';
import { convexHull2d } from './footprint.ts';
import { TRIM_TASK } from './manifold.ts';
import { separatingLine, shareBeyond } from './neighbours.ts';
import { insideHull, meshTopUnder, restingSupports, settleContacts } from './stacking.ts';
import { massProperties, meshVolume } from '../geometry/massProperties.ts';
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
      // threads; a given backend (e.g. a GPU host client) is called here, one object at a time.
      // Objects resting on another are completed after it (bottom of a stack first), with its
      // completed footprint: the frame shows them standing, so their centre of mass is over it.
      const detailed = options.backend && 'generateDetailed' in backend ? (backend as ReturnType<typeof geometricShapeBackend>) : null;
      const runSome = async (inputs: ShapeInput[]): Promise<(ShapeResult & { details?: GeometricShapeDetails })[]> => {
        if (!options.backend)
          return runner(
            SHAPE_OBJECT_TASK,
            inputs.map((si) => ({ input: si, options: geometricOptions })),
          );
        const out: (ShapeResult & { details?: GeometricShapeDetails })[] = [];
        for (const si of inputs) out.push(detailed ? await detailed.generateDetailed(si) : await backend.generate(si));
        return out;
      };
      const results: ((ShapeResult & { details?: GeometricShapeDetails }) | undefined)[] = shapeInputs.map(() => undefined);
      const indexOf = new Map(input.objects.map((obj, k) => [obj.id, k]));
      const used = [...shapeInputs];
      let pending = input.objects.map((_, k) => k);
      while (pending.length) {
        const below = (k: number) => {
          const on = supports.get(input.objects[k]!.id)?.on;
          return on === undefined ? undefined : indexOf.get(on);
        };
        let ready = pending.filter((k) => {
          const b = below(k);
          return b === undefined || results[b] !== undefined;
        });
        if (!ready.length) ready = pending; // a cycle (not expected): complete the rest unconstrained
        const inputs = ready.map((k) => {
          const b = below(k);
          const res = b === undefined ? undefined : results[b];
          if (!res || res.frame !== 'world') return shapeInputs[k]!;
          const si: ShapeInput = { ...shapeInputs[k]!, restsOnFootprint: Array.from(convexHull2d(res.mesh.positions, 3)) };
          // it rests on the completed object below, where that is (not on stray seam points of
          // it a few millimetres higher), when the two are within the settling band of each other
          const obj = input.objects[k]!;
          const s = supports.get(obj.id)!;
          const top = obj.world ? meshTopUnder(res.mesh, obj.world) : undefined;
          if (top !== undefined && top !== s.height && Math.abs(top - s.height) <= SETTLE_BAND) {
            const on = { height: top, on: s.on };
            si.restsOn = top;
            si.points = { positions: settleContacts([obj], new Map([[obj.id, on]])).get(obj.id)! };
            supports.set(obj.id, on);
            restsOn.set(obj.id, top);
          }
          return si;
        });
        const out = await runSome(inputs);
        ready.forEach((k, j) => {
          results[k] = out[j]!;
          used[k] = inputs[j]!;
        });
        pending = pending.filter((k) => results[k] === undefined);
      }
      // An object whose completed centre of mass is still past the edge of what it rests on (its
      // seen points alone reach that far): the object below is what the camera could not see
      // there, hidden under it. That object is completed again, reaching under the centre of mass.
      const reach = new Map<number, number[]>();
      input.objects.forEach((obj, k) => {
        const s = supports.get(obj.id);
        const b = s === undefined ? undefined : indexOf.get(s.on);
        const up = results[k]!,
          low = b === undefined ? undefined : results[b];
        if (!s || b === undefined || !low || up.frame !== 'world' || low.frame !== 'world' || !(meshVolume(up.mesh) > 0)) return;
        const [gx, gy] = massProperties(up.mesh, 1).centerOfMass;
        const foot = convexHull2d(low.mesh.positions, 3);
        const inset = geometricOptions.supportInset ?? GEOMETRIC_SHAPE_DEFAULTS.supportInset;
        if (insideHull(foot, gx, gy, -inset)) return;
        const r = 2 * inset;
        const pts = reach.get(b) ?? [];
        for (const [dx, dy] of [
          [-r, -r],
          [r, -r],
          [r, r],
          [-r, r],
        ] as const)
          pts.push(gx + dx, gy + dy, s.height);
        reach.set(b, pts);
      });
      if (reach.size) {
        const redo = [...reach.keys()];
        const out = await runSome(redo.map((b) => ({ ...used[b]!, mustCover: reach.get(b)! })));
        redo.forEach((b, j) => (results[b] = out[j]!));
      }
      // Neighbours side by side: each completion stays on its own side of the line between what
      // the camera saw of the two (test45: a flat box's and a tall box's mirrored backs overlapped
      // by 25 mm, which repair could only undo by pushing one of them 24 mm off its true place)
      const cut = new Set<number>();
      const seen = input.objects.map((obj) => settled.get(obj.id) ?? obj.world);
      // The cuts are decided pair by pair, in order, each on the meshes as the cuts before it
      // left them; a decided cut is run later, with the others decided meanwhile, as one batch
      // on the runner's threads. The batch runs as soon as a pair needs a mesh still waiting
      // for its cut, so every decision reads what a one-by-one run would have read.
      const waiting: { k: number; normal: [number, number, number]; offset: number }[] = [];
      const runCuts = async () => {
        if (!waiting.length) return;
        const trimmed = await runner(
          TRIM_TASK,
          waiting.map((w) => ({ mesh: results[w.k]!.mesh, normal: w.normal, offset: w.offset })),
        );
        waiting.forEach((w, j) => {
          const r = results[w.k]!,
            t = trimmed[j];
          if (t && meshVolume(t) > 0.25 * meshVolume(r.mesh)) {
            results[w.k] = { ...r, mesh: t };
            cut.add(w.k);
          }
        });
        waiting.length = 0;
      };
      for (let a = 0; a < input.objects.length; a++)
        for (let b = a + 1; b < input.objects.length; b++) {
          const fa = seen[a],
            fb = seen[b];
          if (!fa || !fb || results[a]!.frame !== 'world' || results[b]!.frame !== 'world') continue;
          const ia = input.objects[a]!.id,
            ib = input.objects[b]!.id;
          if (supports.get(ia)?.on === ib || supports.get(ib)?.on === ia) continue;
          if (waiting.some((w) => w.k === a || w.k === b)) {
            // a cut only takes away (its new vertices lie on edges of the mesh it cuts): boxes
            // apart now stay apart, and the pair needs no wait
            if (!boxesOverlap(results[a]!.mesh, results[b]!.mesh)) continue;
            await runCuts();
          }
          const ra = results[a]!,
            rb = results[b]!;
          if (!boxesOverlap(ra.mesh, rb.mesh)) continue;
          const line = separatingLine(fa, fb);
          if (!line) continue;
          // a keeps n·p ≤ c, b keeps n·p ≥ c
          for (const [k, sign] of [
            [a, -1],
            [b, 1],
          ] as const) {
            const r = results[k]!;
            if (beyond(r.mesh, line.nx * sign, line.ny * sign, line.c * sign) < NEIGHBOUR_TOLERANCE) continue;
            // never cut away more than a few stray points of what was seen of the object itself
            if (shareBeyond(seen[k]!, line, sign === -1 ? 1 : -1) > 0.03) continue;
            waiting.push({ k, normal: [line.nx * sign, line.ny * sign, 0], offset: line.c * sign });
          }
        }
      await runCuts();
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
        const method = (detailed ? completionMethod(detailed) : backend.name) + (cut.has(k) ? ', cut at a neighbour' : '');
        shapes.push({ id: obj.id, mesh: res.mesh, frame: res.frame, ...(detailed ? { concave: detailed.concave } : {}), method });
      });
      Object.assign(report.counts, { objects: shapes.length, mirrored, concave, onObject: restsOn.size, cutAtNeighbour: cut.size });
      return { shapes };
    });
}

function completionMethod(d: GeometricShapeDetails): string {
  const how = d.ball ? 'ball' : d.revolved ? 'revolved' : d.mirrors > 0 ? `mirrored ×${d.mirrors}` : 'hull';
  const base = d.ball ? '' : d.onObject ? ', extruded onto object' : ', extruded to support';
  return `${how}${base}${d.reachesUnder ? ', reaches under the object on it' : ''}${d.concave ? ', carved' : ''}`;
}

/** Band (metres) within which `settleContacts` raises an upper object's points onto its resting surface. */
const SETTLE_BAND = 0.015;

/** Completions may cross the line between two neighbours by this much (metres) before they are cut. */
const NEIGHBOUR_TOLERANCE = 0.001;

/** How far (metres) the mesh reaches below the plane {p : nx·x + ny·y = c}, i.e. max of c − n·p. */
function beyond(m: Mesh, nx: number, ny: number, c: number): number {
  let worst = -Infinity;
  for (let i = 0; i < m.positions.length; i += 3) worst = Math.max(worst, c - (nx * m.positions[i]! + ny * m.positions[i + 1]!));
  return worst;
}

function boxesOverlap(a: Mesh, b: Mesh): boolean {
  const ba = boundsOf(a.positions),
    bb = boundsOf(b.positions);
  for (let k = 0; k < 3; k++) if (ba.max[k]! < bb.min[k]! || bb.max[k]! < ba.min[k]!) return false;
  return true;
}
