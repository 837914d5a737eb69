/**
 * The bundle on disk (see DESIGN.md): scene.json, scene.urdf, scene.sdf, scene.xml, scene.glb,
 * meshes/*.obj, models/<name>/{model.sdf, model.urdf, model.config, meshes/*.obj},
 * models/index.json (where each model goes), plus caller's extra
 * files (debug/…).
 *
 * Atomic: everything is written into a fresh temporary folder beside the target, then renamed
 * into place. An existing bundle is first renamed aside and removed only once the new one is
 * in place; if anything fails, the temporary folder is removed and the previous bundle stays
 * as it was. (Two renames, not one: POSIX cannot atomically swap two non-empty folders, so a
 * reader may, for a moment, find no bundle — never half of one.)
 */
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Scene } from '../model/scene.ts';
import type { StageReport } from '../model/report.ts';
import { Real2SimError } from '../model/errors.ts';
import { sceneFromJson, sceneToJson } from '../io/sceneJson.ts';
import { prepareScene, type PrepareOptions } from './prepare.ts';
import { toUrdf, toUrdfModel, type UrdfOptions } from './urdf.ts';
import { modelIndex } from './modelIndex.ts';
import { modelMeshPath, toSdfModel, toSdfWorld, type SdfOptions } from './sdf.ts';
import { toMjcf, type MjcfOptions } from './mjcf.ts';
import { toGlb } from './glb.ts';
import { encodeObj } from '../io/mesh.ts';

export interface BundleOptions {
  /** Files to add, by path relative to the bundle ('debug/masks.png'). */
  extraFiles?: Record<string, string | Uint8Array>;
  /** Write `package://<packageName>/meshes/…` URIs into the URDF. */
  packageName?: string;
  /** Skip the GLB (it is the slowest file for large meshes). */
  glb?: boolean;
  urdf?: UrdfOptions;
  sdf?: SdfOptions;
  mjcf?: MjcfOptions;
  prepare?: PrepareOptions;
}

export interface BundleManifest {
  /** Absolute path of the bundle. */
  dir: string;
  /** Every file written, relative to `dir`, '/'-separated, sorted. */
  files: string[];
  /** Object id → sanitised name used in files. */
  names: Record<string, string>;
  /** The export stage's report (also appended to scene.json's `reports`). */
  report: StageReport;
  bytes: number;
}

/** Marker that tells `writeBundle` an existing folder is a bundle it may replace. */
export const BUNDLE_MARKERS = ['scene.json', 'scene.urdf'];

const RESERVED_TOP = new Set(['scene.json', 'scene.urdf', 'scene.sdf', 'scene.xml', 'scene.glb', 'meshes', 'models']);

/** Checks a caller-given relative path: no absolute paths, no `..`, no backslashes, no
 * generated file. Returns it normalised. */
export function checkExtraPath(p: string): string {
  const parts = p.split('/');
  if (!p || p.startsWith('/') || p.includes('\\') || p.includes('\0') || parts.some((s) => s === '' || s === '.' || s === '..') || /^[A-Za-z]:/.test(p)) {
    throw new Real2SimError('EXPORT', `Extra bundle file '${p}' must be a plain relative path inside the bundle (like 'debug/masks.png'): no '..', no leading '/', no backslashes`, { path: p });
  }
  if (RESERVED_TOP.has(parts[0]!)) {
    throw new Real2SimError('EXPORT', `Extra bundle file '${p}' would overwrite a file the exporter writes itself; put it under debug/`, { path: p });
  }
  return p;
}

export async function writeBundle(dir: string, scene: Scene, options: BundleOptions = {}): Promise<BundleManifest> {
  const t0 = performance.now();
  const target = resolve(dir);
  const parent = dirname(target);
  const extra = Object.entries(options.extraFiles ?? {}).map(([p, v]) => [checkExtraPath(p), v] as const);
  await mkdir(parent, { recursive: true });
  const existing = await stat(target).catch(() => null);
  if (existing) {
    if (!existing.isDirectory()) throw new Real2SimError('EXPORT', `Bundle target '${target}' exists and is not a folder; choose another output path`, { dir: target });
    const entries = await readdir(target);
    if (entries.length > 0 && !BUNDLE_MARKERS.some((m) => entries.includes(m))) {
      throw new Real2SimError('EXPORT', `Bundle target '${target}' is a non-empty folder that is not a real2sim bundle; refusing to replace it. Choose an empty or new output folder.`, { dir: target });
    }
  }

  const prep = prepareScene(scene, options.prepare);
  const files = new Map<string, string | Uint8Array>();
  /** Standalone models' meshes: hard links to the bundle's own mesh files (copies where the
   * file system has no hard links), so each model folder is self-contained at no cost. */
  const links = new Map<string, string>();
  for (const ob of prep.objects) {
    files.set(ob.visualFile, encodeObj(ob.visual, ob.name));
    ob.collision.forEach((piece, k) => files.set(ob.collisionFiles[k]!, encodeObj(piece, `${ob.name}_collision_${k}`)));
  }
  files.set('scene.urdf', toUrdf(prep, { ...options.urdf, ...(options.packageName ? { packageName: options.packageName } : {}) }));
  files.set('scene.sdf', toSdfWorld(prep, options.sdf));
  files.set('scene.xml', toMjcf(prep, options.mjcf));
  for (const ob of prep.objects) {
    const { sdf, config } = toSdfModel(ob, options.sdf);
    files.set(`models/${ob.name}/model.sdf`, sdf);
    files.set(`models/${ob.name}/model.config`, config);
    files.set(`models/${ob.name}/model.urdf`, toUrdfModel(ob));
    for (const f of [ob.visualFile, ...ob.collisionFiles]) links.set(`models/${ob.name}/${modelMeshPath(f)}`, f);
  }
  files.set('models/index.json', modelIndex(prep));
  if (options.glb !== false) files.set('scene.glb', await toGlb(prep));
  for (const [p, v] of extra) files.set(p, v);
  const report = prep.report;
  report.counts['files'] = files.size + links.size + 1;
  report.timeMs = performance.now() - t0;
  const stored: Scene = { ...scene, reports: [...(scene.reports ?? []), report] };
  files.set('scene.json', sceneToJson(stored));

  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temp = join(parent, `.${basename(target)}.tmp-${tag}`);
  const old = join(parent, `.${basename(target)}.old-${tag}`);
  let bytes = 0;
  try {
    await mkdir(temp);
    const dirs = new Set<string>();
    for (const p of files.keys()) {
      const d = dirname(p);
      if (d !== '.') dirs.add(d);
    }
    for (const d of [...dirs].sort()) await mkdir(join(temp, ...d.split('/')), { recursive: true });
    // A few writes in flight at once: hundreds of small mesh files dominate the time.
    // On the first failure the others stop taking work and all in-flight writes settle
    // before the temporary folder is removed (no write lands in a folder being deleted).
    const entries = [...files];
    let next = 0;
    let failure: { error: unknown } | null = null;
    const worker = async () => {
      while (!failure && next < entries.length) {
        const [p, v] = entries[next++]!;
        try {
          await writeFile(join(temp, ...p.split('/')), v, { flag: 'wx' });
          bytes += typeof v === 'string' ? Buffer.byteLength(v) : v.byteLength;
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    if (failure) throw (failure as { error: unknown }).error;
    for (const [p, from] of links) {
      const dst = join(temp, ...p.split('/'));
      await mkdir(dirname(dst), { recursive: true });
      await link(join(temp, ...from.split('/')), dst).catch(async () => {
        const v = files.get(from)!;
        await writeFile(dst, v, { flag: 'wx' });
      });
    }
  } catch (cause) {
    await rm(temp, { recursive: true, force: true });
    throw new Real2SimError('EXPORT', `Writing the bundle failed (${(cause as Error).message}); the previous bundle at '${target}' is unchanged`, { dir: target }, cause);
  }
  let movedAside = false;
  try {
    if (existing) {
      await rename(target, old);
      movedAside = true;
    }
    await rename(temp, target);
  } catch (cause) {
    if (movedAside) await rename(old, target).catch(() => undefined);
    await rm(temp, { recursive: true, force: true });
    throw new Real2SimError('EXPORT', `Moving the new bundle into '${target}' failed (${(cause as Error).message}); the previous bundle is unchanged`, { dir: target }, cause);
  }
  if (movedAside) await rm(old, { recursive: true, force: true });
  return {
    dir: target,
    files: [...files.keys(), ...links.keys()].sort(),
    names: Object.fromEntries(prep.objects.map((o) => [o.source.id, o.name])),
    report,
    bytes,
  };
}

/**
 * Reads a bundle's scene back from `scene.json` (which carries the meshes and collision pieces
 * as typed arrays, so the OBJ files are views for simulators, not needed here).
 */
export async function readBundleScene(dir: string): Promise<Scene> {
  const root = resolve(dir);
  let text: string;
  try {
    text = await readFile(join(root, 'scene.json'), 'utf8');
  } catch (cause) {
    throw new Real2SimError('BAD_FILE', `'${root}' has no readable scene.json: is it a real2sim bundle (written by 'real2sim export' or 'reconstruct')?`, { dir: root }, cause);
  }
  return sceneFromJson(text, join(root, 'scene.json'));
}
