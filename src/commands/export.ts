/**
 * `real2sim export scene.json --out DIR [--package NAME] [--no-glb]`: writes the simulator
 * bundle (URDF, SDF world + models, MJCF, GLB, OBJ meshes, scene.json) atomically into DIR.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseCommandArgs } from './args.ts';
import { Real2SimError } from '../model/errors.ts';
import { sceneFromJson } from '../io/sceneJson.ts';
import { MAX_SCENE_JSON_BYTES, writeBundle } from '../export/bundle.ts';
import { checkOutDir } from '../export/outDir.ts';

const USAGE = 'SCENE.json --out DIR [--force] [--package NAME] [--no-glb]';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'export',
    argv,
    { out: { type: 'string', short: 'o' }, force: { type: 'boolean' }, package: { type: 'string' }, 'no-glb': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    USAGE,
    true,
  );
  if (values.help) {
    console.log(`usage: real2sim export ${USAGE}`);
    return 0;
  }
  const input = positionals[0];
  if (!input || positionals.length > 1 || !values.out) {
    throw new Real2SimError('BAD_INPUT', `export needs one scene.json and --out DIR\n\nusage: real2sim export ${USAGE}`);
  }
  await checkOutDir(values.out, { force: values.force === true });
  let text: string;
  try {
    const info = await stat(input);
    if (info.isDirectory()) throw new Real2SimError('BAD_FILE', `'${input}' is a folder: give the scene.json file (for a bundle: ${input}/scene.json)`, { path: input });
    if (info.size > MAX_SCENE_JSON_BYTES)
      throw new Real2SimError('TOO_LARGE', `'${input}' is ${(info.size / 1024 / 1024).toFixed(0)} MiB; the limit for a scene.json is ${MAX_SCENE_JSON_BYTES / 1024 / 1024} MiB.`, {
        path: input,
        bytes: info.size,
      });
    text = await readFile(input, 'utf8');
  } catch (cause) {
    if (cause instanceof Real2SimError) throw cause;
    throw new Real2SimError('BAD_FILE', `Cannot read '${input}': ${(cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (cause as Error).message}`, { path: input }, cause);
  }
  const scene = sceneFromJson(text, input);
  const m = await writeBundle(values.out, scene, { ...(values.package ? { packageName: values.package } : {}), glb: !values['no-glb'], ...(values.force ? { force: true } : {}) });
  console.log(`wrote ${m.files.length} files (${(m.bytes / 1024).toFixed(0)} KiB) to ${m.dir}`);
  for (const w of m.report.warnings) console.log(`warning: ${w}`);
  return 0;
}
