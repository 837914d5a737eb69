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
 * reader may, for a moment, find no bundle — never half of one; a run killed in that moment
 * leaves the previous bundle as `.<name>.old-<pid>-<hex>`, which the next run puts back.)
 * Which folders may be replaced, and the marker that says so: `outDir.ts`.
 */
import { link, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { checkOutDir, replaceDir } from './outDir.ts';
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
  /** Replace a folder that is not only an earlier bundle (it is kept beside, never deleted). */
  force?: boolean;
  /** The marker's `kind` (default 'bundle'); the ROS node writes 'ros' so that its retention
   * can tell its own bundles from everyone else's. */
  kind?: string;
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
  /** Where the previous folder was kept (`--force` over files the tool did not write). */
  keptAs?: string;
}

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
  const extra = Object.entries(options.extraFiles ?? {}).map(([p, v]) => [checkExtraPath(p), v] as const);
  // refuse early (before the export work) what the swap would refuse
  await checkOutDir(target, options.force ? { force: true } : {});

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

  let bytes = 0;
  const written = await replaceDir(
    target,
    options.kind ?? 'bundle',
    async (temp) => {
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
      if (failure) {
        const cause = (failure as { error: unknown }).error;
        throw new Real2SimError('EXPORT', `Writing the bundle failed (${(cause as Error).message}); the previous bundle at '${target}' is unchanged`, { dir: target }, cause);
      }
      for (const [p, from] of links) {
        const dst = join(temp, ...p.split('/'));
        await mkdir(dirname(dst), { recursive: true });
        await link(join(temp, ...from.split('/')), dst).catch(async () => {
          const v = files.get(from)!;
          await writeFile(dst, v, { flag: 'wx' });
        });
      }
      return [...files.keys(), ...links.keys()];
    },
    { ...(options.force ? { force: true } : {}) },
  );
  return {
    dir: target,
    ...(written.keptAs ? { keptAs: written.keptAs } : {}),
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
/** Largest scene.json read back (V8 strings end near 512 MiB; a scene's meshes are far smaller). */
export const MAX_SCENE_JSON_BYTES = 256 * 1024 * 1024;

export async function readBundleScene(dir: string): Promise<Scene> {
  const root = resolve(dir);
  const path = join(root, 'scene.json');
  const info = await stat(path).catch((cause: unknown) => {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new Real2SimError(
      'BAD_FILE',
      code === 'ENOENT'
        ? `'${root}' has no scene.json: is it a real2sim bundle (written by 'real2sim export' or 'reconstruct')?`
        : `Cannot read '${path}' (${code ?? (cause as Error).message}): check the path and its permissions.`,
      { dir: root },
      cause,
    );
  });
  if (!info.isFile()) throw new Real2SimError('BAD_FILE', `'${path}' is not a file: a bundle's scene.json must be a plain file.`, { path });
  if (info.size > MAX_SCENE_JSON_BYTES) {
    throw new Real2SimError(
      'TOO_LARGE',
      `'${path}' is ${(info.size / 1024 / 1024).toFixed(0)} MiB; the limit for a scene.json is ${MAX_SCENE_JSON_BYTES / 1024 / 1024} MiB. Is it really a real2sim scene? Reduce the meshes (fewer triangles) and export again.`,
      { path, bytes: info.size },
    );
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new Real2SimError('BAD_FILE', `Cannot read '${path}' (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}): check its permissions.`, { dir: root }, cause);
  }
  return sceneFromJson(text, path);
}
