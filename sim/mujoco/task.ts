/**
 * The MuJoCo cross-check as a pool task (`src/stages/tasks.ts`): validation writes the model
 * here (`mujocoModelFiles`) and hands the run to a worker thread through `ValidateOptions.spawn`,
 * stepping our own engine meanwhile instead of running MuJoCo after it. The worker imports only
 * MuJoCo's bindings (`run.ts`), not the exporter, and WebAssembly gives the same poses on any
 * thread.
 */
import type { TaskRef } from '../../src/stages/tasks.ts';
import type { MujocoModelFiles, MujocoRun, MujocoRunOptions } from './run.ts';

export interface ReferenceRunInput {
  scene: MujocoModelFiles;
  options: MujocoRunOptions;
}

/** Imports MuJoCo's bindings on first use (a thread that never runs the check never loads them). */
export async function referenceRun(input: ReferenceRunInput): Promise<MujocoRun> {
  return (await import('./run.ts')).runMujoco(input.scene, input.options);
}

export const REFERENCE_RUN_TASK: TaskRef<ReferenceRunInput, MujocoRun> = { module: import.meta.url, name: 'referenceRun', fn: referenceRun };
