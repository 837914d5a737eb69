import type { CameraIntrinsics } from '../../model/camera.ts';
import type { DepthImage } from '../../model/image.ts';
import { invertPose, quatFromMat3, quatToMat3, transformPositions, type Pose, type Vec3 } from '../../model/pose.ts';
import type { Plane } from '../../model/scene.ts';
import { KdTree } from '../../geometry/kdtree.ts';
import { oddAxis, restDirections, restPoints, type LibraryRest } from '../../library/descriptors.ts';
import type { LibraryItem } from '../../library/index.ts';
import { convexHull2d, minAreaRect, type Rect } from '../footprint.ts';
import { basisOfNormal } from '../segment/support.ts';

/**
 * Registration of library items to one object's visible points, gravity known:
 *
 * 1. The points go to the support frame (z up, table at z = 0); their height and footprint
 *    (minimum-area rectangle) pick the candidate (item, rest) pairs: the rest's height within
 *    `heightTol`, the seen footprint no larger than the rest's (it sees part of the object) and
 *    not much smaller.
 * 2. For each candidate rest, hypotheses = yaws every 360°/`yawSteps` plus the seen rectangle's
 *    4 axis directions, the item centred on the seen footprint; each is refined by point-to-point
 *    ICP with gravity fixed (yaw + translation: a 2-D Procrustes step in the plane and a mean in
 *    height), seen points → the item's surface samples through the project's k-d tree.
 * 3. The best few hypotheses per item are refined further and scored against the depth image:
 *    coverage (share of seen points within `coverageTol` of the placed surface, point-to-plane)
 *    × (1 − see-through), see-through being the share of the placed surface in front of the
 *    measured depth by more than `seeThroughTol` among the surface the camera could have seen:
 *    where the camera saw past the surface (at the pixel and the 8 around it, so a silhouette
 *    sample rounded onto the table beside it does not count), the surface is not there.
 * 4. The best item must score ≥ `minScore`, explain ≥ `minCoverage` of the seen points, and beat the runner-up by ≥ `minMargin`
 *    (at the full coverage tolerance, or else at the tie-break's tighter one, `tieTol`); an item whose
 *    fit puts the same surface in the same place as the winner's (the same object from another
 *    source) is not a runner-up.
 */
export interface RegisterOptions {
  yawSteps?: number;
  /** Height tolerance: max(abs, rel · height), metres. */
  heightTolAbs?: number;
  heightTolRel?: number;
  /** Footprint tolerance: max(abs, rel · side), metres. */
  footprintTolAbs?: number;
  footprintTolRel?: number;
  /** Seen points used in the coarse and fine ICP. */
  coarsePoints?: number;
  finePoints?: number;
  coarseIterations?: number;
  fineIterations?: number;
  /** Hypotheses per item refined and scored. */
  keepPerItem?: number;
  /** At most this many hypotheses (all items) refined and scored. */
  maxFine?: number;
  /** The winner's last refinement: seen points and iterations. */
  polishPoints?: number;
  polishIterations?: number;
  coverageTol?: number;
  seeThroughTol?: number;
  minScore?: number;
  /** Share of the seen points the winner must explain, whatever its score. */
  minCoverage?: number;
  minMargin?: number;
  /**
   * Coverage tolerance of the tie-break, metres: when the runner-up comes within `minMargin`, both
   * are scored again with this tolerance and the best must win by `minMargin` there. A look-alike
   * of another size (a can 0.6× as big as a larger can, a box 0.45× as big as another) lies
   * within `coverageTol` of the seen points where the object's own surface does, but 2–4 mm off:
   * more than the depth noise at tabletop range (σ 1.3–2.4 mm at 0.6–1.2 m for a Kinect-like
   * sensor) and less than the tolerance the acceptance needs on real frames. Within half the
   * tolerance the item that fits to the noise keeps most of its points and the look-alike loses
   * them. The tie-break only separates two items that both pass `minScore` and `minCoverage` at
   * the full tolerance; it does not accept anything those refuse.
   */
  tieTol?: number;
}

export const REGISTER_DEFAULTS: Required<RegisterOptions> = {
  yawSteps: 12,
  heightTolAbs: 0.012,
  heightTolRel: 0.1,
  footprintTolAbs: 0.015,
  footprintTolRel: 0.12,
  coarsePoints: 100,
  finePoints: 400,
  coarseIterations: 6,
  fineIterations: 15,
  keepPerItem: 2,
  maxFine: 8,
  polishPoints: 2000,
  polishIterations: 12,
  coverageTol: 0.005,
  seeThroughTol: 0.01,
  minScore: 0.8,
  minCoverage: 0.9,
  minMargin: 0.08,
  tieTol: 0.0025,
};

export interface DepthView {
  depth: DepthImage;
  camera: CameraIntrinsics;
  /** Optical frame → world. */
  cameraPose: Pose;
}

export interface ItemFit {
  item: LibraryItem;
  /** Item frame → world. */
  pose: Pose;
  score: number;
  coverage: number;
  seeThrough: number;
  /** RMS distance of the seen points to the placed surface (fine correspondences), metres. */
  rmse: number;
}

export interface MatchResult {
  /** The accepted fit, when one is a clear win. */
  match: ItemFit | null;
  best: ItemFit | null;
  runnerUp: ItemFit | null;
  /** (item, rest) pairs that passed the size test. */
  candidates: number;
  /** Every item's best scored fit, best first (the winner after its polish). */
  fits?: ItemFit[];
  /** Why there is no match (when there is none). */
  reason?: string;
}

/** World ↔ support frame: p_s = R·p + (0, 0, d) with R's rows e1, e2, n. */
interface SupportFrame {
  R: number[];
  d: number;
}

function supportFrame(support?: Plane): SupportFrame {
  const n = support?.normal ?? [0, 0, 1];
  const d = support?.d ?? 0;
  if (Math.abs(n[2] - 1) < 1e-12) return { R: [1, 0, 0, 0, 1, 0, 0, 0, 1], d };
  const [ax, ay, az, bx, by, bz] = basisOfNormal(n[0], n[1], n[2]);
  return { R: [ax, ay, az, bx, by, bz, n[0], n[1], n[2]], d };
}

function toSupport(points: Float32Array, S: SupportFrame): Float32Array {
  const out = new Float32Array(points.length);
  const R = S.R;
  for (let i = 0; i < points.length; i += 3) {
    const x = points[i]!,
      y = points[i + 1]!,
      z = points[i + 2]!;
    out[i] = R[0]! * x + R[1]! * y + R[2]! * z;
    out[i + 1] = R[3]! * x + R[4]! * y + R[5]! * z;
    out[i + 2] = R[6]! * x + R[7]! * y + R[8]! * z + S.d;
  }
  return out;
}

function subsample(points: Float32Array, n: number): Float32Array {
  const m = points.length / 3;
  if (m <= n) return points;
  const out = new Float32Array(n * 3);
  const step = m / n;
  for (let k = 0; k < n; k++) {
    const i = Math.floor(k * step) * 3;
    out[k * 3] = points[i]!;
    out[k * 3 + 1] = points[i + 1]!;
    out[k * 3 + 2] = points[i + 2]!;
  }
  return out;
}

interface RestModel {
  rest: LibraryRest;
  points: Float32Array;
  normals: Float32Array;
  tree: KdTree;
  /** Mean spacing of the surface samples, √(area / samples), metres. */
  spacing: number;
}

const restModels = new WeakMap<object, (RestModel | undefined)[]>();

function restModel(item: LibraryItem, r: number): RestModel {
  let arr = restModels.get(item.desc);
  if (!arr) {
    arr = [];
    restModels.set(item.desc, arr);
  }
  let m = arr[r];
  if (!m) {
    const rest = item.desc.rests[r]!;
    const points = restPoints(item.desc.samples, rest);
    m = { rest, points, normals: restDirections(item.desc.normals, rest), tree: new KdTree(points, 8), spacing: Math.sqrt(item.desc.area / Math.max(1, points.length / 3)) };
    arr[r] = m;
  }
  return m;
}

/** Placement of a rested item in the support frame: p_s = Rz(yaw)·p_rest + t. */
interface Placement {
  yaw: number;
  t: Vec3;
}

/**
 * Gravity-fixed point-to-point ICP of seen points `obs` (support frame) onto a rested model:
 * each step pairs every seen point with its nearest model point (within `maxDist`) and solves
 * yaw and translation in closed form. Returns the final placement and the mean truncated
 * squared distance (cost) at it.
 */
function icpYaw(obs: Float32Array, model: RestModel, init: Placement, iterations: number, maxDist0: number, maxDist1: number): { pl: Placement; cost: number; rmse: number } {
  let { yaw } = init;
  let t: Vec3 = [init.t[0], init.t[1], init.t[2]];
  const n = obs.length / 3;
  const pairs = new Float64Array(n * 6);
  let cost = Infinity,
    rmse = Infinity;
  for (let it = 0; it <= iterations; it++) {
    const frac = iterations > 0 ? it / iterations : 1;
    const maxDist = maxDist0 + (maxDist1 - maxDist0) * Math.min(1, frac * 1.5);
    const md2 = maxDist * maxDist;
    const c = Math.cos(yaw),
      s = Math.sin(yaw);
    let m = 0,
      sumTrunc = 0,
      sum2 = 0;
    for (let i = 0; i < n; i++) {
      // seen point into the rested frame: p_rest = Rz(−yaw)(o − t)
      const ox = obs[i * 3]!,
        oy = obs[i * 3 + 1]!,
        oz = obs[i * 3 + 2]!;
      const dx = ox - t[0],
        dy = oy - t[1];
      const rx = c * dx + s * dy,
        ry = -s * dx + c * dy,
        rz = oz - t[2];
      const j = model.tree.nearestIndex(rx, ry, rz, md2);
      const d2 = model.tree.lastDist2;
      sumTrunc += Math.min(d2, md2);
      if (j < 0) continue;
      sum2 += d2;
      const q = model.points;
      pairs[m * 6] = q[j * 3]!;
      pairs[m * 6 + 1] = q[j * 3 + 1]!;
      pairs[m * 6 + 2] = q[j * 3 + 2]!;
      pairs[m * 6 + 3] = ox;
      pairs[m * 6 + 4] = oy;
      pairs[m * 6 + 5] = oz;
      m++;
    }
    cost = sumTrunc / Math.max(1, n) / md2;
    rmse = m ? Math.sqrt(sum2 / m) : Infinity;
    if (it === iterations || m < 3) break;
    // closed form: yaw from the 2-D cross-covariance of centred pairs, t from the centroids
    let qx = 0,
      qy = 0,
      qz = 0,
      px = 0,
      py = 0,
      pz = 0;
    for (let k = 0; k < m; k++) {
      qx += pairs[k * 6]!;
      qy += pairs[k * 6 + 1]!;
      qz += pairs[k * 6 + 2]!;
      px += pairs[k * 6 + 3]!;
      py += pairs[k * 6 + 4]!;
      pz += pairs[k * 6 + 5]!;
    }
    qx /= m;
    qy /= m;
    qz /= m;
    px /= m;
    py /= m;
    pz /= m;
    let sc = 0,
      ss = 0;
    for (let k = 0; k < m; k++) {
      const ax = pairs[k * 6]! - qx,
        ay = pairs[k * 6 + 1]! - qy;
      const bx = pairs[k * 6 + 3]! - px,
        by = pairs[k * 6 + 4]! - py;
      sc += ax * bx + ay * by;
      ss += ax * by - ay * bx;
    }
    yaw = Math.atan2(ss, sc);
    const c2 = Math.cos(yaw),
      s2 = Math.sin(yaw);
    t = [px - (c2 * qx - s2 * qy), py - (s2 * qx + c2 * qy), pz - qz];
  }
  return { pl: { yaw, t }, cost, rmse };
}

/** Item frame → support frame as a 3×3 (row-major) and translation. */
function itemToSupport(rest: LibraryRest, pl: Placement): { M: number[]; t: Vec3 } {
  const Rr = quatToMat3(rest.rotation);
  const c = Math.cos(pl.yaw),
    s = Math.sin(pl.yaw);
  const Z = [c, -s, 0, s, c, 0, 0, 0, 1];
  const M = mul3(Z, Rr);
  const o = rest.offset;
  const zo: Vec3 = [c * o[0] - s * o[1], s * o[0] + c * o[1], o[2]];
  return { M, t: [zo[0] + pl.t[0], zo[1] + pl.t[1], zo[2] + pl.t[2]] };
}

function mul3(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(9);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) out[r * 3 + c] = a[r * 3]! * b[c]! + a[r * 3 + 1]! * b[3 + c]! + a[r * 3 + 2]! * b[6 + c]!;
  return out;
}

/** Item frame → world pose. */
function itemPoseWorld(rest: LibraryRest, pl: Placement, S: SupportFrame): Pose {
  const { M, t } = itemToSupport(rest, pl);
  // world = Sᵀ(p_s − (0,0,d))
  const St = [S.R[0]!, S.R[3]!, S.R[6]!, S.R[1]!, S.R[4]!, S.R[7]!, S.R[2]!, S.R[5]!, S.R[8]!];
  const W = mul3(St, M);
  const ts: Vec3 = [t[0], t[1], t[2] - S.d];
  const tw: Vec3 = [St[0]! * ts[0] + St[1]! * ts[1] + St[2]! * ts[2], St[3]! * ts[0] + St[4]! * ts[1] + St[5]! * ts[2], St[6]! * ts[0] + St[7]! * ts[1] + St[8]! * ts[2]];
  return { position: tw, orientation: quatFromMat3(W) };
}

/**
 * Coverage of seen points (support frame) by the placed model: a point counts when it lies
 * within `tol` of the tangent plane of its nearest surface sample *and* that sample is no farther
 * along the surface than the samples' spacing allows. Area-uniform random samples leave a point of
 * the surface farther than r from every sample with probability exp(−π r² / spacing²): at
 * r = 2 · spacing that is 4·10⁻⁶. Without the second test the tangent plane of a rim or edge
 * sample reaches past the surface's end, and a look-alike item at a smaller size (a can 0.6×
 * as big lying where a longer can lies, a smaller box under a larger box's top face) explains
 * the points beyond its ends as well as the real item does.
 */
function coverage(obs: Float32Array, model: RestModel, pl: Placement, tol: number): number {
  const c = Math.cos(pl.yaw),
    s = Math.sin(pl.yaw);
  const n = obs.length / 3;
  const reach2 = tol * tol + 4 * model.spacing * model.spacing;
  let hit = 0;
  for (let i = 0; i < n; i++) {
    const dx = obs[i * 3]! - pl.t[0],
      dy = obs[i * 3 + 1]! - pl.t[1];
    const rx = c * dx + s * dy,
      ry = -s * dx + c * dy,
      rz = obs[i * 3 + 2]! - pl.t[2];
    const j = model.tree.nearestIndex(rx, ry, rz, reach2);
    if (j < 0) continue;
    const q = model.points,
      nn = model.normals;
    const ex = rx - q[j * 3]!,
      ey = ry - q[j * 3 + 1]!,
      ez = rz - q[j * 3 + 2]!;
    if (Math.abs(ex * nn[j * 3]! + ey * nn[j * 3 + 1]! + ez * nn[j * 3 + 2]!) <= tol) hit++;
  }
  return n ? hit / n : 0;
}

/**
 * See-through share: the placed model's samples projected into the camera; among those the
 * camera could have seen (not behind the measured surface by more than `tol`), the share in
 * front of the measured depth by more than `tol`.
 */
function seeThrough(model: RestModel, pl: Placement, S: SupportFrame, view: DepthView, tol: number, stride = 1): number {
  const inv = invertPose(view.cameraPose);
  const Rc = quatToMat3(inv.orientation);
  const tc = inv.position;
  // support → world → camera, composed once
  const St = [S.R[0]!, S.R[3]!, S.R[6]!, S.R[1]!, S.R[4]!, S.R[7]!, S.R[2]!, S.R[5]!, S.R[8]!];
  const A = mul3(Rc, St);
  const c = Math.cos(pl.yaw),
    s = Math.sin(pl.yaw);
  const { fx, fy, cx, cy } = view.camera;
  const W = view.depth.width,
    H = view.depth.height,
    D = view.depth.data;
  const q = model.points;
  let seen = 0,
    through = 0;
  for (let i = 0; i < q.length; i += 3 * stride) {
    const x = q[i]!,
      y = q[i + 1]!;
    const sx = c * x - s * y + pl.t[0],
      sy = s * x + c * y + pl.t[1],
      sz = q[i + 2]! + pl.t[2] - S.d;
    const X = A[0]! * sx + A[1]! * sy + A[2]! * sz + tc[0];
    const Y = A[3]! * sx + A[4]! * sy + A[5]! * sz + tc[1];
    const Z = A[6]! * sx + A[7]! * sy + A[8]! * sz + tc[2];
    if (!(Z > 0.01)) continue;
    const u = Math.round((fx * X) / Z + cx),
      v = Math.round((fy * Y) / Z + cy);
    if (u < 0 || v < 0 || u >= W || v >= H) continue;
    const d = D[v * W + u]!;
    if (!(d > 0) || !Number.isFinite(d)) continue;
    if (Z > d + tol) continue;
    seen++;
    // A sample h above the item's base sees the table behind it only about h farther: near the
    // base the full tolerance would hide it, and a flat item (scissors on a marker pen's few
    // points) would pass over bare table. Low samples use 0.3·h, not under 5 mm (depth noise).
    const tolHere = Math.min(tol, Math.max(0.005, 0.3 * q[i + 2]!));
    if (Z < d - tolHere && seenPastAround(D, W, H, u, v, Z + tolHere)) through++;
  }
  return seen ? through / seen : 1;
}

/**
 * Whether the camera saw past depth `z` at every valid pixel of the 3×3 block around (u, v): a
 * sample on the silhouette may round to the pixel beside it, where the camera saw the table.
 */
function seenPastAround(D: Float32Array, W: number, H: number, u: number, v: number, z: number): boolean {
  for (let dv = -1; dv <= 1; dv++) {
    const y = v + dv;
    if (y < 0 || y >= H) continue;
    for (let du = -1; du <= 1; du++) {
      const x = u + du;
      if (x < 0 || x >= W) continue;
      const d = D[y * W + x]!;
      if (d > 0 && Number.isFinite(d) && d <= z) return false;
    }
  }
  return true;
}

/**
 * Two fits that put the same surface in the same place (one object from two sources, e.g. a scan
 * and its reoriented copy): mean distance, both ways, between their placed surface samples.
 */
export function sameSurface(a: ItemFit, b: ItemFit): boolean {
  if (a.item === b.item) return true;
  // scans, reoriented copies and collision approximations of one object differ by a few mm
  const tol = Math.max(0.006, 0.05 * a.item.desc.extents[0]);
  const pa = worldSamples(a, 400),
    pb = worldSamples(b, 400);
  const ta = new KdTree(pa, 8),
    tb = new KdTree(pb, 8);
  let s = 0;
  for (let i = 0; i < pb.length; i += 3) {
    ta.nearestIndex(pb[i]!, pb[i + 1]!, pb[i + 2]!);
    s += Math.sqrt(ta.lastDist2);
  }
  for (let i = 0; i < pa.length; i += 3) {
    tb.nearestIndex(pa[i]!, pa[i + 1]!, pa[i + 2]!);
    s += Math.sqrt(tb.lastDist2);
  }
  return s / ((pa.length + pb.length) / 3) <= tol;
}

function worldSamples(f: ItemFit, n: number): Float32Array {
  return transformPositions(f.pose, subsample(f.item.desc.samples, n));
}

interface Hyp {
  item: LibraryItem;
  r: number;
  pl: Placement;
  cost: number;
}

/** Matches one object's seen points (world frame) against a library (see the header). */
export function registerObject(world: Float32Array, items: readonly LibraryItem[], view: DepthView, support: Plane | undefined, options: RegisterOptions = {}): MatchResult {
  const o = { ...REGISTER_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Required<RegisterOptions>;
  const S = supportFrame(support);
  const all = toSupport(world, S);
  const n = all.length / 3;
  if (n < 20) return { match: null, best: null, runnerUp: null, candidates: 0, reason: 'too few seen points' };
  // seen height (robust top) and footprint
  const zs = new Float32Array(n);
  for (let i = 0; i < n; i++) zs[i] = all[i * 3 + 2]!;
  zs.sort();
  const hObs = zs[Math.min(n - 1, Math.floor(0.99 * n))]!;
  const rect = minAreaRect(convexHull2d(subsample(all, 2000), 3));
  // the size test without stray points; the hypotheses start from the hull's rectangle as before
  const sized = trimmedRect(all, rect, 0.01);
  const Lobs = Math.max(sized.sx, sized.sy),
    Wobs = Math.min(sized.sx, sized.sy);
  const rectYaw = rect.sx >= rect.sy ? rect.angle : rect.angle + Math.PI / 2;

  const coarse = subsample(all, o.coarsePoints);
  const screen = subsample(all, Math.max(20, o.coarsePoints >> 1));
  const fine = subsample(all, o.finePoints);
  const hyps: Hyp[] = [];
  let candidates = 0;
  for (const item of items) {
    const rests = item.desc.rests;
    const itemHyps: Hyp[] = [];
    for (let r = 0; r < rests.length; r++) {
      const rest = rests[r]!;
      const hTol = Math.max(o.heightTolAbs, o.heightTolRel * rest.height);
      if (Math.abs(rest.height - hObs) > hTol) continue;
      const [L, W] = rest.footprint;
      const tolL = Math.max(o.footprintTolAbs, o.footprintTolRel * L),
        tolW = Math.max(o.footprintTolAbs, o.footprintTolRel * W);
      if (Lobs > L + tolL || Wobs > W + tolW) continue;
      if (Lobs < 0.5 * L - tolL) continue;
      candidates++;
      const model = restModel(item, r);
      // a round item standing on its round axis needs one yaw; every other rest the full turn (yawPeriod)
      const period = yawPeriod(item, rest);
      const yaws: number[] = [];
      const steps = Math.max(1, Math.round((o.yawSteps * period) / (2 * Math.PI)));
      for (let k = 0; k < steps; k++) yaws.push((period * k) / steps);
      // the rest's long side along the seen rectangle's long side, both ways round (its 4 turns)
      const restLongIsX = restLongAxisIsX(model);
      if (period > 0.5) for (let k = 0; k < 4 && (k * Math.PI) / 2 < period - 1e-6; k++) yaws.push(rectYaw + (restLongIsX ? 0 : Math.PI / 2) + (k * Math.PI) / 2);
      // two rounds: a few iterations from every yaw on fewer points, then the best three carried on
      const first = yaws.map((yaw) => icpYaw(screen, model, { yaw, t: [rect.cx, rect.cy, 0] }, o.coarseIterations >> 1, 0.03, 0.015)).sort((a, b) => a.cost - b.cost);
      for (const f of first.slice(0, 3)) {
        const res = icpYaw(coarse, model, f.pl, o.coarseIterations - (o.coarseIterations >> 1), 0.015, 0.012);
        // ranked with a quick see-through check (a tenth of the samples): a fit that hugs the
        // points but pokes out where the camera saw past it is not the one to refine
        itemHyps.push({ item, r, pl: res.pl, cost: res.cost + seeThrough(model, res.pl, S, view, o.seeThroughTol, 10) });
      }
    }
    itemHyps.sort((a, b) => a.cost - b.cost);
    // keep distinct hypotheses (not the same placement reached from two starts)
    const kept: Hyp[] = [];
    for (const h of itemHyps) {
      if (kept.length >= o.keepPerItem) break;
      if (kept.some((k) => k.r === h.r && Math.abs(angleDiff(k.pl.yaw, h.pl.yaw)) < 0.1 && Math.hypot(k.pl.t[0] - h.pl.t[0], k.pl.t[1] - h.pl.t[1]) < 0.005)) continue;
      kept.push(h);
    }
    hyps.push(...kept);
  }
  // only hypotheses near the best coarse fit go on to the fine fit and the depth check
  hyps.sort((a, b) => a.cost - b.cost);
  const cut = hyps.length ? Math.max(2 * hyps[0]!.cost, hyps[0]!.cost + 0.08) : 0;
  hyps.splice(0, hyps.length, ...hyps.filter((h, k) => k < o.maxFine && h.cost <= cut));
  if (hyps.length === 0)
    return {
      match: null,
      best: null,
      runnerUp: null,
      candidates,
      reason: `no item of this size (seen ${(hObs * 100).toFixed(1)} cm high, footprint ${(Lobs * 100).toFixed(1)} × ${(Wobs * 100).toFixed(1)} cm)`,
    };

  const bestOf = new Map<LibraryItem, ItemFit>();
  const placementOf = new Map<LibraryItem, { r: number; pl: Placement }>();
  for (const h of hyps) {
    const model = restModel(h.item, h.r);
    const res = icpYaw(fine, model, h.pl, o.fineIterations, 0.012, 0.006);
    const cov = coverage(fine, model, res.pl, o.coverageTol);
    const st = seeThrough(model, res.pl, S, view, o.seeThroughTol);
    const score = cov * (1 - st);
    const prev = bestOf.get(h.item);
    if (!prev || score > prev.score) {
      bestOf.set(h.item, { item: h.item, pose: itemPoseWorld(model.rest, res.pl, S), score, coverage: cov, seeThrough: st, rmse: res.rmse });
      placementOf.set(h.item, { r: h.r, pl: res.pl });
    }
  }
  const fits = [...bestOf.values()].sort((a, b) => b.score - a.score);
  let best = fits[0]!;
  {
    // the winner's pose from more of the seen points (small parts such as a mug's handle count)
    const { r, pl } = placementOf.get(best.item)!;
    const model = restModel(best.item, r);
    const res = icpYaw(subsample(all, o.polishPoints), model, pl, o.polishIterations, 0.006, 0.004);
    const cov = coverage(fine, model, res.pl, o.coverageTol);
    const st = seeThrough(model, res.pl, S, view, o.seeThroughTol);
    if (cov * (1 - st) >= best.score - 0.01) {
      best = { item: best.item, pose: itemPoseWorld(model.rest, res.pl, S), score: cov * (1 - st), coverage: cov, seeThrough: st, rmse: res.rmse };
      fits[0] = best;
      placementOf.set(best.item, { r, pl: res.pl });
    }
  }
  const runnerUp = fits.find((f) => !sameSurface(f, best)) ?? null;
  const margin = best.score - (runnerUp?.score ?? 0);
  // the same score at the tie-break's tighter tolerance (see `tieTol`)
  const tight = (f: ItemFit) => {
    const { r, pl } = placementOf.get(f.item)!;
    return coverage(fine, restModel(f.item, r), pl, o.tieTol) * (1 - f.seeThrough);
  };
  let reason: string | undefined;
  if (best.score < o.minScore) reason = `best ${best.item.name} scores ${best.score.toFixed(2)} < ${o.minScore}`;
  else if (best.coverage < o.minCoverage) reason = `best ${best.item.name} explains ${(100 * best.coverage).toFixed(0)}% of the seen points < ${(100 * o.minCoverage).toFixed(0)}%`;
  else if (margin < o.minMargin) {
    const tb = tight(best),
      tr = tight(runnerUp!);
    if (tb - tr < o.minMargin)
      reason = `best ${best.item.name} (${best.score.toFixed(2)}; ${tb.toFixed(2)} within ${(o.tieTol * 1000).toFixed(1)} mm) beats ${runnerUp!.item.name} (${runnerUp!.score.toFixed(2)}; ${tr.toFixed(2)}) by less than ${o.minMargin}`;
  }
  return { match: reason ? null : best, best, runnerUp, candidates, fits, ...(reason ? { reason } : {}) };
}

/**
 * Yaw period searched for an item standing on a rest. Only a `cylinder` item standing on its round
 * axis is searched with one yaw (ICP turns it the little a scan's seam asks). Every other rest gets
 * the full turn, whatever symmetry the item declares: the half turn that a `box` or a lying
 * `cylinder` declares is only near for a scanned item (YCB's pudding box turned half way sits
 * 2–3 mm off its own surface in places, a can's lid is not its bottom), and a fit half a turn off
 * leaves a few per cent of the seen points unexplained, which is as much as a look-alike item of
 * another size loses.
 */
function yawPeriod(item: LibraryItem, rest: LibraryRest): number {
  if (item.symmetry !== 'cylinder') return 2 * Math.PI;
  const A = item.desc.axes;
  const M = quatToMat3(rest.rotation);
  // how vertical the round axis stands in this rest: the z row of R applied to it
  const k = oddAxis(item.desc);
  return Math.abs(M[6]! * A[k * 3]! + M[7]! * A[k * 3 + 1]! + M[8]! * A[k * 3 + 2]!) > Math.cos((5 * Math.PI) / 180) ? 0 : 2 * Math.PI;
}

/**
 * The seen footprint without its stray points: the minimum-area rectangle's directions, its sides
 * from the `trim` and 1 − `trim` quantiles of the points along them. A real sensor's flying pixels
 * (depth mixed between an edge and the background, kept by the segmentation) lie a few
 * centimetres out: on uoc_demo/000000 1 % of the standing cracker box's points stretched its seen
 * 16.4 cm side to 20 cm, past every item's size test, while the hull of the other 98 % spans 17.0 cm.
 */
function trimmedRect(points: Float32Array, rect: Rect, trim: number): Rect {
  const n = points.length / 3;
  if (n < 50) return rect;
  const ca = Math.cos(rect.angle),
    sa = Math.sin(rect.angle);
  const us = new Float64Array(n),
    vs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = points[i * 3]!,
      y = points[i * 3 + 1]!;
    us[i] = ca * x + sa * y;
    vs[i] = -sa * x + ca * y;
  }
  us.sort();
  vs.sort();
  const lo = Math.floor(trim * (n - 1)),
    hi = Math.ceil((1 - trim) * (n - 1));
  const u0 = us[lo]!,
    u1 = us[hi]!,
    v0 = vs[lo]!,
    v1 = vs[hi]!;
  const um = (u0 + u1) / 2,
    vm = (v0 + v1) / 2;
  const sx = u1 - u0,
    sy = v1 - v0;
  return { cx: ca * um - sa * vm, cy: sa * um + ca * vm, angle: rect.angle, sx, sy, area: sx * sy };
}

function restLongAxisIsX(model: RestModel): boolean {
  let minX = Infinity,
    maxX = -Infinity,
    minY = Infinity,
    maxY = -Infinity;
  const p = model.points;
  for (let i = 0; i < p.length; i += 3) {
    minX = Math.min(minX, p[i]!);
    maxX = Math.max(maxX, p[i]!);
    minY = Math.min(minY, p[i + 1]!);
    maxY = Math.max(maxY, p[i + 1]!);
  }
  return maxX - minX >= maxY - minY;
}

function angleDiff(a: number, b: number): number {
  let d = a - b;
  while (d > Math.PI) d -= 2 * Math.PI;
  while (d < -Math.PI) d += 2 * Math.PI;
  return d;
}
