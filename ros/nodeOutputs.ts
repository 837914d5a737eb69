/**
 * The node's outputs: its publishers (scene/markers, scene/urdf, scene/sdf, /tf_static,
 * diagnostics) and the Gazebo spawn of each new scene. Nothing is published once the node is
 * closing (its publishers are about to go).
 */
import type { PhysicsReport } from '../src/model/physics.ts';
import { DIAG, TYPES, type DiagnosticArrayMsg, type DiagnosticStatusMsg, type MarkerArrayMsg, type RosTime, type StringMsg, type TfMessageMsg } from './messages.ts';
import { diagnosticArray, HARDWARE_ID, markersFromScene, tfFromScene } from './outputs.ts';
import type { NodeParams } from './params.ts';
import { deleteModels, spawnModels } from './spawn.ts';
import type { NodeNames, PipelineResult } from './nodeTypes.ts';
import { QOS_DEFAULT, QOS_LATCHED, type Closeable, type Publisher, type QosProfile, type Transport } from './transport/types.ts';

export class NodeOutputs {
  private readonly markersPub: Publisher<MarkerArrayMsg>;
  private readonly urdfPub: Publisher<StringMsg>;
  private readonly sdfPub: Publisher<StringMsg>;
  private readonly tfPub: Publisher<TfMessageMsg>;
  private readonly diagPub: Publisher<DiagnosticArrayMsg>;

  /** Advertises every output; the publishers are added to `entities` (closed with the node). */
  constructor(
    private readonly transport: Transport,
    private readonly params: NodeParams,
    names: NodeNames,
    entities: Closeable[],
    private readonly isClosed: () => boolean,
  ) {
    const pub = <T>(topic: string, type: string, qos: QosProfile): Publisher<T> => {
      const p = transport.advertise<T>(topic, type, { qos });
      entities.push(p);
      return p;
    };
    this.markersPub = pub<MarkerArrayMsg>(names.markers, TYPES.markerArray, QOS_LATCHED);
    this.urdfPub = pub<StringMsg>(names.urdf, TYPES.string, QOS_LATCHED);
    this.sdfPub = pub<StringMsg>(names.sdf, TYPES.string, QOS_LATCHED);
    this.tfPub = pub<TfMessageMsg>(names.tfStatic, TYPES.tf, QOS_LATCHED);
    this.diagPub = pub<DiagnosticArrayMsg>(names.diagnostics, TYPES.diagnostics, QOS_DEFAULT);
  }

  /** One diagnostics message; a failure to publish is logged, never thrown. */
  diagnostics(statuses: DiagnosticStatusMsg[]): void {
    if (this.isClosed()) return;
    try {
      this.diagPub.publish(diagnosticArray(this.transport.now(), statuses));
    } catch (err) {
      this.transport.log.error(`could not publish diagnostics: ${(err as Error).message}`);
    }
  }

  /** The scene on the latched topics: markers, URDF, SDF and its frames on /tf_static. Throws when a publish fails. */
  scene(result: PipelineResult, cameraFrame: string, stamp: RosTime): void {
    const params = this.params;
    this.markersPub.publish(
      markersFromScene(result.scene, { frameId: params.scene_frame, stamp, meshMode: params.marker_mesh, bundleDir: result.bundleDir, ...(result.meshFiles ? { meshFiles: result.meshFiles } : {}) }),
    );
    this.urdfPub.publish({ data: result.urdf });
    this.sdfPub.publish({ data: result.sdf });
    this.tfPub.publish(tfFromScene(result.scene, { sceneFrame: params.scene_frame, objectPrefix: params.object_frame_prefix, cameraFrame, cameraTf: params.camera_tf, stamp }));
  }
}

/** Spawns each new scene in Gazebo (`spawn: gz | classic`), deleting the models it spawned for the previous one. */
export class SceneSpawner {
  /** Models this node spawned for the previous scene (deleted before the next spawn). */
  private spawnedNames: string[] = [];

  constructor(
    private readonly transport: Transport,
    private readonly params: NodeParams,
  ) {}

  async spawn(result: PipelineResult, physics: PhysicsReport | undefined): Promise<DiagnosticStatusMsg> {
    const { transport, params } = this;
    const log = transport.log;
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
    const removed = this.spawnedNames.length > 0 ? await deleteModels(transport, target, this.spawnedNames, so) : null;
    if (removed?.failed.length) log.warn(`could not delete ${removed.failed.length} model(s) of the previous scene through ${removed.service}: ${removed.failed[0]!.error}`);
    const out = await spawnModels(transport, target, result.models, so);
    this.spawnedNames = out.spawned;
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
}
