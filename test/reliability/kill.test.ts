/**
 * kill -9 during `reconstruct` into an existing bundle: the previous bundle or a complete new
 * one, never part of one, and no temporary folder after the next run. A few trials here; 50 in
 * `npm run bench -- kill`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killTrials, prepareKillWorkspace, summarise, type KillWorkspace } from './killTrials.ts';

const TRIALS = Number(process.env['KILL_TRIALS'] ?? 6);

describe('kill -9 during reconstruct', () => {
  let ws: KillWorkspace;
  beforeAll(async () => {
    // no physics here (the bench runs it): the write is the same, the trials are shorter
    ws = await prepareKillWorkspace(mkdtempSync(join(tmpdir(), 'r2s-kill-')), { width: 160, height: 120 }, ['--no-validate']);
  }, 120_000);
  afterAll(() => {
    if (ws) rmSync(ws.root, { recursive: true, force: true });
  });

  it(`${TRIALS} trials (seed 3, during the bundle write): previous or complete new bundle, nothing left after the next run`, async () => {
    const trials = await killTrials(ws, TRIALS, 3, { writeOnly: true });
    const s = summarise(trials);
    console.log(`kill -9 trials: ${JSON.stringify(s)} (full run ${(ws.fullRunMs / 1000).toFixed(1)} s, write from ${(ws.writeAtMs / 1000).toFixed(1)} s)`);
    expect(s.partial).toBe(0);
    expect(s.missing).toBe(0);
    expect(s.tempsLeftAfterNext).toBe(0);
    expect(s.incompleteAfterNext).toBe(0);
    expect(s.previous + s.new + s.restored).toBe(TRIALS);
  }, 300_000);
});
