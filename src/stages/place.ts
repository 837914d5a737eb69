import type { Mesh } from '../model/geometry.ts';
import { boundsOf } from '../model/geometry.ts';
import { quatFromYaw, type Pose, type Vec3 } from '../model/pose.ts';
import { timeStage, type StageResult } from '../model/report.ts';
import type { Symmetry } from '../model/scene.ts';
import { convexHull2d, minAreaRect, polygonArea } from './footprint.ts';
import type { LiftedObject } from './lift.ts';
import type { ShapedObject } from './shape.ts';
import { defined } from './util.ts';

/**
 * Stage 5, place: metric size and pose per object as a gravity-aligned oriented box. Yaw
 * from the minimum-area rectangle of the footprint (the completed mesh seen from above); the
 * object frame's origin is the box centre, `size` its extents, x along the longer side.
 * Canonical meshes (learned shape backends) are scaled into the observed box, one axis at a
 * time, and then share the same path.
 */
export const PLACE = 'place';

export interface PlaceOptions {
  /** Symmetry guess: footprint fill of its rectangle above this is box-like. */
  boxFill?: number;
  /** ...a circle fills π/4 of its square; footprints within this of it, and near-square, are round. */
  roundTolerance?: number;
  /** Sides within this ratio count as equal (square / round footprints). */
  squareRatio?: number;
}

export const PLACE_DEFAULTS: Required<PlaceOptions> = { boxFill: 0.93, roundTolerance: 0.05, squareRatio: 1.08 };

export interface PlacedObject {
  id: number;
  label: string;
  /** Object frame → world. */
  pose: Pose;
  size: Vec3;
  /** Mesh in the object frame. */
  mesh: Mesh;
  symmetry: Symmetry;
  concave: boolean;
  /** Observed points (world frame) for debug products and colour. */
  source: LiftedObject;
}

export interface PlaceInput {
  objects: LiftedObject[];
  shapes: ShapedObject[];
}

export function place(options: PlaceOptions = {}) {
  const o = { ...PLACE_DEFAULTS, ...defined(options) };
  return (input: PlaceInput): Promise<StageResult<{ objects: PlacedObject[] }>> =>
    timeStage(PLACE, 'box', (report) => {
      const byId = new Map(input.objects.map((x) => [x.id, x]));
      const out: PlacedObject[] = [];
      for (const s of input.shapes) {
        const src = byId.get(s.id);
        if (!src) continue;
        let worldMesh = s.mesh;
        if (s.frame === 'canonical') {
          if (!src.world) {
            report.warnings.push(`object ${s.id}: a canonical mesh needs observed points to be placed; skipped`);
            continue;
          }
          worldMesh = fitCanonicalToBox(s.mesh, src.world);
        }
        const { pose, size, symmetry } = boxOf(worldMesh, o);
        out.push({ id: s.id, label: src.label, pose, size, mesh: toObjectFrame(worldMesh, pose), symmetry, concave: s.concave ?? false, source: src });
      }
      report.counts['objects'] = out.length;
      return { objects: out };
    });
}

/** Gravity-aligned box of a world-frame mesh: yaw from the footprint's minimum-area rectangle. */
export function boxOf(mesh: Mesh, o: Required<PlaceOptions> = PLACE_DEFAULTS): { pose: Pose; size: Vec3; symmetry: Symmetry } {
  const hull = convexHull2d(mesh.positions, 3);
  const rect = minAreaRect(hull);
  let { angle, sx, sy } = rect;
  if (sy > sx) {
    [sx, sy] = [sy, sx];
    angle += Math.PI / 2;
  }
  // yaw in (−π/2, π/2]: a box is the same turned half a turn
  while (angle > Math.PI / 2) angle -= Math.PI;
  while (angle <= -Math.PI / 2) angle += Math.PI;
  const { min, max } = boundsOf(mesh.positions);
  const fill = rect.area > 0 ? polygonArea(hull) / rect.area : 0;
  const squareish = sx <= o.squareRatio * sy;
  let symmetry: Symmetry = 'none';
  if (squareish && Math.abs(fill - Math.PI / 4) < o.roundTolerance * 2 && roundness(hull, rect.cx, rect.cy) < 0.06) symmetry = 'continuous';
  else if (fill > o.boxFill) symmetry = squareish ? 'rot4' : 'rot2';
  return {
    pose: { position: [rect.cx, rect.cy, (min[2] + max[2]) / 2], orientation: quatFromYaw(angle) },
    size: [sx, sy, max[2] - min[2]],
    symmetry,
  };
}

/** Relative spread of the footprint's radii about a centre: ~0 for a circle. */
function roundness(hull: Float64Array, cx: number, cy: number): number {
  const n = hull.length / 2;
  let s = 0, ss = 0;
  for (let k = 0; k < n; k++) {
    const r = Math.hypot(hull[k * 2]! - cx, hull[k * 2 + 1]! - cy);
    s += r;
    ss += r * r;
  }
  const m = s / n;
  return Math.sqrt(Math.max(0, ss / n - m * m)) / Math.max(1e-9, m);
}

/** World mesh → object frame: p_obj = Rᵀ(p − c), R a yaw about z. */
export function toObjectFrame(mesh: Mesh, pose: Pose): Mesh {
  const [qx, qy, qz, qw] = pose.orientation;
  void qx; void qy;
  const yaw = 2 * Math.atan2(qz, qw);
  const c = Math.cos(yaw), s = Math.sin(yaw);
  const [tx, ty, tz] = pose.position;
  const p = mesh.positions;
  const out = new Float32Array(p.length);
  for (let i = 0; i < p.length; i += 3) {
    const x = p[i]! - tx, y = p[i + 1]! - ty;
    out[i] = c * x + s * y;
    out[i + 1] = -s * x + c * y;
    out[i + 2] = p[i + 2]! - tz;
  }
  return { positions: out, indices: mesh.indices };
}

/** Scales a canonical mesh's box onto the observed points' box (per axis), in the world frame. */
function fitCanonicalToBox(canonical: Mesh, world: Float32Array): Mesh {
  const obs = boxOf({ positions: world, indices: new Uint32Array(0) });
  const { min, max } = boundsOf(canonical.positions);
  const yaw = 2 * Math.atan2(obs.pose.orientation[2], obs.pose.orientation[3]);
  const c = Math.cos(yaw), s = Math.sin(yaw);
  const k = [0, 1, 2].map((a) => (obs.size[a]! > 0 ? obs.size[a]! / Math.max(1e-9, max[a]! - min[a]!) : 1));
  const out = new Float32Array(canonical.positions.length);
  const p = canonical.positions;
  for (let i = 0; i < p.length; i += 3) {
    const x = (p[i]! - (min[0] + max[0]) / 2) * k[0]!, y = (p[i + 1]! - (min[1] + max[1]) / 2) * k[1]!, z = (p[i + 2]! - (min[2] + max[2]) / 2) * k[2]!;
    out[i] = c * x - s * y + obs.pose.position[0];
    out[i + 1] = s * x + c * y + obs.pose.position[1];
    out[i + 2] = z + obs.pose.position[2];
  }
  return { positions: out, indices: canonical.indices };
}
