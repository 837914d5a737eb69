/**
 * `real2sim batch` and `real2sim worker`: frames with known boxes through the in-process pool
 * and through a real redis-server with several worker processes (kill -9 of a worker mid-job,
 * Redis restarted mid-run, failures that keep failing).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { run as batch } from '../../src/commands/batch.ts';
import { sceneFromJson } from '../../src/io/sceneJson.ts';
import type { JobResult, JobSpec } from '../../src/batch/job.ts';
import { createJobPool } from '../../src/batch/pool.ts';
import { connectRedis, DEFAULT_QUEUE, duplicateRedis, jobIdOf, runOnQueue, startQueueWorker } from '../../src/batch/queue.ts';
import { expandInputs } from '../../src/batch/inputs.ts';
import { expectRejection } from '../helpers/errors.ts';
import { hasRedis, startCli, startRedis, waitFor, writeFrames, type CliProcess, type RedisServer } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'r2s-batch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 4;
let frames: string[];
beforeAll(() => {
  frames = writeFrames(join(dir, 'frames'), N);
});

interface Index {
  frames: JobResult[];
}
const readIndex = (out: string) => JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as Index;

/** Every bundle is complete and has the rendered boxes' heights (ground truth), and nothing half-written is left. */
function checkBundles(out: string, rows: JobResult[]) {
  for (const r of rows) {
    const k = Number(/f(\d+)$/.exec(r.frame)![1]);
    const scene = sceneFromJson(readFileSync(join(r.bundle, 'scene.json'), 'utf8'));
    expect(r.objects).toBe(2);
    const heights = scene.objects.map((o) => o.size[2]).sort((a, b) => a - b);
    const truth = [0.06 + 0.01 * k, 0.12].sort((a, b) => a - b);
    expect(heights[0]).toBeCloseTo(truth[0]!, 1);
    expect(heights[1]).toBeCloseTo(truth[1]!, 1);
    expect(existsSync(join(r.bundle, 'scene.urdf'))).toBe(true);
  }
  const leftovers = readdirSync(join(out, 'frames')).filter((n) => n.startsWith('.'));
  expect(leftovers).toEqual([]);
  expect(readdirSync(join(out, 'frames')).sort()).toEqual(rows.map((r) => r.frame).sort());
}

describe('batch on this machine (no Redis)', () => {
  it('reconstructs every frame once, writes index.json/csv, and skips finished frames on a second run', async () => {
    const out = join(dir, 'local');
    const code = await batch([join(dir, 'frames'), '--out', out, '--workers', '2', '--quiet']);
    expect(code).toBe(0);
    const rows = readIndex(out).frames;
    expect(rows.map((r) => [r.frame, r.status])).toEqual(frames.map((_, k) => [`f${k}`, 'done']));
    expect(rows.every((r) => r.verdict === 'valid' || r.verdict === 'repaired')).toBe(true);
    checkBundles(out, rows);
    const csv = readFileSync(join(out, 'index.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('input,frame,bundle,status,objects,verdict,confidence,confidenceScore,timeMs,attempts,errorCode,error');
    expect(csv).toHaveLength(N + 1);
    const mtimes = rows.map((r) => statSync(join(r.bundle, 'scene.json')).mtimeMs);
    // resume: nothing is redone
    expect(await batch([join(dir, 'frames'), '--out', out, '--workers', '2', '--quiet'])).toBe(0);
    const again = readIndex(out).frames;
    expect(again.map((r) => r.status)).toEqual(frames.map(() => 'cached'));
    expect(again.map((r) => statSync(join(r.bundle, 'scene.json')).mtimeMs)).toEqual(mtimes);
    expect(rows.every((r) => existsSync(join(r.bundle, 'debug/report.html')))).toBe(true);
    // other options → other keys → redone (and --no-debug: bundles without debug/)
    expect(await batch([join(dir, 'frames'), '--out', out, '--workers', '2', '--quiet', '--density', '900', '--no-validate', '--no-debug'])).toBe(0);
    const lean = readIndex(out).frames;
    expect(lean.map((r) => r.status)).toEqual(frames.map(() => 'done'));
    expect(lean.map((r) => existsSync(join(r.bundle, 'scene.urdf')) && !existsSync(join(r.bundle, 'debug')))).toEqual(frames.map(() => true));
  }, 300_000);

  it('reads manifests (list and patterns) and list files; a bad frame fails with its code, the others finish', async () => {
    const m = join(dir, 'manifest');
    mkdirSync(join(m, 'color'), { recursive: true });
    mkdirSync(join(m, 'depth'), { recursive: true });
    mkdirSync(join(m, 'masks'), { recursive: true });
    for (const k of [0, 1, 2]) writeFileSync(join(m, 'masks', `${k}.png`), readFileSync(join(frames[k]!, 'masks.png')));
    for (const k of [0, 1]) {
      writeFileSync(join(m, 'color', `${k}.png`), readFileSync(join(frames[k]!, 'rgb.png')));
      writeFileSync(join(m, 'depth', `${k}.png`), readFileSync(join(frames[k]!, 'depth.png')));
    }
    writeFileSync(join(m, 'color', '2.png'), 'not a png');
    writeFileSync(join(m, 'depth', '2.png'), readFileSync(join(frames[0]!, 'depth.png')));
    writeFileSync(join(m, 'camera.json'), readFileSync(join(frames[0]!, 'camera.json')));
    writeFileSync(join(m, 'frames.json'), JSON.stringify({ rgb: 'color/*.png', depth: 'depth/*.png', camera: 'camera.json', masks: 'masks/*.png' }));
    const listed = join(dir, 'list-a');
    mkdirSync(listed);
    writeFileSync(
      join(listed, 'frames.json'),
      JSON.stringify({ frames: [{ name: 'one', rgb: '../frames/f3/rgb.png', depth: '../frames/f3/depth.png', camera: '../frames/f3/camera.json', masks: '../frames/f3/masks.png' }] }),
    );
    writeFileSync(join(dir, 'inputs.txt'), `# two inputs\nmanifest\nlist-a\n`);
    const jobs = await expandInputs([join(dir, 'inputs.txt')], { out: join(dir, 'o'), options: { validate: false, segmentation: 'auto' } });
    expect(jobs.map((j) => `${j.input.split('/').pop()}:${j.frame}`)).toEqual(['manifest:0', 'manifest:1', 'manifest:2', 'list-a:one']);
    const out = join(dir, 'manifest-out');
    const code = await batch([join(dir, 'inputs.txt'), '--out', out, '--no-validate', '--workers', '2', '--quiet', '--backoff-ms', '10']);
    expect(code).toBe(2);
    const rows = readIndex(out).frames;
    const bad = rows.find((r) => r.frame === '2')!;
    expect(bad.status).toBe('failed');
    expect(bad.error!.code).toBe('BAD_IMAGE');
    expect(bad.attempts).toBe(1); // bad input is not retried
    expect(rows.filter((r) => r.status === 'done').map((r) => r.objects)).toEqual([2, 2, 2]);
    await expectRejection(() => expandInputs([join(dir, 'nothing-here')], { out, options: { validate: false, segmentation: 'auto' } }), 'BAD_FILE', /does not exist/);
  }, 240_000);
});

const redisMissing = hasRedis() ? null : 'redis-server is not installed (apt-get install -y redis-server)';
if (redisMissing && process.env['CI'] === 'true') throw new Error(`CI: ${redisMissing}`);

describe.skipIf(redisMissing !== null)(`batch on BullMQ + Redis${redisMissing ? ` (skipped: ${redisMissing})` : ''}`, () => {
  let redis: RedisServer;
  const workers: CliProcess[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const w of workers) if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
    await redis?.stop();
  });

  it('two worker processes share the frames; each frame is reconstructed exactly once', async () => {
    const queue = 'q-two';
    for (let i = 0; i < 2; i++) workers.push(startCli(['worker', '--redis', redis.url, '--queue', queue, '--concurrency', '1']));
    const out = join(dir, 'redis-two');
    const code = await batch([join(dir, 'frames'), '--out', out, '--redis', redis.url, '--queue', queue, '--no-validate', '--quiet']);
    expect(code).toBe(0);
    const rows = readIndex(out).frames;
    expect(rows.map((r) => r.status)).toEqual(frames.map(() => 'done'));
    checkBundles(out, rows);
    const logs = workers.map((w) => w.output());
    const doneLines = logs.flatMap((l) => l.split('\n').filter((x) => x.startsWith('done ')));
    expect(doneLines).toHaveLength(N);
    for (const w of workers.splice(0)) {
      w.proc.kill('SIGTERM');
      expect(await w.exited).toBe(130);
    }
  }, 300_000);

  it('kill -9 of a worker mid-job: the job goes to another worker and finishes; no duplicate or partial bundle', async () => {
    const queue = 'q-kill';
    const a = startCli(['worker', '--redis', redis.url, '--queue', queue, '--concurrency', '1', '--lock-ms', '2000']);
    workers.push(a);
    const out = join(dir, 'redis-kill');
    const conn = await connectRedis(redis.url);
    const q = new Queue(queue, { connection: conn });
    const done = batch([join(dir, 'frames'), '--out', out, '--redis', redis.url, '--queue', queue, '--no-validate', '--quiet']);
    await waitFor('a job to be active on worker A', async () => (await q.getActiveCount()) > 0);
    const [active] = await q.getActive();
    a.proc.kill('SIGKILL');
    await a.exited;
    const b = startCli(['worker', '--redis', redis.url, '--queue', queue, '--concurrency', '1', '--lock-ms', '2000']);
    workers.push(b);
    expect(await done).toBe(0);
    const rows = readIndex(out).frames;
    expect(rows.map((r) => r.status)).toEqual(frames.map(() => 'done'));
    checkBundles(out, rows);
    const killed = rows.find((r) => jobIdOf(r.key) === active!.id)!;
    expect(killed.attempts).toBeGreaterThanOrEqual(1);
    expect(b.output()).toContain(`done ${killed.input} ${killed.frame}`);
    await q.close();
    conn.disconnect();
    b.proc.kill('SIGTERM');
    await b.exited;
  }, 240_000);

  it('batch --no-wait only enqueues; batch --workers 1 then works the queue from the batch process itself', async () => {
    const queue = 'q-self';
    const out = join(dir, 'redis-self');
    expect(await batch([frames[0]!, frames[1]!, '--out', out, '--redis', redis.url, '--queue', queue, '--no-validate', '--quiet', '--no-wait'])).toBe(0);
    const conn = await connectRedis(redis.url);
    const q = new Queue(queue, { connection: conn });
    expect(await q.getWaitingCount()).toBe(2);
    expect(existsSync(join(out, 'index.json'))).toBe(false);
    expect(await batch([frames[0]!, frames[1]!, '--out', out, '--redis', redis.url, '--queue', queue, '--no-validate', '--quiet', '--workers', '1'])).toBe(0);
    const rows = readIndex(out).frames;
    expect(rows.map((r) => [r.frame, r.status, r.objects])).toEqual([
      ['f0', 'done', 2],
      ['f1', 'done', 2],
    ]);
    expect(await q.getWaitingCount()).toBe(0);
    // the same batch again: done; with one bundle deleted, that frame (only) runs again
    rmSync(rows[1]!.bundle, { recursive: true });
    const before = statSync(join(rows[0]!.bundle, 'scene.json')).mtimeMs;
    expect(await batch([frames[0]!, frames[1]!, '--out', out, '--redis', redis.url, '--queue', queue, '--no-validate', '--quiet', '--workers', '1'])).toBe(0);
    expect(existsSync(join(rows[1]!.bundle, 'scene.json'))).toBe(true);
    expect(statSync(join(rows[0]!.bundle, 'scene.json')).mtimeMs).toBe(before);
    await q.close();
    conn.disconnect();
  }, 240_000);

  it('Redis restarted (without persistence) mid-run: no job is lost', async () => {
    const pool = createJobPool(1);
    const queue = 'q-restart';
    const specs: JobSpec[] = Array.from({ length: 30 }, (_, i) => ({
      key: `restart-${i}`,
      input: 'noop',
      frame: `n${i}`,
      out: join(dir, 'noop', String(i)),
      source: { kind: 'noop', ms: 50 },
      options: { validate: false, segmentation: 'auto' },
    }));
    const producer = await connectRedis(redis.url);
    const workerConn = await connectRedis(redis.url);
    const worker = startQueueWorker({ redis: workerConn, pool, queue, concurrency: 1, lockMs: 2000 });
    const seen: JobResult[] = [];
    const finished = runOnQueue(specs, { redis: producer, queue, reconcileMs: 300, onResult: (r) => seen.push(r) });
    await waitFor('some jobs done', () => seen.length >= 5);
    const port = redis.port;
    await redis.stop();
    redis = await startRedis(port);
    const results = await finished;
    expect(results.map((r) => r.frame).sort()).toEqual(specs.map((s) => s.frame).sort());
    expect(results.every((r) => r.status === 'done')).toBe(true);
    await worker.close();
    await pool.close();
    producer.disconnect();
    workerConn.disconnect();
  }, 120_000);

  it('a job that keeps failing is retried with backoff, then lands in the failed list with its coded error', async () => {
    const pool = createJobPool(1);
    const queue = 'q-fail';
    const conn = await connectRedis(redis.url);
    const workerConn = duplicateRedis(conn);
    const worker = startQueueWorker({ redis: workerConn, pool, queue, concurrency: 1 });
    const spec: JobSpec = { key: 'fails', input: 'noop', frame: 'x', out: join(dir, 'noop-fail'), source: { kind: 'noop', ms: 0, fail: 'REMOTE' }, options: { validate: false, segmentation: 'auto' } };
    const t0 = Date.now();
    const [r] = await runOnQueue([spec], { redis: conn, queue, retry: { attempts: 3, backoffMs: 200 }, reconcileMs: 200 });
    expect(r!.status).toBe('failed');
    expect(r!.error).toEqual({ code: 'REMOTE', message: 'noop job failing with REMOTE as asked' });
    expect(r!.attempts).toBe(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200 + 400); // two backoffs
    const q = new Queue(queue, { connection: conn });
    expect((await q.getFailed()).map((j) => j.id)).toEqual([jobIdOf('fails')]);
    await q.close();
    await worker.close();
    await pool.close();
    workerConn.disconnect();
    conn.disconnect();
  }, 60_000);

  it('names an unreachable Redis with a coded error', async () => {
    await expectRejection(() => connectRedis('redis://127.0.0.1:1', 1000), 'REMOTE', /Cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(DEFAULT_QUEUE).toBe('real2sim-frames');
  });
});
