/** What the scene node and its parts share: the reconstruction it calls, and its names. */
import type { RgbdFrame } from '../src/model/frame.ts';
import type { PhysicsReport } from '../src/model/physics.ts';
import type { Scene } from '../src/model/scene.ts';
import type { SpawnModel } from './spawn.ts';

export interface PipelineResult {
  scene: Scene;
  bundleDir: string;
  urdf: string;
  sdf: string;
  physics?: PhysicsReport;
  /** One SDF model per object, for Gazebo spawn. */
  models?: SpawnModel[];
  /** Object id → absolute path of its visual mesh (for `marker_mesh: mesh_resource`). */
  meshFiles?: Record<string, string>;
  /** Problems that did not stop the run (logged, and listed in the run's diagnostics). */
  warnings?: string[];
}

/** A run whose scene did not change enough for a new bundle (`write_bundle: on_change`). */
export interface UnchangedResult {
  unchanged: true;
  /** The scene as reconstructed this time (not written). */
  scene: Scene;
}

export interface PipelineCallOptions {
  /**
   * Asked with the reconstructed scene (before validation and the write): false = no bundle,
   * answer `UnchangedResult`. Absent: always write.
   */
  write?: (scene: Scene) => boolean;
  /** Called once a write is decided, before it starts (the node makes room in output_dir). */
  beforeWrite?: () => Promise<void>;
}

/** The reconstruction the node runs; injected so tests and other wirings can choose it. */
export type PipelineFn = (frame: RgbdFrame, o?: PipelineCallOptions) => Promise<PipelineResult | UnchangedResult>;

/** Topic and service names as the node declares them: relative, so namespaces and remaps apply. */
export const NAMES = {
  image: 'image',
  depth: 'depth',
  cameraInfo: 'camera_info',
  masks: 'masks',
  markers: 'scene/markers',
  urdf: 'scene/urdf',
  sdf: 'scene/sdf',
  diagnostics: 'diagnostics',
  tfStatic: '/tf_static',
  reconstruct: 'reconstruct',
} as const;

/** Every topic and service name, resolved (namespace, remaps). */
export type NodeNames = Record<keyof typeof NAMES, string>;
