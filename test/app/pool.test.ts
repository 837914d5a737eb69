import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameToBundle } from '../../src/app/frameToBundle.ts';
import { createPool, type TaskPool } from '../../src/app/pool.ts';
import { reconstructDetailed } from '../../src/pipeline.ts';
import { Real2SimError } from '../../src/model/errors.ts';
import { inThread, type TaskRef } from '../../src/stages/tasks.ts';
import { renderFixture, type Solid } from '../stages/fixtures.ts';
import { FRAMES, HAVE_DATA, loadRealFrame } from '../realframes/frames.ts';

/**
 * The worker pool runs per-object work (shape completion) on other threads; the scene must be
 * the one a single-thread run gives, bit for bit, for convex, round and concave (carved) objects.
 */
const SOLIDS: Solid[] = [
  { kind: 'box', id: 1, centre: [0, 0, 0.05], size: [0.2, 0.1, 0.1], yaw: 0.4 },
  { kind: 'cylinder', id: 2, centre: [0.1, 0.22, 0.06], radius: 0.04, height: 0.12 },
  { kind: 'sphere', id: 3, centre: [0.15, -0.2, 0.05], radius: 0.05 },
  { kind: 'mug', id: 4, centre: [-0.2, 0.15, 0.05], radius: 0.05, height: 0.1, wall: 0.006 },
];

const pool = createPool({ threads: 2 });

/** A fresh pool of one worker (closed after `fn`) and the busy-waiting test task of threadTask.ts. */
async function withOneWorker(fn: (one: TaskPool, busy: TaskRef<number, { x: number; thread: number }>) => Promise<void>): Promise<void> {
  const { busyThreadOf } = await import('./threadTask.ts');
  const one = createPool({ threads: 1 });
  try {
    await fn(one, { module: new URL('./threadTask.ts', import.meta.url).href, name: 'busyThreadOf', fn: busyThreadOf });
  } finally {
    await one.close();
  }
}
afterAll(() => pool.close());

describe('worker pool', () => {
  it('stages 1–6 with two worker threads give the single-thread scene exactly', async () => {
    const { frame } = renderFixture(SOLIDS, { width: 400, height: 300 });
    const one = await reconstructDetailed(frame);
    const pooled: Record<string, number> = {};
    const counting: typeof pool.run = (task, inputs) => {
      pooled[task.name] = (pooled[task.name] ?? 0) + inputs.length;
      return pool.run(task, inputs);
    };
    const two = await reconstructDetailed(frame, { runner: counting });
    // lift's outlier search, shape completion and compose: one task per object each
    expect(pooled).toEqual({ outlierTask: SOLIDS.length, shapeObjectTask: SOLIDS.length, composeObjectTask: SOLIDS.length });
    expect(two.scene.objects.length).toBe(SOLIDS.length);
    expect(one.scene.reports.find((r) => r.stage === 'shape')!.counts['concave']).toBeGreaterThanOrEqual(1);
    // timings differ; everything else is the same
    const strip = (s: typeof one.scene) => ({ ...s, reports: s.reports.map((r) => ({ ...r, timeMs: 0 })) });
    expect(strip(two.scene)).toEqual(strip(one.scene));
    for (let k = 0; k < one.scene.objects.length; k++) {
      const a = one.scene.objects[k]!,
        b = two.scene.objects[k]!;
      expect(Buffer.from(b.mesh.positions.buffer).equals(Buffer.from(a.mesh.positions.buffer))).toBe(true);
      expect(Array.from(b.mesh.indices)).toEqual(Array.from(a.mesh.indices));
    }
  });

  it.skipIf(!HAVE_DATA)('real frame uoc_demo/000003 (neighbour cuts in batches on the pool): the single-thread scene exactly', async () => {
    const frame = loadRealFrame(FRAMES.find((f) => f.name === 'uoc_demo/000003')!);
    const config = { segmentation: 'geometric' as const };
    const one = await reconstructDetailed(frame, config);
    const pooled: Record<string, number> = {};
    const counting: typeof pool.run = (task, inputs) => {
      pooled[task.name] = (pooled[task.name] ?? 0) + inputs.length;
      return pool.run(task, inputs);
    };
    const two = await reconstructDetailed(frame, { ...config, runner: counting });
    const cuts = one.scene.reports.find((r) => r.stage === 'shape')!.counts['cutAtNeighbour']!;
    expect(cuts).toBeGreaterThan(0);
    expect(pooled['trimMeshTask']).toBeGreaterThanOrEqual(cuts);
    const strip = (s: typeof one.scene) => ({ ...s, reports: s.reports.map((r) => ({ ...r, timeMs: 0 })) });
    expect(strip(two.scene)).toEqual(strip(one.scene));
  });

  it('a bundle job on the pool writes the debug pictures and the GLB of a single-thread job, byte for byte', async () => {
    const { frame } = renderFixture(SOLIDS, { width: 240, height: 180 });
    const { masks: _given, ...noMasks } = frame;
    const tmp = mkdtempSync(join(tmpdir(), 'real2sim-pool-pictures-'));
    try {
      const spawned: string[] = [];
      const watching: TaskPool = { ...pool, run: pool.run, spawn: (task, input) => (spawned.push(task.name), pool.spawn(task, input)) };
      await frameToBundle(noMasks, { out: join(tmp, 'one'), pool: null, validate: false });
      await frameToBundle(noMasks, { out: join(tmp, 'two'), pool: watching, validate: false });
      // encoded on a worker, ahead of the write: the depth at the start, the masks after segmentation
      // and the GLB beside the other files
      expect(spawned).toEqual(expect.arrayContaining(['depthPreviewPng', 'maskOverlayPng', 'glbOfObjects']));
      for (const f of ['debug/masks.png', 'debug/depth.png', 'debug/labels.png', 'scene.glb']) expect(readFileSync(join(tmp, 'two', f)).equals(readFileSync(join(tmp, 'one', f))), f).toBe(true);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('tasks run on worker threads (TypeScript modules loaded there) and on this one, results in input order', async () => {
    const { threadOf } = await import('./threadTask.ts');
    const task: TaskRef<number, { x: number; thread: number }> = { module: new URL('./threadTask.ts', import.meta.url).href, name: 'threadOf', fn: threadOf };
    const out = await pool.run(task, [1, 2, 3, 4, 5, 6]);
    expect(out.map((o) => o.x)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(out.some((o) => o.thread !== 0)).toBe(true);
    expect((await inThread(task, [1]))[0]!.thread).toBe(0);
    expect(pool.failure).toBeNull();
  });

  it('tasks that never yield by themselves still share the queue with the workers', () =>
    withOneWorker(async (one, busy) => {
      await one.warm([busy.module]);
      const out = await one.run(
        busy,
        Array.from({ length: 10 }, () => 50),
      );
      // this thread must go back to the event loop between tasks to see the worker's results:
      // without that it takes all but the worker's first input (1 of 10 on the worker)
      const onWorker = out.filter((o) => o.thread !== 0).length;
      expect(onWorker).toBeGreaterThanOrEqual(2);
      expect(one.failure).toBeNull();
    }));

  it('a batch does not queue behind a task spawned on the only worker: this thread takes it all', () =>
    withOneWorker(async (one, busy) => {
      await one.warm([busy.module]);
      const long = one.spawn(busy, 1500);
      const out = await one.run(busy, [20, 20, 20, 20]);
      // the worker is busy for 1.5 s: an input handed to it would wait there while this thread idles
      expect(out.map((o) => o.thread)).toEqual([0, 0, 0, 0]);
      expect((await long).thread).not.toBe(0);
    }));

  it('a module is warmed once per pool, however often a job asks', () =>
    withOneWorker(async (one, busy) => {
      for (let k = 0; k < 3; k++) await one.warm([busy.module]);
      expect(await one.spawn({ module: busy.module, name: 'warmUpCount', fn: () => -1 }, null)).toBe(1);
    }));

  it('workers load TypeScript in a process started as the CLI is (node --import tsx)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./threadTask.ts', import.meta.url))], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { threads: number[]; failure: string | null };
    expect(out.failure).toBeNull();
    expect(out.threads.some((t) => t !== 0)).toBe(true);
  });

  it("a task's own error reaches the caller with its class and code; a module a worker cannot load runs in this thread", async () => {
    const failing: TaskRef<number, number> = {
      module: new URL('../../src/stages/tasks.ts', import.meta.url).href,
      name: 'noSuchExport',
      fn: (x) => {
        if (x === 2) throw new Real2SimError('BAD_INPUT', 'two is not allowed');
        return x * 10;
      },
    };
    // the worker cannot find the export: the batch runs here, where input 2 throws the coded error
    await expect(pool.run(failing, [1, 2, 3])).rejects.toMatchObject({ code: 'BAD_INPUT' });
    const broken: TaskRef<number, number> = { module: 'file:///nonexistent/module.ts', name: 'f', fn: (x) => x + 1 };
    expect(await pool.run(broken, [1, 2, 3])).toEqual(await inThread(broken, [1, 2, 3]));
    expect(pool.failure).toMatch(/nonexistent/);
  });
});
