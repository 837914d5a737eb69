/**
 * Batch on BullMQ + Redis, with a real redis-server on loopback and `real2sim worker` processes:
 * 1. throughput with 1 and 2 worker processes (one thread each) on the same real frames — the
 *    ratio is the figure (target ≥ 1.8× on 2 cores); the in-process pool with 1 and 2 threads too;
 * 2. queue overhead per job: 1000 no-op jobs through one worker (enqueue → worker → thread →
 *    completion seen by the producer), target ≤ 5 ms;
 * 3. faults: kill -9 of a worker mid-job (retried, finishes, no duplicate or partial bundle);
 *    Redis killed and restarted (without persistence) mid-run (no job lost); a worker's memory
 *    over 1000 small jobs (target ≤ 50 MB growth).
 * The machine is shared: figures drift run to run; compare the ratios measured in one run.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { JobResult, JobSpec } from '../src/batch/job.ts';
import { expandInputs } from '../src/batch/inputs.ts';
import { runLocal } from '../src/batch/local.ts';
import { createJobPool } from '../src/batch/pool.ts';
import { connectRedis, duplicateRedis, runOnQueue } from '../src/batch/queue.ts';
import { hasRedis, startCli, startRedis, waitFor, writeFrames, type CliProcess, type RedisServer } from '../test/batch/helpers.ts';

const FRAMES = Number(process.env['BATCH_BENCH_FRAMES'] ?? 12);
const OPTIONS = { validate: true, segmentation: 'auto' as const };

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU seconds (user + system, all threads) a process has used. */
function cpuS(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

const noops = (prefix: string, n: number, ms = 0, busy = false): JobSpec[] =>
  Array.from({ length: n }, (_, i) => ({
    key: `${prefix}-${i}`,
    input: 'noop',
    frame: `${prefix}${i}`,
    out: `/nonexistent/${prefix}/${i}`,
    source: { kind: 'noop', ms, ...(busy ? { busy } : {}) },
    options: OPTIONS,
  }));

/**
 * The machine's own ceiling, measured beside the batch: the work two independent busy-loop
 * processes get done in 2 s against one alone. On an idle 2-core machine ≈ 2×; on a shared one it
 * is what any 2 workers could gain at most.
 */
async function parallelCeiling(): Promise<{ one: number; two: number }> {
  const { spawn } = await import('node:child_process');
  const loop = () =>
    new Promise<number>((res) => {
      const p = spawn(process.execPath, ['-e', 'const t=Date.now();let n=0;while(Date.now()-t<2000)n++;process.stdout.write(String(n))']);
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.on('exit', () => res(Number(out)));
    });
  const one = await loop();
  const [a, b] = await Promise.all([loop(), loop()]);
  return { one, two: a + b };
}

async function startWorkers(redis: RedisServer, queue: string, n: number, extra: string[] = []): Promise<CliProcess[]> {
  const ws = Array.from({ length: n }, () => startCli(['worker', '--redis', redis.url, '--queue', queue, '--concurrency', '1', ...extra]));
  // warm: each worker's thread loads the pipeline on its first job
  const conn = await connectRedis(redis.url);
  await runOnQueue(noops(`warm-${queue}`, 2 * n, 300), { redis: conn, queue, reconcileMs: 200 });
  conn.disconnect();
  return ws;
}

/** One line per target of the issue, printed together at the end. */
interface Verdict {
  target: string;
  measured: string;
  status: 'met' | 'NOT MET' | 'not shown here';
}

async function stopWorkers(ws: CliProcess[]): Promise<void> {
  for (const w of ws) w.proc.kill('SIGTERM');
  await Promise.all(ws.map((w) => w.exited));
}

export default async function bench(): Promise<void> {
  if (!hasRedis()) {
    console.log('skipped: redis-server is not installed (apt-get install -y redis-server)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'r2s-bench-batch-'));
  let redis = await startRedis();
  const all: CliProcess[] = [];
  const verdicts: Verdict[] = [];
  try {
    const framesDir = join(dir, 'frames');
    writeFrames(framesDir, FRAMES, { width: 320, height: 240 });
    console.log(
      `${FRAMES} rendered 320×240 frames (2 objects each), validation on; redis-server ${redis.url}; load average at start ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );

    // 1. throughput: the same frames, fresh output folders
    const ceiling = await parallelCeiling();
    console.log(`machine check: two busy-loop processes together do ${(ceiling.two / ceiling.one).toFixed(2)}× the work of one (≈ 2× on an idle 2-core machine; the most 2 workers can gain here now)`);
    const times: Record<string, number> = {};
    for (const n of [1, 2]) {
      const queue = `tp${n}`;
      const ws = await startWorkers(redis, queue, n);
      all.push(...ws);
      const jobs = await expandInputs([framesDir], { out: join(dir, `out-q${n}`), options: OPTIONS });
      const conn = await connectRedis(redis.url);
      const cpu0 = ws.map((w) => cpuS(w.proc.pid!));
      const t0 = performance.now();
      const rows = await runOnQueue(jobs, { redis: conn, queue, reconcileMs: 500 });
      times[`queue ${n}`] = (performance.now() - t0) / 1000;
      const cpu = ws.reduce((s, w, i) => s + cpuS(w.proc.pid!) - cpu0[i]!, 0);
      console.log(`  workers used ${cpu.toFixed(1)} CPU-s (${(cpu / FRAMES).toFixed(2)} CPU-s per frame), ${(cpu / times[`queue ${n}`]!).toFixed(2)} cores on average over the run`);
      conn.disconnect();
      await stopWorkers(ws);
      const done = rows.filter((r) => r.status === 'done').length;
      console.log(`BullMQ, ${n} worker process${n > 1 ? 'es' : ''}: ${done}/${FRAMES} frames in ${times[`queue ${n}`]!.toFixed(1)} s = ${(done / times[`queue ${n}`]!).toFixed(2)} frames/s`);
    }
    // the queue path alone: jobs of a fixed wall time (spinning), no reconstruction, no files. A
    // spin that loses its core still ends on time, so this shows whether the queue runs 2 jobs
    // at once, not how much CPU the machine gives: the frames above show that
    for (const n of [1, 2]) {
      const queue = `busy${n}`;
      const ws = await startWorkers(redis, queue, n);
      all.push(...ws);
      const conn = await connectRedis(redis.url);
      const t0 = performance.now();
      await runOnQueue(noops(`busy${n}`, 24, 250, true), { redis: conn, queue, reconcileMs: 500 });
      times[`busy ${n}`] = (performance.now() - t0) / 1000;
      conn.disconnect();
      await stopWorkers(ws);
      console.log(`BullMQ, ${n} worker process${n > 1 ? 'es' : ''}: 24 jobs of 250 ms wall time each (spinning) in ${times[`busy ${n}`]!.toFixed(1)} s (${(6 / n).toFixed(0)} s with no queue cost)`);
    }
    for (const n of [1, 2]) {
      const pool = createJobPool(n);
      await Promise.all(Array.from({ length: 2 * n }, (_, i) => pool.run(noops(`warm-local${n}`, 2 * n, 300)[i]!)));
      const jobs = await expandInputs([framesDir], { out: join(dir, `out-l${n}`), options: OPTIONS });
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const rows = await runLocal(jobs, pool);
      times[`local ${n}`] = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(cpu0);
      const cpu = (c.user + c.system) / 1e6;
      await pool.close();
      console.log(
        `in-process pool, ${n} thread${n > 1 ? 's' : ''}: ${rows.filter((r) => r.status === 'done').length}/${FRAMES} frames in ${times[`local ${n}`]!.toFixed(1)} s; ` +
          `this process used ${cpu.toFixed(1)} CPU-s (${(cpu / FRAMES).toFixed(2)} per frame), ${(cpu / times[`local ${n}`]!).toFixed(2)} cores on average`,
      );
    }
    const after = await parallelCeiling();
    const speedQ = times['queue 1']! / times['queue 2']!;
    const speedL = times['local 1']! / times['local 2']!;
    const machine = Math.max(ceiling.two / ceiling.one, after.two / after.one);
    console.log(
      `speed-up with 2 workers: BullMQ ${speedQ.toFixed(2)}×, in-process ${speedL.toFixed(2)}× (target ≥ 1.8×); machine check after: ${(after.two / after.one).toFixed(2)}× for two busy loops`,
    );
    // The target presumes two free cores. Two busy loops are the most any 2 processes can gain
    // here: when they reach less than 1.8×, the target is out of reach of any code on this
    // machine now, and the ratio says nothing about the batch: the bench says so rather than fail.
    const speedB = times['busy 1']! / times['busy 2']!;
    console.log(`  fixed-wall-time jobs (the queue's parallelism, not the CPU's): 2 workers ${speedB.toFixed(2)}× of 1`);
    const measured = `BullMQ ${speedQ.toFixed(2)}× (fixed-wall-time jobs ${speedB.toFixed(2)}×), in-process ${speedL.toFixed(2)}×; machine check ${(ceiling.two / ceiling.one).toFixed(2)}× before, ${(after.two / after.one).toFixed(2)}× after (2 workers reached ${((100 * speedQ) / machine).toFixed(0)}% of what the machine allowed)`;
    if (speedQ >= 1.8) {
      verdicts.push({ target: '2 BullMQ workers ≥ 1.8× of 1', measured, status: 'met' });
    } else if (machine < 1.8) {
      console.log(
        `  NOT SHOWN HERE: two independent busy-loop processes reach only ${machine.toFixed(2)}× of one on this machine now (< 1.8×: the cores are shared with other work), so no 2 workers can reach 1.8× here; rerun on an idle 2-core machine (machine check ≈ 2×).`,
      );
      verdicts.push({ target: '2 BullMQ workers ≥ 1.8× of 1', measured, status: 'not shown here' });
    } else {
      verdicts.push({ target: '2 BullMQ workers ≥ 1.8× of 1', measured, status: 'NOT MET' });
    }

    // 2. queue overhead: no-op jobs, one worker
    {
      const queue = 'overhead';
      const [w] = await startWorkers(redis, queue, 1);
      all.push(w!);
      const conn = await connectRedis(redis.url);
      const N = 1000;
      const rss0 = rssMb(w!.proc.pid!);
      // CPU the queue costs per job (worker process with its thread, redis-server, this producer):
      // unlike the wall time it does not include waiting for a core on a loaded machine
      const cpu0 = { worker: cpuS(w!.proc.pid!), redis: cpuS(redis.proc.pid!), producer: process.cpuUsage() };
      const t0 = performance.now();
      const rows = await runOnQueue(noops('ov', N), { redis: conn, queue, reconcileMs: 1000 });
      const perJob = (performance.now() - t0) / N;
      const cpuWorker = ((cpuS(w!.proc.pid!) - cpu0.worker) / N) * 1000;
      const cpuRedis = ((cpuS(redis.proc.pid!) - cpu0.redis) / N) * 1000;
      const p = process.cpuUsage(cpu0.producer);
      const cpuProducer = (p.user + p.system) / 1000 / N;
      const rss1 = rssMb(w!.proc.pid!);
      // a second thousand: growth that keeps going is a leak, a first-run plateau is not
      await runOnQueue(noops('ov2', N), { redis: conn, queue, reconcileMs: 1000 });
      const rss2 = rssMb(w!.proc.pid!);
      conn.disconnect();
      await stopWorkers([w!]);
      console.log(
        `queue overhead: ${N} no-op jobs through 1 worker in ${((perJob * N) / 1000).toFixed(2)} s = ${perJob.toFixed(2)} ms per job (target ≤ 5 ms), all ${rows.every((r) => r.status === 'done') ? 'done' : 'NOT done'}`,
      );
      console.log(
        `  CPU per job: worker ${cpuWorker.toFixed(2)} ms + redis-server ${cpuRedis.toFixed(2)} ms + producer ${cpuProducer.toFixed(2)} ms = ${(cpuWorker + cpuRedis + cpuProducer).toFixed(2)} ms (10 ms clock ticks over ${N} jobs; the rest of the wall time is waiting, for a core or a round trip)`,
      );
      console.log(
        `worker memory (RSS incl. its thread) over 1000 small jobs: ${rss0.toFixed(0)} → ${rss1.toFixed(0)} MB (${(rss1 - rss0).toFixed(1)} MB; target ≤ 50), after 1000 more ${rss2.toFixed(0)} MB (${(rss2 - rss1).toFixed(1)} MB)`,
      );
      const allDone = rows.length === N && rows.every((r) => r.status === 'done');
      verdicts.push({
        target: 'queue overhead ≤ 5 ms per job',
        measured: `${perJob.toFixed(2)} ms per job wall, ${(cpuWorker + cpuRedis + cpuProducer).toFixed(2)} ms CPU (${N} no-op jobs, 1 worker)${allDone ? '' : ', NOT all done'}`,
        status: perJob <= 5 && allDone ? 'met' : 'NOT MET',
      });
      verdicts.push({
        target: 'worker memory growth ≤ 50 MB over 1000 small jobs',
        measured: `+${(rss1 - rss0).toFixed(1)} MB (${rss0.toFixed(0)} → ${rss1.toFixed(0)} MB RSS), +${(rss2 - rss1).toFixed(1)} MB over 1000 more`,
        status: rss1 - rss0 <= 50 && rss2 - rss1 <= 50 ? 'met' : 'NOT MET',
      });
    }

    // 3a. kill -9 of a worker mid-job
    {
      const queue = 'kill';
      const [a] = await startWorkers(redis, queue, 1, ['--lock-ms', '2000']);
      all.push(a!);
      const out = join(dir, 'out-kill');
      const jobs = await expandInputs([framesDir], { out, options: OPTIONS });
      const conn = await connectRedis(redis.url);
      const q = new Queue(queue, { connection: conn });
      const t0 = performance.now();
      const producer = duplicateRedis(conn);
      const finished = runOnQueue(jobs, { redis: producer, queue, reconcileMs: 300 });
      await waitFor('a job active', async () => (await q.getActiveCount()) > 0);
      await new Promise((r) => setTimeout(r, 500)); // mid-job, not at its first instruction
      const [active] = await q.getActive();
      a!.proc.kill('SIGKILL');
      const b = startCli(['worker', '--redis', redis.url, '--queue', queue, '--concurrency', '1', '--lock-ms', '2000']);
      all.push(b);
      const rows = await finished;
      const wall = (performance.now() - t0) / 1000;
      await stopWorkers([b]);
      const killedRow = rows.find((r) => `frame-${r.key}` === active!.id);
      const doneLines = [a!, b].flatMap((w) =>
        w
          .output()
          .split('\n')
          .filter((l) => l.startsWith('done ') && l.includes(out)),
      );
      const entries = readdirSync(join(out, 'frames'));
      const partial = entries.filter((e) => e.startsWith('.'));
      const complete = entries
        .filter((e) => !e.startsWith('.'))
        .filter((e) => {
          try {
            return (JSON.parse(readFileSync(join(out, 'frames', e, 'scene.json'), 'utf8')) as { meta?: { jobKey?: string } }).meta?.jobKey !== undefined;
          } catch {
            return false;
          }
        });
      const byB = b.output().includes(`done ${killedRow?.input} ${killedRow?.frame} `);
      // a duplicate: a frame reconstructed twice (logged done by both workers) or a second bundle folder for one frame
      const doneFrames = doneLines.map((l) => l.split(' ').slice(1, 3).join(' '));
      const duplicates = doneFrames.length - new Set(doneFrames).size;
      const allDone = rows.length === FRAMES && rows.every((r) => r.status === 'done');
      const ok = allDone && byB && partial.length === 0 && complete.length === FRAMES && entries.length === FRAMES && duplicates === 0 && doneLines.length === FRAMES;
      verdicts.push({
        target: 'kill -9 mid-job: retried, finishes, no duplicate or partial bundle',
        measured: `${rows.filter((r) => r.status === 'done').length}/${FRAMES} done, killed job finished by the other worker: ${byB ? 'yes' : 'NO'}, ${complete.length} complete bundles in ${entries.length} folders, ${partial.length} partial, ${duplicates} frames reconstructed twice`,
        status: ok ? 'met' : 'NOT MET',
      });
      console.log(
        `kill -9 mid-job: ${rows.filter((r) => r.status === 'done').length}/${FRAMES} done in ${wall.toFixed(1)} s; the killed job (${killedRow?.frame}) ${byB ? 'was finished by the second worker' : 'was NOT finished by the second worker'}; ` +
          `bundles ${complete.length} complete of ${entries.length - partial.length}, ${partial.length} partial left; ${doneLines.length} reconstructions logged for ${FRAMES} frames`,
      );
      await q.close();
      conn.disconnect();
      producer.disconnect();
    }

    // 3b. Redis killed and restarted without persistence mid-run
    {
      const queue = 'restart';
      const [w] = await startWorkers(redis, queue, 1);
      all.push(w!);
      const conn = await connectRedis(redis.url);
      const seen: JobResult[] = [];
      const N = 300;
      const finished = runOnQueue(noops('rs', N, 10), { redis: conn, queue, reconcileMs: 500, onResult: (r) => seen.push(r) });
      await waitFor('100 jobs done', () => seen.length >= 100);
      const before = seen.length;
      const port = redis.port;
      await redis.stop();
      await new Promise((r) => setTimeout(r, 500));
      redis = await startRedis(port);
      const rows = await finished;
      conn.disconnect();
      await stopWorkers([w!]);
      const unique = new Set(rows.map((r) => r.frame)).size;
      console.log(`Redis restarted (no persistence) after ${before}/${N} jobs: ${rows.filter((r) => r.status === 'done').length}/${N} done, ${unique} distinct, ${N - unique} lost`);
      const done = rows.filter((r) => r.status === 'done').length;
      verdicts.push({
        target: 'Redis restarted mid-run: no job lost',
        measured: `restart after ${before}/${N}: ${done}/${N} done, ${N - unique} lost`,
        status: done === N && unique === N ? 'met' : 'NOT MET',
      });
    }
    console.log('\ntargets (issue 16), this run:');
    for (const v of verdicts) console.log(`  ${v.status.padEnd(14)} ${v.target}: ${v.measured}`);
    console.log(`  (load average now ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${(await import('node:os')).availableParallelism()} cores)`);
  } finally {
    for (const w of all) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
