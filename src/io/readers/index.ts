/**
 * Importers: URDF, SDF, MJCF text → scene model (`Promise<Scene>`), plus `importFile` that picks
 * one by extension/root element and fills the context from the file's path.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Scene } from '../../model/scene.ts';
import { Real2SimError } from '../../model/errors.ts';
import { fromUrdf } from './urdf.ts';
import { fromSdf } from './sdf.ts';
import { fromMjcf } from './mjcf.ts';
import type { ImportContext } from './common.ts';

export { fromUrdf, fromSdf, fromMjcf, type ImportContext };
export { parseObj, parseStl, parseMsh, parseAssetMesh } from './meshes.ts';

/** Imports a URDF, SDF or MJCF file; the format comes from the root element. */
export async function importFile(path: string, options: Omit<ImportContext, 'baseDir' | 'fileName'> = {}): Promise<Scene> {
  const abs = resolve(path);
  let xml: string;
  try {
    xml = await readFile(abs, 'utf8');
  } catch (cause) {
    throw new Real2SimError('BAD_FILE', `Cannot read '${abs}': ${(cause as Error).message}`, { path: abs }, cause);
  }
  const ctx: ImportContext = { ...options, baseDir: dirname(abs), fileName: basename(abs) };
  const root = /<(robot|sdf|gazebo|mujoco)[\s>]/.exec(xml)?.[1];
  switch (root) {
    case 'robot':
      return fromUrdf(xml, ctx);
    case 'sdf':
    case 'gazebo':
      return fromSdf(xml, ctx);
    case 'mujoco':
      return fromMjcf(xml, ctx);
    default:
      throw new Real2SimError('UNSUPPORTED', `'${abs}' is not URDF (<robot>), SDF (<sdf>) or MJCF (<mujoco>)`, { path: abs });
  }
}
