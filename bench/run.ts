/**
 * `npm run bench [-- NAME…]` runs every `bench/*.bench.ts` (or only those named) in turn.
 * Each bench module's default export is a function (async where it awaits) that prints its own figures and,
 * where a peer exists, the ratio to it measured in the same run.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
if (files.length === 0) {
  console.error(
    `no benchmarks match ${wanted.join(' ')}; have: ${readdirSync(here)
      .filter((f) => f.endsWith('.bench.ts'))
      .join(', ')}`,
  );
  process.exit(2);
}
for (const f of files) {
  console.log(`\n=== ${f.replace('.bench.ts', '')} ===`);
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { default: () => void | Promise<void> };
  await mod.default();
}
