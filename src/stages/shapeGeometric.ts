import { convexHull } from '../geometry/convexHull.ts';
import { meshVolume } from '../geometry/massProperties.ts';
import { boxMesh, translateMesh } from '../geometry/primitives.ts';
import type { Mesh } from '../model/geometry.ts';
import { boundsOf } from '../model/geometry.ts';
import type { ShapeBackend, ShapeInput, ShapeResult, ShapeView } from './backends.ts';
import { convexHull2d } from './footprint.ts';
import { levelSetMesh, manifoldModule, trimMesh } from './manifold.ts';
import type { TaskRef } from './tasks.ts';
import { defined, kthSmallest } from './util.ts';
import { insideHull } from './stacking.ts';
import { Seen, ViewCheck } from './visibility.ts';

/**
 * The `geometric` shape backend: completes an object from its visible points with no learned
 * model, in the world frame (z up, support plane z = 0).
 *
 * 1. Mirror about the best vertical symmetry plane when the depth view supports it (Thrun &
 *    Wegbreit's idea): a candidate plane is scored by projecting the mirrored points into the
 *    camera — landing on the observed surface is agreement, landing where the camera saw
 *    through to something farther is a contradiction. Planes facing the camera are tried
 *    (the ones that complete the hidden back), then a second one at right angles (boxes).
 * 2. Extrude down to the support surface (the bottom is never visible from above).
 * 3. Convex hull of the result.
 * 4. Carve: voxels of the hull that the camera saw through are removed; when that takes away a
 *    real share of the volume the object is concave (a mug, a bowl) and its surface is the
 *    carved occupancy's closed level set (manifold-3d), else the hull stands.
 * Whatever happens the mesh is closed, outward and has volume (a minimum-thickness box at worst).
 */
export interface GeometricShapeOptions {
  /** Points kept for completion (an even subsample). */
  maxPoints?: number;
  mirror?: boolean;
  /** Plane normals tried over the half-circle. */
  mirrorAngles?: number;
  /** Offsets tried per normal. */
  mirrorOffsets?: number;
  /** A plane is accepted when at most this share of the mirrored points contradicts the view... */
  mirrorMaxFree?: number;
  /** ...and at least this share lands on the observed surface. */
  mirrorMinMatch?: number;
  /** Complete objects with a round footprint as solids of revolution about their vertical axis. */
  revolve?: boolean;
  /** Footprint arc counts as round within this fraction of the radius. */
  roundTolerance?: number;
  revolveSegments?: number;
  /** Height bins of the revolved profile, metres. */
  revolveBin?: number;
  /** A mirror image is used only when at least this share of it lands where the camera could not see. */
  mirrorMinHidden?: number;
  /** Extrude down to the support when the lowest point is within this height of it (metres). */
  maxBaseGap?: number;
  carve?: boolean;
  /** Voxels along the object's longest side when carving. */
  carveCells?: number;
  /** Carved share of the hull above which the object counts as concave. */
  concaveFraction?: number;
  /** Footprint cell for the extrusion, metres. */
  extrudeCell?: number;
  /** Thinnest object produced, metres. */
  minThickness?: number;
  /** An object resting on another keeps its centroid at least this far inside that object's footprint (metres). */
  supportInset?: number;
  /** View tolerance: abs + rel·depth metres (sensor noise). */
  tolAbs?: number;
  tolRel?: number;
}

export const GEOMETRIC_SHAPE_DEFAULTS: Required<GeometricShapeOptions> = {
  maxPoints: 4000,
  mirror: true,
  mirrorAngles: 36,
  mirrorOffsets: 30,
  mirrorMaxFree: 0.04,
  mirrorMinMatch: 0.1,
  mirrorMinHidden: 0.1,
  revolve: true,
  roundTolerance: 0.03,
  revolveSegments: 48,
  revolveBin: 0.003,
  maxBaseGap: Infinity,
  carve: true,
  carveCells: 30,
  concaveFraction: 0.06,
  extrudeCell: 0.004,
  minThickness: 0.004,
  supportInset: 0.005,
  tolAbs: 0.003,
  tolRel: 0.005,
};

export interface GeometricShapeDetails {
  mirrors: number;
  /** Completed as a solid of revolution about a vertical axis (round footprint). */
  revolved?: boolean;
  /** Completed as a ball (the points fit a sphere). */
  ball?: boolean;
  carvedFraction: number;
  concave: boolean;
  /** Extruded down to the object under it (`restsOn`), not to the support. */
  onObject?: boolean;
  /** Grown to reach under the centre of mass of an object resting on it (`mustCover`). */
  reachesUnder?: boolean;
}

export function geometricShapeBackend(options: GeometricShapeOptions = {}): ShapeBackend & {
  generateDetailed(input: ShapeInput): Promise<ShapeResult & { details: GeometricShapeDetails }>;
} {
  const o = { ...GEOMETRIC_SHAPE_DEFAULTS, ...defined(options) };
  const generateDetailed = async (input: ShapeInput) => {
    const details: GeometricShapeDetails = { mirrors: 0, carvedFraction: 0, concave: false };
    const src = input.points?.positions;
    if (!src || src.length < 3) return { mesh: boxMesh(o.minThickness, o.minThickness, o.minThickness), frame: 'world' as const, details };
    let pts = subsample(src, o.maxPoints);
    const check = input.view ? new ViewCheck(input.view, o.tolAbs, o.tolRel) : null;
    const ball = o.revolve ? fitSphere(pts, o.roundTolerance / 2) : null;
    let revolved = false;
    if (ball) {
      // a ball: its whole surface, less what the camera saw through
      const surf = spherePoints(ball, 24, 12);
      const kept = check ? dropFree(surf, check) : surf;
      if (kept.length >= 0.9 * surf.length) {
        pts = concat(pts, kept);
        revolved = true;
        details.ball = true;
      }
    }
    const round = o.revolve && !revolved ? roundAxis(pts, o.roundTolerance) : null;
    if (round) {
      const ring = revolvePoints(pts, round, o.revolveSegments, o.revolveBin);
      const kept = check ? dropFree(ring, check) : ring;
      if (kept.length >= 0.9 * ring.length) {
        pts = concat(pts, kept);
        revolved = true;
        details.revolved = true;
      }
    }
    if (o.mirror && check && !revolved) {
      // resting on an object: the frame shows it standing there, so its centre of mass is over
      // what it rests on; a mirror plane that would put it past that footprint's edge completes
      // the unseen back too deep (test16's tea box, mirrored to 17 cm behind an 8 cm view where
      // the depth beyond it was cropped and gave no free space to stop it)
      const over = input.restsOnFootprint && input.restsOnFootprint.length >= 6 ? Float64Array.from(input.restsOnFootprint) : null;
      const keep = over ? (x: number, y: number) => insideHull(over, x, y, -o.supportInset) : null;
      const first = bestMirror(pts, check, o, input.view!, null, keep);
      const m1 = first ? keepConsistent(mirrorPoints(pts, first.theta, first.c), check, o) : null;
      if (first && m1) {
        pts = concat(pts, m1);
        details.mirrors++;
        const second = bestMirror(pts, check, o, input.view!, first.theta + Math.PI / 2, keep);
        const m2 = second ? keepConsistent(mirrorPoints(pts, second.theta, second.c), check, o) : null;
        if (m2) {
          pts = concat(pts, m2);
          details.mirrors++;
        }
      }
    }
    // where an object resting on this one needs it to reach (its top, hidden under that object),
    // unless the camera saw through there
    if (input.mustCover && input.mustCover.length >= 3) {
      const extra = Float32Array.from(input.mustCover);
      const kept = check ? dropFree(extra, check) : extra;
      if (kept.length) {
        pts = concat(pts, kept);
        details.reachesUnder = true;
      }
    }
    // extrude to the support (z = 0 in the world frame) unless the object hangs far above it;
    // with a view, each footprint cell goes down only until the camera saw empty space below
    // it (a sphere's underside is not a column), else all the way
    let minZ = Infinity;
    for (let i = 2; i < pts.length; i += 3) minZ = Math.min(minZ, pts[i]!);
    let base = minZ <= o.maxBaseGap ? 0 : minZ;
    // standing on another object: down to its top, never through it
    if (input.restsOn !== undefined && input.restsOn > base) {
      base = Math.min(input.restsOn, minZ);
      details.onObject = true;
    }
    // a ball touches its support at one point: nothing to extrude
    const withBase = details.ball ? pts : concat(pts, extrudeDown(pts, base, check, o.extrudeCell));
    let hull: Mesh;
    try {
      hull = convexHull(withBase);
      if (!(meshVolume(hull) > o.minThickness ** 3)) throw new Error('flat');
    } catch {
      return { mesh: fallbackBox(withBase, o.minThickness), frame: 'world' as const, details };
    }
    if (o.carve && check) {
      const carved = await carveHull(hull, check, o);
      if (carved) {
        details.carvedFraction = carved.fraction;
        if (carved.fraction > o.concaveFraction && carved.mesh) {
          details.concave = true;
          return { mesh: carved.mesh, frame: 'world' as const, details };
        }
      }
    }
    return { mesh: hull, frame: 'world' as const, details };
  };
  return {
    name: 'geometric',
    generate: async (input) => {
      const { mesh, frame } = await generateDetailed(input);
      return { mesh, frame };
    },
    generateDetailed,
  };
}

/** One object's geometric completion as a task: a pure function of its input, so it may run on any thread. */
export interface ShapeObjectTaskInput {
  input: ShapeInput;
  options: GeometricShapeOptions;
}
export type ShapeObjectTaskOutput = ShapeResult & { details: GeometricShapeDetails };

export function shapeObjectTask(task: ShapeObjectTaskInput): Promise<ShapeObjectTaskOutput> {
  return geometricShapeBackend(task.options).generateDetailed(task.input);
}

export const SHAPE_OBJECT_TASK: TaskRef<ShapeObjectTaskInput, ShapeObjectTaskOutput> = { module: import.meta.url, name: 'shapeObjectTask', fn: shapeObjectTask };

let warmed: Promise<void> | null = null;

/**
 * Loads what the first task would otherwise load on its clock (the manifold WASM module) and runs
 * a concave object's WebAssembly work once; worker pools call it at start, while the main thread
 * perceives. V8 first runs WebAssembly as baseline code and optimises a function only once it has
 * run hot; the optimised code serves every thread of the process. Without this the first frame's
 * first concave objects pay for it (uoc_demo/000003: its first two level sets took 270 and 150 ms
 * instead of 20–30). A cup (hollow cylinder): its level set, simplified, then trimmed by a plane.
 */
export function warmUp(): Promise<void> {
  warmed ??= (async () => {
    await manifoldModule();
    const cup = (x: number, y: number, z: number) => {
      const r = Math.hypot(x, y);
      return Math.min(0.04 - r, z, 0.1 - z, Math.max(r - 0.035, 0.005 - z));
    };
    try {
      const mesh = await levelSetMesh(cup, [-0.05, -0.05, -0.01], [0.05, 0.05, 0.11], 0.004, 0.001);
      if (mesh) await trimMesh(mesh, [1, 0, 0], 0.01);
    } catch {
      // only a head start: a failure here must not stop the pool (a failed warm-up does); the
      // frame's own completions run the same calls and report what goes wrong there
    }
  })();
  return warmed;
}

function subsample(p: Float32Array, max: number): Float32Array {
  const n = p.length / 3;
  if (n <= max) return p;
  const out = new Float32Array(max * 3);
  for (let k = 0; k < max; k++) {
    const i = Math.floor((k * n) / max) * 3;
    out[k * 3] = p[i]!;
    out[k * 3 + 1] = p[i + 1]!;
    out[k * 3 + 2] = p[i + 2]!;
  }
  return out;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Base points under the lowest point of each footprint cell: straight down to `base`, or,
 * with a view, down to just above the first height where the camera saw through (the space
 * under an overhang that is visible as empty is not part of the object).
 */
function extrudeDown(pts: Float32Array, base: number, check: ViewCheck | null, cell: number): Float32Array {
  // cells keyed by one number (ix·2²⁷ + iy + 2²⁶, unique while |ix| < 2²⁵ and |iy| < 2²⁶, i.e.
  // within ~100 km at mm cells), not a string per point; the same cells, found in the same
  // order. A cell index out of that range (or not finite) keys by string, as it always did.
  let numeric = true;
  for (let i = 0; i < pts.length && numeric; i += 3) {
    const ix = Math.floor(pts[i]! / cell),
      iy = Math.floor(pts[i + 1]! / cell);
    if (!(Math.abs(ix) < 2 ** 25 && Math.abs(iy) < 2 ** 26)) numeric = false;
  }
  const lowest = new Map<number | string, number>();
  for (let i = 0; i < pts.length; i += 3) {
    const ix = Math.floor(pts[i]! / cell),
      iy = Math.floor(pts[i + 1]! / cell);
    const key = numeric ? ix * 2 ** 27 + iy + 2 ** 26 : `${ix},${iy}`;
    const k = lowest.get(key);
    if (k === undefined || pts[i + 2]! < pts[k + 2]!) lowest.set(key, i);
  }
  const out = new Float32Array(lowest.size * 3);
  let n = 0;
  for (const i of lowest.values()) {
    const x = pts[i]!,
      y = pts[i + 1]!,
      z0 = pts[i + 2]!;
    let z = base;
    if (check && z0 > base) {
      // the column goes to the base unless the camera saw through most of it; then it stops at
      // the first empty sample (a few empty samples right under the point are an edge effect:
      // a point a hair outside the true surface sees past the object's own top edge)
      const step = Math.max(0.002, (z0 - base) / 40);
      let free = 0,
        total = 0,
        firstFree = -Infinity;
      for (let zz = z0 - step; zz > base - step / 2; zz -= step) {
        total++;
        if (check.classify(x, y, Math.max(base, zz), step) === Seen.Free) {
          free++;
          if (firstFree === -Infinity) firstFree = zz;
        }
      }
      if (total > 0 && free > 0.4 * total) z = Math.min(z0, firstFree + step);
    }
    out[n++] = x;
    out[n++] = y;
    out[n++] = Math.min(z, z0);
  }
  return out;
}

/**
 * Vertical axis of a round footprint, or null. The footprint's 2-D hull must run along one
 * circle (vertices and edge midpoints within `tol`·R) over at least 150° of arc with no gap
 * wider than 30°: a rectangle's four corners are concyclic too, its edge midpoints are not.
 */
export function roundAxis(pts: Float32Array, tol: number): { cx: number; cy: number; r: number } | null {
  const hull = convexHull2d(pts, 3);
  const n = hull.length / 2;
  if (n < 8) return null;
  let fit = kasa(hull, null);
  if (!fit) return null;
  for (let pass = 0; pass < 2; pass++) {
    const f = fit;
    const on = (k: number) => Math.abs(Math.hypot(hull[k * 2]! - f.cx, hull[k * 2 + 1]! - f.cy) - f.r) < tol * 2 * f.r;
    const sel: number[] = [];
    for (let k = 0; k < n; k++) if (on(k)) sel.push(k);
    if (sel.length < 8) return null;
    fit = kasa(hull, sel);
    if (!fit) return null;
  }
  const { cx, cy, r } = fit;
  // arc edges: both ends and the midpoint on the circle
  let arc = 0,
    maxEdge = 0;
  for (let k = 0; k < n; k++) {
    const j = (k + 1) % n;
    const ax = hull[k * 2]!,
      ay = hull[k * 2 + 1]!,
      bx = hull[j * 2]!,
      by = hull[j * 2 + 1]!;
    const da = Math.hypot(ax - cx, ay - cy),
      db = Math.hypot(bx - cx, by - cy),
      dm = Math.hypot((ax + bx) / 2 - cx, (ay + by) / 2 - cy);
    if (Math.abs(da - r) > tol * r || Math.abs(db - r) > tol * r || Math.abs(dm - r) > tol * r) continue;
    const ang = Math.abs(Math.atan2((ax - cx) * (by - cy) - (ay - cy) * (bx - cx), (ax - cx) * (bx - cx) + (ay - cy) * (by - cy)));
    arc += ang;
    maxEdge = Math.max(maxEdge, ang);
  }
  if (arc < (150 * Math.PI) / 180 || maxEdge > (30 * Math.PI) / 180) return null;
  return fit;
}

/**
 * A ball: the algebraic sphere fit (x² + y² + z² + Dx + Ey + Fz + G = 0, least squares) whose
 * RMS radial residual is within `tol`·R, with the points spread over more than a cap.
 */
export function fitSphere(pts: Float32Array, tol: number): { cx: number; cy: number; cz: number; r: number } | null {
  const n = pts.length / 3;
  if (n < 20) return null;
  // normal equations of [x y z 1]·[D E F G]ᵀ = −(x² + y² + z²)
  const A = new Float64Array(16),
    b = new Float64Array(4);
  for (let i = 0; i < pts.length; i += 3) {
    const row = [pts[i]!, pts[i + 1]!, pts[i + 2]!, 1];
    const w = -(row[0]! ** 2 + row[1]! ** 2 + row[2]! ** 2);
    for (let r = 0; r < 4; r++) {
      b[r] = b[r]! + row[r]! * w;
      for (let c = 0; c < 4; c++) A[r * 4 + c] = A[r * 4 + c]! + row[r]! * row[c]!;
    }
  }
  const x = solve4(A, b);
  if (!x) return null;
  const cx = -x[0]! / 2,
    cy = -x[1]! / 2,
    cz = -x[2]! / 2;
  const r2 = cx * cx + cy * cy + cz * cz - x[3]!;
  if (!(r2 > 0)) return null;
  const r = Math.sqrt(r2);
  let ss = 0,
    minZ = Infinity,
    maxZ = -Infinity;
  for (let i = 0; i < pts.length; i += 3) {
    ss += (Math.hypot(pts[i]! - cx, pts[i + 1]! - cy, pts[i + 2]! - cz) - r) ** 2;
    minZ = Math.min(minZ, pts[i + 2]!);
    maxZ = Math.max(maxZ, pts[i + 2]!);
  }
  if (Math.sqrt(ss / n) > tol * r || r < 0.01 || maxZ - minZ < r) return null;
  return { cx, cy, cz, r };
}

function solve4(A: Float64Array, b: Float64Array): Float64Array | null {
  const m = Float64Array.from(A),
    v = Float64Array.from(b);
  for (let c = 0; c < 4; c++) {
    let piv = c;
    for (let r = c + 1; r < 4; r++) if (Math.abs(m[r * 4 + c]!) > Math.abs(m[piv * 4 + c]!)) piv = r;
    if (Math.abs(m[piv * 4 + c]!) < 1e-18) return null;
    for (let k = 0; k < 4; k++) [m[c * 4 + k], m[piv * 4 + k]] = [m[piv * 4 + k]!, m[c * 4 + k]!];
    [v[c], v[piv]] = [v[piv]!, v[c]!];
    for (let r = 0; r < 4; r++) {
      if (r === c) continue;
      const f = m[r * 4 + c]! / m[c * 4 + c]!;
      for (let k = 0; k < 4; k++) m[r * 4 + k] = m[r * 4 + k]! - f * m[c * 4 + k]!;
      v[r] = v[r]! - f * v[c]!;
    }
  }
  return Float64Array.from([0, 1, 2, 3], (c) => v[c]! / m[c * 4 + c]!);
}

/** Points on a sphere (rings × segments), poles included. */
function spherePoints(s: { cx: number; cy: number; cz: number; r: number }, segments: number, rings: number): Float32Array {
  const out: number[] = [s.cx, s.cy, s.cz + s.r, s.cx, s.cy, s.cz - s.r];
  for (let k = 1; k < rings; k++) {
    const t = Math.PI * (k / rings - 0.5);
    for (let j = 0; j < segments; j++) {
      const a = (2 * Math.PI * j) / segments;
      out.push(s.cx + s.r * Math.cos(t) * Math.cos(a), s.cy + s.r * Math.cos(t) * Math.sin(a), s.cz + s.r * Math.sin(t));
    }
  }
  return Float32Array.from(out);
}

/** Algebraic (Kåsa) circle fit to the selected 2-D points (all when `sel` is null). */
function kasa(xy: Float64Array, sel: number[] | null): { cx: number; cy: number; r: number } | null {
  const idx = sel ?? Array.from({ length: xy.length / 2 }, (_, k) => k);
  // minimise Σ (x² + y² + D x + E y + F)²
  let sxx = 0,
    sxy = 0,
    syy = 0,
    sx = 0,
    sy = 0,
    sz = 0,
    sxz = 0,
    syz = 0;
  const m = idx.length;
  for (const k of idx) {
    const x = xy[k * 2]!,
      y = xy[k * 2 + 1]!,
      z = x * x + y * y;
    sxx += x * x;
    sxy += x * y;
    syy += y * y;
    sx += x;
    sy += y;
    sz += z;
    sxz += x * z;
    syz += y * z;
  }
  // [sxx sxy sx; sxy syy sy; sx sy m] [D E F]ᵀ = −[sxz syz sz]ᵀ
  const a = [sxx, sxy, sx, sxy, syy, sy, sx, sy, m];
  const b = [-sxz, -syz, -sz];
  const det = (q: number[]) => q[0]! * (q[4]! * q[8]! - q[5]! * q[7]!) - q[1]! * (q[3]! * q[8]! - q[5]! * q[6]!) + q[2]! * (q[3]! * q[7]! - q[4]! * q[6]!);
  const d0 = det(a);
  if (Math.abs(d0) < 1e-30) return null;
  const col = (c: number) => a.map((v, i) => (i % 3 === c ? b[Math.floor(i / 3)]! : v));
  const D = det(col(0)) / d0,
    E = det(col(1)) / d0,
    F = det(col(2)) / d0;
  const cx = -D / 2,
    cy = -E / 2;
  const r2 = cx * cx + cy * cy - F;
  return r2 > 0 ? { cx, cy, r: Math.sqrt(r2) } : null;
}

/**
 * Solid of revolution through the points: per height bin, the largest radius seen about the
 * axis (points beyond 1.1 R — a handle — left out of the profile), swept around the axis.
 */
function revolvePoints(pts: Float32Array, axis: { cx: number; cy: number; r: number }, segments: number, bin: number): Float32Array {
  const rmax = new Map<number, number>();
  for (let i = 0; i < pts.length; i += 3) {
    const r = Math.hypot(pts[i]! - axis.cx, pts[i + 1]! - axis.cy);
    if (r > axis.r * 1.1) continue;
    const b = Math.floor(pts[i + 2]! / bin);
    if (r > (rmax.get(b) ?? -1)) rmax.set(b, r);
  }
  const out = new Float32Array(rmax.size * segments * 3);
  let k = 0;
  for (const [b, r] of rmax) {
    const z = (b + 0.5) * bin;
    for (let s = 0; s < segments; s++) {
      const a = (2 * Math.PI * s) / segments;
      out[k++] = axis.cx + r * Math.cos(a);
      out[k++] = axis.cy + r * Math.sin(a);
      out[k++] = z;
    }
  }
  return out;
}

/** The points the camera did not see through. */
function dropFree(m: Float32Array, check: ViewCheck): Float32Array {
  const out: number[] = [];
  for (let i = 0; i < m.length; i += 3) if (check.classify(m[i]!, m[i + 1]!, m[i + 2]!) !== Seen.Free) out.push(m[i]!, m[i + 1]!, m[i + 2]!);
  return Float32Array.from(out);
}

/**
 * The mirrored points worth adding: those the camera could not have seen (hidden or out of
 * view). Points on the observed surface add nothing, and points in front of it (even within
 * the match tolerance) would grow the object towards the camera. Null when the mirror image
 * is almost all on the visible surface: the view already shows that side.
 */
function keepConsistent(m: Float32Array, check: ViewCheck, o: Required<GeometricShapeOptions>): Float32Array | null {
  const out: number[] = [];
  let hidden = 0;
  for (let i = 0; i < m.length; i += 3) {
    const seen = check.classify(m[i]!, m[i + 1]!, m[i + 2]!);
    if (seen === Seen.Hidden || seen === Seen.Unknown) {
      if (seen === Seen.Hidden) hidden++;
      out.push(m[i]!, m[i + 1]!, m[i + 2]!);
    }
  }
  if (hidden < o.mirrorMinHidden * (m.length / 3)) return null;
  return Float32Array.from(out);
}

/** Mirror about the vertical plane {p : cosθ·x + sinθ·y = c}. */
function mirrorPoints(p: Float32Array, theta: number, c: number): Float32Array {
  const ux = Math.cos(theta),
    uy = Math.sin(theta);
  const out = new Float32Array(p.length);
  for (let i = 0; i < p.length; i += 3) {
    const s = 2 * (c - (ux * p[i]! + uy * p[i + 1]!));
    out[i] = p[i]! + s * ux;
    out[i + 1] = p[i + 1]! + s * uy;
    out[i + 2] = p[i + 2]!;
  }
  return out;
}

/**
 * The vertical plane whose mirror image of the points agrees best with the view. `around`
 * restricts normals to ±15° of that angle; otherwise normals within ±60° of the horizontal
 * viewing direction are tried (planes that complete the hidden back).
 */
function bestMirror(
  pts: Float32Array,
  check: ViewCheck,
  o: Required<GeometricShapeOptions>,
  view: ShapeView,
  around: number | null,
  keep: ((x: number, y: number) => boolean) | null = null,
): { theta: number; c: number } | null {
  const probe = subsample(pts, 300);
  const n = probe.length / 3;
  // horizontal viewing direction: camera → object centroid
  let mx = 0,
    my = 0;
  for (let i = 0; i < probe.length; i += 3) {
    mx += probe[i]!;
    my += probe[i + 1]!;
  }
  mx /= n;
  my /= n;
  const cam = view.cameraPose.position;
  const viewAngle = Math.atan2(my - cam[1], mx - cam[0]);
  let best: { theta: number; c: number; score: number } | null = null;
  const s = new Float64Array(n),
    scratch = new Float64Array(n);
  // A mirrored point is linear in the offset c: p'(c) = p − 2(u·p)u + 2c·u, so in the optical
  // frame q(c) = q0 + c·q1 with q1 = R·2u the same for every point: transform once per angle.
  const { r: R, t: T } = check.worldToOptical;
  const q0 = new Float64Array(n * 3);
  const scoreAt = (c: number, q1x: number, q1y: number, q1z: number) => {
    let free = 0,
      match = 0,
      known = 0,
      soft = 0;
    for (let i = 0; i < n; i++) {
      const seen = check.classifyOptical(q0[i * 3]! + c * q1x, q0[i * 3 + 1]! + c * q1y, q0[i * 3 + 2]! + c * q1z);
      // Stop as soon as the verdict below is sure to be a rejection: at most `known + left`
      // points can end up known. Only Free and Unknown answers move that bound, so the test
      // runs on those; the score of every plane that is not rejected is computed in full.
      const left = n - 1 - i;
      if (seen === Seen.Unknown) {
        if (known + left < n * 0.5 || free > o.mirrorMaxFree * (known + left)) return -Infinity;
        continue;
      }
      known++;
      if (seen === Seen.Free) {
        free++;
        if (free > o.mirrorMaxFree * (known + left)) return -Infinity;
      } else if (seen === Seen.Surface) {
        match++;
        soft += 1 - check.lastResidual;
      }
    }
    if (known < n * 0.5 || free > o.mirrorMaxFree * known || match < o.mirrorMinMatch * known) return -Infinity;
    // soft agreement: a match counts by how close it lands to the observed surface
    return soft / known - 3 * (free / known);
  };
  for (let a = 0; a < o.mirrorAngles; a++) {
    const theta = (Math.PI * a) / o.mirrorAngles;
    const ref = around ?? viewAngle;
    const diff = Math.abs(wrapHalf(theta - ref));
    if (diff > (around === null ? Math.PI / 3 : Math.PI / 12)) continue;
    const ux = Math.cos(theta),
      uy = Math.sin(theta);
    for (let i = 0; i < n; i++) {
      const si = ux * probe[i * 3]! + uy * probe[i * 3 + 1]!;
      s[i] = si;
      const x = probe[i * 3]! - 2 * si * ux,
        y = probe[i * 3 + 1]! - 2 * si * uy,
        z = probe[i * 3 + 2]!;
      q0[i * 3] = R[0]! * x + R[1]! * y + R[2]! * z + T[0];
      q0[i * 3 + 1] = R[3]! * x + R[4]! * y + R[5]! * z + T[1];
      q0[i * 3 + 2] = R[6]! * x + R[7]! * y + R[8]! * z + T[2];
    }
    // the points and their mirror image have their centroid on the plane, at the foot of the
    // points' centroid: a plane is allowed only where that lands where `keep` says
    const gs = ux * mx + uy * my;
    const allowed = (c: number) => !keep || keep(mx + (c - gs) * ux, my + (c - gs) * uy);
    const q1x = 2 * (R[0]! * ux + R[1]! * uy),
      q1y = 2 * (R[3]! * ux + R[4]! * uy),
      q1z = 2 * (R[6]! * ux + R[7]! * uy);
    // the 2 % and 98 % order statistics (only those two of the sorted list are read)
    scratch.set(s);
    const lo = kthSmallest(scratch, Math.floor(n * 0.02)),
      hi = kthSmallest(scratch, Math.floor(n * 0.98));
    // the plane can sit up to the far side of the points (a thin visible sliver of a deep object)
    const span = hi - lo;
    const c0 = lo - span * 0.25,
      step = (span * 1.5) / o.mirrorOffsets;
    let bestK = -1,
      bestScore = -Infinity;
    for (let k = 0; k <= o.mirrorOffsets; k++) {
      const sc = allowed(c0 + step * k) ? scoreAt(c0 + step * k, q1x, q1y, q1z) : -Infinity;
      if (sc > bestScore) {
        bestScore = sc;
        bestK = k;
      }
    }
    if (bestK < 0) continue;
    // refine the offset between the neighbouring coarse steps
    let bc = c0 + step * bestK;
    for (let f = -4; f <= 4; f++) {
      const c = c0 + step * (bestK + f / 5);
      const sc = allowed(c) ? scoreAt(c, q1x, q1y, q1z) : -Infinity;
      if (sc > bestScore) {
        bestScore = sc;
        bc = c;
      }
    }
    if (!best || bestScore > best.score) best = { theta, c: bc, score: bestScore };
  }
  return best ? { theta: best.theta, c: best.c } : null;
}

function wrapHalf(a: number): number {
  // to (−π/2, π/2]: a plane normal and its opposite are the same plane
  let x = a % Math.PI;
  if (x > Math.PI / 2) x -= Math.PI;
  if (x <= -Math.PI / 2) x += Math.PI;
  return x;
}

/** Box around points, at least `t` thick along each axis. */
function fallbackBox(p: Float32Array, t: number): Mesh {
  const { min, max } = boundsOf(p);
  const sx = Math.max(t, max[0] - min[0]),
    sy = Math.max(t, max[1] - min[1]),
    sz = Math.max(t, max[2] - min[2]);
  return translateMesh(boxMesh(sx, sy, sz), (min[0] + max[0]) / 2, (min[1] + max[1]) / 2, Math.max(min[2] + sz / 2, sz / 2));
}

/**
 * Removes the hull voxels the camera saw through. Returns the carved share of the hull's
 * voxels and, when anything was carved, the closed surface of what is left.
 */
async function carveHull(hull: Mesh, check: ViewCheck, o: Required<GeometricShapeOptions>): Promise<{ fraction: number; mesh: Mesh | null } | null> {
  const planes = hullPlanes(hull);
  const { min, max } = boundsOf(hull.positions);
  const longest = Math.max(max[0] - min[0], max[1] - min[1], max[2] - min[2]);
  const r = Math.min(0.01, Math.max(0.002, longest / o.carveCells));
  const nx = Math.max(1, Math.ceil((max[0] - min[0]) / r)),
    ny = Math.max(1, Math.ceil((max[1] - min[1]) / r)),
    nz = Math.max(1, Math.ceil((max[2] - min[2]) / r));
  const occ = new Float32Array(nx * ny * nz);
  let inside = 0,
    carved = 0;
  // a voxel is carved only when its whole extent was seen through: pad by its half-diagonal
  const pad = r * 0.87;
  const eps = r * 0.25;
  for (let k = 0; k < nz; k++) {
    const z = min[2] + (k + 0.5) * r;
    for (let j = 0; j < ny; j++) {
      const y = min[1] + (j + 0.5) * r;
      // the row's x interval inside the hull, from every face plane at once (scanline)
      let xlo = -Infinity,
        xhi = Infinity;
      for (let p = 0; p < planes.length && xlo <= xhi; p += 4) {
        const a = planes[p]!,
          rhs = planes[p + 3]! + eps - planes[p + 1]! * y - planes[p + 2]! * z;
        if (Math.abs(a) < 1e-12) {
          if (rhs < 0) xhi = -Infinity;
        } else if (a > 0) xhi = Math.min(xhi, rhs / a);
        else xlo = Math.max(xlo, rhs / a);
      }
      if (!(xlo <= xhi)) continue;
      const i0 = Math.max(0, Math.ceil((xlo - min[0]) / r - 0.5)),
        i1 = Math.min(nx - 1, Math.floor((xhi - min[0]) / r - 0.5));
      for (let i = i0; i <= i1; i++) {
        const x = min[0] + (i + 0.5) * r;
        inside++;
        if (check.classify(x, y, z, pad) === Seen.Free) {
          carved++;
          continue;
        }
        occ[(k * ny + j) * nx + i] = 1;
      }
    }
  }
  if (inside === 0) return null;
  const fraction = carved / inside;
  if (fraction <= o.concaveFraction) return { fraction, mesh: null };
  removeSmallIslands(occ, nx, ny, nz);
  closeDiagonalContacts(occ, nx, ny, nz);
  const sample = (x: number, y: number, z: number) => {
    // trilinear occupancy − ½ (positive inside), zero outside the grid so the surface closes
    const fx = (x - min[0]) / r - 0.5,
      fy = (y - min[1]) / r - 0.5,
      fz = (z - min[2]) / r - 0.5;
    const i0 = Math.floor(fx),
      j0 = Math.floor(fy),
      k0 = Math.floor(fz);
    const tx = fx - i0,
      ty = fy - j0,
      tz = fz - k0;
    let v = 0;
    for (let dk = 0; dk < 2; dk++) {
      const kk = k0 + dk;
      if (kk < 0 || kk >= nz) continue;
      const wz = dk ? tz : 1 - tz;
      for (let dj = 0; dj < 2; dj++) {
        const jj = j0 + dj;
        if (jj < 0 || jj >= ny) continue;
        const wy = dj ? ty : 1 - ty;
        for (let di = 0; di < 2; di++) {
          const ii = i0 + di;
          if (ii < 0 || ii >= nx) continue;
          v += occ[(kk * ny + jj) * nx + ii]! * wz * wy * (di ? tx : 1 - tx);
        }
      }
    }
    return v - 0.5;
  };
  const mesh = await levelSetMesh(sample, [min[0] - r, min[1] - r, min[2] - r], [max[0] + r, max[1] + r, max[2] + r], r, r * 0.25);
  if (!mesh || !(meshVolume(mesh) > o.minThickness ** 3)) return { fraction, mesh: null };
  return { fraction, mesh };
}

/**
 * Voxels that touch only along an edge or at a corner make the surface pinch (two sheets on
 * one vertex position): fill a voxel between them so every contact is through a face.
 */
function closeDiagonalContacts(occ: Float32Array, nx: number, ny: number, nz: number): void {
  // Hot on concave objects (every occupied voxel looks at its 26 neighbours, up to 4 passes):
  // written without closures or per-neighbour arrays; the visiting order and the in-place
  // updates are those of the plain version, so the filled voxels are the same.
  const sx = 1,
    sy = nx,
    sz = nx * ny;
  for (let pass = 0; pass < 4; pass++) {
    let changed = 0;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const c = (k * ny + j) * nx + i;
          if (!occ[c]) continue;
          if (i > 0 && i < nx - 1 && j > 0 && j < ny - 1 && k > 0 && k < nz - 1 && occ[c - sx] && occ[c + sx] && occ[c - sy] && occ[c + sy] && occ[c - sz] && occ[c + sz]) {
            // all six faces occupied (most of a solid): every edge neighbour is face-connected
            // through one of them, and a corner neighbour only needs a filling when none of the
            // three edge voxels between is occupied; the same corners in the same order
            for (let a = -1; a <= 1; a += 2) {
              for (let b = -1; b <= 1; b += 2) {
                for (let cc = -1; cc <= 1; cc += 2) {
                  if (!occ[c + a * sx + b * sy + cc * sz]) continue;
                  if (occ[c + a * sx + b * sy] || occ[c + a * sx + cc * sz] || occ[c + b * sy + cc * sz]) continue;
                  occ[c + a * sx + b * sy] = 1;
                  changed++;
                }
              }
            }
            continue;
          }
          for (let a = -1; a <= 1; a++) {
            const ia = i + a;
            if (ia < 0 || ia >= nx) continue;
            for (let b = -1; b <= 1; b++) {
              const jb = j + b;
              if (jb < 0 || jb >= ny) continue;
              for (let cc = -1; cc <= 1; cc++) {
                const kc = k + cc;
                if (kc < 0 || kc >= nz) continue;
                const moves = (a ? 1 : 0) + (b ? 1 : 0) + (cc ? 1 : 0);
                // the diagonal neighbour is inside the grid here, so every voxel between is too
                if (moves < 2 || !occ[c + a * sx + b * sy + cc * sz]) continue;
                if (moves === 2) {
                  // face-connected already through the voxel at either step?
                  const m1 = a ? c + a * sx : c + b * sy;
                  const m2 = cc ? c + cc * sz : c + b * sy;
                  if (occ[m1] || occ[m2]) continue;
                  occ[m1] = 1;
                } else {
                  // connected if some face path of two steps exists
                  const xa = occ[c + a * sx]!,
                    yb = occ[c + b * sy]!,
                    zc = occ[c + cc * sz]!;
                  const xy = occ[c + a * sx + b * sy]!,
                    xz = occ[c + a * sx + cc * sz]!,
                    yz = occ[c + b * sy + cc * sz]!;
                  if ((xa && (xy || xz)) || (yb && (xy || yz)) || (zc && (xz || yz))) continue;
                  // fill a face step and, if needed, the second one
                  occ[c + a * sx] = 1;
                  if (!(xy || xz || yz)) occ[c + a * sx + b * sy] = 1;
                }
                changed++;
              }
            }
          }
        }
      }
    }
    if (!changed) break;
  }
}

/** Keeps only the largest 6-connected occupied component (carving can leave crumbs). */
function removeSmallIslands(occ: Float32Array, nx: number, ny: number, nz: number): void {
  const label = new Int32Array(occ.length).fill(-1);
  let bestLabel = -1,
    bestSize = 0,
    next = 0;
  const stack: number[] = [];
  for (let s = 0; s < occ.length; s++) {
    if (!occ[s] || label[s]! >= 0) continue;
    const l = next++;
    let size = 0;
    label[s] = l;
    stack.push(s);
    while (stack.length) {
      const c = stack.pop()!;
      size++;
      const i = c % nx,
        j = ((c - i) / nx) % ny,
        k = Math.floor(c / (nx * ny));
      const nb = [i > 0 ? c - 1 : -1, i < nx - 1 ? c + 1 : -1, j > 0 ? c - nx : -1, j < ny - 1 ? c + nx : -1, k > 0 ? c - nx * ny : -1, k < nz - 1 ? c + nx * ny : -1];
      for (const q of nb) {
        if (q >= 0 && occ[q] && label[q]! < 0) {
          label[q] = l;
          stack.push(q);
        }
      }
    }
    if (size > bestSize) {
      bestSize = size;
      bestLabel = l;
    }
  }
  for (let s = 0; s < occ.length; s++) if (occ[s] && label[s] !== bestLabel) occ[s] = 0;
}

/** Outward face planes (n, offset) of a convex mesh, flat Float64Array of 4-tuples. */
export function hullPlanes(m: Mesh): Float64Array {
  const p = m.positions,
    idx = m.indices;
  const out = new Float64Array((idx.length / 3) * 4);
  let k = 0;
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
    let nx = uy * vz - uz * vy,
      ny = uz * vx - ux * vz,
      nz = ux * vy - uy * vx;
    const l = Math.hypot(nx, ny, nz);
    if (l < 1e-12) continue;
    nx /= l;
    ny /= l;
    nz /= l;
    const off = nx * p[a]! + ny * p[a + 1]! + nz * p[a + 2]!;
    if (!supports(p, nx, ny, nz, off)) continue; // a sliver's normal can be float32 noise
    out[k++] = nx;
    out[k++] = ny;
    out[k++] = nz;
    out[k++] = off;
  }
  return out.subarray(0, k);
}

/** True when every vertex lies on or below the plane (a supporting plane of the hull). */
function supports(p: Float32Array, nx: number, ny: number, nz: number, off: number): boolean {
  for (let i = 0; i < p.length; i += 3) if (nx * p[i]! + ny * p[i + 1]! + nz * p[i + 2]! > off + 1e-5) return false;
  return true;
}
