/**
 * The MuJoCo cross-check as a pool task (`src/stages/tasks.ts`): validation hands the run to a
 * worker thread through `ValidateOptions.spawn` and steps our own engine meanwhile, instead of
 * running MuJoCo after it. The input is the scene's objects as `simulateMujoco` takes them
 * (structured-cloneable), and WebAssembly gives the same poses on any thread.
 */
import type { Plane, SceneObject } from '../../src/model/scene.ts';
import type { TaskRef } from '../../src/stages/tasks.ts';
import { loadMujoco, simulateMujoco, type MujocoRun, type MujocoRunOptions } from './reference.ts';

export interface ReferenceRunInput {
  objects: SceneObject[];
  support?: Plane;
  options: MujocoRunOptions;
}

export function referenceRun(input: ReferenceRunInput): Promise<MujocoRun> {
  return simulateMujoco(input.objects, input.support, input.options);
}

export const REFERENCE_RUN_TASK: TaskRef<ReferenceRunInput, MujocoRun> = { module: import.meta.url, name: 'referenceRun', fn: referenceRun };

/** Loads the WebAssembly module (the pool's warm-up calls this in each worker, before validation needs it). */
export async function warmUp(): Promise<void> {
  await loadMujoco();
}
