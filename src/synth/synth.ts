import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CameraIntrinsics } from '../model/camera.ts';
import type { RgbdFrame } from '../model/frame.ts';
import type { Quat, Vec3 } from '../model/pose.ts';
import { quatFromMat3, quatFromYaw } from '../model/pose.ts';
import type { Scene, SceneCamera, SceneObject } from '../model/scene.ts';
import { SCENE_VERSION } from '../model/scene.ts';
import { Real2SimError } from '../model/errors.ts';
import { createRng, type Rng } from '../geometry/random.ts';
import { massProperties } from '../geometry/massProperties.ts';
import { listMeshFiles, makeShape, SHAPE_KINDS, type ShapeKind, type ShapeSpec } from './shapes.ts';
import { renderScene } from './render.ts';
import { addDepthNoise, addColorNoise, type DepthNoiseOptions } from './noise.ts';

/**
 * Synthetic open-set RGB-D scenes with ground truth, after the SceneMaker dataset recipe:
 * 2–5 objects drawn from an open set (primitives, L-shapes, mugs of parts, meshes from files),
 * random yaw, sizes 4–40 cm, resting on the support plane z = 0 with no box intersections,
 * one camera 0.5–1.5 m away looking down 25–65°, rendered by the exact CPU z-buffer renderer.
 * Everything flows from one seeded `Rng`: the same seed (and the same mesh folder) gives
 * byte-identical images.
 */
export interface SynthOptions {
  seed: number;
  minObjects?: number;
  maxObjects?: number;
  /** Sensor noise on depth (and a little on colour): see `noise.ts`. */
  noise?: boolean;
  width?: number;
  height?: number;
  /**
   * Folder searched (recursively) for OBJ/STL meshes to use as objects. Default: the shared
   * data folder beside the repository when it exists; `null` = primitives only.
   */
  sharedMeshesDir?: string | null;
  /** Restrict the shape kinds drawn (default: all; 'mesh' only when files are available). */
  shapes?: readonly ShapeKind[];
  /** Depth noise parameters when `noise` is on. */
  noiseOptions?: DepthNoiseOptions;
}

export interface SynthScene {
  scene: Scene;
  frame: RgbdFrame;
}

/** Per-object facts the generator knows beyond the scene model (shape kind, mesh file). */
export interface SynthObjectInfo {
  id: string;
  kind: ShapeKind;
  source?: string;
}

export const SYNTH_DEFAULTS = {
  minObjects: 2,
  maxObjects: 5,
  noise: false,
  width: 640,
  height: 480,
  /** Focal length at 640×480 (Kinect / PrimeSense). */
  focal: 525,
  minDistance: 0.5,
  maxDistance: 1.5,
  minPitchDeg: 25,
  maxPitchDeg: 65,
  /** Smallest gap between two objects' footprints, metres. */
  gap: 0.005,
} as const;

/** The package root: the nearest folder above this module with a package.json (src/eval/ from the sources, dist/src/eval/ compiled). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(resolve(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
/** `../shared/data` beside the repository root. */
export const DEFAULT_SHARED_DATA = resolve(packageRoot(), '../shared/data');

/** Pleasant, distinct object colours (linear rgb). */
const PALETTE: readonly Vec3[] = [
  [0.8, 0.15, 0.1],
  [0.1, 0.35, 0.8],
  [0.9, 0.65, 0.08],
  [0.15, 0.6, 0.2],
  [0.55, 0.2, 0.65],
  [0.9, 0.4, 0.6],
  [0.1, 0.6, 0.65],
  [0.75, 0.75, 0.72],
  [0.35, 0.22, 0.12],
  [0.95, 0.45, 0.1],
];

interface Footprint {
  x: number;
  y: number;
  yaw: number;
  hx: number;
  hy: number;
}

/** Separating-axis test for two oriented rectangles grown by `gap / 2` each. */
function footprintsOverlap(a: Footprint, b: Footprint, gap: number): boolean {
  const axes = [a.yaw, a.yaw + Math.PI / 2, b.yaw, b.yaw + Math.PI / 2];
  const dx = b.x - a.x,
    dy = b.y - a.y;
  for (const ang of axes) {
    const ux = Math.cos(ang),
      uy = Math.sin(ang);
    const ra = Math.abs((a.hx + gap / 2) * (Math.cos(a.yaw) * ux + Math.sin(a.yaw) * uy)) + Math.abs((a.hy + gap / 2) * (-Math.sin(a.yaw) * ux + Math.cos(a.yaw) * uy));
    const rb = Math.abs((b.hx + gap / 2) * (Math.cos(b.yaw) * ux + Math.sin(b.yaw) * uy)) + Math.abs((b.hy + gap / 2) * (-Math.sin(b.yaw) * ux + Math.cos(b.yaw) * uy));
    if (Math.abs(dx * ux + dy * uy) > ra + rb) return false;
  }
  return true;
}

/** Rejection-samples positions on the plane: a disc that grows when it gets crowded. */
function placeFootprints(shapes: readonly ShapeSpec[], yaws: readonly number[], rng: Rng, gap: number): Footprint[] {
  const placed: Footprint[] = [];
  let radius = 0.12 + 0.04 * shapes.length;
  for (let k = 0; k < shapes.length; k++) {
    const s = shapes[k]!;
    let tries = 0;
    for (;;) {
      const r = radius * Math.sqrt(rng.next());
      const th = rng.range(0, 2 * Math.PI);
      const f: Footprint = { x: r * Math.cos(th), y: r * Math.sin(th), yaw: yaws[k]!, hx: s.size[0] / 2, hy: s.size[1] / 2 };
      if (!placed.some((p) => footprintsOverlap(p, f, gap))) {
        placed.push(f);
        break;
      }
      if (++tries % 50 === 0) radius += 0.05;
      if (tries > 5000) throw new Real2SimError('INTERNAL', 'Could not place synthetic objects without overlap');
    }
  }
  return placed;
}

/** Optical frame (x right, y down, z forward) at `eye` looking at `target`, world z up. */
export function lookAt(eye: Vec3, target: Vec3): Quat {
  const f = [target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]];
  const fl = Math.hypot(f[0]!, f[1]!, f[2]!);
  const z = f.map((v) => v / fl) as Vec3;
  // x = z × up, y = z × x
  let x: Vec3 = [z[1] * 1 - z[2] * 0, z[2] * 0 - z[0] * 1, 0];
  const xl = Math.hypot(...x);
  x = [x[0] / xl, x[1] / xl, x[2] / xl];
  const y: Vec3 = [z[1] * x[2] - z[2] * x[1], z[2] * x[0] - z[0] * x[2], z[0] * x[1] - z[1] * x[0]];
  // rotation matrix with columns x, y, z (optical → world), row-major
  return quatFromMat3([x[0], y[0], z[0], x[1], y[1], z[1], x[2], y[2], z[2]]);
}

function meshFilesFor(dir: string | null | undefined): string[] {
  const d = dir === undefined ? (existsSync(DEFAULT_SHARED_DATA) ? DEFAULT_SHARED_DATA : null) : dir;
  if (!d || !existsSync(d)) return [];
  return listMeshFiles(d);
}

const meshListCache = new Map<string, string[]>();

export function generateSynthScene(options: SynthOptions): SynthScene {
  const o = {
    ...SYNTH_DEFAULTS,
    minObjects: options.minObjects ?? SYNTH_DEFAULTS.minObjects,
    maxObjects: options.maxObjects ?? SYNTH_DEFAULTS.maxObjects,
    width: options.width ?? SYNTH_DEFAULTS.width,
    height: options.height ?? SYNTH_DEFAULTS.height,
  };
  if (!Number.isFinite(options.seed)) throw new Real2SimError('BAD_INPUT', `Synthetic scene seed must be a finite number, got ${options.seed}`);
  if (!Number.isInteger(o.minObjects) || !Number.isInteger(o.maxObjects) || o.minObjects < 1 || o.maxObjects < o.minObjects || o.maxObjects > 50) {
    throw new Real2SimError('BAD_INPUT', `Need 1 ≤ minObjects ≤ maxObjects ≤ 50, got ${o.minObjects}..${o.maxObjects}`);
  }
  if (!Number.isInteger(o.width) || !Number.isInteger(o.height) || o.width < 16 || o.height < 16 || o.width * o.height > 16_000_000) {
    throw new Real2SimError('BAD_INPUT', `Synthetic image size must be integers from 16 px up to 16 MP, got ${o.width}×${o.height}`);
  }
  const rng = createRng(options.seed);
  const dirKey = options.sharedMeshesDir === undefined ? '<default>' : String(options.sharedMeshesDir);
  let meshFiles = meshListCache.get(dirKey);
  if (!meshFiles) {
    meshFiles = meshFilesFor(options.sharedMeshesDir);
    meshListCache.set(dirKey, meshFiles);
  }
  let kinds = (options.shapes ?? SHAPE_KINDS).filter((k) => k !== 'mesh' || meshFiles.length > 0);
  if (kinds.length === 0) kinds = ['box'];

  const count = o.minObjects + rng.int(o.maxObjects - o.minObjects + 1);
  const shapes: ShapeSpec[] = [];
  const yaws: number[] = [];
  for (let k = 0; k < count; k++) {
    shapes.push(makeShape(kinds[rng.int(kinds.length)]!, rng, meshFiles));
    yaws.push(rng.range(-Math.PI, Math.PI));
  }
  const feet = placeFootprints(shapes, yaws, rng, o.gap);

  const objects: SceneObject[] = [];
  const info: SynthObjectInfo[] = [];
  const colorOffset = rng.int(PALETTE.length);
  for (let k = 0; k < count; k++) {
    const s = shapes[k]!,
      f = feet[k]!;
    const mp = massProperties(s.mesh, s.density);
    const id = `${s.kind === 'mesh' ? 'mesh' : s.kind}_${k + 1}`;
    const obj: SceneObject = {
      id,
      label: s.label,
      mesh: s.mesh,
      pose: { position: [f.x, f.y, s.size[2] / 2], orientation: quatFromYaw(f.yaw) },
      size: s.size,
      mass: mp.mass,
      centerOfMass: mp.centerOfMass,
      inertia: mp.inertia,
      collision: s.collision,
      symmetry: s.symmetry,
      color: PALETTE[(colorOffset + k) % PALETTE.length]!,
      instanceId: k + 1,
    };
    objects.push(obj);
    info.push(s.source !== undefined ? { id, kind: s.kind, source: s.source } : { id, kind: s.kind });
  }

  // camera: looks at the objects' centroid from 0.5–1.5 m, 25–65° down, far enough that the
  // objects' bounding sphere fits the vertical field of view
  const target: Vec3 = [0, 0, 0];
  for (const ob of objects) for (let a = 0; a < 3; a++) target[a] = target[a]! + ob.pose.position[a]! / count;
  let reach = 0;
  for (const ob of objects) {
    const d = Math.hypot(ob.pose.position[0] - target[0], ob.pose.position[1] - target[1], ob.pose.position[2] - target[2]);
    reach = Math.max(reach, d + Math.hypot(...ob.size) / 2);
  }
  const focal = (o.focal * o.width) / 640;
  const intrinsics: CameraIntrinsics = {
    width: o.width,
    height: o.height,
    fx: focal,
    fy: focal,
    cx: (o.width - 1) / 2,
    cy: (o.height - 1) / 2,
    frameId: 'camera_color_optical_frame',
  };
  const halfFov = Math.atan(Math.min(intrinsics.cx, intrinsics.cy) / focal);
  const dFit = reach / Math.sin(halfFov * 0.92);
  const dMin = Math.min(o.maxDistance, Math.max(o.minDistance, dFit));
  const dist = rng.range(dMin, o.maxDistance);
  const pitch = (rng.range(o.minPitchDeg, o.maxPitchDeg) * Math.PI) / 180;
  const azim = rng.range(-Math.PI, Math.PI);
  const eye: Vec3 = [target[0] - dist * Math.cos(pitch) * Math.cos(azim), target[1] - dist * Math.cos(pitch) * Math.sin(azim), target[2] + dist * Math.sin(pitch)];
  const camera: SceneCamera = { intrinsics, pose: { position: eye, orientation: lookAt(eye, target) } };

  const scene: Scene = {
    version: SCENE_VERSION,
    frameId: 'world',
    objects,
    support: { normal: [0, 0, 1], d: 0 },
    camera,
    reports: [],
    meta: {
      generator: 'real2sim synth',
      seed: options.seed,
      noise: options.noise === true,
      objects: info,
      camera: { distance: dist, pitchDeg: (pitch * 180) / Math.PI, target },
    },
  };

  const img = renderScene(scene, camera, { ground: true });
  let depth = img.depth;
  let color = img.color;
  if (options.noise) {
    // a separate stream, so switching noise on leaves the scene itself unchanged
    const nrng = createRng((options.seed ^ 0x5bd1e995) >>> 0);
    depth = addDepthNoise(depth, nrng, options.noiseOptions);
    color = addColorNoise(color, nrng);
  }
  const frame: RgbdFrame = { color, depth, camera: intrinsics, masks: img.labels, frameId: intrinsics.frameId ?? 'camera' };
  return { scene, frame };
}
