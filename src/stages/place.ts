import type { Mesh } from '../model/geometry.ts';
import { boundsOf } from '../model/geometry.ts';
import { invertPose, quatFromYaw, transformPositions, type Pose, type Vec3 } from '../model/pose.ts';
import { icp } from '../geometry/icp.ts';
import { timeStage, type StageResult } from '../model/report.ts';
import type { SceneLibraryRef, Symmetry } from '../model/scene.ts';
import { convexHull2d, minAreaRect, polygonArea } from './footprint.ts';
import type { LiftedObject } from './lift.ts';
import type { ShapedObject } from './shape.ts';
import { defined } from './util.ts';

/**
 * Stage 5, place: metric size and pose per object as a gravity-aligned oriented box. Yaw
 * from the minimum-area rectangle of the footprint (the completed mesh seen from above); the
 * object frame's origin is the box centre, `size` its extents, x along the longer side.
 * Canonical meshes (learned shape backends) are fitted to the observed points by scaled ICP
 * from several yaw hypotheses (`fitCanonical`), and then share the same path.
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
  /** A library item (match stage): compose uses its density and carries the reference. */
  library?: SceneLibraryRef;
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
          worldMesh = fitCanonical(s.mesh, src.world).mesh;
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

/**
 * Places a canonical (unit, arbitrary-frame) mesh on the observed points: an initial guess
 * from the points' box (centre, yaw, one uniform scale), refined by scaled point-to-point ICP
 * of the observed points onto the mesh for each of `yawHypotheses` yaws (symmetric or
 * ambiguous shapes have several plausible fits); the fit with the lowest RMS error wins.
 */
export function fitCanonical(canonical: Mesh, world: Float32Array, yawHypotheses = 4): { mesh: Mesh; rmse: number } {
  const obs = boxOf({ positions: world, indices: new Uint32Array(0) });
  const { min, max } = boundsOf(canonical.positions);
  const cc = [0, 1, 2].map((a) => (min[a]! + max[a]! + 0) / 2);
  const ext = Math.max(max[0] - min[0], max[1] - min[1], max[2] - min[2]) || 1;
  const s0 = Math.max(...obs.size) / ext;
  const yaw0 = 2 * Math.atan2(obs.pose.orientation[2], obs.pose.orientation[3]);
  const source = subsamplePoints(world, 2000);
  let best: { mesh: Mesh; rmse: number } | null = null;
  // a partial view's box centre sits in front of the object's: also start half a radius away
  const d = (0.5 * Math.max(obs.size[0], obs.size[1])) / 2;
  const starts: [number, number][] = [[0, 0], [d, 0], [-d, 0], [0, d], [0, -d]];
  for (let h = 0; h < yawHypotheses * starts.length; h++) {
    const k = h % yawHypotheses;
    const [ox, oy] = starts[Math.floor(h / yawHypotheses)]!;
    const yaw = yaw0 + (2 * Math.PI * k) / yawHypotheses;
    const c = Math.cos(yaw), sn = Math.sin(yaw);
    const placed = new Float32Array(canonical.positions.length);
    const p = canonical.positions;
    for (let i = 0; i < p.length; i += 3) {
      const x = (p[i]! - cc[0]!) * s0, y = (p[i + 1]! - cc[1]!) * s0, z = (p[i + 2]! - min[2]) * s0;
      placed[i] = c * x - sn * y + obs.pose.position[0] + ox;
      placed[i + 1] = sn * x + c * y + obs.pose.position[1] + oy;
      placed[i + 2] = z + obs.pose.position[2] - obs.size[2] / 2;
    }
    // observed → model surface; the model is then moved by the inverse so the observations stay put
    const fit = icp(source, surfaceSamples({ positions: placed, indices: canonical.indices }, 4000), { iterations: 30, withScale: true, maxDistance: Math.max(0.02, ext * s0 * 0.25) });
    if (!(fit.rmse < Infinity) || !(fit.scale > 0)) continue;
    const inv = invertPose(fit.pose);
    const moved = transformPositions(inv, placed);
    // x_obs = (R_inv (y − t)) / s  ⇒ scale the model about the origin after the rigid inverse
    for (let i = 0; i < moved.length; i++) moved[i] = moved[i]! / fit.scale;
    if (!best || fit.rmse < best.rmse) best = { mesh: { positions: moved, indices: canonical.indices }, rmse: fit.rmse };
  }
  return best ?? { mesh: fitCanonicalToBox(canonical, world), rmse: Infinity };
}

/** About `n` points spread over a mesh's surface by area (deterministic: a fixed barycentric pattern). */
function surfaceSamples(m: Mesh, n: number): Float32Array {
  const p = m.positions, idx = m.indices;
  const areas = new Float64Array(idx.length / 3);
  let total = 0;
  for (let t = 0; t < idx.length; t += 3) {
    const a = idx[t]! * 3, b = idx[t + 1]! * 3, c = idx[t + 2]! * 3;
    const ux = p[b]! - p[a]!, uy = p[b + 1]! - p[a + 1]!, uz = p[b + 2]! - p[a + 2]!;
    const vx = p[c]! - p[a]!, vy = p[c + 1]! - p[a + 1]!, vz = p[c + 2]! - p[a + 2]!;
    areas[t / 3] = Math.hypot(uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx) / 2;
    total += areas[t / 3]!;
  }
  const out: number[] = [];
  let carry = 0;
  for (let t = 0; t < idx.length; t += 3) {
    carry += (areas[t / 3]! / (total || 1)) * n;
    const a = idx[t]! * 3, b = idx[t + 1]! * 3, c = idx[t + 2]! * 3;
    out.push(p[a]!, p[a + 1]!, p[a + 2]!);
    for (let k = 0; carry >= 1; k++, carry--) {
      // golden-ratio points folded into the triangle
      let r1 = (0.5 + k * 0.618034) % 1, r2 = (0.5 + k * 0.754878) % 1;
      if (r1 + r2 > 1) {
        r1 = 1 - r1;
        r2 = 1 - r2;
      }
      for (let d = 0; d < 3; d++) out.push(p[a + d]! + r1 * (p[b + d]! - p[a + d]!) + r2 * (p[c + d]! - p[a + d]!));
    }
  }
  return Float32Array.from(out);
}

function subsamplePoints(p: Float32Array, max: number): Float32Array {
  const n = p.length / 3;
  if (n <= max) return p;
  const out = new Float32Array(max * 3);
  for (let k = 0; k < max; k++) out.set(p.subarray(Math.floor((k * n) / max) * 3, Math.floor((k * n) / max) * 3 + 3), k * 3);
  return out;
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
