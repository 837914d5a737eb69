/**
 * Stages 1–6 on 640×480 synthetic frames with 5 objects (given masks), one thread:
 * per-stage median wall time, the whole pipeline's median wall and CPU time, peak RSS.
 * `npm run bench -- stages`. Target (issue 3): whole pipeline ≤ 1.0 s median, peak RSS ≤ 400 MB.
 * Wall times on a shared machine move with its load; the CPU time (user + system of this
 * process) is the steadier figure.
 */
import { generateSynthScene } from '../src/synth/synth.ts';
import { reconstruct } from '../src/pipeline.ts';

const STAGES = ['perceive', 'lift', 'ground', 'shape', 'place', 'compose'];
const median = (x: number[]) => {
  const s = [...x].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export default async function stagesBench(): Promise<void> {
  const seeds = [1, 2, 3, 4, 5, 6, 7];
  const frames = seeds.map((seed) => generateSynthScene({ seed, minObjects: 5, maxObjects: 5 }).frame);
  await reconstruct(frames[0]!); // warm-up: JIT and the manifold WASM module
  const per: Record<string, number[]> = Object.fromEntries(STAGES.map((s) => [s, []]));
  const wall: number[] = [],
    cpu: number[] = [];
  for (const frame of frames) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const scene = await reconstruct(frame);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    for (const r of scene.reports) per[r.stage]?.push(r.timeMs);
  }
  console.log(`stages 1–6, 640×480, 5 objects, given masks, ${frames.length} frames (median ms):`);
  for (const s of STAGES) console.log(`  ${s.padEnd(9)} ${median(per[s]!).toFixed(1).padStart(8)}`);
  console.log(`  ${'total'.padEnd(9)} ${median(wall).toFixed(1).padStart(8)} wall   ${median(cpu).toFixed(1)} cpu   (target ≤ 1000)`);
  console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (target ≤ 400)`);
}
