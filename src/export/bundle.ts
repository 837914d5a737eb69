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
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { inFlight } from './inFlight.ts';
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
import { glbObjects, glbOfObjects, type GlbObject } from './glb.ts';
import { encodeObj } from '../io/mesh.ts';

export interface BundleOptions {
  /** Files to add, by path relative to the bundle ('debug/masks.png'). */
  extraFiles?: Record<string, string | Uint8Array>;
  /**
   * More such files that are still being made (pictures rendered on a worker thread): the
   * bundle's own files are prepared and written meanwhile, these are added when they come.
   * One of the same path as an extra file replaces it. If it rejects, nothing is written (the
   * previous bundle stays) and its error is thrown.
   */
  pendingFiles?: Promise<Record<string, string | Uint8Array>>;
  /** Write `package://<packageName>/meshes/…` URIs into the URDF. */
  packageName?: string;
  /** Skip the GLB (it is the slowest file for large meshes). */
  glb?: boolean;
  /** Makes the GLB from its objects elsewhere (the bundle job: on a pool worker, while this thread makes the rest); default `glbOfObjects` here. */
  makeGlb?: (objects: readonly GlbObject[]) => Promise<Uint8Array>;
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
  // handled here, awaited below: a rejection while this function still prepares is not unhandled
  const pending = options.pendingFiles;
  pending?.catch(() => {});
  const extra = Object.entries(options.extraFiles ?? {}).map(([p, v]) => [checkExtraPath(p), v] as const);
  // refuse early (before the export work) what the swap would refuse
  const plan = await checkOutDir(target, options.force ? { force: true } : {});

  const prep = prepareScene(scene, options.prepare);
  const files = new Map<string, string | Uint8Array>();
  /** Standalone models' meshes: hard links to the bundle's own mesh files (copies where the
   * file system has no hard links), so each model folder is self-contained at no cost. */
  const links = new Map<string, string>();
  // started first: with `makeGlb` it is made beside the files below, and written with the
  // pending files (the worker that makes it may be busy with those: the rest is written meanwhile)
  const glb = options.glb !== false ? (options.makeGlb ?? glbOfObjects)(glbObjects(prep)) : null;
  glb?.catch(() => {});
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
  for (const [p, v] of extra) files.set(p, v);
  const report = prep.report;
  // the time to make the files, as before pending files existed (not the wait for them or the GLB, nor the writes)
  const prepMs = performance.now() - t0;

  let bytes = 0;
  /** The pending files' or the GLB's own error, thrown as it is (not as a write failure). */
  let pendingError: { error: unknown } | null = null;
  let written: Awaited<ReturnType<typeof replaceDir>>;
  try {
    written = await replaceDir(
      target,
      options.kind ?? 'bundle',
      async (temp) => {
        const at = (p: string) => join(temp, ...p.split('/'));
        // every folder, parents first, a level at a time and never recursively: if an interrupt
        // removes the temporary folder meanwhile, a pending mkdir fails instead of making it again
        const folders = async (paths: Iterable<string>) => {
          const dirs = new Set<string>();
          for (const p of paths) for (let d = dirname(p); d !== '.' && !dirs.has(d); d = dirname(d)) dirs.add(d);
          const levels: string[][] = [];
          for (const d of dirs) (levels[d.split('/').length - 1] ??= []).push(d);
          for (const level of levels) {
            if (!level) continue;
            await Promise.all(
              level.map((d) =>
                mkdir(at(d)).catch((err: unknown) => {
                  if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
                }),
              ),
            );
          }
        };
        await folders([...files.keys(), ...links.keys()]);
        await writeAll(target, at, [...files], (n) => (bytes += n));
        // the models' meshes, once the files they link to exist
        await inFlight([...links], async ([p, from]) => {
          await link(at(from), at(p)).catch(async () => {
            await writeFile(at(p), files.get(from)!, { flag: 'wx' });
          });
        });
        const more: (readonly [string, string | Uint8Array])[] = [];
        let lateFiles: Record<string, string | Uint8Array> | undefined, glbBytes: Uint8Array | null;
        try {
          [lateFiles, glbBytes] = await Promise.all([pending, glb]);
        } catch (error) {
          pendingError = { error };
          throw error;
        }
        if (glbBytes) more.push(['scene.glb', glbBytes]);
        if (lateFiles) {
          const extraLate = Object.entries(lateFiles).map(([p, v]) => [checkExtraPath(p), v] as const);
          // a pending file replaces an extra file of the same path (already written: removed first)
          await Promise.all(extraLate.filter(([p]) => files.has(p)).map(([p]) => unlink(at(p))));
          await folders(extraLate.map(([p]) => p));
          more.push(...extraLate);
        }
        for (const [p, v] of more) files.set(p, v);
        // scene.json last: its export report counts every file
        report.counts['files'] = files.size + links.size + 1;
        report.timeMs = prepMs;
        const stored: Scene = { ...scene, reports: [...(scene.reports ?? []), report] };
        const json = sceneToJson(stored);
        files.set('scene.json', json);
        await writeAll(target, at, [...more, ['scene.json', json]], (n) => (bytes += n));
        return [...files.keys(), ...links.keys()];
      },
      { ...(options.force ? { force: true } : {}), checked: plan },
    );
  } catch (err) {
    if (pendingError) throw (pendingError as { error: unknown }).error;
    throw err;
  }
  return {
    dir: target,
    ...(written.keptAs ? { keptAs: written.keptAs } : {}),
    files: [...files.keys(), ...links.keys()].sort(),
    names: Object.fromEntries(prep.objects.map((o) => [o.source.id, o.name])),
    report,
    bytes,
  };
}

/** Writes new files (`wx`: never over one) into the temporary folder; the previous bundle is named in the error. */
async function writeAll(target: string, at: (p: string) => string, entries: readonly (readonly [string, string | Uint8Array])[], count: (bytes: number) => void): Promise<void> {
  try {
    await inFlight(entries, async ([p, v]) => {
      await writeFile(at(p), v, { flag: 'wx' });
      count(typeof v === 'string' ? Buffer.byteLength(v) : v.byteLength);
    });
  } catch (cause) {
    throw new Real2SimError('EXPORT', `Writing the bundle failed (${(cause as Error).message}); the previous bundle at '${target}' is unchanged`, { dir: target }, cause);
  }
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
