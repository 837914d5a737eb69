import type { CameraIntrinsics } from './camera.ts';
import type { Mesh } from './geometry.ts';
import type { Pose, Vec3 } from './pose.ts';
import type { StageReport } from './report.ts';
import type { PhysicsReport } from './physics.ts';

export const SCENE_VERSION = 1;

/**
 * Inertia tensor about the centre of mass, expressed in the object's own frame (kg·m²).
 * Symmetric: only the upper triangle is stored (URDF `<inertia>` order).
 */
export interface Inertia {
  ixx: number;
  ixy: number;
  ixz: number;
  iyy: number;
  iyz: number;
  izz: number;
}

/** Symmetry of an object about its own z axis, used for yaw errors and pose hypotheses. */
export type Symmetry = 'none' | 'rot2' | 'rot4' | 'continuous';

/**
 * One object of the world. Its own frame ("object frame") has z up when the object stands as
 * observed, and its origin is the centre of the object's box: `pose.position` is the box centre
 * in the world and `size` the box's full extents along the object's x, y, z axes.
 * `mesh` and `collision` are in the object frame, metres.
 */
export interface SceneObject {
  id: string;
  label: string;
  /** Visual mesh, closed and outward-oriented, in the object frame. */
  mesh: Mesh;
  /** Object frame → world. */
  pose: Pose;
  /** Full extents of the object's box along its own axes, metres. */
  size: Vec3;
  /** kg */
  mass: number;
  /** Centre of mass in the object frame. */
  centerOfMass: Vec3;
  inertia: Inertia;
  /** Convex pieces in the object frame; their union approximates `mesh`. */
  collision: Mesh[];
  /** Static furniture / support surfaces: fixed in the world, never moved by physics. */
  isStatic?: boolean;
  symmetry?: Symmetry;
  /** Display colour, linear 0..1 rgb. */
  color?: Vec3;
  /** Instance id in the label image this object came from, when it came from one. */
  instanceId?: number;
  /** Detection / shape confidence in 0..1, when a backend gives one. */
  score?: number;
  /** How far the completed shape can be trusted, and how it was completed. */
  confidence?: ObjectConfidence;
  /** Set when the object is a known library item: `mesh` is then the item's mesh at the registered pose. */
  library?: SceneLibraryRef;
}

/** The library item an object was matched to (`--library`). */
export interface SceneLibraryRef {
  name: string;
  /** The item's file, relative to the library folder. */
  path: string;
  /** Match score in 0..1 (coverage × (1 − see-through)). */
  score: number;
  runnerUp?: string;
  runnerUpScore?: number;
  /** kg/m³ from library.json; the object's mass is density × the mesh's volume. */
  density?: number;
  /** Symmetry about the item's principal axes (library.json). */
  symmetry: 'none' | 'cylinder' | 'box';
  /** Item's file frame (metres) → object frame. */
  itemPose: Pose;
}

/**
 * - `visibleFraction`: share of the completed surface the camera saw (within 1 cm of a measured point);
 * - `fitResidual`: median distance of the measured points to the completed surface, metres;
 * - `method`: how the unseen part was completed (e.g. `revolved`, `mirrored`, `hull`, `+carved`,
 *   `extruded to support` or `extruded onto object`).
 */
export interface ObjectConfidence {
  score: number;
  visibleFraction: number;
  fitResidual: number;
  method: string;
}

/** Whether the frame looked like something the pipeline explains (a tabletop), and why not. */
export interface SceneConfidence {
  level: 'high' | 'low';
  /** 0..1; 0.5 at the limit of the weakest check. */
  score: number;
  reasons: string[];
}

/** Support plane in the world frame: points p with n·p + d = 0, n unit, pointing up. */
export interface Plane {
  normal: Vec3;
  d: number;
}

export interface SceneCamera {
  intrinsics: CameraIntrinsics;
  /** Camera optical frame (x right, y down, z forward) → world. */
  pose: Pose;
}

/**
 * A world: z up, x forward (REP 103), metres. The ground plane is z = 0 unless `support` says
 * otherwise (e.g. a tabletop found above the floor).
 */
export interface Scene {
  version: number;
  /** Name of the world frame (e.g. `world`, or the ROS `scene_frame` parameter). */
  frameId: string;
  objects: SceneObject[];
  support?: Plane;
  camera?: SceneCamera;
  reports: StageReport[];
  physics?: PhysicsReport;
  /** Scene-level confidence (RGB-D pipeline): low when the frame does not look like a tabletop. */
  confidence?: SceneConfidence;
  /** Free-form provenance: source frame, generator seed, tool version. */
  meta?: Record<string, unknown>;
}

export function emptyScene(frameId = 'world'): Scene {
  return { version: SCENE_VERSION, frameId, objects: [], reports: [] };
}
