import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { Real2SimError } from '../model/errors.ts';

/**
 * Bundles the browser app (`app/main.ts` + three.js) into one classic script with esbuild,
 * once per process. One script means the page needs no import map, no CDN, and runs from
 * `file://` where browsers refuse to load ES modules from disk.
 */
let cached: Promise<string> | null = null;

export function viewerScript(): Promise<string> {
  cached ??= build({
    entryPoints: [fileURLToPath(new URL('./app/main.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  }).then(
    (r) => r.outputFiles[0]!.text,
    (cause: unknown) => {
      cached = null;
      throw new Real2SimError('INTERNAL', 'Could not build the viewer page script (is esbuild installed? run npm ci)', {}, cause);
    },
  );
  return cached;
}
