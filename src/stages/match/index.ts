import type { Mesh } from '../../model/geometry.ts';
import { composePoses, invertPose, rotateVec, transformPositions, type Pose, type Vec3 } from '../../model/pose.ts';
import { timeStage, type LibraryMatch, type StageResult } from '../../model/report.ts';
import type { Plane, SceneLibraryRef, Symmetry } from '../../model/scene.ts';
import { itemMesh, type Library, type LibraryItem } from '../../library/index.ts';
import { oddAxis } from '../../library/descriptors.ts';
import type { LiftedObject } from '../lift.ts';
import type { ShapedObject } from '../shape.ts';
import { registerObject, type DepthView, type RegisterOptions } from './register.ts';

export { registerObject, REGISTER_DEFAULTS, type DepthView, type RegisterOptions, type MatchResult, type ItemFit } from './register.ts';

export const MATCH = 'match';

/**
 * Stage "match" (between shape and place, only with a library): each object's seen points are
 * registered to the library's items (`register.ts`); a clear win replaces the completed shape
 * by the item's mesh at the registered pose (world frame), so place, compose and everything
 * after them use the real geometry. Objects without a clear win keep their completion. The
 * report lists every object's best item, its score, the runner-up and its score.
 */
export interface MatchStageOptions extends RegisterOptions {
  library: Library;
}

export interface MatchStageInput {
  objects: LiftedObject[];
  shapes: ShapedObject[];
  view: DepthView;
  support?: Plane;
}

export interface MatchedItem {
  item: LibraryItem;
  /** Item frame → world. */
  pose: Pose;
  score: number;
  runnerUp?: { name: string; score: number };
}

export interface MatchStageOutput {
  shapes: ShapedObject[];
  /** Lifted object id → its match. */
  matched: Map<number, MatchedItem>;
}

export function match(options: MatchStageOptions) {
  return (input: MatchStageInput): Promise<StageResult<MatchStageOutput>> =>
    timeStage(MATCH, 'library', async (report) => {
      const matched = new Map<number, MatchedItem>();
      const rows: LibraryMatch[] = [];
      const byId = new Map(input.objects.map((o) => [o.id, o]));
      const shapes: ShapedObject[] = [];
      for (const s of input.shapes) {
        const obj = byId.get(s.id);
        if (!obj?.world) {
          shapes.push(s);
          continue;
        }
        const t0 = performance.now();
        const res = registerObject(obj.world, options.library.items, input.view, input.support, options);
        const ms = performance.now() - t0;
        rows.push({
          object: s.id,
          ...(res.best ? { best: res.best.item.name, score: round3(res.best.score), coverage: round3(res.best.coverage), seeThrough: round3(res.best.seeThrough) } : {}),
          ...(res.runnerUp ? { runnerUp: res.runnerUp.item.name, runnerUpScore: round3(res.runnerUp.score) } : {}),
          matched: res.match !== null,
          candidates: res.candidates,
          timeMs: Math.round(ms * 10) / 10,
          ...(res.reason ? { reason: res.reason } : {}),
        });
        if (!res.match) {
          shapes.push(s);
          continue;
        }
        const m = res.match;
        const mesh = await itemMesh(options.library, m.item);
        matched.set(s.id, { item: m.item, pose: m.pose, score: m.score, ...(res.runnerUp ? { runnerUp: { name: res.runnerUp.item.name, score: res.runnerUp.score } } : {}) });
        shapes.push({ id: s.id, mesh: { positions: transformPositions(m.pose, mesh.positions), indices: mesh.indices }, frame: 'world', concave: false, method: `library ${m.item.name}` });
      }
      report.matches = rows;
      report.counts['objects'] = rows.length;
      report.counts['matched'] = matched.size;
      report.counts['libraryItems'] = options.library.items.length;
      for (const w of options.library.warnings) report.warnings.push(w);
      return { shapes, matched };
    });
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * What a matched object carries: the item, its pose in the object frame (item frame → object
 * frame, so the original file can be placed), and the object's symmetry about its own z axis
 * (a can standing up is round about z; lying down it is not).
 */
export function libraryRef(m: MatchedItem, objectPose: Pose): { ref: SceneLibraryRef; symmetry: Symmetry } {
  const itemPose = composePoses(invertPose(objectPose), m.pose);
  return {
    ref: {
      name: m.item.name,
      path: m.item.path,
      score: m.score,
      symmetry: m.item.symmetry,
      itemPose,
      ...(m.item.density !== undefined ? { density: m.item.density } : {}),
      ...(m.runnerUp ? { runnerUp: m.runnerUp.name, runnerUpScore: m.runnerUp.score } : {}),
    },
    symmetry: verticalSymmetry(m.item, m.pose),
  };
}

export function worldAxis(item: LibraryItem, pose: Pose, k: number): Vec3 {
  const A = item.desc.axes;
  return rotateVec(pose.orientation, [A[k * 3]!, A[k * 3 + 1]!, A[k * 3 + 2]!]);
}

function verticalSymmetry(item: LibraryItem, pose: Pose): Symmetry {
  if (item.symmetry === 'none') return 'none';
  const vertical = (k: number) => Math.abs(worldAxis(item, pose, k)[2]) > Math.cos((5 * Math.PI) / 180);
  if (item.symmetry === 'cylinder') return vertical(oddAxis(item.desc)) ? 'continuous' : 'none';
  return [0, 1, 2].some(vertical) ? 'rot2' : 'none';
}

/** The item's mesh in the world (for callers that place it themselves). */
export async function placedItemMesh(library: Library, item: LibraryItem, pose: Pose): Promise<Mesh> {
  const mesh = await itemMesh(library, item);
  return { positions: transformPositions(pose, mesh.positions), indices: mesh.indices };
}
