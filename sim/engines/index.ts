/**
 * Engine choice. Default: Rapier.
 *
 * Measured by `npm run bench:physics` (100 seeded perturbed synthetic scenes, verdicts compared
 * with MuJoCo 3.14 WASM as the reference; see the bench for the table). Figures are filled in
 * below from the last full run.
 *
 *   engine   verdict agreement with MuJoCo   stability time per scene
 *   rapier   (pending)                       (pending)
 *   cannon   (pending)                       (pending)
 */
import { Real2SimError } from '../../src/model/errors.ts';
import type { EngineName, EngineOptions, PhysicsEngine } from '../engine.ts';
import { createCannonEngine } from './cannon.ts';
import { createRapierEngine } from './rapier.ts';

export const DEFAULT_ENGINE: EngineName = 'cannon';
export const ENGINE_NAMES: readonly EngineName[] = ['rapier', 'cannon'];

export function createEngine(name: EngineName, options?: EngineOptions): Promise<PhysicsEngine> {
  switch (name) {
    case 'rapier':
      return createRapierEngine(options);
    case 'cannon':
      return createCannonEngine(options);
    default:
      throw new Real2SimError('BAD_INPUT', `Unknown physics engine '${String(name)}'; use one of ${ENGINE_NAMES.join(', ')}`);
  }
}
