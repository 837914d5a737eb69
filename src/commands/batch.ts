/**
 * `real2sim batch <inputs…> --out DIR`: every frame of folders, manifests, recordings and list
 * files → one bundle each, through a thread pool here or, with `--redis`, a BullMQ queue that
 * `real2sim worker` processes anywhere. Writes DIR/index.json and DIR/index.csv.
 */
import { resolve } from 'node:path';
import { parseCommandArgs } from './args.ts';
import { EXIT } from './exitCodes.ts';
import { Real2SimError } from '../model/errors.ts';
import { expandInputs } from '../batch/inputs.ts';
import type { JobOptions, JobResult } from '../batch/job.ts';
import { DEFAULT_RETRY, runLocal } from '../batch/local.ts';
import { createJobPool, defaultThreads, optimiseMujocoFor, type JobPool } from '../batch/pool.ts';
import { Queue } from 'bullmq';
import { connectRedis, DEFAULT_QUEUE, duplicateRedis, enqueueJobs, runOnQueue, startQueueWorker } from '../batch/queue.ts';
import { Progress, summaryTable, writeIndex } from '../batch/report.ts';
import { bagSelection } from '../recordings/reconstructBag.ts';
import { parseTopicsFlag } from '../recordings/frames.ts';
import { splitHostList } from '../gpu/hostPool.ts';

const USAGE = `<input…> --out DIR [--redis redis://HOST:PORT [--queue NAME] [--workers N | --no-wait]] [--workers N]
       [--topics IMAGE,DEPTH,CAMERA_INFO] [--at T | --every S] [--sync-tolerance 0.02] [--depth-scale 0.001]
       [--segmentation auto|given|geometric] [--density KG_M3] [--seed N] [--no-validate] [--no-debug] [--gpu-host URL[,URL…]]
       [--attempts 3] [--backoff-ms 1000] [--quiet]

  input            a frame folder (rgb.png + depth.png + camera.json [+ masks.png], or folders of them),
                   a folder with frames.json (a list of frames or rgb/depth/camera patterns with one '*'),
                   an .mcap file or rosbag2 folder (one frame per selected colour image), or a list file
                   (one input per line)
  --out            output folder: bundles in DIR/<input>/<frame>/, plus index.json and index.csv
  --redis          enqueue every frame on this Redis (BullMQ) and wait for \`real2sim worker\` processes;
                   without it the frames run in a pool of threads here
  --queue          queue name (default ${DEFAULT_QUEUE})
  --workers        threads here (default: one per CPU core); with --redis, also work the queue from here
  --no-wait        with --redis: enqueue and exit
  --gpu-host       segment on these GPU hosts (\`real2sim serve\`; several: a pool with least-outstanding routing,
                   health checks and failover; none reachable: CPU segmentation); workers read the token
                   from their own $REAL2SIM_GPU_TOKEN
  --no-debug       bundles without their debug/ folder (as \`reconstruct --no-debug\`)
  --attempts       tries per frame (default ${DEFAULT_RETRY.attempts}); --backoff-ms first wait, doubled each retry
  Recordings: --topics, --at, --every, --sync-tolerance as for \`reconstruct --bag\`.
Finished frames (same inputs, options and output folder) are not redone: run the command again to resume.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'batch',
    argv,
    {
      out: { type: 'string', short: 'o' },
      redis: { type: 'string' },
      queue: { type: 'string' },
      workers: { type: 'string' },
      'no-wait': { type: 'boolean' },
      topics: { type: 'string' },
      at: { type: 'string' },
      every: { type: 'string' },
      'sync-tolerance': { type: 'string' },
      'depth-scale': { type: 'string' },
      segmentation: { type: 'string' },
      density: { type: 'string' },
      seed: { type: 'string' },
      'no-validate': { type: 'boolean' },
      'no-debug': { type: 'boolean' },
      'gpu-host': { type: 'string', multiple: true },
      attempts: { type: 'string' },
      'backoff-ms': { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
    true,
  );
  if (values.help) {
    console.log(`usage: real2sim batch ${USAGE}`);
    return EXIT.OK;
  }
  if (!values.out) throw new Real2SimError('BAD_INPUT', `batch needs --out DIR\n\nusage: real2sim batch ${USAGE}`);
  const num = (name: string, v: string | undefined, int = false, min = 0): number | undefined => {
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!Number.isFinite(x) || x < min || (int && !Number.isInteger(x))) throw new Real2SimError('BAD_INPUT', `--${name} must be ${int ? 'an integer' : 'a number'} ≥ ${min}, got '${v}'`);
    return x;
  };
  const seg = values.segmentation ?? 'auto';
  if (!['auto', 'given', 'geometric'].includes(seg)) throw new Real2SimError('BAD_INPUT', `--segmentation must be auto, given or geometric, got '${seg}'`);
  const gpuHosts = splitHostList(values['gpu-host']);
  for (const u of gpuHosts) {
    if (!/^https?:\/\/[^/\s]+/.test(u)) throw new Real2SimError('BAD_INPUT', `--gpu-host '${u}' is not an http(s) URL; give e.g. http://gpu-box:8765.`);
  }
  if (gpuHosts.length > 0 && values.segmentation !== undefined) {
    throw new Real2SimError('BAD_INPUT', `With --gpu-host, segmentation runs on the GPU host: drop --segmentation ${seg}, or drop --gpu-host to segment on the CPU.`);
  }
  const options: JobOptions = {
    validate: values['no-validate'] !== true,
    ...(values['no-debug'] ? { debug: false as const } : {}),
    segmentation: seg as JobOptions['segmentation'],
    ...(values.density !== undefined ? { density: num('density', values.density, false, 1e-9)! } : {}),
    ...(values.seed !== undefined ? { seed: num('seed', values.seed, true)! } : {}),
    ...(gpuHosts.length > 0 ? { gpuHosts } : {}),
  };
  const workers = num('workers', values.workers, true, values.redis ? 0 : 1);
  const retry = { attempts: num('attempts', values.attempts, true, 1) ?? DEFAULT_RETRY.attempts, backoffMs: num('backoff-ms', values['backoff-ms']) ?? DEFAULT_RETRY.backoffMs };
  if (values['no-wait'] && !values.redis) throw new Real2SimError('BAD_INPUT', '--no-wait only applies with --redis (the queue keeps the jobs).');
  const out = resolve(values.out);
  const log = (s: string) => {
    if (!values.quiet) process.stderr.write(s);
  };
  const depthScale = num('depth-scale', values['depth-scale'], false, 1e-12);
  const tolerance = num('sync-tolerance', values['sync-tolerance']);
  const t0 = performance.now();
  log('listing frames …\n');
  const jobs = await expandInputs(positionals, {
    out,
    options,
    select: bagSelection(values),
    ...(values.topics ? { topics: parseTopicsFlag(values.topics) } : {}),
    ...(depthScale !== undefined ? { depthScale } : {}),
    ...(tolerance !== undefined ? { tolerance } : {}),
  });
  log(`${jobs.length} frame${jobs.length === 1 ? '' : 's'} from ${positionals.length} input${positionals.length === 1 ? '' : 's'}\n`);

  const progress = new Progress(jobs.length, values.quiet ? () => {} : undefined);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let pool: JobPool | undefined;
  let results: JobResult[];
  try {
    if (values.redis) {
      const redis = await connectRedis(values.redis);
      const localWorkers = workers ?? 0;
      pool = localWorkers > 0 ? createJobPool(localWorkers, { optimiseMujoco: optimiseMujocoFor(jobs.length, localWorkers) }) : undefined;
      const workerConnection = pool ? duplicateRedis(redis) : undefined;
      const worker = pool && workerConnection ? startQueueWorker({ redis: workerConnection, pool, ...(values.queue ? { queue: values.queue } : {}) }) : undefined;
      try {
        if (values['no-wait']) {
          const q = new Queue(values.queue ?? DEFAULT_QUEUE, { connection: redis });
          await enqueueJobs(q, jobs, retry);
          await q.close();
          log(`${jobs.length} frames enqueued on ${values.queue ?? DEFAULT_QUEUE}; start \`real2sim worker --redis ${values.redis}\` to process them.\n`);
          return EXIT.OK;
        }
        if (!pool) log(`waiting for workers: start \`real2sim worker --redis ${values.redis}\` on any machine that sees ${out}\n`);
        results = await runOnQueue(jobs, { redis, retry, onResult: (r) => progress.add(r), signal: abort.signal, ...(values.queue ? { queue: values.queue } : {}) });
      } finally {
        await worker?.close();
        workerConnection?.disconnect();
        redis.disconnect();
      }
    } else {
      const threads = workers ?? defaultThreads();
      pool = createJobPool(threads, { optimiseMujoco: optimiseMujocoFor(jobs.length, threads) });
      results = await runLocal(jobs, pool, { retry, onResult: (r) => progress.add(r), signal: abort.signal });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pool?.close();
  }
  progress.draw(true);
  const wallS = (performance.now() - t0) / 1000;
  const rows = await writeIndex(out, results, { inputs: positionals, options, interrupted: abort.signal.aborted || undefined });
  if (!values.quiet) {
    console.log(summaryTable(rows, wallS));
    console.log(`index: ${out}/index.json, ${out}/index.csv`);
  }
  if (abort.signal.aborted) {
    log(`interrupted: ${results.length} of ${jobs.length} frames finished; run the same command again to resume.\n`);
    return EXIT.INTERRUPTED;
  }
  return rows.some((r) => r.status === 'failed') ? EXIT.BAD_INPUT : EXIT.OK;
}
