/**
 * `real2sim serve --models DIR [--port 8765] [--host 127.0.0.1] [--token T] …`: the GPU-host
 * server (protocol v1, docs/gpu-host-protocol.md) over the ONNX models whose manifests are in
 * DIR. CUDA when the installed onnxruntime-node build has it, CPU otherwise (see `health`).
 * Ctrl-C / SIGTERM shut it down gracefully: requests already admitted finish first.
 */
import { parseCommandArgs } from './args.ts';
import { Real2SimError } from '../model/errors.ts';
import { untilStopped } from './lifetime.ts';

/** Execution providers `--ep` may name (what onnxruntime-node builds offer on Linux). */
const KNOWN_PROVIDERS = ['cpu', 'cuda'];

const USAGE = `--models DIR [--port 8765] [--host 127.0.0.1] [--token TOKEN] [--max-body-mb 64]
       [--ep cuda|cpu] [--threads N] [--tiny]

  --models       folder of model manifests (*.json) and their .onnx files (see models/README.md)
  --port         TCP port (default 8765; 0 = any free port)
  --host         address to listen on (default 127.0.0.1; 0.0.0.0 to serve the network)
  --token        bearer token clients must send (default: $REAL2SIM_GPU_TOKEN; none = no auth,
                 allowed only on a loopback address)
  --max-body-mb  largest request body (default 64)
  --ep           force an onnxruntime execution provider (default: cuda when present, else cpu)
  --threads      intra-op threads per model session
  --tiny         first write the tiny test models into --models (no weights needed)`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'serve',
    argv,
    {
      models: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      'max-body-mb': { type: 'string' },
      ep: { type: 'string' },
      threads: { type: 'string' },
      tiny: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
  );
  if (values.help) {
    console.log(`usage: real2sim serve ${USAGE}`);
    return 0;
  }
  if (!values.models) throw new Real2SimError('BAD_INPUT', `--models is required\n\nusage: real2sim serve ${USAGE}`);
  const num = (name: string, v: string | undefined, dflt: number, min: number, max: number, integer = true) => {
    if (v === undefined) return dflt;
    const n = v.trim() === '' ? NaN : Number(v);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new Real2SimError('BAD_INPUT', `--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${v}"`, { flag: name });
    }
    return n;
  };
  const port = num('port', values.port, 8765, 0, 65535);
  const threads = values.threads === undefined ? undefined : num('threads', values.threads, 0, 1, 1024);
  const maxBodyMb = num('max-body-mb', values['max-body-mb'], 64, 1, 4096, false);
  const host = values.host ?? '127.0.0.1';
  if (!host.trim() || /[\s/]/.test(host)) throw new Real2SimError('BAD_INPUT', `--host must be an address like 127.0.0.1, ::1 or 0.0.0.0, got "${host}"`, { flag: 'host' });
  if (values.ep !== undefined && !KNOWN_PROVIDERS.includes(values.ep)) {
    throw new Real2SimError('BAD_INPUT', `--ep must be one of ${KNOWN_PROVIDERS.join(', ')}, got "${values.ep}"`, { flag: 'ep' });
  }
  const token = values.token ?? process.env['REAL2SIM_GPU_TOKEN'];
  const loopback = host === '127.0.0.1' || host === '::1' || host === 'localhost';
  if (!token && !loopback) {
    throw new Real2SimError('BAD_INPUT', `Serving ${host} without a token would let anyone on the network run the models: pass --token (or set REAL2SIM_GPU_TOKEN).`);
  }
  if (values.ep !== undefined) {
    const { executionProviders } = await import('../gpu/runtime.ts');
    const { available } = await executionProviders();
    if (!available.includes(values.ep)) {
      throw new Real2SimError(
        'BAD_INPUT',
        `--ep ${values.ep}: this onnxruntime-node installation has no ${values.ep} provider (it has ${available.join(', ')}). ${values.ep === 'cuda' ? 'Install the CUDA provider (see the README, GPU host) or ' : ''}leave out --ep to use the best one available.`,
        { flag: 'ep', available },
      );
    }
  }
  const { buildTinyModels } = await import('../gpu/tinyModels.ts');
  if (values.tiny) await buildTinyModels(values.models);
  const { loadModelDir } = await import('../gpu/manifest.ts');
  const { ModelRuntime } = await import('../gpu/runtime.ts');
  const { startGpuServer } = await import('../gpu/server.ts');
  const manifests = await loadModelDir(values.models);
  if (manifests.length === 0) throw new Real2SimError('BAD_INPUT', `No model manifests (*.json) in ${values.models}: see models/README.md, or pass --tiny for the test models.`);
  const runtime = await ModelRuntime.create(manifests, {
    ...(values.ep ? { executionProvider: values.ep } : {}),
    ...(threads !== undefined ? { intraOpThreads: threads } : {}),
  });
  const server = await startGpuServer(runtime, {
    host,
    port,
    ...(token ? { token } : {}),
    maxBodyBytes: Math.round(maxBodyMb * 1024 * 1024),
    onError: (e) => console.error(`${e.requestId} internal error: ${e.error instanceof Error ? (e.error.stack ?? e.error.message) : String(e.error)}`),
    onRequest: (e) => console.error(`${e.requestId} ${e.method} ${e.path} ${e.status} ${e.ms.toFixed(1)} ms`),
  });
  const lines = runtime.manifests.map((m) => `  ${m.task.padEnd(9)} ${m.id}  (${m.licence})`);
  console.log([`real2sim GPU host on ${server.url} (protocol v1, execution provider ${runtime.executionProvider}${token ? ', token required' : ', no token'})`, ...lines].join('\n'));
  const why = await untilStopped();
  console.log(`shutting down (${why}): finishing admitted requests…`);
  await server.close();
  return 0;
}
