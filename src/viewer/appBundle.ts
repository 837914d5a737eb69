import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Real2SimError } from '../model/errors.ts';

/**
 * The browser app (`app/main.ts` + three.js) as one classic script. One script means the page
 * needs no import map, no CDN, and runs from `file://` where browsers refuse to load ES modules
 * from disk.
 *
 * The compiled program (`dist/`, made by `npm run build`) ships the script prebuilt beside this
 * module as `app.js`; from the TypeScript sources (development, tests) it is bundled with esbuild
 * once per process. Bundling costs ~0.4 s per process (three.js), which every `reconstruct` paid
 * for its report before the script was prebuilt.
 */
const PREBUILT = fileURLToPath(new URL('./app.js', import.meta.url));
const ENTRY = fileURLToPath(new URL('./app/main.ts', import.meta.url));

let cached: Promise<string> | null = null;

export function viewerScript(): Promise<string> {
  cached ??= (existsSync(PREBUILT) ? readFile(PREBUILT, 'utf8') : bundleViewerScript()).catch((cause: unknown) => {
    cached = null;
    throw cause instanceof Real2SimError ? cause : new Real2SimError('INTERNAL', `Could not read the viewer page script ${PREBUILT}: reinstall the package`, {}, cause);
  });
  return cached;
}

/** Bundles the app from its TypeScript sources (esbuild is a development dependency). */
export async function bundleViewerScript(): Promise<string> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (cause) {
    throw new Real2SimError('INTERNAL', 'Could not build the viewer page script: esbuild is missing (run npm ci in the repository, or npm run build)', {}, cause);
  }
  try {
    const r = await esbuild.build({
      entryPoints: [ENTRY],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      minify: true,
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    return r.outputFiles[0]!.text;
  } catch (cause) {
    throw new Real2SimError('INTERNAL', `Could not bundle the viewer page script from ${ENTRY}`, {}, cause);
  }
}
