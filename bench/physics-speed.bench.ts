/**
 * Speed of physics validation + repair on 10-object scenes (the budget: < 300 ms, one
 * thread): seeded synthetic scenes of exactly 10 objects, perturbed, then `validateAndRepair`
 * with the default engine; also `validateScene` alone and each engine's 2 s stability run.
 * Median of the runs after one warm-up. Timings on a shared machine are noisy. Then real
 * reconstructed scenes (`realPhysics.ts`), with and without the MuJoCo cross-check.
 */
import { generateSynthScene } from '../src/synth/synth.ts';
import { perturbScene } from '../src/eval/perturb.ts';
import { createRng } from '../src/geometry/random.ts';
import { validateAndRepair, validateScene, DEFAULT_ENGINE } from '../sim/index.ts';
import { initRapier } from '../sim/engines/rapier.ts';
import { realPhysicsTable } from './realPhysics.ts';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export default async function bench(): Promise<void> {
  await initRapier();
  const scenes = [1, 2, 3, 4, 5, 6].map((seed) => {
    const truth = generateSynthScene({ seed, minObjects: 10, maxObjects: 10, width: 32, height: 24, sharedMeshesDir: null }).scene;
    return { truth, bad: perturbScene(truth, createRng(1000 + seed)) };
  });
  await validateAndRepair(scenes[0]!.bad); // warm-up (WASM, JIT)
  const repair: number[] = [],
    repairCpu: number[] = [],
    validate: number[] = [];
  const byEngine: Record<string, number[]> = { cannon: [], rapier: [] };
  for (const { truth, bad } of scenes) {
    let t = performance.now();
    const c0 = process.cpuUsage();
    await validateAndRepair(bad);
    const c = process.cpuUsage(c0);
    repair.push(performance.now() - t);
    repairCpu.push((c.user + c.system) / 1000);
    t = performance.now();
    await validateScene(bad);
    validate.push(performance.now() - t);
    for (const engine of ['cannon', 'rapier'] as const) {
      t = performance.now();
      await validateScene(truth, { engine });
      byEngine[engine]!.push(performance.now() - t);
    }
  }
  console.log(`10-object scenes (${scenes.length}, seeds 1–6), default engine ${DEFAULT_ENGINE}, median of runs:`);
  console.log(
    `  validate + repair (perturbed)   ${median(repair).toFixed(0)} ms wall, ${median(repairCpu).toFixed(0)} ms CPU   (budget 300 ms; max ${Math.max(...repair).toFixed(0)} ms wall, ${Math.max(...repairCpu).toFixed(0)} ms CPU)`,
  );
  console.log(`  validate only (perturbed)       ${median(validate).toFixed(0)} ms`);
  console.log(`  validate ground truth, cannon   ${median(byEngine['cannon']!).toFixed(0)} ms`);
  console.log(`  validate ground truth, rapier   ${median(byEngine['rapier']!).toFixed(0)} ms`);
  // the same on real reconstructed scenes (the hulls users actually get)
  await realPhysicsTable();
}
