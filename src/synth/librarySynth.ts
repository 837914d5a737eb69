import type { RgbdFrame } from '../model/frame.ts';
import type { Mesh } from '../model/geometry.ts';
import { composePoses, quatAngle, quatFromYaw, quatMultiply, quatFromAxisAngle, rotateVec, transformPoint, type Pose, type Quat, type Vec3 } from '../model/pose.ts';
import { SCENE_VERSION, type Scene, type SceneCamera, type SceneObject } from '../model/scene.ts';
import { createRng } from '../geometry/random.ts';
import { KdTree } from '../geometry/kdtree.ts';
import { massProperties } from '../geometry/massProperties.ts';
import type { LibraryItem } from '../library/index.ts';
import { worldAxis } from '../stages/match/index.ts';
import { oddAxis } from '../library/descriptors.ts';
import { renderScene } from './render.ts';
import { addDepthNoise } from './noise.ts';
import { lookAt } from './synth.ts';

/**
 * Synthetic scenes made of library items at known poses (for the match stage's tests and bench):
 * 1–4 items, each standing on one of its rests with a random yaw, footprints apart, one camera
 * 0.6–1.2 m away looking down 35–65°, rendered by the project's z-buffer renderer (depth, colour,
 * instance labels), optionally with the sensor noise model of `noise.ts`.
 */
export interface LibrarySceneOptions {
  seed: number;
  /** Items to draw from, with their meshes (metres, item frame). */
  items: readonly { item: LibraryItem; mesh: Mesh }[];
  minObjects?: number;
  maxObjects?: number;
  noise?: boolean;
}

export interface LibraryTruth {
  instanceId: number;
  item: LibraryItem;
  /** Item frame → world. */
  pose: Pose;
  object: SceneObject;
}

export interface LibraryScene {
  frame: RgbdFrame;
  scene: Scene;
  truth: LibraryTruth[];
}

export function generateLibraryScene(o: LibrarySceneOptions): LibraryScene {
  const rng = createRng(o.seed);
  const minN = o.minObjects ?? 1,
    maxN = Math.min(o.maxObjects ?? 4, o.items.length);
  const count = minN + rng.int(maxN - minN + 1);
  const pool = [...o.items];
  const truth: LibraryTruth[] = [];
  const discs: { x: number; y: number; r: number }[] = [];
  for (let k = 0; k < count; k++) {
    const { item, mesh } = pool.splice(rng.int(pool.length), 1)[0]!;
    const rests = item.desc.rests;
    const rest = rests[rng.int(rests.length)]!;
    const r = Math.hypot(rest.footprint[0], rest.footprint[1]) / 2;
    let x = 0,
      y = 0,
      spread = 0.1 + 0.05 * count,
      tries = 0;
    for (;;) {
      const rad = spread * Math.sqrt(rng.next()),
        th = rng.range(0, 2 * Math.PI);
      x = rad * Math.cos(th);
      y = rad * Math.sin(th);
      if (discs.every((d) => Math.hypot(d.x - x, d.y - y) > d.r + r + 0.01)) break;
      if (++tries % 40 === 0) spread += 0.05;
    }
    discs.push({ x, y, r });
    const yaw = rng.range(-Math.PI, Math.PI);
    // item → rested → world: p = Rz(yaw)(R_rest p + offset) + (x, y, 0)
    const restPose: Pose = { position: rest.offset, orientation: rest.rotation };
    const pose = composePoses({ position: [x, y, 0], orientation: quatFromYaw(yaw) }, restPose);
    const mp = massProperties(mesh, 500);
    const object: SceneObject = {
      id: `${item.name}_${k + 1}`,
      label: item.name,
      mesh,
      pose,
      size: [rest.footprint[0], rest.footprint[1], rest.height],
      mass: mp.mass,
      centerOfMass: mp.centerOfMass,
      inertia: mp.inertia,
      collision: [],
      color: [0.3 + 0.15 * (k % 4), 0.5, 0.8 - 0.15 * (k % 4)],
      instanceId: k + 1,
    };
    truth.push({ instanceId: k + 1, item, pose, object });
  }
  const target: Vec3 = [0, 0, 0];
  for (const d of discs) {
    target[0] += d.x / count;
    target[1] += d.y / count;
  }
  let reach = 0;
  for (const d of discs) reach = Math.max(reach, Math.hypot(d.x - target[0], d.y - target[1]) + d.r);
  const focal = 525;
  const intrinsics = { width: 640, height: 480, fx: focal, fy: focal, cx: 319.5, cy: 239.5, frameId: 'camera_color_optical_frame' };
  const dFit = reach / Math.sin(Math.atan(239.5 / focal) * 0.9);
  const dist = Math.max(dFit, rng.range(0.6, 1.2));
  const pitch = (rng.range(35, 65) * Math.PI) / 180;
  const azim = rng.range(-Math.PI, Math.PI);
  const eye: Vec3 = [target[0] - dist * Math.cos(pitch) * Math.cos(azim), target[1] - dist * Math.cos(pitch) * Math.sin(azim), dist * Math.sin(pitch)];
  const camera: SceneCamera = { intrinsics, pose: { position: eye, orientation: lookAt(eye, target) } };
  const scene: Scene = {
    version: SCENE_VERSION,
    frameId: 'world',
    objects: truth.map((t) => t.object),
    support: { normal: [0, 0, 1], d: 0 },
    camera,
    reports: [],
    meta: { generator: 'real2sim library synth', seed: o.seed },
  };
  const img = renderScene(scene, camera, { ground: true });
  const depth = o.noise ? addDepthNoise(img.depth, createRng((o.seed ^ 0x2545f491) >>> 0)) : img.depth;
  const frame: RgbdFrame = { color: img.color, depth, camera: intrinsics, masks: img.labels, frameId: intrinsics.frameId };
  return { frame, scene, truth };
}

/**
 * Pose error of an item placed at `est` against `truth` (both item frame → world), modulo the
 * item's symmetry: translation of the item's box centre (on every symmetry axis), rotation as the
 * smallest angle over the symmetry: `cylinder` the angle between the round axes; otherwise the
 * least over the half turns about the principal axes that leave the surface in place — all three
 * for `box`, and for any item those its own surface shows (turned samples within 2 mm mean of the
 * originals: a scanned can or tin that is not declared symmetric still is).
 */
export function libraryPoseError(item: LibraryItem, est: Pose, truth: Pose): { mm: number; deg: number } {
  const c = item.desc.centre;
  const a = transformPoint(est, c),
    b = transformPoint(truth, c);
  const mm = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]) * 1000;
  let rad: number;
  if (item.symmetry === 'cylinder') {
    const k = oddAxis(item.desc);
    const u = worldAxis(item, est, k),
      v = worldAxis(item, truth, k);
    rad = Math.acos(Math.min(1, Math.abs(u[0] * v[0] + u[1] * v[1] + u[2] * v[2])));
  } else {
    const turns: Quat[] = [[0, 0, 0, 1], ...halfTurns(item)];
    rad = Math.min(...turns.map((q) => quatAngle(quatMultiply(est.orientation, q), truth.orientation)));
  }
  return { mm, deg: (rad * 180) / Math.PI };
}

const turnCache = new WeakMap<object, Quat[]>();

/** Half turns about the item's principal axes (through its box centre) that its surface allows. */
function halfTurns(item: LibraryItem): Quat[] {
  let out = turnCache.get(item.desc);
  if (out) return out;
  out = [];
  const A = item.desc.axes,
    c = item.desc.centre,
    p = item.desc.samples;
  const tree = new KdTree(p, 8);
  for (let k = 0; k < 3; k++) {
    const q = quatFromAxisAngle([A[k * 3]!, A[k * 3 + 1]!, A[k * 3 + 2]!], Math.PI);
    if (item.symmetry === 'box') {
      out.push(q);
      continue;
    }
    let sum = 0,
      n = 0;
    for (let i = 0; i < p.length; i += 9) {
      const r = rotateVec(q, [p[i]! - c[0], p[i + 1]! - c[1], p[i + 2]! - c[2]]);
      tree.nearestIndex(r[0] + c[0], r[1] + c[1], r[2] + c[2]);
      sum += Math.sqrt(tree.lastDist2);
      n++;
    }
    if (sum / n < 0.002) out.push(q);
  }
  turnCache.set(item.desc, out);
  return out;
}
