/**
 * Physics validation and repair of a scene: the public face of `sim/`.
 *
 *   validateScene(scene, opts)      → PhysicsReport (checks only; the scene is not changed)
 *   validateAndRepair(scene, opts)  → { scene (repaired copy), report }
 *
 * Engines: Rapier (default) and cannon-es behind `PhysicsEngine`; MuJoCo (official WASM) as the
 * reference (`reference: 'mujoco'`).
 */
export { validateScene } from './validate.ts';
export { validateAndRepair, type RepairResult } from './repair.ts';
export { VALIDATE_DEFAULTS, REPAIR_DEFAULTS, type ValidateOptions, type RepairOptions, type Spawn } from './options.ts';
export { SIMULATE_TASK } from './checks/stability.ts';
export { createEngine, DEFAULT_ENGINE, ENGINE_NAMES } from './engines/index.ts';
export type { PhysicsEngine, BodySpec, EngineName, EngineOptions, EngineContact } from './engine.ts';
export { simulateMujoco } from './mujoco/reference.ts';
export { signedDistance } from './convex.ts';
