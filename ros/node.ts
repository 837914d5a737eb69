/**
 * The node's behaviour, independent of how it is connected (see `transport/types.ts`):
 *
 *   image, depth, camera_info, masks ──check──▶ FrameSync (bounded rings)
 *   reconstruct (Trigger) / continuous timer ──▶ one run at a time:
 *       match → assemble frame → pipeline → scene/markers, scene/urdf, scene/sdf, /tf_static,
 *       diagnostics → optional Gazebo spawn → Trigger answer (bundle path or the error)
 *
 * Streaming input that fails its check is reported (log + diagnostics, rate-limited per topic)
 * and dropped; nothing a message contains can throw through the transport's executor.
 * A request during a run is answered "busy", or — with `queue_when_busy` — waits for exactly
 * one more run; the queue never grows beyond that one slot.
 */
import { Real2SimError, type ValidationProblem } from '../src/model/errors.ts';
import type { RgbdFrame } from '../src/model/frame.ts';
import type { PhysicsReport } from '../src/model/physics.ts';
import type { Scene } from '../src/model/scene.ts';
import { DIAG, TYPES, type DiagnosticArrayMsg, type DiagnosticStatusMsg, type MarkerArrayMsg, type StringMsg, type TfMessageMsg, type TriggerResponse } from './messages.ts';
import { resolveName } from './names.ts';
import { checkCameraInfo, checkImage, COLOR_ENCODINGS, DEPTH_ENCODINGS, formatProblems, LABEL_ENCODINGS, type RawImage } from './normalise.ts';
import { confidenceStatus, countersStatus, diagnosticArray, HARDWARE_ID, inputStatus, markersFromScene, physicsStatus, runStatus, stageStatus, tfFromScene } from './outputs.ts';
import type { NodeStats } from './outputs.ts';
export type { NodeStats } from './outputs.ts';
import { PARAMS, resolveParams, type NodeParams, type ParamValue } from './params.ts';
import { deleteModels, spawnModels, type SpawnModel } from './spawn.ts';
import { BundleRetention } from '../src/export/retention.ts';
import { sceneChange } from '../src/model/sceneChange.ts';
import { assembleFrame, FrameSync } from './sync.ts';
import { QOS_DEFAULT, QOS_LATCHED, type Closeable, type Publisher, type QosProfile, type Transport } from './transport/types.ts';

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

export interface SceneNodeOptions {
  transport: Transport;
  /** The reconstruction; or give `makePipeline`. */
  pipeline?: PipelineFn;
  /**
   * Builds the reconstruction from the parameters the transport settled on (rclnodejs
   * overrides), before the node subscribes or serves: a bad `gpu_url` fails the start.
   */
  makePipeline?: (params: NodeParams) => Promise<PipelineFn>;
  /** Parameter values (YAML, flags); unknown names and bad values are an error. */
  params?: Record<string, ParamValue>;
  namespace?: string;
  remaps?: [string, string][];
  nodeName?: string;
  /** Minimum time between two input-problem reports for one topic (ms). */
  reportIntervalMs?: number;
}

export interface SceneNode {
  readonly params: NodeParams;
  /** Resolved names of every topic and service. */
  readonly names: Record<keyof typeof NAMES, string>;
  readonly stats: NodeStats;
  readonly busy: boolean;
  /** What the `reconstruct` service does. */
  trigger(): Promise<TriggerResponse>;
  close(): Promise<void>;
}

export async function startSceneNode(o: SceneNodeOptions): Promise<SceneNode> {
  const { transport } = o;
  const log = transport.log;
  const given = resolveParams(o.params ?? {});
  const params = resolveParams(await transport.declareParameters(PARAMS, given as unknown as Record<string, ParamValue>), 'parameters from the ROS parameter system');
  const chosen = o.pipeline ?? (o.makePipeline ? await o.makePipeline(params) : undefined);
  if (!chosen) throw new Real2SimError('BAD_INPUT', 'startSceneNode needs a pipeline (or makePipeline)');
  const pipeline: PipelineFn = chosen;
  const nodeName = o.nodeName ?? 'real2sim';
  const names = Object.fromEntries(Object.entries(NAMES).map(([k, n]) => [k, resolveName(n, o.namespace ?? '', o.remaps ?? [], nodeName)])) as Record<keyof typeof NAMES, string>;

  const stats: NodeStats = {
    received: {},
    dropped: {},
    dropReasons: {},
    synced: 0,
    used: 0,
    skippedInconsistent: 0,
    runs: 0,
    failures: 0,
    busy: 0,
    totalRunMs: 0,
    bundlesWritten: 0,
    unchanged: 0,
    bundlesRemoved: 0,
    bundlesKept: 0,
    bundleBytes: 0,
    currentBundle: '',
  };
  // Bundles accumulate in continuous mode (one per run, 1–10 MB each): by default only the last
  // 20 are kept there; on demand every bundle is kept unless keep_last / max_disk_mb say otherwise.
  const keepLast = params.keep_last >= 0 ? params.keep_last : params.mode === 'continuous' ? 20 : 0;
  const retention = await BundleRetention.open(params.output_dir, { keepLast, maxBytes: params.max_disk_mb * 1e6, kind: 'ros' });
  stats.bundlesKept = retention.count;
  stats.bundleBytes = retention.bytes;
  const sync = new FrameSync({
    tolerance: params.sync_tolerance_s,
    useDepth: params.use_depth,
    useMasks: params.use_masks,
    topics: { image: names.image, depth: names.depth, cameraInfo: names.cameraInfo, masks: names.masks },
  });
  const entities: Closeable[] = [];
  let closed = false;

  const pub = <T>(topic: string, type: string, qos: QosProfile): Publisher<T> => {
    const p = transport.advertise<T>(topic, type, { qos });
    entities.push(p);
    return p;
  };
  const markersPub = pub<MarkerArrayMsg>(names.markers, TYPES.markerArray, QOS_LATCHED);
  const urdfPub = pub<StringMsg>(names.urdf, TYPES.string, QOS_LATCHED);
  const sdfPub = pub<StringMsg>(names.sdf, TYPES.string, QOS_LATCHED);
  const tfPub = pub<TfMessageMsg>(names.tfStatic, TYPES.tf, QOS_LATCHED);
  const diagPub = pub<DiagnosticArrayMsg>(names.diagnostics, TYPES.diagnostics, QOS_DEFAULT);

  const publishDiagnostics = (statuses: DiagnosticStatusMsg[]) => {
    if (closed) return;
    try {
      diagPub.publish(diagnosticArray(transport.now(), statuses));
    } catch (err) {
      log.error(`could not publish diagnostics: ${(err as Error).message}`);
    }
  };

  // --- inputs -------------------------------------------------------------------------------
  const lastReport = new Map<string, number>();
  const reportInterval = o.reportIntervalMs ?? 1000;
  const reject = (topic: string, problems: ValidationProblem[]) => {
    stats.dropped[topic] = (stats.dropped[topic] ?? 0) + 1;
    const text = formatProblems(problems);
    stats.dropReasons[topic] = text;
    const now = Date.now();
    if (now - (lastReport.get(topic) ?? -Infinity) < reportInterval) return;
    lastReport.set(topic, now);
    log.warn(`dropped a message on ${topic} (${stats.dropped[topic]} so far): ${text}`);
    publishDiagnostics([inputStatus(topic, text, stats.dropped[topic])]);
  };
  const guard = (topic: string, handle: (msg: unknown) => ValidationProblem[] | null) => (msg: unknown) => {
    stats.received[topic] = (stats.received[topic] ?? 0) + 1;
    try {
      const problems = handle(msg);
      if (problems) reject(topic, problems);
    } catch (err) {
      reject(topic, [{ path: topic, message: `could not be read: ${(err as Error).message}` }]);
    }
  };
  const imageInput = (topic: string, allowed: readonly string[], push: (img: RawImage) => void) =>
    guard(topic, (msg) => {
      const r = checkImage(msg, topic, allowed);
      if (!r.ok) return r.problems;
      push(r.value);
      return null;
    });
  const inputQos: QosProfile = { reliability: params.input_reliability, durability: 'volatile', depth: 5 };
  const sub = (topic: string, type: string, cb: (msg: unknown) => void, binary: boolean) => entities.push(transport.subscribe(topic, type, cb, { qos: inputQos, binary }));

  sub(
    names.image,
    TYPES.image,
    imageInput(names.image, COLOR_ENCODINGS, (i) => sync.pushColor(i)),
    true,
  );
  if (params.use_depth)
    sub(
      names.depth,
      TYPES.image,
      imageInput(names.depth, DEPTH_ENCODINGS, (i) => sync.pushDepth(i)),
      true,
    );
  if (params.use_masks)
    sub(
      names.masks,
      TYPES.image,
      imageInput(names.masks, LABEL_ENCODINGS, (i) => sync.pushMasks(i)),
      true,
    );
  const infoWarned = new Set<string>();
  sub(
    names.cameraInfo,
    TYPES.cameraInfo,
    guard(names.cameraInfo, (msg) => {
      const r = checkCameraInfo(msg, names.cameraInfo);
      if (!r.ok) return r.problems;
      for (const w of r.warnings) {
        if (infoWarned.has(w)) continue;
        infoWarned.add(w);
        log.warn(w);
      }
      sync.setCameraInfo(r.value);
      return null;
    }),
    false,
  );

  // --- runs ---------------------------------------------------------------------------------
  let lastRunStamp = -Infinity;
  /** The published scene's result, and the scene as reconstructed before validation (what the
   * next run's reconstruction is compared with under on_change). */
  let current: { result: PipelineResult; reference: Scene } | null = null;
  const tolerance = { translation: params.change_translation_m, rotation: (params.change_rotation_deg * Math.PI) / 180 };
  const fail = (message: string, extra: DiagnosticStatusMsg[] = []): TriggerResponse => {
    stats.failures++;
    log.error(`reconstruction failed: ${message}`);
    publishDiagnostics([...extra, runStatus(false, message), countersStatus(stats)]);
    return { success: false, message };
  };

  async function runOnce(): Promise<TriggerResponse> {
    const m = sync.match();
    // Until every input stream has sent something (discovery at start-up), a call is answered
    // with what is missing; like the continuous ticks, it is no failed reconstruction.
    if (!m.ok && m.waiting) {
      log.warn(`reconstruct called before the inputs arrived: ${m.reason}`);
      publishDiagnostics([runStatus(false, m.reason), countersStatus(stats)]);
      return { success: false, message: m.reason };
    }
    stats.runs++;
    const topicOf: Record<string, string> = { camera_info: names.cameraInfo, depth: names.depth, masks: names.masks };
    const inputProblems = (problems: readonly ValidationProblem[]) => problems.map((p) => inputStatus(topicOf[p.path.split('.')[0]!] ?? p.path, `${p.path}: ${p.message}`, 0));
    if (!m.ok) return fail(m.reason, inputProblems(m.problems ?? []));
    stats.synced++;
    // A newer pair that cannot form a frame (sizes disagree) was passed over: said in the answer,
    // the log and diagnostics, while the newest consistent frame is reconstructed.
    const skipped = m.value.skipped;
    const skipNote = skipped ? ` (skipped ${skipped.count} newer inconsistent frame(s), the newest at stamp ${skipped.stamp.toFixed(3)}: ${skipped.reason})` : '';
    if (skipped) {
      stats.skippedInconsistent += skipped.count;
      log.warn(`reconstructing the frame at stamp ${m.value.stamp.toFixed(3)}${skipNote}`);
    }
    const f = assembleFrame(m.value, params.depth_scale);
    if (!f.ok) return fail(`the synced frame is inconsistent: ${formatProblems(f.problems)}`, inputProblems(f.problems));
    lastRunStamp = m.value.stamp;
    stats.used++;
    const t0 = performance.now();
    let result: PipelineResult;
    let reconstructed: Scene | undefined;
    let change = '';
    const onChange = params.write_bundle === 'on_change';
    const write = (scene: Scene): boolean => {
      reconstructed = scene;
      if (!onChange || !current) return true;
      const c = sceneChange(current.reference, scene, tolerance);
      change = c.reason;
      return c.changed;
    };
    // Room for the bundle about to be written (the size of the last one), so that output_dir
    // holds at most keep_last bundles even while one is being written.
    const makeRoom = async () => {
      try {
        const last = retention.list().at(-1);
        const pruned = await retention.prune(current?.result.bundleDir ?? '', { room: last?.bytes ?? 0 });
        stats.bundlesRemoved += pruned.removed.length;
        for (const d of pruned.released) log.warn(`retention: ${d} now holds files the node did not write; it is left alone and no longer counted`);
      } catch (err) {
        log.warn(`retention: could not remove old bundles: ${(err as Error).message}`);
      }
      stats.bundlesKept = retention.count;
      stats.bundleBytes = retention.bytes;
    };
    let written: boolean;
    try {
      const out = await pipeline(f.value, { write, beforeWrite: makeRoom });
      if ('unchanged' in out) {
        if (!current) throw new Error('the pipeline reported an unchanged scene before any bundle was written');
        result = current.result;
        written = false;
      } else {
        result = out;
        written = true;
      }
    } catch (err) {
      const e = err as Error & { code?: string };
      return fail(`${e.code ? `[${e.code}] ` : ''}${e.message}`);
    }
    // A bundle written while the node closed is on disk: it is counted and retention applies to
    // it before the run gives up publishing (below), so --stats matches the folder.
    if (written) {
      current = { result, reference: reconstructed ?? result.scene };
      stats.bundlesWritten++;
      stats.currentBundle = result.bundleDir;
      try {
        await retention.add(result.bundleDir);
        const pruned = await retention.prune(result.bundleDir);
        stats.bundlesRemoved += pruned.removed.length;
        for (const d of pruned.released) log.warn(`retention: ${d} now holds files the node did not write; it is left alone and no longer counted`);
      } catch (err) {
        log.warn(`retention: could not remove old bundles: ${(err as Error).message}`);
      }
      stats.bundlesKept = retention.count;
      stats.bundleBytes = retention.bytes;
    } else {
      stats.unchanged++;
    }
    // close() may have come while retention awaited the disk: its publishers are gone
    if (closed) return { success: false, message: 'node closed during the run' };
    const bundleNote = written ? '' : ` (scene unchanged: ${change}; no new bundle, the current one re-published)`;
    const stamp = transport.now();
    const physics = result.physics ?? result.scene.physics;
    const cameraFrame = params.camera_frame || m.value.color.frameId || m.value.info.frameId || '';
    const statuses: DiagnosticStatusMsg[] = [];
    try {
      markersPub.publish(
        markersFromScene(result.scene, { frameId: params.scene_frame, stamp, meshMode: params.marker_mesh, bundleDir: result.bundleDir, ...(result.meshFiles ? { meshFiles: result.meshFiles } : {}) }),
      );
      urdfPub.publish({ data: result.urdf });
      sdfPub.publish({ data: result.sdf });
      tfPub.publish(tfFromScene(result.scene, { sceneFrame: params.scene_frame, objectPrefix: params.object_frame_prefix, cameraFrame, cameraTf: params.camera_tf, stamp }));
    } catch (err) {
      return fail(`could not publish the scene: ${(err as Error).message}`);
    }
    statuses.push(...result.scene.reports.map(stageStatus), confidenceStatus(result.scene.confidence), physicsStatus(physics));
    // An unchanged scene is already spawned: spawning it again would only delete and re-create it.
    if (params.spawn !== 'none' && written) statuses.push(await spawn(result, physics));
    const warnings = result.warnings ?? [];
    for (const w of warnings) log.warn(w);
    const timeMs = performance.now() - t0;
    stats.totalRunMs += timeMs;
    statuses.push(
      runStatus(true, result.bundleDir, {
        objects: result.scene.objects.length,
        stamp: m.value.stamp,
        time_ms: timeMs,
        bundle: result.bundleDir,
        bundle_written: written ? 'new' : `unchanged (${change})`,
        bundles_kept: retention.count,
        bundles_mb: retention.bytes / 1e6,
        ...(skipped ? { skipped_inconsistent: skipped.count, skipped_reason: skipped.reason } : {}),
        ...Object.fromEntries(warnings.map((w, i) => [`warning_${i}`, w])),
      }),
      countersStatus(stats),
    );
    publishDiagnostics(statuses);
    log.info(`scene with ${result.scene.objects.length} objects → ${result.bundleDir}${bundleNote}`);
    return { success: true, message: `${result.bundleDir}${bundleNote}${skipNote}` };
  }

  /** Models this node spawned for the previous scene (deleted before the next spawn). */
  let spawnedNames: string[] = [];

  async function spawn(result: PipelineResult, physics: PhysicsReport | undefined): Promise<DiagnosticStatusMsg> {
    const name = 'real2sim: spawn';
    const target = params.spawn as 'gz' | 'classic';
    const passed = physics?.verdict === 'valid' || physics?.verdict === 'repaired';
    if (!passed && !params.spawn_invalid) {
      const why = physics ? `physics verdict is ${physics.verdict}` : 'the scene was not physics-checked';
      return { level: DIAG.WARN, name, message: `not spawned: ${why}; set spawn_invalid: true to spawn anyway`, hardware_id: HARDWARE_ID, values: [] };
    }
    if (!result.models || result.models.length === 0) {
      return { level: DIAG.WARN, name, message: 'not spawned: the pipeline gave no per-object SDF models', hardware_id: HARDWARE_ID, values: [] };
    }
    const so = { world: params.world, timeoutMs: params.spawn_timeout_s * 1000 };
    const removed = spawnedNames.length > 0 ? await deleteModels(transport, target, spawnedNames, so) : null;
    if (removed?.failed.length) log.warn(`could not delete ${removed.failed.length} model(s) of the previous scene through ${removed.service}: ${removed.failed[0]!.error}`);
    const out = await spawnModels(transport, target, result.models, so);
    spawnedNames = out.spawned;
    const values = [
      { key: 'service', value: out.service },
      { key: 'spawned', value: out.spawned.join(', ') },
      ...(removed ? [{ key: 'deleted', value: removed.deleted.join(', ') }] : []),
      ...(removed?.failed ?? []).map((f) => ({ key: `not deleted ${f.name}`, value: f.error })),
      ...out.failed.map((f) => ({ key: `failed ${f.name}`, value: f.error })),
    ];
    if (out.failed.length > 0) log.warn(`spawn through ${out.service}: ${out.failed.length} of ${result.models.length} failed: ${out.failed[0]!.error}`);
    return {
      level: out.failed.length === 0 ? DIAG.OK : DIAG.ERROR,
      name,
      message: out.failed.length === 0 ? `spawned ${out.spawned.length} model(s) through ${out.service}` : `${out.failed.length} of ${result.models.length} spawn(s) failed through ${out.service}`,
      hardware_id: HARDWARE_ID,
      values,
    };
  }

  let running: Promise<TriggerResponse> | null = null;
  let queued: Promise<TriggerResponse> | null = null;
  const start = (): Promise<TriggerResponse> => {
    // runOnce never rejects; the guard below keeps that true even for a bug in it.
    running = runOnce()
      .catch((err: unknown) => fail(`internal error: ${(err as Error).message}`))
      .finally(() => {
        running = null;
      });
    return running;
  };
  const trigger = async (): Promise<TriggerResponse> => {
    if (closed) return { success: false, message: 'node is shutting down' };
    if (!running) return start();
    if (params.queue_when_busy && !queued) {
      queued = running.then(() => {
        queued = null;
        return closed ? { success: false, message: 'node is shutting down' } : start();
      });
      return queued;
    }
    stats.busy++;
    return { success: false, message: `busy: a reconstruction is running${queued ? ' and one is queued' : ''}; call again when it finishes` };
  };

  entities.push(transport.advertiseService(names.reconstruct, TYPES.trigger, () => trigger()));

  let timer: NodeJS.Timeout | undefined;
  if (params.mode === 'continuous') {
    // One attempt per new colour image: a frame that cannot be used (no depth partner yet, a
    // failed run) is not retried on every tick.
    let lastAttempt = -Infinity;
    let waitingFor = '';
    timer = setInterval(() => {
      const latest = sync.latestColorStamp;
      if (running || closed || latest <= lastAttempt || latest <= lastRunStamp) return;
      // Until every stream has sent something (topics match one by one at start-up), a tick is
      // not a failed reconstruction: said once, then the ticks wait.
      const m = sync.match();
      if (!m.ok && m.waiting) {
        if (m.reason !== waitingFor) log.info(`continuous mode: waiting: ${m.reason}`);
        waitingFor = m.reason;
        return;
      }
      lastAttempt = latest;
      void start();
    }, 1000 / params.rate_hz);
  }
  log.info(`ready (${transport.kind}): ${params.mode}, image ${names.image}${params.use_depth ? `, depth ${names.depth}` : ''}, camera_info ${names.cameraInfo}; service ${names.reconstruct}`);

  return {
    params,
    names,
    stats,
    get busy() {
      return running !== null;
    },
    trigger,
    async close() {
      closed = true;
      clearInterval(timer);
      // The reconstruction in progress finishes first (it stops before publishing): a bundle it
      // is writing is completed and counted, so the counters at shutdown match output_dir and no
      // half-written folder is left behind.
      const inFlight = running;
      if (inFlight) {
        log.info('shutting down: waiting for the reconstruction in progress to finish');
        await inFlight;
      }
      for (const e of entities.splice(0)) {
        try {
          e.close();
        } catch {
          // closing is best effort: the connection may already be gone
        }
      }
    },
  };
}
