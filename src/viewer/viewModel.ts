import type { Mesh, PointCloud } from '../model/geometry.ts';
import type { PhysicsReport } from '../model/physics.ts';
import type { Pose, Vec3 } from '../model/pose.ts';
import type { StageReport } from '../model/report.ts';
import type { Plane, Scene, SceneCamera } from '../model/scene.ts';

/**
 * What the browser viewer draws: a JSON-safe picture of a scene. Typed arrays travel as
 * base64 of their little-endian bytes (a 50-object scene stays a few MB and parses fast).
 * Version it: the page refuses a model it does not understand.
 */
export const VIEW_MODEL_VERSION = 1;

export interface ViewMesh {
  /** base64 of Float32Array xyz interleaved, object frame, metres. */
  positions: string;
  /** base64 of Uint32Array, three per triangle. */
  indices: string;
}

/**
 * What physics did to / found about an object, worst first: penetrating, unstable (the
 * simulation moved it, or MuJoCo did while our engine did not), unsupported, moved (a repair
 * moved it more than the limit: needs review), repaired (moved within the limit), unchanged;
 * unchecked when the scene was not validated or validation failed.
 */
export type ObjectStatus = 'unchanged' | 'repaired' | 'moved' | 'unsupported' | 'unstable' | 'penetrating' | 'unchecked';

export interface ViewObject {
  id: string;
  label: string;
  color: Vec3;
  pose: Pose;
  size: Vec3;
  mass: number;
  isStatic: boolean;
  mesh: ViewMesh;
  collision: ViewMesh[];
  status: ObjectStatus;
  /** The status in words, with the amounts (e.g. "repaired: moved 23.5 mm, turned 0.4°"). */
  statusText: string;
  /** Messages of the physics findings and repairs that name this object. */
  notes: string[];
}

export interface ViewModel {
  version: number;
  title: string;
  frameId: string;
  objects: ViewObject[];
  support?: Plane;
  camera?: SceneCamera;
  /** Observed points in the world frame: base64 Float32Array xyz, optional base64 Uint8Array rgb. */
  cloud?: { positions: string; colors?: string; count: number };
  /** Input image with the mask overlay, as a data: URL (PNG), when the bundle has one. */
  image?: string;
  reports: StageReport[];
  physics?: PhysicsReport;
}

/** Most observed points sent to a page; more only slows the browser without showing more. */
export const MAX_VIEW_CLOUD_POINTS = 200_000;

/** Concatenates clouds; colours are kept when every cloud has them. */
export function mergeClouds(clouds: readonly PointCloud[]): PointCloud {
  const n = clouds.reduce((s, c) => s + c.positions.length, 0);
  const positions = new Float32Array(n);
  const colors = clouds.every((c) => c.colors) ? new Uint8Array(n) : undefined;
  let k = 0;
  for (const c of clouds) {
    positions.set(c.positions, k);
    if (colors) colors.set(c.colors!, k);
    k += c.positions.length;
  }
  return colors ? { positions, colors } : { positions };
}

/** Every k-th point, so that at most `max` remain. */
function thinCloud(cloud: PointCloud, max: number): PointCloud {
  const n = cloud.positions.length / 3;
  const step = Math.max(1, Math.ceil(n / max));
  if (step === 1) return cloud;
  const m = Math.ceil(n / step);
  const positions = new Float32Array(m * 3);
  const colors = cloud.colors ? new Uint8Array(m * 3) : undefined;
  for (let i = 0, j = 0; i < n; i += step, j++) {
    positions.set(cloud.positions.subarray(i * 3, i * 3 + 3), j * 3);
    if (colors) colors.set(cloud.colors!.subarray(i * 3, i * 3 + 3), j * 3);
  }
  return colors ? { positions, colors } : { positions };
}

export function encodeTyped(a: Float32Array | Uint32Array | Uint8Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function viewMesh(m: Mesh): ViewMesh {
  return { positions: encodeTyped(m.positions), indices: encodeTyped(m.indices) };
}

const mmText = (m: number) => `${(m * 1000).toFixed(1)} mm`;
const degText = (rad: number) => `${((rad * 180) / Math.PI).toFixed(1)}°`;
const STABILITY_KINDS = new Set(['unstable', 'toppled', 'slid', 'fell']);

/** The worst thing physics says about an object decides its colour in the viewer and its label. */
function statusOf(id: string, physics: PhysicsReport | undefined): { status: ObjectStatus; statusText: string; notes: string[] } {
  if (!physics) return { status: 'unchecked', statusText: 'not validated', notes: [] };
  if (physics.verdict === 'failed') return { status: 'unchecked', statusText: 'not checked (validation failed)', notes: physics.findings.map((f) => f.message) };
  const notes: string[] = [];
  for (const r of physics.repairs) if (r.object === id) notes.push(`repaired: ${r.why}${r.flagged ? ' (flagged: over the repair limit in total)' : ''}`);
  const mine = physics.findings.filter((f) => f.objects.includes(id) && f.severity !== 'info');
  for (const f of mine) notes.push(f.message);
  // the total move over all repairs: from `moves`, else from the first and last recorded repair
  const move = physics.moves?.find((m) => m.object === id);
  const own = physics.repairs.filter((r) => r.object === id);
  const translation = move?.translation ?? (own.length ? dist(own[0]!.before.position, own[own.length - 1]!.after.position) : 0);
  const rotation = move?.rotation ?? 0;
  const flagged = move?.flagged ?? own.some((r) => r.flagged);
  const moved = translation >= 5e-5 || rotation >= 1e-3;
  const amount = `moved ${mmText(translation)}${rotation >= 1e-3 ? `, turned ${degText(rotation)}` : ''}`;
  const first = (pred: (kind: string) => boolean) => mine.find((f) => f.severity === 'error' && pred(f.kind));
  const pen = first((k) => k === 'penetration');
  if (pen) return { status: 'penetrating', statusText: `penetrating ${mmText(pen.values['depth_m'] ?? 0)}`, notes };
  const fell = first((k) => STABILITY_KINDS.has(k));
  if (fell) return { status: 'unstable', statusText: `unstable: ${fell.kind}, moved ${mmText(fell.values['displacement_m'] ?? 0)} in simulation`, notes };
  const disputed = first((k) => k === 'engine_disagreement');
  if (disputed) return { status: 'unstable', statusText: `unstable in MuJoCo: moved ${mmText(disputed.values['mujoco_moved_m'] ?? disputed.values['distance_m'] ?? 0)}`, notes };
  const unsup = first((k) => k === 'floating' || k === 'unsupported');
  if (unsup) return { status: 'unsupported', statusText: unsup.kind === 'floating' ? `floating ${mmText(unsup.values['gap_m'] ?? 0)}` : 'unsupported', notes };
  if (moved && flagged) return { status: 'moved', statusText: `${amount} by repair: over the limit, needs review`, notes };
  if (moved) return { status: 'repaired', statusText: `repaired: ${amount}`, notes };
  return { status: 'unchanged', statusText: 'unchanged', notes };
}

function dist(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

const PALETTE: Vec3[] = [
  [0.9, 0.45, 0.2],
  [0.25, 0.55, 0.85],
  [0.35, 0.7, 0.35],
  [0.8, 0.3, 0.55],
  [0.9, 0.75, 0.25],
  [0.45, 0.4, 0.8],
  [0.3, 0.7, 0.7],
  [0.65, 0.5, 0.35],
];

export interface ViewModelExtras {
  title?: string;
  /** Observed points, world frame; thinned to `MAX_VIEW_CLOUD_POINTS`. */
  cloud?: PointCloud;
  /** PNG bytes of the input image with masks drawn over it. */
  maskOverlayPng?: Uint8Array;
}

export function toViewModel(scene: Scene, extras: ViewModelExtras = {}): ViewModel {
  const objects = scene.objects.map((o, i): ViewObject => {
    const { status, statusText, notes } = statusOf(o.id, scene.physics);
    return {
      id: o.id,
      label: o.label,
      color: o.color ?? PALETTE[i % PALETTE.length]!,
      pose: o.pose,
      size: o.size,
      mass: o.mass,
      isStatic: o.isStatic ?? false,
      mesh: viewMesh(o.mesh),
      collision: o.collision.map(viewMesh),
      status,
      statusText,
      notes,
    };
  });
  const model: ViewModel = {
    version: VIEW_MODEL_VERSION,
    title: extras.title ?? 'real2sim scene',
    frameId: scene.frameId,
    objects,
    reports: scene.reports,
  };
  if (scene.support) model.support = scene.support;
  if (scene.camera) model.camera = scene.camera;
  if (scene.physics) model.physics = scene.physics;
  if (extras.cloud && extras.cloud.positions.length > 0) {
    const cloud = thinCloud(extras.cloud, MAX_VIEW_CLOUD_POINTS);
    model.cloud = { positions: encodeTyped(cloud.positions), count: cloud.positions.length / 3 };
    if (cloud.colors) model.cloud.colors = encodeTyped(cloud.colors);
  }
  if (extras.maskOverlayPng) model.image = `data:image/png;base64,${Buffer.from(extras.maskOverlayPng).toString('base64')}`;
  return model;
}
