/**
 * `npm run bench -- kill`: 50 kill -9 trials of `real2sim reconstruct` into an existing bundle
 * folder (KILL_TRIALS to change), half at a random moment of the whole run, half during the
 * bundle write. Prints what the folder held after each kill and whether the next run left any
 * temporary folder. The pass condition: no partial bundle, nothing left after the next run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killTrials, prepareKillWorkspace, summarise } from '../test/reliability/killTrials.ts';

export default async function kill(): Promise<void> {
  const n = Number(process.env['KILL_TRIALS'] ?? 50);
  const root = mkdtempSync(join(tmpdir(), 'r2s-killbench-'));
  try {
    const ws = await prepareKillWorkspace(root);
    console.log(`uninterrupted reconstruct (320×240, 3 objects, with physics): ${(ws.fullRunMs / 1000).toFixed(1)} s, bundle write from ${(ws.writeAtMs / 1000).toFixed(1)} s`);
    const trials = await killTrials(ws, n, 1, {
      onTrial: (t, i) =>
        console.log(
          `  trial ${String(i + 1).padStart(2)}: kill ${t.phase === 'run' ? 'at' : 'write +'} ${String(t.killAtMs).padStart(5)} ms → ${t.after.padEnd(14)} temps after kill ${t.tempsAfterKill}, after next run ${t.tempsAfterNext}${t.exited ? ' (had finished)' : ''}`,
        ),
    });
    const s = summarise(trials);
    console.log(
      `kill -9: ${n} trials → previous ${s.previous}, complete new ${s.new}, previous put back by the next run ${s.restored}, partial ${s.partial}, missing ${s.missing}; temporary folders after the kill ${s.tempsLeftAfterKill}, after the next run ${s.tempsLeftAfterNext} — ${s.partial + s.missing + s.tempsLeftAfterNext + s.incompleteAfterNext === 0 ? 'PASS' : 'FAIL'}`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
