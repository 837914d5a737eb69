#!/usr/bin/env node
// Starts the compiled CLI (dist/, made by `npm run build`, which `npm ci` runs through `prepare`).
// In a clone whose TypeScript sources are newer than the build (or never built), it runs the
// sources through tsx instead, a development dependency, so an edit never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist/src/cli.js');
const stamp = join(root, 'dist/.build-stamp');

/** Newest modification time (ms) of the TypeScript sources the build compiles; 0 in an installed package. */
function newestSource() {
  let newest = 0;
  for (const dir of ['src', 'sim', 'ros']) {
    const top = join(root, dir);
    if (!existsSync(top)) continue;
    for (const f of readdirSync(top, { recursive: true, withFileTypes: true })) {
      if (f.isFile() && f.name.endsWith('.ts')) newest = Math.max(newest, statSync(join(f.parentPath ?? f.path, f.name)).mtimeMs);
    }
  }
  return newest;
}

const built = existsSync(compiled) && existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource();
if (built) {
  await import(pathToFileURL(compiled).href);
} else {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    process.stderr.write('real2sim: the program is not built (dist/ is missing or older than its sources) and tsx is not installed: run `npm ci` or `npm run build` in the package folder.\n');
    process.exit(1);
  }
  await import(pathToFileURL(join(root, 'src/cli.ts')).href);
}
