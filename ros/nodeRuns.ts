/**
 * The node's runs: one reconstruction at a time, from the `reconstruct` service or the
 * continuous timer. A run matches the synced inputs, assembles the frame, calls the pipeline,
 * keeps the bundles, publishes the scene and diagnostics, spawns, and answers the Trigger (the
 * bundle path or the error). A request during a run is answered "busy", or — with
 * `queue_when_busy` — waits for exactly one more run; the queue never grows beyond that one slot.
 */
import type { ValidationProblem } from '../src/model/errors.ts';
import type { Scene } from '../src/model/scene.ts';
import { sceneChange } from '../src/model/sceneChange.ts';
import type { DiagnosticStatusMsg, TriggerResponse } from './messages.ts';
import { formatProblems } from './normalise.ts';
import { confidenceStatus, countersStatus, inputStatus, physicsStatus, runStatus, stageStatus, type NodeStats } from './outputs.ts';
import type { NodeParams } from './params.ts';
import { assembleFrame, type FrameSync } from './sync.ts';
import type { NodeBundles } from './nodeBundles.ts';
import type { NodeOutputs, SceneSpawner } from './nodeOutputs.ts';
import type { NodeNames, PipelineFn, PipelineResult } from './nodeTypes.ts';
import type { Transport } from './transport/types.ts';

export interface RunControllerOptions {
  transport: Transport;
  params: NodeParams;
  names: NodeNames;
  stats: NodeStats;
  sync: FrameSync;
  pipeline: PipelineFn;
  bundles: NodeBundles;
  outputs: NodeOutputs;
  spawner: SceneSpawner;
  /** True once the node is closing: no new run starts, a finished one does not publish. */
  isClosed: () => boolean;
}

export class RunController {
  private running: Promise<TriggerResponse> | null = null;
  private queued: Promise<TriggerResponse> | null = null;
  private timer: NodeJS.Timeout | undefined;
  /** Continuous mode: called as each run ends. */
  private afterRun: (() => void) | undefined;
  private lastRunStamp = -Infinity;
  /** The published scene's result, and the scene as reconstructed before validation (what the
   * next run's reconstruction is compared with under on_change). */
  private current: { result: PipelineResult; reference: Scene } | null = null;

  constructor(private readonly o: RunControllerOptions) {}

  get busy(): boolean {
    return this.running !== null;
  }

  /** What the `reconstruct` service does. */
  trigger = async (): Promise<TriggerResponse> => {
    const { params, stats, isClosed } = this.o;
    if (isClosed()) return { success: false, message: 'node is shutting down' };
    if (!this.running) return this.start();
    if (params.queue_when_busy && !this.queued) {
      this.queued = this.running.then(() => {
        this.queued = null;
        return isClosed() ? { success: false, message: 'node is shutting down' } : this.start();
      });
      return this.queued;
    }
    stats.busy++;
    return { success: false, message: `busy: a reconstruction is running${this.queued ? ' and one is queued' : ''}; call again when it finishes` };
  };

  /** Continuous mode: a run per new colour image, at most `rate_hz`. */
  startTimer(): void {
    const { params, sync, isClosed } = this.o;
    const log = this.o.transport.log;
    // One attempt per new colour image: a frame that cannot be used (no depth partner yet, a
    // failed run) is not retried on every tick.
    let lastAttempt = -Infinity;
    let waitingFor = '';
    const period = 1000 / params.rate_hz;
    let lastStart = -Infinity;
    const tick = () => {
      const latest = sync.latestColorStamp;
      if (this.running || isClosed() || latest <= lastAttempt || latest <= this.lastRunStamp) return;
      // Until every stream has sent something (topics match one by one at start-up), a tick is
      // not a failed reconstruction: said once, then the ticks wait.
      const m = sync.match();
      if (!m.ok && m.waiting) {
        if (m.reason !== waitingFor) log.info(`continuous mode: waiting: ${m.reason}`);
        waitingFor = m.reason;
        return;
      }
      lastAttempt = latest;
      lastStart = performance.now();
      void this.start();
    };
    this.timer = setInterval(tick, period);
    // A run that took longer than the period is followed at once, not at the next tick (up to a
    // period later): the rate stays at most rate_hz, and a node that cannot keep up loses no time.
    this.afterRun = () => {
      if (performance.now() - lastStart >= period) tick();
    };
  }

  /** Stops the timer and waits for the run in progress (it stops before publishing once the node is closed). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.afterRun = undefined;
    const inFlight = this.running;
    if (inFlight) {
      this.o.transport.log.info('shutting down: waiting for the reconstruction in progress to finish');
      await inFlight;
    }
  }

  private start(): Promise<TriggerResponse> {
    // runOnce never rejects; the guard below keeps that true even for a bug in it.
    const run = this.runOnce()
      .catch((err: unknown) => this.fail(`internal error: ${(err as Error).message}`))
      .finally(() => {
        this.running = null;
        this.afterRun?.();
      });
    this.running = run;
    return run;
  }

  private fail(message: string, extra: DiagnosticStatusMsg[] = []): TriggerResponse {
    const { stats, outputs } = this.o;
    stats.failures++;
    this.o.transport.log.error(`reconstruction failed: ${message}`);
    outputs.diagnostics([...extra, runStatus(false, message), countersStatus(stats)]);
    return { success: false, message };
  }

  private async runOnce(): Promise<TriggerResponse> {
    const { transport, params, names, stats, sync, pipeline, bundles, outputs, spawner, isClosed } = this.o;
    const log = transport.log;
    const fail = (message: string, extra: DiagnosticStatusMsg[] = []) => this.fail(message, extra);
    const m = sync.match();
    // Until every input stream has sent something (discovery at start-up), a call is answered
    // with what is missing; like the continuous ticks, it is no failed reconstruction.
    if (!m.ok && m.waiting) {
      log.warn(`reconstruct called before the inputs arrived: ${m.reason}`);
      outputs.diagnostics([runStatus(false, m.reason), countersStatus(stats)]);
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
    this.lastRunStamp = m.value.stamp;
    stats.used++;
    const t0 = performance.now();
    let result: PipelineResult;
    let reconstructed: Scene | undefined;
    let change = '';
    const onChange = params.write_bundle === 'on_change';
    const tolerance = { translation: params.change_translation_m, rotation: (params.change_rotation_deg * Math.PI) / 180 };
    const write = (scene: Scene): boolean => {
      reconstructed = scene;
      if (!onChange || !this.current) return true;
      const c = sceneChange(this.current.reference, scene, tolerance);
      change = c.reason;
      return c.changed;
    };
    const makeRoom = () => bundles.makeRoom(this.current?.result.bundleDir ?? '');
    let written: boolean;
    try {
      const out = await pipeline(f.value, { write, beforeWrite: makeRoom });
      if ('unchanged' in out) {
        if (!this.current) throw new Error('the pipeline reported an unchanged scene before any bundle was written');
        result = this.current.result;
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
      this.current = { result, reference: reconstructed ?? result.scene };
      stats.bundlesWritten++;
      stats.currentBundle = result.bundleDir;
      await bundles.added(result.bundleDir);
    } else {
      stats.unchanged++;
    }
    // close() may have come while retention awaited the disk: its publishers are gone
    if (isClosed()) return { success: false, message: 'node closed during the run' };
    const bundleNote = written ? '' : ` (scene unchanged: ${change}; no new bundle, the current one re-published)`;
    const stamp = transport.now();
    const physics = result.physics ?? result.scene.physics;
    const cameraFrame = params.camera_frame || m.value.color.frameId || m.value.info.frameId || '';
    const statuses: DiagnosticStatusMsg[] = [];
    try {
      outputs.scene(result, cameraFrame, stamp);
    } catch (err) {
      return fail(`could not publish the scene: ${(err as Error).message}`);
    }
    statuses.push(...result.scene.reports.map(stageStatus), confidenceStatus(result.scene.confidence), physicsStatus(physics));
    // An unchanged scene is already spawned: spawning it again would only delete and re-create it.
    if (params.spawn !== 'none' && written) statuses.push(await spawner.spawn(result, physics));
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
        bundles_kept: bundles.count,
        bundles_mb: bundles.bytes / 1e6,
        ...(skipped ? { skipped_inconsistent: skipped.count, skipped_reason: skipped.reason } : {}),
        ...Object.fromEntries(warnings.map((w, i) => [`warning_${i}`, w])),
      }),
      countersStatus(stats),
    );
    outputs.diagnostics(statuses);
    log.info(`scene with ${result.scene.objects.length} objects → ${result.bundleDir}${bundleNote}`);
    return { success: true, message: `${result.bundleDir}${bundleNote}${skipNote}` };
  }
}
