/**
 * The scene node, independent of how it is connected (see `transport/types.ts`), composed of
 * parts with one job each:
 *
 *   image, depth, camera_info, masks ──check──▶ FrameSync (bounded rings)     nodeInputs.ts
 *   reconstruct (Trigger) / continuous timer ──▶ one run at a time:           nodeRuns.ts
 *       match → assemble frame → pipeline → bundles kept (nodeBundles.ts) →
 *       scene/markers, scene/urdf, scene/sdf, /tf_static, diagnostics        nodeOutputs.ts
 *       → optional Gazebo spawn (nodeOutputs.ts) → Trigger answer (bundle path or the error)
 *
 * Streaming input that fails its check is reported (log + diagnostics, rate-limited per topic)
 * and dropped; nothing a message contains can throw through the transport's executor.
 * A request during a run is answered "busy", or — with `queue_when_busy` — waits for exactly
 * one more run; the queue never grows beyond that one slot.
 */
import { Real2SimError } from '../src/model/errors.ts';
import type { TriggerResponse } from './messages.ts';
import { TYPES } from './messages.ts';
import { resolveName } from './names.ts';
import type { NodeStats } from './outputs.ts';
export type { NodeStats } from './outputs.ts';
import { PARAMS, resolveParams, type NodeParams, type ParamValue } from './params.ts';
import { FrameSync } from './sync.ts';
import { NodeBundles } from './nodeBundles.ts';
import { subscribeInputs } from './nodeInputs.ts';
import { NodeOutputs, SceneSpawner } from './nodeOutputs.ts';
import { RunController } from './nodeRuns.ts';
import { NAMES, type NodeNames, type PipelineFn } from './nodeTypes.ts';
import type { Closeable, Transport } from './transport/types.ts';
export { NAMES, type PipelineCallOptions, type PipelineFn, type PipelineResult, type UnchangedResult } from './nodeTypes.ts';

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
  const names = Object.fromEntries(Object.entries(NAMES).map(([k, n]) => [k, resolveName(n, o.namespace ?? '', o.remaps ?? [], nodeName)])) as NodeNames;

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
  const bundles = await NodeBundles.open(params, stats, log);
  const sync = new FrameSync({
    tolerance: params.sync_tolerance_s,
    useDepth: params.use_depth,
    useMasks: params.use_masks,
    topics: { image: names.image, depth: names.depth, cameraInfo: names.cameraInfo, masks: names.masks },
  });
  // publishers, subscriptions and the service, closed in that order with the node
  const entities: Closeable[] = [];
  let closed = false;
  const isClosed = () => closed;

  const outputs = new NodeOutputs(transport, params, names, entities, isClosed);
  subscribeInputs({
    transport,
    params,
    names,
    stats,
    sync,
    diagnostics: (statuses) => outputs.diagnostics(statuses),
    entities,
    ...(o.reportIntervalMs !== undefined ? { reportIntervalMs: o.reportIntervalMs } : {}),
  });
  const runs = new RunController({ transport, params, names, stats, sync, pipeline, bundles, outputs, spawner: new SceneSpawner(transport, params), isClosed });
  entities.push(transport.advertiseService(names.reconstruct, TYPES.trigger, () => runs.trigger()));
  if (params.mode === 'continuous') runs.startTimer();
  log.info(`ready (${transport.kind}): ${params.mode}, image ${names.image}${params.use_depth ? `, depth ${names.depth}` : ''}, camera_info ${names.cameraInfo}; service ${names.reconstruct}`);

  return {
    params,
    names,
    stats,
    get busy() {
      return runs.busy;
    },
    trigger: runs.trigger,
    async close() {
      closed = true;
      // The reconstruction in progress finishes first (it stops before publishing): a bundle it
      // is writing is completed and counted, so the counters at shutdown match output_dir and no
      // half-written folder is left behind.
      await runs.stop();
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
