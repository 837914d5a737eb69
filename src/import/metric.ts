/**
 * Generated scene (world-like frame, unknown scale) → metric scene in our model.
 *
 * With sensor depth: the support plane is fitted to the depth (the CPU ground stage), the points
 * above it are the observed objects, and a scaled registration (ICP with one uniform scale,
 * Umeyama steps) maps the observed points onto surface samples of the generated objects. The
 * observed cloud is the *source* because it is partial: every observed point has a true partner
 * on the complete generated surfaces, while the reverse (hidden backs) would not. The inverse
 * similarity then places the generated meshes in the world.
 *
 * Without depth: a user reference sets the scale — the camera's height above the ground (formats
 * that place the camera: SAM 3D) or one object's largest box extent — and the ground is the
 * lowest generated point.
 *
 * Each object is then boxed (gravity-aligned box, yaw from its footprint) and composed (mass,
 * inertia, convex collision) by the same stage functions the RGB-D pipeline uses.
 */
import { Real2SimError } from '../model/errors.ts';
import type { RgbdFrame } from '../model/frame.ts';
import { boundsOf } from '../model/geometry.ts';
import { quatFromMat3, quatToMat3, type Pose } from '../model/pose.ts';
import { timeStage } from '../model/report.ts';
import { SCENE_VERSION, type Scene } from '../model/scene.ts';
import { icp } from '../geometry/icp.ts';
import { KdTree } from '../geometry/kdtree.ts';
import { mergeMeshes } from '../geometry/primitives.ts';
import { createRng } from '../geometry/random.ts';
import { compose, type ComposeOptions } from '../stages/compose.ts';
import { ground, type GroundOptions } from '../stages/ground.ts';
import type { LiftedObject } from '../stages/lift.ts';
import { organizedCloud } from '../stages/organized.ts';
import { boxOf, toObjectFrame, type PlacedObject } from '../stages/place.ts';
import { sampleSurface, transformMesh, type GeneratedScene } from './common.ts';
import { defined } from '../model/options.ts';

export type MetricReference =
  | { kind: 'depth'; frame: RgbdFrame }
  | { kind: 'cameraHeight'; metres: number }
  /** `object`: name, label or index of the object; `metres`: its largest box extent. */
  | { kind: 'objectSize'; object: string | number; metres: number };

export interface MetricOptions {
  reference: MetricReference;
  ground?: GroundOptions;
  compose?: ComposeOptions;
  /** Surface samples of the generated scene and observed points kept for registration. */
  samples?: number;
  icpIterations?: number;
  seed?: number;
  /** Objects whose bottom ends within this of the support (metres) are set on it (default 2 cm). */
  snapM?: number;
  frameId?: string;
}

export const METRIC_DEFAULTS = { samples: 20_000, icpIterations: 60, seed: 7, minHeight: 0.01, snapM: 0.02 } as const;

/** Row-major 4×4 of p' = k·R·p + t. */
function similarity(k: number, R: readonly number[], t: readonly number[]): number[] {
  return [k * R[0]!, k * R[1]!, k * R[2]!, t[0]!, k * R[3]!, k * R[4]!, k * R[5]!, t[1]!, k * R[6]!, k * R[7]!, k * R[8]!, t[2]!, 0, 0, 0, 1];
}

function percentile(vals: Float32Array, stride: number, axis: number, q: number): number {
  const n = vals.length / stride;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = vals[i * stride + axis]!;
  a.sort();
  return a[Math.min(n - 1, Math.max(0, Math.floor(q * n)))]!;
}

interface Placement {
  /** Row-major 4×4 similarity world-like → world (metres). */
  toWorld: number[];
  camera?: { pose: Pose; intrinsics: RgbdFrame['camera'] };
  counts: Record<string, number>;
  warnings: string[];
}

async function placeByDepth(gen: GeneratedScene, frame: RgbdFrame, o: MetricOptions & typeof METRIC_DEFAULTS): Promise<Placement> {
  if (!frame.depth) throw new Real2SimError('BAD_DEPTH', 'The depth reference frame has no depth image.');
  const cloud = organizedCloud(frame.depth, frame.camera);
  const g = await ground(o.ground)({ cloud });
  const { cameraPose, heightOf } = g.output;
  // observed object points: above the support plane, in the world frame
  const picked: number[] = [];
  for (let i = 0; i < cloud.valid.length; i++) {
    if (!cloud.valid[i]) continue;
    const x = cloud.positions[i * 3]!,
      y = cloud.positions[i * 3 + 1]!,
      z = cloud.positions[i * 3 + 2]!;
    if (heightOf(x, y, z) > o.minHeight) picked.push(i);
  }
  if (picked.length < 50) throw new Real2SimError('NO_OBJECTS', `Only ${picked.length} depth points lie above the support plane: nothing to register the generated scene to.`);
  const step = Math.max(1, Math.floor(picked.length / o.samples));
  const opt = new Float32Array(Math.ceil(picked.length / step) * 3);
  let n = 0;
  for (let k = 0; k < picked.length; k += step, n++) opt.set(cloud.positions.subarray(picked[k]! * 3, picked[k]! * 3 + 3), n * 3);
  const R = quatToMat3(cameraPose.orientation);
  const observed = transformMesh({ positions: opt.subarray(0, n * 3), indices: new Uint32Array(0) }, similarity(1, R, cameraPose.position)).positions;

  // a camera-centred format (SAM 3D) is only gravity-aligned through the camera: re-express it
  // through the pose the depth gives the camera, so the registration only fixes scale (and slips)
  let pre = similarity(1, [1, 0, 0, 0, 1, 0, 0, 0, 1], [0, 0, 0]);
  if (gen.camera) {
    const p = gen.camera.pitchRad,
      c = Math.cos(p),
      sn = Math.sin(p);
    const wlT = [0, -1, 0, -sn, 0, -c, c, 0, -sn]; // transpose of the world-like ← optical rotation
    const cp = gen.camera.position;
    const toOptical = mul(similarity(1, wlT, [0, 0, 0]), similarity(1, [1, 0, 0, 0, 1, 0, 0, 0, 1], [-cp[0], -cp[1], -cp[2]]));
    pre = mul(similarity(1, R, cameraPose.position), toOptical);
  }
  const all = transformMesh(mergeMeshes(gen.objects.map((x) => x.mesh)), pre);
  const samples = sampleSurface(all, o.samples, createRng(o.seed));
  // initial similarity: lateral (y) and height (z) spans give the scale; ground and centres the offset
  const span = (v: Float32Array, axis: number) => percentile(v, 3, axis, 0.99) - percentile(v, 3, axis, 0.01);
  const s0 = (span(observed, 1) / span(samples, 1) + span(observed, 2) / span(samples, 2)) / 2;
  const gb = boundsOf(samples);
  const mean = (v: Float32Array, axis: number) => {
    let s = 0;
    for (let i = axis; i < v.length; i += 3) s += v[i]!;
    return s / (v.length / 3);
  };
  const init = similarity(s0, [1, 0, 0, 0, 1, 0, 0, 0, 1], [mean(observed, 0) - s0 * mean(samples, 0), mean(observed, 1) - s0 * mean(samples, 1), -s0 * gb.min[2]]);
  const target = transformMesh({ positions: samples, indices: new Uint32Array(0) }, init).positions;
  const tree = new KdTree(target);
  // observed (metres) → initial metric guess of the generated scene
  const coarse = icp(observed, tree, { iterations: o.icpIterations, withScale: true });
  const fine = icp(observed, tree, { iterations: o.icpIterations, withScale: true, initial: coarse.pose, initialScale: coarse.scale, maxDistance: 0.03 });
  // p_target = Rf·(sf·p_obs) + tf  ⇒  p_obs = Rfᵀ(p_target − tf)/sf, and p_target = init(p_gen)
  // both clouds are gravity-aligned (depth: the fitted plane; generated: y up): keep only the yaw
  // of the registration so that no object comes out tilted (a tilted tall object topples)
  const Rfull = quatToMat3(fine.pose.orientation);
  const tilt = Math.acos(Math.min(1, Rfull[8]!));
  const yaw = Math.atan2(Rfull[3]! - Rfull[1]!, Rfull[0]! + Rfull[4]!);
  const Rf = [Math.cos(yaw), -Math.sin(yaw), 0, Math.sin(yaw), Math.cos(yaw), 0, 0, 0, 1];
  const Rt = [Rf[0]!, Rf[3]!, Rf[6]!, Rf[1]!, Rf[4]!, Rf[7]!, Rf[2]!, Rf[5]!, Rf[8]!];
  const tf = fine.pose.position;
  const inv = similarity(
    1 / fine.scale,
    Rt,
    [0, 1, 2].map((r) => -(Rt[r * 3]! * tf[0] + Rt[r * 3 + 1]! * tf[1] + Rt[r * 3 + 2]! * tf[2]) / fine.scale),
  );
  const toWorld = mul(inv, mul(init, pre));
  const warnings: string[] = [];
  if (fine.fitness < 0.8)
    warnings.push(`registration to the depth matched only ${(fine.fitness * 100).toFixed(0)} % of the observed points within 3 cm: check that the generated scene shows the same objects`);
  return {
    toWorld,
    camera: { pose: cameraPose, intrinsics: frame.camera },
    counts: { scale: s0 / fine.scale, rmseM: fine.rmse, fitness: fine.fitness, tiltDropped: tilt, observedPoints: n, samples: o.samples },
    warnings,
  };
}

function mul(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) for (let k = 0; k < 4; k++) out[r * 4 + c]! += a[r * 4 + k]! * b[k * 4 + c]!;
  return out;
}

function placeByReference(gen: GeneratedScene, ref: Exclude<MetricReference, { kind: 'depth' }>): Placement {
  const b = boundsOf(mergeMeshes(gen.objects.map((x) => x.mesh)).positions);
  let scale: number;
  if (ref.kind === 'cameraHeight') {
    if (!gen.camera) {
      throw new Real2SimError(
        'BAD_INPUT',
        `A ${gen.format} scene does not say where the camera is, so a camera height cannot set its scale: give one object's size instead (--object-size NAME=METRES), or depth.`,
      );
    }
    const h = gen.camera.position[2] - b.min[2];
    if (!(h > 0) || !(ref.metres > 0))
      throw new Real2SimError('BAD_INPUT', `Camera height must be > 0 and the camera must be above the generated objects (it is ${h.toFixed(3)} units above their lowest point).`);
    scale = ref.metres / h;
  } else {
    const idx = typeof ref.object === 'number' ? ref.object : gen.objects.findIndex((x) => x.name === ref.object || x.label === ref.object);
    const obj = gen.objects[idx];
    if (!obj) throw new Real2SimError('BAD_INPUT', `No object "${ref.object}" in the ${gen.format} scene; have: ${gen.objects.map((x) => x.name).join(', ')}.`);
    const { size } = boxOf(obj.mesh);
    const ext = Math.max(...size);
    if (!(ext > 0) || !(ref.metres > 0)) throw new Real2SimError('BAD_INPUT', 'The reference object size must be > 0.');
    scale = ref.metres / ext;
  }
  // the ground is the lowest generated point; x, y keep the camera at the origin when known
  const ox = gen.camera ? gen.camera.position[0] : 0;
  const oy = gen.camera ? gen.camera.position[1] : 0;
  const toWorld = similarity(scale, [1, 0, 0, 0, 1, 0, 0, 0, 1], [-scale * ox, -scale * oy, -scale * b.min[2]]);
  let camera: Placement['camera'];
  if (gen.camera) {
    const p = gen.camera.pitchRad,
      c = Math.cos(p),
      s = Math.sin(p);
    camera = {
      pose: { position: [0, 0, scale * (gen.camera.position[2] - b.min[2])], orientation: quatFromMat3([0, -s, c, -1, 0, 0, 0, -c, -s]) },
      intrinsics: undefined as never,
    };
  }
  return { toWorld, ...(camera ? { camera } : {}), counts: { scale }, warnings: [] };
}

/** Converts a generated scene to a metric `Scene` (objects composed; not yet physics-checked). */
export async function toMetricScene(gen: GeneratedScene, options: MetricOptions): Promise<Scene> {
  const o = { ...METRIC_DEFAULTS, ...defined(options) } as MetricOptions & typeof METRIC_DEFAULTS;
  const placedRes = await timeStage('import', `${gen.format}:${o.reference.kind}`, async (report) => {
    const placement = o.reference.kind === 'depth' ? await placeByDepth(gen, o.reference.frame, o) : placeByReference(gen, o.reference);
    Object.assign(report.counts, placement.counts, { objects: gen.objects.length });
    report.warnings.push(...gen.notes, ...placement.warnings);
    let snapped = 0;
    const placed: PlacedObject[] = gen.objects.map((g, i) => {
      let world = transformMesh(g.mesh, placement.toWorld);
      // registration leaves millimetres of float or penetration: an object whose bottom is this
      // close to the support is set on it (a stacked object, far above, is left alone)
      const bottom = boundsOf(world.positions).min[2];
      if (Math.abs(bottom) < o.snapM && bottom !== 0) {
        world = transformMesh(world, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, -bottom, 0, 0, 0, 1]);
        snapped++;
      }
      const { pose, size, symmetry } = boxOf(world);
      const source: LiftedObject = { id: i + 1, label: g.label, pixels: new Uint32Array(0), cloud: { positions: new Float32Array(0) }, maskPixels: 0 };
      return { id: i + 1, label: g.label, pose, size, mesh: toObjectFrame(world, pose), symmetry, concave: false, source };
    });
    report.counts['snappedToSupport'] = snapped;
    return { placed, placement };
  });
  const composed = await compose(o.compose)({ objects: placedRes.output.placed });
  const cam = placedRes.output.placement.camera;
  return {
    version: SCENE_VERSION,
    frameId: o.frameId ?? 'world',
    objects: composed.output.objects,
    support: { normal: [0, 0, 1], d: 0 },
    ...(cam && cam.intrinsics ? { camera: { intrinsics: cam.intrinsics, pose: cam.pose } } : {}),
    reports: [placedRes.report, composed.report],
    meta: { source: gen.format, reference: o.reference.kind, ...(cam && !cam.intrinsics ? { cameraPose: cam.pose } : {}) },
  };
}
