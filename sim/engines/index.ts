/**
 * Engine choice. Default: cannon-es — chosen from measurements, against the expectation in
 * NOTES.md (which predates two fixes in our adapter: coplanar hull triangles merged into one
 * polygon per face, and every piece centred on its own origin; before them cannon-es left boxes
 * rocking and a 5-box tower fell).
 *
 * `npm run bench:physics` (100 seeded perturbed synthetic scenes, 341 objects; 2026-11-26, shared
 * 2-core machine; MuJoCo 3.14 WASM on the exported MJCF as reference):
 *
 *                                               rapier        cannon-es
 *   verdict agreement with MuJoCo, perturbed    93.0 %        95.9 %
 *   verdict agreement with MuJoCo, truth        90.6 %        100 %
 *   objects moving > 1 cm after repair (own)    13            0
 *   … and in MuJoCo on the repaired scene       24            0
 *   deepest penetration after repair            0.64 mm       0.08 mm
 *   median displacement from the true pose      0.04 mm       0.02 mm
 *   validate + repair CPU time, median (p95)    115 (242) ms  62 (161) ms
 *
 * Since statics decides objects resting on the ground alone (`checks/statics.ts`), the engine
 * only simulates stacks, leaning and rolling objects, and the gap narrowed (2026-12-06, same
 * bench): agreement perturbed 95.3 / 97.4 %, truth 100 / 100 %, moving > 1 cm in MuJoCo after
 * repair 1 / 1, CPU median (p95) 2 (10) / 1 (7) ms. cannon-es stays the default: it keeps the
 * better agreement on the scenes that do get simulated.
 *
 * Why Rapier loses here: its contact manifolds keep at most 4 vertices of a face (parry's
 * `PolygonalFeature`), so the many-sided bases of cylinders, cones, bowls and mugs get partial
 * contact patches, rock and walk (~5–15 mm in 2 s). The adapter adds quad pyramids under every
 * face with more than 4 vertices (`facePyramids` in rapier.ts), which fixes the stacks and the
 * ball in the mug but not every synthetic object, and costs ~4× per step.
 */
import { Real2SimError } from '../../src/model/errors.ts';
import type { EngineName, EngineOptions, PhysicsEngine } from '../engine.ts';
import { createCannonEngine } from './cannon.ts';
import { createRapierEngine } from './rapier.ts';

export const DEFAULT_ENGINE: EngineName = 'cannon';

/**
 * Step per engine, seconds. cannon-es at 240 Hz with 20 solver iterations: at 120 Hz / 10
 * iterations the ground truth of 8 ten-object synthetic scenes also stayed put, but resting
 * bodies jittered at up to 0.07 m/s, so runs never stopped early. Rapier at 240 Hz: at 120 Hz
 * one of those 80 objects fell over.
 */
export const ENGINE_STEP: Readonly<Record<EngineName, number>> = { cannon: 1 / 240, rapier: 1 / 240 };
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
