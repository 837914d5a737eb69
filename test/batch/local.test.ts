/**
 * The batch without Redis retries like the queue: a retryable coded error is tried `attempts`
 * times with doubling backoff, then reported with its code; a deterministic one fails at once.
 * Jobs run on the real thread pool (no-op jobs: no reconstruction).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandInputs } from '../../src/batch/inputs.ts';
import { encodeDepthPng, encodeLabelPng, encodePng } from '../../src/io/image.ts';
import { renderFixture } from '../stages/fixtures.ts';
import type { JobSpec } from '../../src/batch/job.ts';
import { runLocal } from '../../src/batch/local.ts';
import { createJobPool, optimiseMujocoFor } from '../../src/batch/pool.ts';
import { MUJOCO_OPTIMISE_PAYS_AFTER } from '../../sim/mujoco/reference.ts';

const pool = createJobPool(1);
afterAll(() => pool.close());

const spec = (frame: string, fail: 'REMOTE' | 'BAD_IMAGE' | undefined): JobSpec => ({
  key: `local-${frame}`,
  input: 'noop',
  frame,
  out: `/nonexistent/${frame}`,
  source: { kind: 'noop', ms: 0, ...(fail ? { fail } : {}) },
  options: { validate: false, segmentation: 'auto' },
});

describe('batch retries without Redis', () => {
  it('REMOTE: 3 attempts, 100 + 200 ms backoff, then failed with its code; BAD_IMAGE: 1 attempt; a good job: done', async () => {
    const t0 = performance.now();
    const rows = await runLocal([spec('remote', 'REMOTE'), spec('bad', 'BAD_IMAGE'), spec('ok', undefined)], pool, { retry: { attempts: 3, backoffMs: 100 } });
    const elapsed = performance.now() - t0;
    const by = new Map(rows.map((r) => [r.frame, r]));
    expect(by.get('remote')).toMatchObject({ status: 'failed', attempts: 3, error: { code: 'REMOTE', message: 'noop job failing with REMOTE as asked' } });
    expect(by.get('bad')).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'BAD_IMAGE' } });
    expect(by.get('ok')).toMatchObject({ status: 'done', attempts: 1 });
    expect(elapsed).toBeGreaterThanOrEqual(300);
  }, 60_000);
});

describe('MuJoCo optimised in the batch threads', () => {
  it('only when each thread has enough frames to repay it', () => {
    const n = MUJOCO_OPTIMISE_PAYS_AFTER;
    expect(optimiseMujocoFor(n - 1, 1)).toBe(false);
    expect(optimiseMujocoFor(n, 1)).toBe(true);
    expect(optimiseMujocoFor(2 * n - 1, 2)).toBe(false);
    expect(optimiseMujocoFor(2 * n, 2)).toBe(true);
  });

  it('a thread told to optimise MuJoCo validates a real job with the MuJoCo cross-check', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'r2s-local-mj-'));
    const optimising = createJobPool(1, { optimiseMujoco: true });
    try {
      // a box on a box: the top one rests on another object, so the cross-check simulates it
      const { frame } = renderFixture(
        [
          { kind: 'box', id: 1, label: 'base', centre: [0, 0, 0.04], size: [0.2, 0.16, 0.08], yaw: 0.2 },
          { kind: 'box', id: 2, label: 'top', centre: [0, 0, 0.11], size: [0.1, 0.08, 0.06], yaw: 0.5 },
        ],
        { width: 320, height: 240 },
      );
      const f = join(dir, 'frames', 'stack');
      mkdirSync(f, { recursive: true });
      writeFileSync(join(f, 'rgb.png'), encodePng(frame.color));
      writeFileSync(join(f, 'depth.png'), encodeDepthPng(frame.depth!));
      writeFileSync(join(f, 'masks.png'), encodeLabelPng(frame.masks!));
      writeFileSync(join(f, 'camera.json'), JSON.stringify(frame.camera));
      const jobs = await expandInputs([join(dir, 'frames')], { out: join(dir, 'out'), options: { validate: true, segmentation: 'auto' } });
      const rows = await runLocal(jobs, optimising);
      expect(rows[0]).toMatchObject({ status: 'done', attempts: 1, objects: 2 });
      expect(['valid', 'repaired']).toContain(rows[0]!.verdict);
      const physics = JSON.parse(readFileSync(join(rows[0]!.bundle, 'physics.json'), 'utf8')) as { reference?: { engine?: string; simulated?: number } };
      expect(physics.reference?.engine).toBe('mujoco');
      expect(physics.reference?.simulated).toBeGreaterThan(0);
    } finally {
      await optimising.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
