/**
 * Gazebo spawn through the standard services:
 * - gz (Gazebo Sim; services bridged by ros_gz_bridge): `ros_gz_interfaces/srv/SpawnEntity` on
 *   `/world/<world>/create`, `ros_gz_interfaces/srv/DeleteEntity` on `/world/<world>/remove`;
 * - classic (Gazebo 11 with gazebo_ros): `gazebo_msgs/srv/SpawnEntity` on `/spawn_entity`,
 *   `gazebo_msgs/srv/DeleteEntity` on `/delete_entity`.
 * Each object is its own SDF model placed at its pose in the world frame. A new scene replaces
 * the previous one: the models spawned last time are deleted first, so repeated runs
 * (continuous mode) do not pile up copies.
 */
import type { Pose } from '../src/model/pose.ts';
import { TYPES, type ClassicDeleteRequest, type ClassicSpawnRequest, type GzDeleteRequest, type GzSpawnRequest } from './messages.ts';
import { poseMsg } from './outputs.ts';
import type { Transport } from './transport/types.ts';

export interface SpawnModel {
  /** Entity name in Gazebo. */
  name: string;
  /** A complete `<sdf><model>…</model></sdf>` document. */
  sdf: string;
  pose: Pose;
}

export interface SpawnOutcome {
  service: string;
  spawned: string[];
  failed: { name: string; error: string }[];
}

/** `ros_gz_interfaces/msg/Entity` type MODEL. */
export const GZ_ENTITY_MODEL = 2;

export function gzSpawnRequest(m: SpawnModel): GzSpawnRequest {
  return {
    // No renaming: the name must stay known so the next scene can delete this model.
    entity_factory: { name: m.name, allow_renaming: false, sdf: m.sdf, sdf_filename: '', clone_name: '', pose: poseMsg(m.pose), relative_to: 'world' },
  };
}

export function classicSpawnRequest(m: SpawnModel): ClassicSpawnRequest {
  return { name: m.name, xml: m.sdf, robot_namespace: '', initial_pose: poseMsg(m.pose), reference_frame: 'world' };
}

export function spawnService(target: 'gz' | 'classic', world: string): string {
  return target === 'gz' ? `/world/${world}/create` : '/spawn_entity';
}

export function deleteService(target: 'gz' | 'classic', world: string): string {
  return target === 'gz' ? `/world/${world}/remove` : '/delete_entity';
}

/**
 * Deletes models by name; returns the names that could not be deleted with why (a model
 * already gone is reported too, harmlessly). Never throws.
 */
export async function deleteModels(
  transport: Transport,
  target: 'gz' | 'classic',
  names: readonly string[],
  o: { world: string; timeoutMs: number },
): Promise<{ service: string; deleted: string[]; failed: { name: string; error: string }[] }> {
  const service = deleteService(target, o.world);
  const out = { service, deleted: [] as string[], failed: [] as { name: string; error: string }[] };
  for (const name of names) {
    // Entity.id is a uint64: a BigInt, as rclnodejs requires (the rosbridge transport writes it as a JSON number).
    const request: GzDeleteRequest | ClassicDeleteRequest = target === 'gz' ? { entity: { id: 0n, name, type: GZ_ENTITY_MODEL } } : { name };
    try {
      const res = (await transport.callService(service, target === 'gz' ? TYPES.gzDelete : TYPES.classicDelete, request, { timeoutMs: o.timeoutMs })) as {
        success?: unknown;
        status_message?: unknown;
      } | null;
      if (res?.success === true) out.deleted.push(name);
      else out.failed.push({ name, error: typeof res?.status_message === 'string' && res.status_message ? res.status_message : `${service} answered success = false` });
    } catch (err) {
      out.failed.push({ name, error: (err as Error).message });
    }
  }
  return out;
}

/** Spawns each model in turn; a failure is recorded and the rest still go. Never throws. */
export async function spawnModels(transport: Transport, target: 'gz' | 'classic', models: readonly SpawnModel[], o: { world: string; timeoutMs: number }): Promise<SpawnOutcome> {
  const service = spawnService(target, o.world);
  const out: SpawnOutcome = { service, spawned: [], failed: [] };
  for (const m of models) {
    try {
      const res = (await transport.callService(service, target === 'gz' ? TYPES.gzSpawn : TYPES.classicSpawn, target === 'gz' ? gzSpawnRequest(m) : classicSpawnRequest(m), {
        timeoutMs: o.timeoutMs,
      })) as { success?: unknown; status_message?: unknown } | null;
      if (res && res.success === true) out.spawned.push(m.name);
      else out.failed.push({ name: m.name, error: typeof res?.status_message === 'string' && res.status_message ? res.status_message : `${service} answered success = false` });
    } catch (err) {
      out.failed.push({ name: m.name, error: (err as Error).message });
    }
  }
  return out;
}
