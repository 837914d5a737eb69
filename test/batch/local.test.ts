/**
 * The batch without Redis retries like the queue: a retryable coded error is tried `attempts`
 * times with doubling backoff, then reported with its code; a deterministic one fails at once.
 * Jobs run on the real thread pool (no-op jobs: no reconstruction).
 */
import { afterAll, describe, expect, it } from 'vitest';
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

  it('a pool whose threads load MuJoCo at start runs jobs as any other', async () => {
    const optimising = createJobPool(1, { optimiseMujoco: true });
    try {
      const rows = await runLocal([spec('ok', undefined)], optimising);
      expect(rows[0]).toMatchObject({ status: 'done', attempts: 1 });
    } finally {
      await optimising.close();
    }
  }, 60_000);
});
