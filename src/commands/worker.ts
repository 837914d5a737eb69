/**
 * `real2sim worker --redis URL`: takes frames off the batch queue and writes their bundles,
 * until SIGINT/SIGTERM (then it finishes the jobs it holds and exits).
 */
import { parseCommandArgs } from './args.ts';
import { EXIT } from './exitCodes.ts';
import { Real2SimError } from '../model/errors.ts';
import { createJobPool, defaultThreads } from '../batch/pool.ts';
import { connectRedis, DEFAULT_QUEUE, startQueueWorker } from '../batch/queue.ts';

const USAGE = `--redis redis://HOST:PORT [--concurrency N] [--queue NAME] [--lock-ms 30000] [--quiet]

  --redis        the Redis the batch enqueued on
  --concurrency  frames at once, each on its own thread (default: one per CPU core)
  --queue        queue name (default ${DEFAULT_QUEUE})
  --lock-ms      a job whose worker stops renewing its lock this long (a crash) goes to another worker
Input and output paths in the jobs are absolute: every worker must see them (a shared folder).`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'worker',
    argv,
    {
      redis: { type: 'string' },
      concurrency: { type: 'string' },
      queue: { type: 'string' },
      'lock-ms': { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
  );
  if (values.help) {
    console.log(`usage: real2sim worker ${USAGE}`);
    return EXIT.OK;
  }
  if (!values.redis) throw new Real2SimError('BAD_INPUT', `worker needs --redis URL\n\nusage: real2sim worker ${USAGE}`);
  const int = (name: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) throw new Real2SimError('BAD_INPUT', `--${name} must be an integer ≥ ${min}, got '${v}'`);
    return x;
  };
  const concurrency = int('concurrency', values.concurrency, 1) ?? defaultThreads();
  const lockMs = int('lock-ms', values['lock-ms'], 1000);
  const log = (s: string) => {
    if (!values.quiet) process.stderr.write(s);
  };
  const redis = await connectRedis(values.redis);
  // a queue worker runs frames until it is stopped: many per thread
  const pool = createJobPool(concurrency, { optimiseMujoco: true });
  let lastError = '';
  const worker = startQueueWorker({
    redis,
    pool,
    concurrency,
    ...(values.queue ? { queue: values.queue } : {}),
    ...(lockMs !== undefined ? { lockMs } : {}),
    onResult: (r) =>
      log(
        r.status === 'failed'
          ? `failed ${r.input} ${r.frame}: [${r.error?.code}] ${r.error?.message.split('\n')[0]}\n`
          : `${r.status} ${r.input} ${r.frame} → ${r.bundle} (${(r.timeMs / 1000).toFixed(2)} s)\n`,
      ),
    onError: (e) => {
      // one line per distinct problem (a Redis restart repeats the same one until it is back)
      if (e.message !== lastError) log(`worker: ${e.message}\n`);
      lastError = e.message;
    },
  });
  log(`worker ${process.pid}: ${concurrency} thread${concurrency === 1 ? '' : 's'} on ${values.queue ?? DEFAULT_QUEUE} at ${values.redis}\n`);
  await new Promise<void>((res) => {
    process.once('SIGINT', () => res());
    process.once('SIGTERM', () => res());
  });
  log('worker: finishing the jobs in hand …\n');
  await worker.close();
  await pool.close();
  redis.disconnect();
  return EXIT.INTERRUPTED;
}
