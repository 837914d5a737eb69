/**
 * Physics validation + repair on REAL reconstructed scenes (`realScenes.ts`: the product's own
 * stages 1–6 on the real frames of ../shared/data, geometric segmentation), as `reconstruct`
 * runs it: default engine, then again with the MuJoCo cross-check (reconstruct's default).
 * Each run starts from a freshly parsed scene, so per-piece caches (engine hulls) are cold as in
 * one `reconstruct` run; WASM modules and the JIT are warmed once before timing.
 *
 * Also the repair-limit audit, computed here from the poses (not from the report's own flags):
 * every object whose final pose is more than 5 cm / 15° from the reconstructed one must be
 * flagged in `report.moves`, and the scene's verdict must then be needs_review or invalid.
 */
import type { Scene } from '../src/model/scene.ts';
import { quatAngle } from '../src/model/pose.ts';
import { sceneFromJson, sceneToJson } from '../src/io/sceneJson.ts';
import { validateAndRepair, type RepairOptions } from '../sim/index.ts';
import { REPAIR_DEFAULTS } from '../sim/options.ts';
import { initRapier } from '../sim/engines/rapier.ts';
import { loadMujoco } from '../sim/mujoco/reference.ts';
import { realScenes, SHARED_DATA } from './realScenes.ts';

export interface LimitAudit {
  objects: number;
  /** moved more than the limit in total (measured from the poses) */
  overLimit: number;
  /** … of which not flagged, or flagged in a scene that still passed */
  unflagged: number;
  maxMove: number;
}

export const newAudit = (): LimitAudit => ({ objects: 0, overLimit: 0, unflagged: 0, maxMove: 0 });

/** Adds one repaired scene to the audit: input poses against output poses. */
export function auditRepair(a: LimitAudit, input: Scene, output: Scene): void {
  const r = output.physics;
  const maxTurn = (REPAIR_DEFAULTS.maxTurnDeg * Math.PI) / 180;
  input.objects.forEach((o, i) => {
    if (o.isStatic) return;
    const p = output.objects[i]!.pose,
      q = o.pose;
    const d = Math.hypot(p.position[0] - q.position[0], p.position[1] - q.position[1], p.position[2] - q.position[2]);
    const t = quatAngle(p.orientation, q.orientation);
    a.objects++;
    a.maxMove = Math.max(a.maxMove, d);
    if (d <= REPAIR_DEFAULTS.maxMove && t <= maxTurn) return;
    a.overLimit++;
    const flagged = !!r?.moves?.find((m) => m.object === o.id)?.flagged;
    if (!flagged || r?.verdict === 'valid' || r?.verdict === 'repaired') a.unflagged++;
  });
}

interface Row {
  name: string;
  objects: number;
  simulated: number;
  verdict: string;
  verdictMj: string;
  ms: number;
  cpu: number;
  msMj: number;
  cpuMj: number;
  maxMove: number;
  flagged: number;
}

async function timed(scene: Scene, options: RepairOptions) {
  const t = performance.now();
  const c0 = process.cpuUsage();
  const res = await validateAndRepair(scene, options);
  const c = process.cpuUsage(c0);
  return { res, ms: performance.now() - t, cpu: (c.user + c.system) / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Prints the per-scene table; returns the audit (for bench:physics's closing line). */
export async function realPhysicsTable(runs = 3, log: (s: string) => void = (s) => process.stderr.write(s)): Promise<LimitAudit | null> {
  const scenes = (await realScenes(log)).filter((s) => s.scene.objects.length > 0);
  if (scenes.length === 0) {
    console.log(`\nreal reconstructed scenes: skipped (no real frames at ${SHARED_DATA})`);
    return null;
  }
  await initRapier();
  await loadMujoco();
  const texts = scenes.map((s) => ({ name: s.name, text: sceneToJson(s.scene, { indent: 0 }) }));
  await validateAndRepair(sceneFromJson(texts[0]!.text), { reference: 'mujoco' }); // warm-up
  const audit = newAudit();
  const rows: Row[] = [];
  for (const { name, text } of texts) {
    const ms: number[] = [],
      cpu: number[] = [],
      msMj: number[] = [],
      cpuMj: number[] = [];
    let last: Awaited<ReturnType<typeof timed>> | null = null,
      lastMj: Awaited<ReturnType<typeof timed>> | null = null;
    for (let k = 0; k < runs; k++) {
      const a = await timed(sceneFromJson(text), {});
      ms.push(a.ms);
      cpu.push(a.cpu);
      last = a;
      const b = await timed(sceneFromJson(text), { reference: 'mujoco' });
      msMj.push(b.ms);
      cpuMj.push(b.cpu);
      lastMj = b;
    }
    const input = sceneFromJson(text);
    auditRepair(audit, input, lastMj!.res.scene);
    const rep = lastMj!.res.report;
    rows.push({
      name,
      objects: input.objects.length,
      simulated: rep.stability.filter((s) => s.method !== 'statics').length,
      verdict: last!.res.report.verdict,
      verdictMj: rep.verdict,
      ms: median(ms),
      cpu: median(cpu),
      msMj: median(msMj),
      cpuMj: median(cpuMj),
      maxMove: Math.max(0, ...(rep.moves ?? []).map((m) => m.translation)),
      flagged: (rep.moves ?? []).filter((m) => m.flagged).length,
    });
  }
  console.log(`\nvalidate + repair on ${rows.length} real reconstructed scenes (geometric segmentation, stages 1–6 of reconstruct; median of ${runs} cold runs, one thread)\n`);
  const head = ['scene', 'objects', 'simulated', 'verdict', 'wall ms', 'CPU ms', '+MuJoCo verdict', 'wall ms', 'CPU ms', 'largest move', 'flagged'];
  const body = rows.map((r) => [
    r.name,
    String(r.objects),
    String(r.simulated),
    r.verdict,
    r.ms.toFixed(0),
    r.cpu.toFixed(0),
    r.verdictMj,
    r.msMj.toFixed(0),
    r.cpuMj.toFixed(0),
    `${(r.maxMove * 1000).toFixed(1)} mm`,
    String(r.flagged),
  ]);
  const w = head.map((_, k) => Math.max(head[k]!.length, ...body.map((b) => b[k]!.length)));
  const line = (c: string[]) => `| ${c.map((x, k) => x.padEnd(w[k]!)).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
  const ten = rows.filter((r) => r.objects >= 10);
  for (const r of ten)
    console.log(
      `\n${r.objects} real objects (${r.name}): validate + repair ${r.cpu.toFixed(0)} ms CPU (${r.ms.toFixed(0)} ms wall), with the MuJoCo cross-check ${r.cpuMj.toFixed(0)} ms CPU (${r.msMj.toFixed(0)} ms wall); budget 300 ms`,
    );
  console.log(
    `repair limit on real scenes: ${audit.overLimit} of ${audit.objects} objects moved more than 5 cm / 15° in total, ${audit.unflagged} of them without a flag (largest move ${(audit.maxMove * 1000).toFixed(1)} mm)`,
  );
  return audit;
}
