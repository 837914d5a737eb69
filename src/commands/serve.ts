/**
 * `real2sim serve --models DIR [--port 8765] [--host 127.0.0.1] [--token T] …`: the GPU-host
 * server (protocol v1, docs/gpu-host-protocol.md) over the ONNX models whose manifests are in
 * DIR. CUDA when the installed onnxruntime-node build has it, CPU otherwise (see `health`).
 * Ctrl-C / SIGTERM shut it down gracefully: requests already admitted finish first.
 */
import { parseCommandArgs } from './args.ts';
import { Real2SimError } from '../model/errors.ts';

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
  const num = (name: string, v: string | undefined, dflt: number, min: number) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Real2SimError('BAD_INPUT', `--${name} must be a number ≥ ${min}, got "${v}"`);
    return n;
  };
  const port = num('port', values.port, 8765, 0);
  const host = values.host ?? '127.0.0.1';
  const token = values.token ?? process.env['REAL2SIM_GPU_TOKEN'];
  const loopback = host === '127.0.0.1' || host === '::1' || host === 'localhost';
  if (!token && !loopback) {
    throw new Real2SimError('BAD_INPUT', `Serving ${host} without a token would let anyone on the network run the models: pass --token (or set REAL2SIM_GPU_TOKEN).`);
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
    ...(values.threads ? { intraOpThreads: num('threads', values.threads, 0, 1) } : {}),
  });
  const server = await startGpuServer(runtime, {
    host,
    port,
    ...(token ? { token } : {}),
    maxBodyBytes: num('max-body-mb', values['max-body-mb'], 64, 1) * 1024 * 1024,
    onRequest: (e) => console.error(`${e.requestId} ${e.method} ${e.path} ${e.status} ${e.ms.toFixed(1)} ms`),
  });
  const lines = runtime.manifests.map((m) => `  ${m.task.padEnd(9)} ${m.id}  (${m.licence})`);
  console.log([`real2sim GPU host on ${server.url} (protocol v1, execution provider ${runtime.executionProvider}${token ? ', token required' : ', no token'})`, ...lines].join('\n'));
  await new Promise<void>((resolve) => {
    const stop = () => {
      console.log('shutting down: finishing admitted requests…');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
