import type { Mesh } from '../model/geometry.ts';
import { boundsOf } from '../model/geometry.ts';
import { invertPose, quatFromYaw, transformPositions, type Pose, type Vec3 } from '../model/pose.ts';
import { icp } from '../geometry/icp.ts';
import { massProperties } from '../geometry/massProperties.ts';
import { timeStage, type StageResult } from '../model/report.ts';
import type { Plane, SceneLibraryRef, Symmetry } from '../model/scene.ts';
import type { CameraIntrinsics } from '../model/camera.ts';
import type { ColorImage } from '../model/image.ts';
import { Real2SimError } from '../model/errors.ts';
import type { PoseBackend, PoseEstimate } from './backends.ts';
import { convexHull2d, minAreaRect, polygonArea } from './footprint.ts';
import type { LiftedObject } from './lift.ts';
import type { ShapedObject } from './shape.ts';
import { defined } from './util.ts';

/**
 * Stage 5, place: metric size and pose per object as a gravity-aligned oriented box. Yaw
 * from the minimum-area rectangle of the footprint (the completed mesh seen from above); the
 * object frame's origin is the box centre, `size` its extents, x along the longer side.
 * Canonical meshes (learned shape backends) are fitted to the observed points by scaled ICP
 * from several yaw hypotheses (`fitCanonical`), and then share the same path; with a
 * `PoseBackend` (a pose model) they take its pose and per-axis scale instead, all in one call.
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
  /** Camera and its pose (optical → world): a pose backend needs them. */
  view?: { camera: CameraIntrinsics; cameraPose: Pose };
  support?: Plane;
  /** Each object's crop of the colour image, by id (`crop.ts`): a pose backend reads it. */
  crops?: Map<number, ColorImage>;
}

export function place(options: PlaceOptions = {}, pose?: PoseBackend) {
  const o = { ...PLACE_DEFAULTS, ...defined(options) };
  return (input: PlaceInput): Promise<StageResult<{ objects: PlacedObject[] }>> =>
    timeStage(PLACE, pose ? pose.name : 'box', async (report) => {
      const byId = new Map(input.objects.map((x) => [x.id, x]));
      const out: PlacedObject[] = [];
      const estimates = pose ? await poseEstimates(pose, input, byId) : new Map<number, PoseEstimate>();
      for (const s of input.shapes) {
        const src = byId.get(s.id);
        if (!src) continue;
        let worldMesh = s.mesh;
        if (s.frame === 'canonical') {
          if (!src.world) {
            report.warnings.push(`object ${s.id}: a canonical mesh needs observed points to be placed; skipped`);
            continue;
          }
          const e = estimates.get(s.id);
          if (e) {
            if (!e.scale.every((v) => v > 0 && Number.isFinite(v))) {
              report.warnings.push(`object ${s.id} (${src.label}): the pose backend gave scale ${e.scale.join(', ')}; skipped`);
              continue;
            }
            // the pose model's frame is the object's: the scaled canonical mesh, centred on its box
            const mesh = scaleMesh(s.mesh, e.scale);
            const { min, max } = boundsOf(mesh.positions);
            const size: Vec3 = [max[0] - min[0], max[1] - min[1], max[2] - min[2]];
            out.push({ id: s.id, label: src.label, pose: e.pose, size, mesh, symmetry: 'none', concave: s.concave ?? false, source: src });
            continue;
          }
          worldMesh = fitCanonical(s.mesh, src.world).mesh;
        }
        const { pose, size, symmetry } = boxOf(worldMesh, o, src.world);
        out.push({ id: s.id, label: src.label, pose, size, mesh: toObjectFrame(worldMesh, pose), symmetry, concave: s.concave ?? false, source: src });
      }
      report.counts['objects'] = out.length;
      return { objects: out };
    });
}

/** The pose backend's answer for every canonical shape with observed points, by object id (one call). */
async function poseEstimates(pose: PoseBackend, input: PlaceInput, byId: Map<number, LiftedObject>): Promise<Map<number, PoseEstimate>> {
  const asked = input.shapes.filter((s) => s.frame === 'canonical' && byId.get(s.id)?.world);
  if (asked.length === 0) return new Map();
  if (!input.view) throw new Real2SimError('INTERNAL', 'a pose backend needs the camera and its pose in the place input');
  const est = await pose.estimate({
    objects: asked.map((s) => ({ id: String(s.id), canonical: s.mesh, points: { positions: byId.get(s.id)!.world! }, ...(input.crops?.has(s.id) ? { crop: input.crops.get(s.id)! } : {}) })),
    camera: input.view.camera,
    cameraPose: input.view.cameraPose,
    ...(input.support ? { support: input.support } : {}),
  });
  return new Map(asked.map((s, k) => [s.id, est[k]!]));
}

/** Scales a canonical mesh per axis (it stays centred on its box: the object frame). */
function scaleMesh(m: Mesh, s: readonly [number, number, number]): Mesh {
  const p = new Float32Array(m.positions.length);
  for (let i = 0; i < p.length; i += 3) {
    p[i] = m.positions[i]! * s[0];
    p[i + 1] = m.positions[i + 1]! * s[1];
    p[i + 2] = m.positions[i + 2]! * s[2];
  }
  // a negative determinant would turn the mesh inside out; scales are checked positive above
  return { positions: p, indices: m.indices.slice() };
}

/** Gravity-aligned box of a world-frame mesh: yaw from the footprint's minimum-area rectangle. */
export function boxOf(mesh: Mesh, o: Required<PlaceOptions> = PLACE_DEFAULTS, observed?: Float32Array): { pose: Pose; size: Vec3; symmetry: Symmetry } {
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
  const z = (min[2] + max[2]) / 2,
    h = max[2] - min[2];
  if (symmetry === 'none') {
    // A round body with one appendage (a mug and its handle): the footprint's smallest
    // rectangle of a disc with a short stub is a square turned ~45° from the stub, so its yaw
    // says nothing. The object's mirror axis runs through the appendage: x points at it.
    // the completion's far side may be flattened (an extrusion of what was seen); the seen
    // points alone show the front half of the disc (their hull's chord closes the rest)
    const yaw = appendageYaw(hull) ?? (observed && observed.length >= 30 ? appendageYaw(convexHull2d(observed, 3), 0.4) : null);
    if (yaw !== null) {
      const { cx, cy, sx: ax, sy: ay } = extentsAlong(hull, yaw);
      return { pose: { position: [cx, cy, z], orientation: quatFromYaw(yaw) }, size: [ax, ay, h], symmetry };
    }
  }
  if (symmetry !== 'continuous' && mesh.indices.length >= 12) {
    // A solid whose centroid is off its box centre has no half-turn symmetry, whatever its
    // footprint (a step standing on its long side has a rectangular one): nothing folds the
    // yaw, and which of the rectangle's four turns is the object's frame is a convention. Ours: the solid's centroid lies towards −x (and, second, −y) of the box
    // centre, so x points away from the mass (an L's open corner at +x+y; a step's low side at
    // +x). When the centroid is within 2.5 % of the long side of the centre the turn stays as it
    // was (a nearly symmetric solid's centroid is mostly completion noise).
    const solid = massProperties(mesh, 1);
    if (Math.abs(solid.volume) > 1e-12) {
      const g = solid.centerOfMass;
      const ox = g[0] - rect.cx,
        oy = g[1] - rect.cy;
      if (Math.hypot(ox, oy) >= 0.025 * sx) {
        let best = 0,
          bestScore = -Infinity;
        for (let k = 0; k < 4; k++) {
          const a = angle + (k * Math.PI) / 2,
            c = Math.cos(a),
            sn = Math.sin(a);
          const u = c * ox + sn * oy,
            v = -sn * ox + c * oy;
          const score = -u - 0.5 * v;
          if (score > bestScore) {
            bestScore = score;
            best = k;
          }
        }
        const yaw = angle + (best * Math.PI) / 2;
        const odd = best % 2 === 1;
        return { pose: { position: [rect.cx, rect.cy, z], orientation: quatFromYaw(yaw) }, size: odd ? [sy, sx, h] : [sx, sy, h], symmetry: 'none' };
      }
    }
  }
  return {
    pose: { position: [rect.cx, rect.cy, z], orientation: quatFromYaw(angle) },
    size: [sx, sy, h],
    symmetry,
  };
}

/**
 * Yaw of the appendage of a footprint that is a disc plus one protrusion, or null when it is
 * not one. The circle is fitted to the hull's vertices (algebraic fit, refitted on the
 * best-fitting 70 % three times, so the protrusion's vertices drop out); the footprint is a
 * disc with an appendage when vertices on the circle (within 8 % of its radius) cover at least
 * 60 % of the turn and the vertices beyond it reach more than 15 % of the radius outside. The
 * appendage's direction is the excess-weighted mean direction of the vertices outside.
 */
export function appendageYaw(hull: Float64Array, minCover = 0.6): number | null {
  const n = hull.length / 2;
  if (n < 8) return null;
  let keep = Array.from({ length: n }, (_, k) => k);
  let circle = fitCircle(hull, keep);
  for (let it = 0; it < 3 && circle; it++) {
    const c = circle;
    const res = keep.map((k) => ({ k, r: Math.abs(Math.hypot(hull[2 * k]! - c.x, hull[2 * k + 1]! - c.y) - c.r) }));
    res.sort((a, b) => a.r - b.r);
    keep = res.slice(0, Math.max(3, Math.ceil(res.length * 0.7))).map((x) => x.k);
    circle = fitCircle(hull, keep);
  }
  if (!circle || !(circle.r > 0)) return null;
  const tol = 0.08 * circle.r;
  const onCircle: number[] = [];
  let ex = 0,
    ey = 0,
    reach = 0;
  for (let k = 0; k < n; k++) {
    const dx = hull[2 * k]! - circle.x,
      dy = hull[2 * k + 1]! - circle.y;
    const d = Math.hypot(dx, dy),
      excess = d - circle.r;
    if (Math.abs(excess) <= tol) onCircle.push(Math.atan2(dy, dx));
    else if (excess > tol && d > 0) {
      ex += (excess * dx) / d;
      ey += (excess * dy) / d;
      reach = Math.max(reach, excess);
    }
  }
  // the turn the circle's vertices cover: steps of up to 60° between neighbours count (a
  // coarse completed mesh has few vertices on its hull), the tangent edges out to the
  // appendage's tip do not
  onCircle.sort((a, b) => a - b);
  let covered = 0;
  for (let k = 0; k < onCircle.length; k++) {
    const next = k + 1 < onCircle.length ? onCircle[k + 1]! : onCircle[0]! + 2 * Math.PI;
    const step = next - onCircle[k]!;
    if (step <= Math.PI / 3) covered += step;
  }
  if (covered < minCover * 2 * Math.PI || reach < 0.15 * circle.r || Math.hypot(ex, ey) < 1e-12) return null;
  return Math.atan2(ey, ex);
}

/** Algebraic (Kåsa) circle through the listed 2-D points, or null when they are degenerate. */
function fitCircle(p: Float64Array, idx: readonly number[]): { x: number; y: number; r: number } | null {
  // x² + y² + D x + E y + F = 0, least squares in (D, E, F), centred for conditioning
  let mx = 0,
    my = 0;
  for (const k of idx) {
    mx += p[2 * k]!;
    my += p[2 * k + 1]!;
  }
  mx /= idx.length;
  my /= idx.length;
  let suu = 0,
    svv = 0,
    suv = 0,
    suuu = 0,
    svvv = 0,
    suvv = 0,
    svuu = 0;
  for (const k of idx) {
    const u = p[2 * k]! - mx,
      v = p[2 * k + 1]! - my;
    suu += u * u;
    svv += v * v;
    suv += u * v;
    suuu += u * u * u;
    svvv += v * v * v;
    suvv += u * v * v;
    svuu += v * u * u;
  }
  // normal equations of the centred fit (Bullock's circle fit)
  const a = suu,
    b = suv,
    c = svv;
  const r1 = 0.5 * (suuu + suvv),
    r2 = 0.5 * (svvv + svuu);
  const det = a * c - b * b;
  if (Math.abs(det) < 1e-18) return null;
  const uc = (r1 * c - r2 * b) / det,
    vc = (a * r2 - b * r1) / det;
  const r = Math.sqrt(uc * uc + vc * vc + (suu + svv) / idx.length);
  return Number.isFinite(r) ? { x: uc + mx, y: vc + my, r } : null;
}

/** Centre and extents of a footprint polygon in the frame turned by `yaw`. */
function extentsAlong(poly: Float64Array, yaw: number): { cx: number; cy: number; sx: number; sy: number } {
  const c = Math.cos(yaw),
    s = Math.sin(yaw);
  let u0 = Infinity,
    u1 = -Infinity,
    v0 = Infinity,
    v1 = -Infinity;
  for (let k = 0; k < poly.length; k += 2) {
    const u = c * poly[k]! + s * poly[k + 1]!,
      v = -s * poly[k]! + c * poly[k + 1]!;
    u0 = Math.min(u0, u);
    u1 = Math.max(u1, u);
    v0 = Math.min(v0, v);
    v1 = Math.max(v1, v);
  }
  const um = (u0 + u1) / 2,
    vm = (v0 + v1) / 2;
  return { cx: c * um - s * vm, cy: s * um + c * vm, sx: u1 - u0, sy: v1 - v0 };
}

/** Relative spread of the footprint's radii about a centre: ~0 for a circle. */
function roundness(hull: Float64Array, cx: number, cy: number): number {
  const n = hull.length / 2;
  let s = 0,
    ss = 0;
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
  void qx;
  void qy;
  const yaw = 2 * Math.atan2(qz, qw);
  const c = Math.cos(yaw),
    s = Math.sin(yaw);
  const [tx, ty, tz] = pose.position;
  const p = mesh.positions;
  const out = new Float32Array(p.length);
  for (let i = 0; i < p.length; i += 3) {
    const x = p[i]! - tx,
      y = p[i + 1]! - ty;
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
  const starts: [number, number][] = [
    [0, 0],
    [d, 0],
    [-d, 0],
    [0, d],
    [0, -d],
  ];
  for (let h = 0; h < yawHypotheses * starts.length; h++) {
    const k = h % yawHypotheses;
    const [ox, oy] = starts[Math.floor(h / yawHypotheses)]!;
    const yaw = yaw0 + (2 * Math.PI * k) / yawHypotheses;
    const c = Math.cos(yaw),
      sn = Math.sin(yaw);
    const placed = new Float32Array(canonical.positions.length);
    const p = canonical.positions;
    for (let i = 0; i < p.length; i += 3) {
      const x = (p[i]! - cc[0]!) * s0,
        y = (p[i + 1]! - cc[1]!) * s0,
        z = (p[i + 2]! - min[2]) * s0;
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
  const p = m.positions,
    idx = m.indices;
  const areas = new Float64Array(idx.length / 3);
  let total = 0;
  for (let t = 0; t < idx.length; t += 3) {
    const a = idx[t]! * 3,
      b = idx[t + 1]! * 3,
      c = idx[t + 2]! * 3;
    const ux = p[b]! - p[a]!,
      uy = p[b + 1]! - p[a + 1]!,
      uz = p[b + 2]! - p[a + 2]!;
    const vx = p[c]! - p[a]!,
      vy = p[c + 1]! - p[a + 1]!,
      vz = p[c + 2]! - p[a + 2]!;
    areas[t / 3] = Math.hypot(uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx) / 2;
    total += areas[t / 3]!;
  }
  const out: number[] = [];
  let carry = 0;
  for (let t = 0; t < idx.length; t += 3) {
    carry += (areas[t / 3]! / (total || 1)) * n;
    const a = idx[t]! * 3,
      b = idx[t + 1]! * 3,
      c = idx[t + 2]! * 3;
    out.push(p[a]!, p[a + 1]!, p[a + 2]!);
    for (let k = 0; carry >= 1; k++, carry--) {
      // golden-ratio points folded into the triangle
      let r1 = (0.5 + k * 0.618034) % 1,
        r2 = (0.5 + k * 0.754878) % 1;
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
  const c = Math.cos(yaw),
    s = Math.sin(yaw);
  const k = [0, 1, 2].map((a) => (obs.size[a]! > 0 ? obs.size[a]! / Math.max(1e-9, max[a]! - min[a]!) : 1));
  const out = new Float32Array(canonical.positions.length);
  const p = canonical.positions;
  for (let i = 0; i < p.length; i += 3) {
    const x = (p[i]! - (min[0] + max[0]) / 2) * k[0]!,
      y = (p[i + 1]! - (min[1] + max[1]) / 2) * k[1]!,
      z = (p[i + 2]! - (min[2] + max[2]) / 2) * k[2]!;
    out[i] = c * x - s * y + obs.pose.position[0];
    out[i + 1] = s * x + c * y + obs.pose.position[1];
    out[i + 2] = z + obs.pose.position[2];
  }
  return { positions: out, indices: canonical.indices };
}
