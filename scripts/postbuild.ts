/**
 * Second half of `npm run build` (after tsc): what tsc does not emit. The bundled viewer script
 * goes beside the compiled `dist/src/viewer/appBundle.js`, so the shipped program never bundles at
 * run time; the plain-JavaScript worker entries (`*.mjs`) are copied beside their modules; the
 * stamp tells `bin/real2sim.js` the build is complete and when it was made.
 */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { bundleViewerScript } from '../src/viewer/appBundle.ts';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');

writeFileSync(join(dist, 'src/viewer/app.js'), await bundleViewerScript());
for (const dir of ['src', 'sim', 'ros']) {
  for (const f of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
    if (!f.isFile() || !f.name.endsWith('.mjs')) continue;
    const from = join(f.parentPath, f.name);
    const to = join(dist, relative(root, from));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
}
writeFileSync(join(dist, '.build-stamp'), new Date().toISOString());
