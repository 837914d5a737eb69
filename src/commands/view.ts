import { resolve } from 'node:path';
import { Real2SimError } from '../model/errors.ts';
import { startViewerServer } from '../viewer/server.ts';
import { parseCommandArgs } from './args.ts';
import { untilStopped } from './lifetime.ts';

const USAGE = '<bundle> [--port N] [--host 127.0.0.1] [--watch]';

/** `real2sim view <bundle>`: serves the bundle in the browser viewer until Ctrl-C. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'view',
    argv,
    {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      watch: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
    true,
  );
  if (values.help) {
    console.log(
      `usage: real2sim view ${USAGE}\n\nServes a bundle written by 'real2sim reconstruct' or 'real2sim demo' at http://HOST:PORT/.\n--watch pushes the scene to open pages whenever the bundle is rewritten.`,
    );
    return 0;
  }
  const dir = positionals[0];
  if (!dir) throw new Real2SimError('BAD_INPUT', `Which bundle? usage: real2sim view ${USAGE}`);
  const port = values.port.trim() === '' ? NaN : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Real2SimError('BAD_INPUT', `--port must be 0–65535, got '${values.port}'`);
  const server = await startViewerServer({
    bundleDir: resolve(dir),
    port,
    host: values.host,
    watch: values.watch,
    log: (line) => console.error(line),
  });
  console.log(`real2sim viewer: ${server.url}  (Ctrl-C to stop${values.watch ? '; watching for changes' : ''})`);
  await untilStopped();
  await server.close();
  return 0;
}
