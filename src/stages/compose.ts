import { convexHull } from '../geometry/convexHull.ts';
import { columnDecomposition } from './decompose.ts';
import { isPhysicalInertia, massProperties } from '../geometry/massProperties.ts';
import type { Mesh } from '../model/geometry.ts';
import type { Vec3 } from '../model/pose.ts';
import { timeStage, type StageResult } from '../model/report.ts';
import type { SceneObject } from '../model/scene.ts';
import type { PlacedObject } from './place.ts';
import { defined } from './util.ts';
import { inThread, type TaskRef, type TaskRunner } from './tasks.ts';

/**
 * Stage 6, compose: simulator-ready objects. Collision is one convex hull when the object is
 * convex (its hull's volume is within `convexTolerance` of the mesh's), else a convex
 * decomposition (≤ 16 pieces of ≤ 64 vertices: a mug must hold a ball). Mass = volume ×
 * density (per-label table, default, overridable); inertia and centre of mass by exact
 * polyhedral integration of the closed mesh.
 */
export const COMPOSE = 'compose';

/** kg/m³ by label word. Solid-volume densities: a hollow product counts as its mesh's full volume. */
export const DENSITY_TABLE: Readonly<Record<string, number>> = {
  mug: 700,
  cup: 600,
  bowl: 700,
  can: 900,
  bottle: 500,
  box: 250,
  book: 700,
  block: 600,
  cube: 600,
  ball: 300,
  sphere: 300,
  cylinder: 600,
  cone: 600,
  fruit: 950,
  banana: 950,
  drill: 500,
};

export interface ComposeOptions {
  /** kg/m³ when no table word matches the label. */
  defaultDensity?: number;
  /** Overrides and additions to `DENSITY_TABLE`, by label word. */
  densities?: Record<string, number>;
  /** Hull volume ≤ (1 + this) × mesh volume ⇒ convex. */
  convexTolerance?: number;
  maxPieces?: number;
  maxVerticesPerPiece?: number;
  /**
   * Convex decomposition of a concave mesh. Default: vertical columns (`decompose.ts`, fast);
   * `convexDecomposition` from `src/geometry` is the general alternative (seconds per object).
   * `null` falls back to one hull with a warning.
   */
  decompose?: ((mesh: Mesh, opts: { maxPieces: number; maxVerticesPerPiece: number }) => Mesh[]) | null;
  /**
   * Runs the per-object work (mass properties, hull, decomposition) when `decompose` is the
   * default (a given function cannot cross threads); default: in this thread. Same result either way.
   */
  runner?: TaskRunner;
}

export const COMPOSE_DEFAULTS: Required<Omit<ComposeOptions, 'runner'>> = {
  defaultDensity: 600,
  densities: {},
  convexTolerance: 0.08,
  maxPieces: 16,
  maxVerticesPerPiece: 64,
  decompose: (mesh, opts) => columnDecomposition(mesh, { grid: Math.floor(Math.sqrt(opts.maxPieces)), maxVertices: opts.maxVerticesPerPiece }),
};

export function densityFor(label: string, table: Readonly<Record<string, number>>, fallback: number): number {
  const l = label.toLowerCase();
  if (table[l] !== undefined) return table[l];
  for (const word of l.split(/[^a-z0-9]+/).filter(Boolean)) if (table[word] !== undefined) return table[word];
  for (const [k, v] of Object.entries(table)) if (l.includes(k)) return v;
  return fallback;
}

/** One object's physical model: mass properties, and collision pieces when its mesh is physical. */
export interface ComposeObjectTaskInput {
  mesh: Mesh;
  density: number;
  convexTolerance: number;
  maxPieces: number;
  maxVerticesPerPiece: number;
  /** Decompose concave objects with the default column decomposition (else: one hull, flagged). */
  decompose: boolean;
}
export interface ComposeObjectTaskOutput {
  mp: ReturnType<typeof massProperties>;
  physical: boolean;
  collision: Mesh[];
  /** Hull volume / mesh volume when the object is concave, else null. */
  concaveRatio: number | null;
}

export function composeObjectTask(t: ComposeObjectTaskInput): ComposeObjectTaskOutput {
  const mp = massProperties(t.mesh, t.density);
  if (!(mp.volume > 0) || !isPhysicalInertia(mp.inertia)) return { mp, physical: false, collision: [], concaveRatio: null };
  const hull = convexHull(t.mesh.positions);
  const hullVol = massProperties(hull, 1).volume;
  if (!(hullVol > (1 + t.convexTolerance) * mp.volume)) return { mp, physical: true, collision: [hull], concaveRatio: null };
  const collision = t.decompose ? COMPOSE_DEFAULTS.decompose!(t.mesh, { maxPieces: t.maxPieces, maxVerticesPerPiece: t.maxVerticesPerPiece }) : [hull];
  return { mp, physical: true, collision, concaveRatio: hullVol / mp.volume };
}

export const COMPOSE_OBJECT_TASK: TaskRef<ComposeObjectTaskInput, ComposeObjectTaskOutput> = { module: import.meta.url, name: 'composeObjectTask', fn: composeObjectTask };

export function compose(options: ComposeOptions = {}) {
  const o = { ...COMPOSE_DEFAULTS, ...defined(options) };
  const table = { ...DENSITY_TABLE, ...o.densities };
  const custom = o.decompose !== null && o.decompose !== COMPOSE_DEFAULTS.decompose ? o.decompose : null;
  return (input: { objects: PlacedObject[] }): Promise<StageResult<{ objects: SceneObject[] }>> =>
    timeStage(COMPOSE, 'mesh', async (report) => {
      const tasks = input.objects.map((p) => ({
        mesh: p.mesh,
        density: p.library?.density ?? densityFor(p.label, table, o.defaultDensity),
        convexTolerance: o.convexTolerance,
        maxPieces: o.maxPieces,
        maxVerticesPerPiece: o.maxVerticesPerPiece,
        decompose: o.decompose !== null && custom === null,
      }));
      // a caller's own decomposition function cannot cross threads: then everything runs here
      const results = await (custom ? inThread : (options.runner ?? inThread))(COMPOSE_OBJECT_TASK, tasks);
      const out: SceneObject[] = [];
      let pieces = 0,
        concave = 0;
      input.objects.forEach((p, k) => {
        const { mp, physical, concaveRatio } = results[k]!;
        let collision = results[k]!.collision;
        if (!physical) {
          report.warnings.push(`object ${p.id} (${p.label}): mesh volume ${mp.volume.toExponential(2)} m³ or its inertia is not physical; skipped`);
          return;
        }
        if (concaveRatio !== null) {
          concave++;
          if (custom) collision = custom(p.mesh, { maxPieces: o.maxPieces, maxVerticesPerPiece: o.maxVerticesPerPiece });
          else if (o.decompose === null)
            report.warnings.push(`object ${p.id} (${p.label}) is concave (hull ${concaveRatio.toFixed(2)}× its volume) but no convex decomposition is configured: one hull used`);
        }
        pieces += collision.length;
        out.push({
          id: objectId(p.label, p.id),
          label: p.label,
          mesh: p.mesh,
          pose: p.pose,
          size: p.size,
          mass: mp.mass,
          centerOfMass: mp.centerOfMass,
          inertia: mp.inertia,
          collision,
          symmetry: p.symmetry,
          color: meanColor(p.source.cloud.colors),
          instanceId: p.id,
          ...(p.library ? { library: p.library } : {}),
        });
      });
      Object.assign(report.counts, { objects: out.length, concave, collisionPieces: pieces });
      return { objects: out };
    });
}

/** A stable, file-name-safe id from a label and an instance id. */
export function objectId(label: string, instance: number): string {
  const base =
    label
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 40) || 'object';
  return `${base}_${instance}`;
}

/** Mean colour of sRGB bytes, as linear 0..1 rgb. */
/** sRGB byte → linear, per byte value (the same expression once per value, not a power per channel of every point). */
const SRGB_TO_LINEAR = Float64Array.from({ length: 256 }, (_, c) => {
  const s = c / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
});

function meanColor(colors?: Uint8Array): Vec3 {
  if (!colors || colors.length < 3) return [0.6, 0.6, 0.6];
  const acc = [0, 0, 0];
  for (let i = 0; i < colors.length; i += 3) for (let k = 0; k < 3; k++) acc[k]! += SRGB_TO_LINEAR[colors[i + k]!]!;
  const n = colors.length / 3;
  return [acc[0]! / n, acc[1]! / n, acc[2]! / n];
}
