/**
 * Scene → outgoing ROS messages: MarkerArray, static TF, DiagnosticArray.
 *
 * Frames (REP 103 / 105): the scene frame is the world of the reconstruction, z up, x forward;
 * object poses map object frame → scene frame; `scene.camera.pose` maps the camera optical
 * frame (x right, y down, z forward) → scene frame. TF's `header.frame_id` is the parent and
 * `child_frame_id` the child, the transform mapping child coordinates into the parent.
 */
import { resolve } from 'node:path';
import type { PhysicsReport } from '../src/model/physics.ts';
import { invertPose, rotateVec, type Pose, type Quat, type Vec3 } from '../src/model/pose.ts';
import type { StageReport } from '../src/model/report.ts';
import type { Scene, SceneConfidence } from '../src/model/scene.ts';
import {
  DIAG,
  MARKER,
  type ColorRGBA,
  type DiagLevel,
  type DiagnosticArrayMsg,
  type DiagnosticStatusMsg,
  type MarkerArrayMsg,
  type MarkerMsg,
  type PoseMsg,
  type RosTime,
  type TfMessageMsg,
  type TransformStampedMsg,
} from './messages.ts';
import { memorySample, type MemorySample } from './memory.ts';
import { frameIdFrom } from './names.ts';

export const HARDWARE_ID = 'real2sim';

export function poseMsg(p: Pose): PoseMsg {
  const [x, y, z] = p.position;
  const [qx, qy, qz, qw] = p.orientation;
  return { position: { x, y, z }, orientation: { x: qx, y: qy, z: qz, w: qw } };
}

const ZERO_TIME: RosTime = { sec: 0, nanosec: 0 };

function marker(partial: Partial<MarkerMsg> & Pick<MarkerMsg, 'header' | 'ns' | 'id' | 'type'>): MarkerMsg {
  return {
    action: MARKER.ADD,
    pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
    scale: { x: 1, y: 1, z: 1 },
    color: { r: 0.7, g: 0.7, b: 0.7, a: 1 },
    lifetime: ZERO_TIME,
    frame_locked: false,
    points: [],
    colors: [],
    text: '',
    mesh_resource: '',
    mesh_use_embedded_materials: false,
    ...partial,
  };
}

/** Shortest rotation taking +z onto the unit vector n. */
function quatFromZTo(n: Vec3): Quat {
  const [x, y, z] = n;
  if (z < -0.999999) return [1, 0, 0, 0];
  // q = (z × n, 1 + z·n), normalised
  const q: Quat = [-y, x, 0, 1 + z];
  const l = Math.hypot(...q);
  return [q[0] / l, q[1] / l, q[2] / l, q[3] / l];
}

export interface MarkerOptions {
  frameId: string;
  stamp: RosTime;
  meshMode: 'triangle_list' | 'mesh_resource';
  /** For mesh_resource: object id → mesh file; else `<bundleDir>/meshes/<id>.obj`. */
  meshFiles?: Record<string, string>;
  bundleDir?: string;
}

/**
 * One DELETEALL (clears the previous scene), then per object a mesh (ns `objects`) at its pose
 * and a facing text label above it (ns `labels`), then the support plane (ns `support`).
 */
export function markersFromScene(scene: Scene, o: MarkerOptions): MarkerArrayMsg {
  const header = { stamp: o.stamp, frame_id: o.frameId };
  const markers: MarkerMsg[] = [marker({ header, ns: '', id: 0, type: MARKER.CUBE, action: MARKER.DELETEALL })];
  scene.objects.forEach((obj, i) => {
    const c = obj.color ?? [0.7, 0.7, 0.7];
    const color: ColorRGBA = { r: c[0], g: c[1], b: c[2], a: 1 };
    const meshFile = o.meshFiles?.[obj.id] ?? (o.bundleDir ? resolve(o.bundleDir, 'meshes', `${obj.id}.obj`) : undefined);
    if (o.meshMode === 'mesh_resource' && meshFile) {
      markers.push(
        marker({
          header,
          ns: 'objects',
          id: i,
          type: MARKER.MESH_RESOURCE,
          pose: poseMsg(obj.pose),
          color,
          mesh_resource: `file://${resolve(meshFile)}`,
        }),
      );
    } else {
      const { positions, indices } = obj.mesh;
      const points = new Array<{ x: number; y: number; z: number }>(indices.length);
      for (let k = 0; k < indices.length; k++) {
        const v = indices[k]! * 3;
        points[k] = { x: positions[v]!, y: positions[v + 1]!, z: positions[v + 2]! };
      }
      markers.push(marker({ header, ns: 'objects', id: i, type: MARKER.TRIANGLE_LIST, pose: poseMsg(obj.pose), color, points }));
    }
    // Label above the object's box: half its largest extent over the centre, in the scene frame.
    const lift = Math.max(...obj.size) / 2 + 0.05;
    const [x, y, z] = obj.pose.position;
    markers.push(
      marker({
        header,
        ns: 'labels',
        id: i,
        type: MARKER.TEXT_VIEW_FACING,
        pose: { position: { x, y, z: z + lift }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
        scale: { x: 0, y: 0, z: 0.04 },
        color: { r: 1, g: 1, b: 1, a: 1 },
        text: obj.label,
      }),
    );
  });
  markers.push(supportMarker(scene, header));
  return { markers };
}

/** A thin translucent slab on the support plane, centred under the objects. */
function supportMarker(scene: Scene, header: MarkerMsg['header']): MarkerMsg {
  const n: Vec3 = scene.support?.normal ?? [0, 0, 1];
  const d = scene.support?.d ?? 0;
  let cx = 0,
    cy = 0,
    half = 0.5;
  if (scene.objects.length > 0) {
    const xs = scene.objects.map((ob) => ob.pose.position[0]);
    const ys = scene.objects.map((ob) => ob.pose.position[1]);
    cx = (Math.min(...xs) + Math.max(...xs)) / 2;
    cy = (Math.min(...ys) + Math.max(...ys)) / 2;
    half = Math.max(0.5, (Math.max(...xs) - Math.min(...xs)) / 2 + 0.3, (Math.max(...ys) - Math.min(...ys)) / 2 + 0.3);
  }
  // Project (cx, cy, 0) onto n·p + d = 0.
  const s = n[0] * cx + n[1] * cy + d;
  const centre: Vec3 = [cx - s * n[0], cy - s * n[1], -s * n[2]];
  const thickness = 0.002;
  const below = rotateVec(quatFromZTo(n), [0, 0, -thickness / 2]);
  return marker({
    header,
    ns: 'support',
    id: 0,
    type: MARKER.CUBE,
    pose: poseMsg({ position: [centre[0] + below[0], centre[1] + below[1], centre[2] + below[2]], orientation: quatFromZTo(n) }),
    scale: { x: 2 * half, y: 2 * half, z: thickness },
    color: { r: 0.6, g: 0.6, b: 0.65, a: 0.4 },
  });
}

export interface TfOptions {
  sceneFrame: string;
  objectPrefix: string;
  /** Optical frame of the camera; empty = no camera transform. */
  cameraFrame: string;
  cameraTf: 'scene_parent' | 'camera_parent' | 'none';
  stamp: RosTime;
}

export function objectFrameId(prefix: string, objectId: string): string {
  return frameIdFrom(`${prefix}${objectId}`);
}

function transform(parent: string, child: string, p: Pose, stamp: RosTime): TransformStampedMsg {
  const m = poseMsg(p);
  return { header: { stamp, frame_id: parent }, child_frame_id: child, transform: { translation: m.position, rotation: m.orientation } };
}

/** All static transforms of a scene in one `/tf_static` message (latched topics keep one message). */
export function tfFromScene(scene: Scene, o: TfOptions): TfMessageMsg {
  const transforms = scene.objects.map((obj) => transform(o.sceneFrame, objectFrameId(o.objectPrefix, obj.id), obj.pose, o.stamp));
  if (scene.camera && o.cameraFrame && o.cameraTf !== 'none') {
    transforms.push(
      o.cameraTf === 'scene_parent' ? transform(o.sceneFrame, o.cameraFrame, scene.camera.pose, o.stamp) : transform(o.cameraFrame, o.sceneFrame, invertPose(scene.camera.pose), o.stamp),
    );
  }
  return { transforms };
}

function status(level: DiagLevel, name: string, message: string, values: Record<string, unknown> = {}): DiagnosticStatusMsg {
  return {
    level,
    name,
    message,
    hardware_id: HARDWARE_ID,
    values: Object.entries(values).map(([key, v]) => ({ key, value: typeof v === 'number' ? String(Math.round(v * 1e4) / 1e4) : String(v) })),
  };
}

export function stageStatus(r: StageReport): DiagnosticStatusMsg {
  const values: Record<string, unknown> = { backend: r.backend, time_ms: r.timeMs, ...r.counts };
  r.warnings.forEach((w, i) => (values[`warning_${i}`] = w));
  return status(r.warnings.length ? DIAG.WARN : DIAG.OK, `real2sim: stage ${r.stage}`, r.warnings.length ? r.warnings.join('; ') : `ok in ${r.timeMs.toFixed(0)} ms`, values);
}

export function physicsStatus(p: PhysicsReport | undefined): DiagnosticStatusMsg {
  if (!p) return status(DIAG.WARN, 'real2sim: physics', 'not checked');
  const level = p.verdict === 'invalid' ? DIAG.ERROR : DIAG.OK;
  const values: Record<string, unknown> = { engine: p.engine, verdict: p.verdict, findings: p.findings.length, repairs: p.repairs.length, time_ms: p.timeMs };
  p.findings.forEach((f, i) => (values[`finding_${i}`] = `${f.severity} ${f.kind} [${f.objects.join(', ')}]: ${f.message}`));
  const message =
    p.verdict === 'valid'
      ? 'valid as reconstructed'
      : p.verdict === 'repaired'
        ? `valid after ${p.repairs.length} repair(s)`
        : `invalid: ${
            p.findings
              .filter((f) => f.severity === 'error')
              .map((f) => f.kind)
              .join(', ') || 'problems remain'
          }`;
  return status(level, 'real2sim: physics', message, values);
}

/**
 * The scene's confidence (scene.json `confidence`) as its own status: WARN with the reasons when
 * low (the frame does not look like objects on a table: a room, most points dropped,
 * implausible objects), OK when high. Scenes from paths that give none (imports) say so.
 */
export function confidenceStatus(c: SceneConfidence | undefined): DiagnosticStatusMsg {
  if (!c) return status(DIAG.OK, 'real2sim: scene confidence', 'not assessed for this scene');
  const values: Record<string, unknown> = { level: c.level, score: c.score };
  c.reasons.forEach((r, i) => (values[`reason_${i}`] = r));
  return status(c.level === 'low' ? DIAG.WARN : DIAG.OK, 'real2sim: scene confidence', c.level === 'low' ? `low: ${c.reasons.join('; ')}` : 'high', values);
}

export function runStatus(ok: boolean, message: string, values: Record<string, unknown> = {}): DiagnosticStatusMsg {
  return status(ok ? DIAG.OK : DIAG.ERROR, 'real2sim: reconstruction', message, values);
}

export function inputStatus(topic: string, message: string, dropped: number): DiagnosticStatusMsg {
  return status(DIAG.ERROR, `real2sim: input ${topic}`, message, { topic, dropped });
}

export function diagnosticArray(stamp: RosTime, statuses: DiagnosticStatusMsg[]): DiagnosticArrayMsg {
  return { header: { stamp, frame_id: '' }, status: statuses };
}

/** What the node has received, synced, dropped and used since it started. */
export interface NodeStats {
  /** Messages received per (resolved) topic. */
  received: Record<string, number>;
  /** Messages dropped on arrival per topic, and the last reason for each. */
  dropped: Record<string, number>;
  dropReasons: Record<string, string>;
  /** Runs that found a synced, consistent frame; frames that went into a reconstruction. */
  synced: number;
  used: number;
  /** Newer synced pairs passed over because they were inconsistent (sizes). */
  skippedInconsistent: number;
  runs: number;
  failures: number;
  busy: number;
  /** Pipeline time of the successful runs, for the mean. */
  totalRunMs: number;
  /** Bundles written; runs whose scene was unchanged (`write_bundle: on_change`: no new bundle). */
  bundlesWritten: number;
  unchanged: number;
  /** Old bundles removed by retention; the node's bundles in output_dir now and their size. */
  bundlesRemoved: number;
  bundlesKept: number;
  bundleBytes: number;
  /** The bundle whose scene is published now ('' before the first). */
  currentBundle: string;
}

/** What the node has kept up with since it started (one status, with every run's diagnostics). */
export function countersStatus(st: NodeStats, mem: MemorySample = memorySample()): DiagnosticStatusMsg {
  const succeeded = st.runs - st.failures;
  const values: Record<string, unknown> = {};
  for (const [t, n] of Object.entries(st.received)) values[`received ${t}`] = n;
  for (const [t, n] of Object.entries(st.dropped)) values[`dropped ${t}`] = n;
  for (const [t, r] of Object.entries(st.dropReasons)) values[`last drop ${t}`] = r;
  Object.assign(values, {
    synced: st.synced,
    used: st.used,
    skipped_inconsistent: st.skippedInconsistent,
    reconstructions: st.runs,
    failures: st.failures,
    busy: st.busy,
    mean_time_ms: succeeded > 0 ? st.totalRunMs / succeeded : 0,
    bundles_written: st.bundlesWritten,
    unchanged: st.unchanged,
    bundles_removed: st.bundlesRemoved,
    bundles_kept: st.bundlesKept,
    bundles_mb: st.bundleBytes / 1e6,
    current_bundle: st.currentBundle,
    // the process's memory at the moment (no GC forced: see ros/memory.ts for what each says)
    rss_mb: mem.rssMb,
    heap_used_mb: mem.heapUsedMb,
    external_mb: mem.externalMb,
    array_buffers_mb: mem.arrayBuffersMb,
  });
  return status(DIAG.OK, 'real2sim: counters', `${st.runs} reconstruction(s), ${st.failures} failed, ${st.used} frame(s) used`, values);
}
