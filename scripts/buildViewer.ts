/**
 * Part of `npm run build`: writes the bundled viewer script beside the compiled
 * `dist/src/viewer/appBundle.js`, so the shipped program never bundles at run time.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bundleViewerScript } from '../src/viewer/appBundle.ts';

const out = resolve(import.meta.dirname, '../dist/src/viewer/app.js');
writeFileSync(out, await bundleViewerScript());
