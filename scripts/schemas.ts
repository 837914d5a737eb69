/**
 * Writes the published JSON Schemas from the single definitions in the code (`npm run schemas`).
 * test/gpu/schema.test.ts (and the tests of each other schema) fail when a file here is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLISHED_SCHEMAS } from './publishedSchemas.ts';

const root = join(import.meta.dirname, '..');
for (const [file, schema] of Object.entries(PUBLISHED_SCHEMAS)) {
  writeFileSync(join(root, file), `${JSON.stringify(schema(), null, 2)}\n`);
  console.log(`wrote ${file}`);
}
