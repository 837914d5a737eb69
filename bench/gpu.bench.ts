/**
 * GPU-host server bench (loopback):
 * 1. overhead per request with no model time: a 640×480 rgb8 image through HTTP + CBOR +
 *    request validation + response, against a stand-in runtime that answers at once
 *    (target < 5 ms median);
 * 2. the same image through the tiny ONNX segment model end to end, for reference;
 * 3. 50 concurrent requests on the tiny models: all must succeed, and peak memory must stay
 *    bounded (measured as RSS growth across two rounds).
 * Timings on the shared 2-core machine are noisy: compare runs taken together.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GpuHostClient } from '../src/gpu/client.ts';
import { loadModelDir } from '../src/gpu/manifest.ts';
import { toWireImage, type Task, type TaskRequests, type TaskResponses } from '../src/gpu/protocol.ts';
import { ModelRuntime, type TaskRuntime } from '../src/gpu/runtime.ts';
import { startGpuServer } from '../src/gpu/server.ts';
import { buildTinyModels } from '../src/gpu/tinyModels.ts';
import type { ColorImage } from '../src/model/image.ts';

function image(w: number, h: number): ColorImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  return { width: w, height: h, encoding: 'rgb8', data };
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

/** Answers every segment request at once with an empty label image: no model time at all. */
function standIn(): TaskRuntime {
  const labels = Buffer.alloc(640 * 480 * 2);
  return {
    executionProvider: 'none',
    availableProviders: [],
    tasks: ['segment'],
    manifests: [],
    handle<T extends Task>(_task: T, req: TaskRequests[T]): Promise<TaskResponses[T]> {
      const r = req as TaskRequests['segment'];
      return Promise.resolve({ masks: { width: r.image.width, height: r.image.height, encoding: 'mono16', data: labels }, instances: [], model: 'none', timeMs: 0 } as never);
    },
    async close() {},
  };
}

async function overhead(): Promise<void> {
  const server = await startGpuServer(standIn(), { port: 0 });
  const client = new GpuHostClient({ url: server.url, retries: 0 });
  const img = toWireImage(image(640, 480));
  const times: number[] = [];
  let cpu0 = process.cpuUsage();
  for (let i = 0; i < 230; i++) {
    if (i === 30) cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await client.call('segment', { image: img });
    if (i >= 30) times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / times.length;
  const med = quantile(times, 0.5);
  console.log(
    `server overhead, 640×480 rgb8 (921,600 B) round trip on loopback, no model (answer: a 614,400 B label image): median ${med.toFixed(2)} ms, p95 ${quantile(times, 0.95).toFixed(2)} ms over ${times.length} requests — ${med < 5 ? 'PASS' : 'FAIL'} (< 5 ms)`,
  );
  console.log(`  CPU per request, client and server together in this process: ${cpuMs.toFixed(2)} ms (load-independent; wall time above depends on the machine's load)`);
  client.close();
  await server.close();
}

/**
 * The stand-in server in its own process, so its CPU time per request is measured apart from the
 * client's: request 30 starts the count, request 230 ends it and the child prints the figure.
 */
async function serverCpuPerRequest(): Promise<void> {
  const { spawn } = await import('node:child_process');
  const code = `
    import { startGpuServer } from ${JSON.stringify(new URL('../src/gpu/server.ts', import.meta.url).pathname)};
    const labels = Buffer.alloc(640 * 480 * 2);
    const rt = { executionProvider: 'none', availableProviders: [], tasks: ['segment'], manifests: [],
      async handle(_t, r) { return { masks: { width: r.image.width, height: r.image.height, encoding: 'mono16', data: labels }, instances: [], model: 'none', timeMs: 0 }; },
      async close() {} };
    let n = 0, c0, w0;
    const server = await startGpuServer(rt, { port: 0, onRequest: () => {
      n++;
      if (n === 30) { c0 = process.cpuUsage(); w0 = performance.now(); }
      if (n === 230) { const c = process.cpuUsage(c0); console.log('CPU ' + ((c.user + c.system) / 1000 / 200).toFixed(2)); }
    } });
    console.log('URL ' + server.url);
    process.on('SIGTERM', () => server.close().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  while (!/URL (\S+)/.test(out)) await new Promise((r) => setTimeout(r, 20));
  const url = /URL (\S+)/.exec(out)![1]!;
  const client = new GpuHostClient({ url, retries: 0 });
  const img = toWireImage(image(640, 480));
  const times: number[] = [];
  for (let i = 0; i < 230; i++) {
    const t0 = performance.now();
    await client.call('segment', { image: img });
    if (i >= 30) times.push(performance.now() - t0);
  }
  while (!/CPU (\S+)/.test(out)) await new Promise((r) => setTimeout(r, 20));
  const cpu = Number(/CPU (\S+)/.exec(out)![1]);
  console.log(
    `server in its own process: CPU per request ${cpu.toFixed(2)} ms (receive 921,600 B, decode, validate, answer 614,400 B) — ${cpu < 5 ? 'PASS' : 'FAIL'} (< 5 ms); round trip median ${quantile(times, 0.5).toFixed(2)} ms`,
  );
  client.close();
  child.kill('SIGTERM');
}

async function tiny(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'r2s-bench-'));
  await buildTinyModels(dir, { imageWidth: 640, imageHeight: 480 });
  // room for 50 waiting requests on each model
  for (const f of ['tiny-segment.json', 'tiny-depth.json']) {
    const m = JSON.parse(await readFile(join(dir, f), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, f), JSON.stringify({ ...m, concurrency: 2, maxQueue: 64 }));
  }
  const runtime = await ModelRuntime.create(await loadModelDir(dir), { intraOpThreads: 1 });
  const server = await startGpuServer(runtime, { port: 0 });
  const client = new GpuHostClient({ url: server.url, retries: 0 });
  const img = toWireImage(image(640, 480));
  const times: number[] = [];
  for (let i = 0; i < 40; i++) {
    const t0 = performance.now();
    const r = await client.call('segment', { image: img });
    if (i >= 10) times.push(performance.now() - t0 - r.timeMs);
  }
  console.log(`tiny segment model end to end minus model run time (pre/post-processing + HTTP), 640×480: median ${quantile(times, 0.5).toFixed(2)} ms`);

  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const rounds: { ms: number; ok: number; rssMb: number }[] = [];
  for (let round = 0; round < 2; round++) {
    const before = process.memoryUsage().rss;
    peak = before;
    const t0 = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => client.call(i % 2 ? 'segment' : 'depth', { image: img })));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    rounds.push({ ms: performance.now() - t0, ok, rssMb: (peak - before) / 1e6 });
  }
  clearInterval(sampler);
  for (const [i, r] of rounds.entries()) {
    console.log(`50 concurrent requests (segment + depth, 640×480), round ${i + 1}: ${r.ok}/50 ok in ${r.ms.toFixed(0)} ms, peak RSS growth ${r.rssMb.toFixed(1)} MB`);
  }
  const bounded = rounds[1]!.rssMb < 400;
  console.log(`50 concurrent: ${rounds.every((r) => r.ok === 50) && bounded ? 'PASS' : 'FAIL'} (all ok, peak growth < 400 MB; bodies are held only while queued: each waits ≤ maxQueue)`);
  client.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}

export default async function main(): Promise<void> {
  await overhead();
  await serverCpuPerRequest();
  await tiny();
}
