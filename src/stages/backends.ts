import type { CameraIntrinsics } from '../model/camera.ts';
import type { RgbdFrame } from '../model/frame.ts';
import type { Mesh, PointCloud } from '../model/geometry.ts';
import type { ColorImage, DepthImage, LabelImage } from '../model/image.ts';
import type { Pose } from '../model/pose.ts';
import type { Plane } from '../model/scene.ts';

/**
 * The learned-model seams of the pipeline. A stage that can use a model takes one of these;
 * implementations are `given` (the input carries it), `geometric` (CPU, no weights), `onnx`
 * (local model from a manifest in `models/`) and `remote` (the GPU host over HTTP).
 */

export interface SegmentationResult {
  /** Instance label image, 0 = background, with a class text per instance. */
  masks: LabelImage;
  /** Confidence per instance id, 0..1, when the backend gives one. */
  scores?: Map<number, number>;
}

export interface SegmentationBackend {
  readonly name: string;
  segment(frame: RgbdFrame, prompts?: readonly string[]): Promise<SegmentationResult>;
}

export interface DepthResult {
  /** Metric depth in metres, aligned to the colour image. */
  depth: DepthImage;
  /** The intrinsics given, or estimated by the model when none were given. */
  camera: CameraIntrinsics;
}

export interface DepthBackend {
  readonly name: string;
  estimate(color: ColorImage, camera?: CameraIntrinsics): Promise<DepthResult>;
}

export interface DeocclusionBackend {
  readonly name: string;
  /** Completes an occluded object: crop + visible mask (1 = visible, crop-sized) → `rgba8` object image. */
  complete(crop: ColorImage, visibleMask: Uint8Array, prompt?: string): Promise<ColorImage>;
}

/** What a shape backend gets for one object. Learned backends use the image; geometric ones the points. */
export interface ShapeInput {
  id: string;
  label: string;
  /** Completed (de-occluded) object image, `rgba8`, when a de-occlusion stage ran. */
  image?: ColorImage;
  /** Observed partial cloud of the object in the world frame (z up), when depth exists. */
  points?: PointCloud;
  support?: Plane;
  /** The depth view the points came from, for visibility reasoning (free-space carving, symmetry checks). */
  view?: ShapeView;
  /** Height (world z) of the object this one stands on; completion extrudes down to it, not to the support. */
  restsOn?: number;
  /**
   * Footprint (counter-clockwise convex polygon, flat xy pairs, world frame) of the completed
   * object this one rests on. The frame shows the object standing, so its centre of mass is over
   * that footprint: a completion of the unseen back that would put it past the edge is wrong.
   */
  restsOnFootprint?: number[];
  /**
   * World points (flat xyz) the completion should reach where the camera did not see through
   * them: under the centre of mass of an object seen resting on this one (its hidden top).
   */
  mustCover?: number[];
}

/** One depth view of the scene: what the camera saw, so a backend can tell seen-empty space from hidden space. */
export interface ShapeView {
  depth: DepthImage;
  camera: CameraIntrinsics;
  /** Camera optical frame → world. */
  cameraPose: Pose;
}

export interface ShapeResult {
  /** Closed, outward mesh. */
  mesh: Mesh;
  /**
   * 'world': already metric and placed in the world frame (geometric completion);
   * 'canonical': unit-scale canonical frame, to be placed by the place stage (scaled ICP or a pose model).
   */
  frame: 'world' | 'canonical';
}

export interface ShapeBackend {
  readonly name: string;
  generate(input: ShapeInput): Promise<ShapeResult>;
}

export interface PoseInput {
  objects: { id: string; canonical: Mesh; points?: PointCloud; crop?: ColorImage }[];
  camera: CameraIntrinsics;
  /** Camera optical frame → world. */
  cameraPose: Pose;
  support?: Plane;
}

export interface PoseEstimate {
  id: string;
  /** Canonical frame → world. */
  pose: Pose;
  /** Per-axis scale applied to the canonical mesh before `pose`. */
  scale: [number, number, number];
  score?: number;
}

export interface PoseBackend {
  readonly name: string;
  estimate(input: PoseInput): Promise<PoseEstimate[]>;
}

/**
 * All five learned seams at once (e.g. the GPU host's models): `learnedPipeline` in
 * `src/pipeline.ts` turns them into a pipeline configuration for a single image.
 */
export interface LearnedBackends {
  segmentation: SegmentationBackend;
  depth: DepthBackend;
  deocclusion: DeocclusionBackend;
  shape: ShapeBackend;
  pose: PoseBackend;
}
