/**
 * Output folders (`--out`) the tool may replace, and how it replaces them without ever losing a
 * file it did not write.
 *
 * - Every folder the tool writes carries a marker, `.real2sim-bundle` (JSON: tool, version, kind,
 *   and the list of files it wrote). Only a folder with that marker whose files are all listed in
 *   it is replaced without asking.
 * - Any other non-empty folder (someone's project, input frames, a bundle from a version without
 *   the marker, a bundle to which files were added) is refused with `OUT_REFUSED` unless the
 *   caller passes `force`; even then nothing is deleted: the old folder is kept beside the new
 *   one as `<name>.replaced-<time>`.
 * - Deleting the previous bundle unlinks only the files its marker lists; whatever else turns up
 *   in it (a file added while the run was going) is kept the same way, as `<name>.replaced-<time>`.
 * - Writes go to `.<name>.tmp-<pid>-<hex>` beside the target; the previous folder is renamed to
 *   `.<name>.old-<pid>-<hex>` for the moment of the swap. Leftovers of killed runs are found by
 *   that pattern and a dead pid: a stale `.tmp-` is removed; a stale `.old-` is put back when the
 *   target is missing (the run died between the two renames), else removed like a bundle.
 * - Everything that can be checked before the work starts (parent is a folder, writable, target
 *   not a file, target replaceable) is checked by `checkOutDir`, which commands call first.
 */
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { access, constants, mkdir, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Real2SimError } from '../model/errors.ts';
import { inFlight } from './inFlight.ts';

export const MARKER_FILE = '.real2sim-bundle';

/** The tool's version, written into every marker. */
export const TOOL_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
})();

export interface OutMarker {
  tool: 'real2sim';
  version: string;
  /** What wrote it: 'bundle' (reconstruct, demo, export, import), 'ros' (the ROS node, whose
   * retention may delete it: `retention.ts`), 'synth'. */
  kind: string;
  written: string;
  /** Every file the tool wrote, relative, '/'-separated, the marker itself excluded. */
  files: string[];
}

export type OutState = 'missing' | 'empty' | 'ours' | 'foreign';

export interface OutPlan {
  target: string;
  parent: string;
  state: OutState;
  /** Files in the target that the tool did not write. */
  foreign: string[];
  /** The marker of the previous folder, when it has one. */
  marker?: OutMarker;
}

export interface OutOptions {
  /** Replace a folder that is not (only) the tool's own; the old folder is kept beside it. */
  force?: boolean;
  /** The flag name used in messages (default '--out'). */
  flag?: string;
}

const STALE_RE = /^\.(.+)\.(tmp|old)-(\d+)(?:-[0-9a-f]{8})?$/;

function refused(target: string, message: string, context: Record<string, unknown> = {}): Real2SimError {
  return new Real2SimError('OUT_REFUSED', message, { dir: target, ...context });
}

/** Parses a marker; undefined when it is not one of ours. */
export function parseMarker(text: string): OutMarker | undefined {
  try {
    const m = JSON.parse(text) as Partial<OutMarker>;
    if (m?.tool !== 'real2sim' || !Array.isArray(m.files) || !m.files.every((f) => typeof f === 'string')) return undefined;
    return { tool: 'real2sim', version: String(m.version ?? 'unknown'), kind: String(m.kind ?? 'bundle'), written: String(m.written ?? ''), files: m.files };
  } catch {
    return undefined;
  }
}

export async function readMarker(dir: string): Promise<OutMarker | undefined> {
  const text = await readFile(join(dir, MARKER_FILE), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseMarker(text);
}

/** The marker of a folder the tool wrote all of (every file listed in it); undefined otherwise. */
export async function ownMarker(dir: string): Promise<OutMarker | undefined> {
  const marker = await readMarker(dir);
  if (!marker) return undefined;
  const listed = new Set(marker.files);
  const files = await listFiles(dir).catch(() => null);
  if (!files || files.some((f) => f !== MARKER_FILE && !listed.has(f))) return undefined;
  return marker;
}

/** Every file under `dir` (not folders), relative, '/'-separated, sorted; stops after `limit`. */
export async function listFiles(dir: string, limit = 100_000): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (out.length >= limit) return;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(d, e.name), r);
      else out.push(r);
    }
  };
  await walk(dir, '');
  return out.sort();
}

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Checks an output folder before any work is done and says what writing it would do. Throws
 * `OUT_REFUSED` (exit 2) with what to do when it cannot or must not be written.
 */
export async function checkOutDir(dir: string, options: OutOptions = {}): Promise<OutPlan> {
  const flag = options.flag ?? '--out';
  if (!dir || dir.includes('\0')) throw refused(String(dir), `${flag} needs a folder path`);
  const target = resolve(dir);
  const parent = dirname(target);
  if (parent === target) throw refused(target, `${flag} '${dir}' is the file-system root: choose a folder for the output`);
  await sweepStale(parent).catch(() => undefined);

  // the nearest existing ancestor must be a writable folder (every ancestor on the way must be a folder)
  let probe = parent;
  for (;;) {
    const st = await stat(probe).catch((e: unknown) => {
      if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return null;
      throw e;
    });
    if (st) {
      if (!st.isDirectory()) throw refused(target, `${flag} '${dir}' cannot be created: '${probe}' is a file, not a folder. Choose an output path under a folder.`, { blocker: probe });
      break;
    }
    const up = dirname(probe);
    if (up === probe) break;
    probe = up;
  }
  try {
    await access(probe, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw refused(target, `${flag} '${dir}' cannot be written: no write permission in '${probe}' (${errnoOf(e) ?? 'denied'}). Choose a folder you can write to.`, { blocker: probe });
  }

  const st = await stat(target).catch(() => null);
  if (!st) return { target, parent, state: 'missing', foreign: [] };
  if (!st.isDirectory()) throw refused(target, `${flag} '${dir}' is a file, not a folder: give a new or empty folder (the file is left as it is).`);
  const files = await listFiles(target);
  const entries = await readdir(target);
  if (entries.length === 0) return { target, parent, state: 'empty', foreign: [] };
  const marker = files.includes(MARKER_FILE) ? await readMarker(target) : undefined;
  const listed = new Set(marker?.files ?? []);
  const foreign = files.filter((f) => f !== MARKER_FILE && !listed.has(f));
  const plan: OutPlan = { target, parent, state: marker && foreign.length === 0 ? 'ours' : 'foreign', foreign, ...(marker ? { marker } : {}) };
  if (plan.state === 'foreign' && !options.force) {
    const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? ', …' : '');
    const what = marker
      ? `is a real2sim output folder, but holds ${foreign.length} file${foreign.length === 1 ? '' : 's'} real2sim did not write (${shown})`
      : files.length === 0
        ? 'is a non-empty folder (only sub-folders) that real2sim did not write (no .real2sim-bundle marker)'
        : `is a non-empty folder that real2sim did not write (no ${MARKER_FILE} marker; bundles written by real2sim versions without the marker have none either): ${shown}`;
    throw refused(
      target,
      `${flag} '${dir}' ${what}. Refusing to replace it: choose a new or empty folder, move those files out, or pass --force (the old folder is then kept beside the new one as '${basename(target)}.replaced-<time>'; nothing is deleted).`,
      { foreign: foreign.slice(0, 20) },
    );
  }
  // the swap renames the target: its parent must be writable (checked above when it exists)
  return plan;
}

const NAP = new Int32Array(new SharedArrayBuffer(4));
const REMOVE_TRIES = 200;

/**
 * Removes a folder and everything in it synchronously (for interrupt handlers), even while files
 * are still being created in it. On an interrupt this run's writes may still be queued on libuv's
 * threads, which go on while this thread is blocked: a file one of them creates after the folder
 * was listed fails the folder's rmdir with ENOTEMPTY. `rmSync`'s own `maxRetries` only retries
 * that rmdir, never the listing, so it fails every time; here the whole removal is retried until
 * the queue has drained (a queued create fails once the folder is gone).
 */
export function removeFolderNow(path: string): void {
  for (let attempt = 1; ; attempt++) {
    try {
      rmSync(path, { recursive: true, force: true });
      return;
    } catch (err) {
      const code = errnoOf(err);
      if (attempt >= REMOVE_TRIES || (code !== 'ENOTEMPTY' && code !== 'EBUSY' && code !== 'EEXIST')) throw err;
      Atomics.wait(NAP, 0, 0, 2);
    }
  }
}

/** Callbacks run synchronously on SIGINT/SIGTERM (the CLI calls `runInterruptCleanups`). */
const cleanups = new Set<() => void>();
export function runInterruptCleanups(): void {
  for (const c of [...cleanups]) {
    try {
      c();
    } catch {
      // best effort: the next run sweeps whatever is left
    }
  }
  cleanups.clear();
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === 'EPERM';
  }
}

/**
 * Removes (or restores) the temporary folders of earlier runs in `parent` that died: names of
 * the writer's pattern whose pid is not alive. Returns what it did, for logs and tests.
 */
export async function sweepStale(parent: string): Promise<{ removed: string[]; restored: string[] }> {
  const removed: string[] = [];
  const restored: string[] = [];
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return { removed, restored };
  }
  // .old- first when the target is missing: put the previous folder back
  for (const n of names.sort((a, b) => (a.includes('.old-') ? -1 : 0) - (b.includes('.old-') ? -1 : 0))) {
    const m = STALE_RE.exec(n);
    if (!m || pidAlive(Number(m[3]))) continue;
    const path = join(parent, n);
    const st = await stat(path).catch(() => null);
    if (!st?.isDirectory()) continue;
    if (m[2] === 'old') {
      const target = join(parent, m[1]!);
      if (!(await stat(target).catch(() => null))) {
        await rename(path, target);
        restored.push(target);
        continue;
      }
      await removeOwnFolder(path, join(parent, `${m[1]}.replaced-${stamp()}`));
    } else {
      await rm(path, { recursive: true, force: true });
    }
    removed.push(path);
  }
  return { removed, restored };
}

function stamp(): string {
  return (
    new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')
      .replace('T', '-') + `-${randomBytes(2).toString('hex')}`
  );
}

/**
 * Deletes a folder the tool wrote: only the files its marker lists (and the marker), then the
 * folders left empty. Anything else is kept: the folder is renamed to `keepAs` instead.
 * Returns whether the folder is gone.
 */
async function removeOwnFolder(dir: string, keepAs: string): Promise<boolean> {
  const marker = await readMarker(dir);
  if (!marker) {
    // a temporary folder of an earlier version (no marker yet): only bundle files by design
    await rm(dir, { recursive: true, force: true });
    return true;
  }
  // a few unlinks in flight at once (a bundle has hundreds of files)
  const listed = marker.files.filter((f) => !(f.split('/').some((s) => s === '..' || s === '') || f.startsWith('/')));
  await inFlight(listed, (f) => unlink(join(dir, ...f.split('/'))).catch(() => undefined));
  await unlink(join(dir, MARKER_FILE)).catch(() => undefined);
  const pruneEmpty = async (d: string): Promise<boolean> => {
    let empty = true;
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory() && (await pruneEmpty(join(d, e.name)))) continue;
      empty = false;
    }
    if (empty) await rmdir(d).catch(() => (empty = false));
    return empty;
  };
  if (await pruneEmpty(dir)) return true;
  await rename(dir, keepAs);
  return false;
}

/**
 * Deletes a folder the tool wrote, only when every file in it is listed in its marker (nothing
 * anyone else put there); otherwise leaves it exactly as it is. Returns whether it is gone.
 * A file added between the check and the deletion is kept (the folder is then renamed to
 * `<name>.replaced-<time>` with that file in it, as when a bundle is replaced).
 */
export async function deleteOwnFolder(dir: string): Promise<boolean> {
  if (!(await ownMarker(dir))) return false;
  return removeOwnFolder(dir, join(dirname(dir), `${basename(dir)}.replaced-${stamp()}`));
}

export interface ReplaceResult {
  target: string;
  /** Where the previous folder was kept, when it held files the tool did not write. */
  keptAs?: string;
}

/**
 * Writes a folder atomically: `write(temp)` fills a fresh temporary folder beside the target
 * (and returns the files it wrote), the marker is added last, then the folder is swapped in.
 * On failure the temporary folder is removed and the previous folder is unchanged.
 */
export interface ReplaceOptions extends OutOptions {
  /** `checkOutDir`'s answer for this folder, when the caller has just asked (it is not asked
   * again before the write; the swap looks again anyway). */
  checked?: OutPlan;
}

export async function replaceDir(dir: string, kind: string, write: (temp: string) => Promise<string[]>, options: ReplaceOptions = {}): Promise<ReplaceResult> {
  const plan = options.checked?.target === resolve(dir) ? options.checked : await checkOutDir(dir, options);
  const { target, parent } = plan;
  await mkdir(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temp = join(parent, `.${basename(target)}.tmp-${tag}`);
  const old = join(parent, `.${basename(target)}.old-${tag}`);
  const dropTemp = () => removeFolderNow(temp);
  cleanups.add(dropTemp);
  try {
    await mkdir(temp);
    const files = await write(temp);
    const marker: OutMarker = { tool: 'real2sim', version: TOOL_VERSION, kind, written: new Date().toISOString(), files: [...new Set(files)].sort() };
    await writeFile(join(temp, MARKER_FILE), `${JSON.stringify(marker, null, 1)}\n`, { flag: 'wx' });
  } catch (cause) {
    cleanups.delete(dropTemp);
    await rm(temp, { recursive: true, force: true });
    if (cause instanceof Real2SimError) throw cause;
    throw new Real2SimError('EXPORT', `Writing '${target}' failed (${(cause as Error).message}); the previous folder is unchanged`, { dir: target }, cause);
  }

  // The swap. The state may have changed since the check: look again.
  const now = await stat(target).catch(() => null);
  let keptAs: string | undefined;
  let aside: string | undefined;
  const restore = () => {
    // interrupted between the two renames: put the previous folder back
    if (aside) {
      try {
        renameSync(aside, target);
      } catch {
        // the target already holds the new folder; the sweep removes `aside` later
      }
    }
    dropTemp();
  };
  cleanups.delete(dropTemp);
  cleanups.add(restore);
  try {
    if (now) {
      if (!now.isDirectory()) throw refused(target, `'${target}' became a file while the output was written; nothing was replaced`);
      const entries = await readdir(target);
      if (entries.length === 0) {
        await rmdir(target);
      } else {
        const recheck = await checkOutDir(target, options);
        if (recheck.state === 'foreign') {
          keptAs = join(parent, `${basename(target)}.replaced-${stamp()}`);
          await rename(target, keptAs);
        } else {
          await rename(target, old);
          aside = old;
        }
      }
    }
    await rename(temp, target);
  } catch (cause) {
    cleanups.delete(restore);
    if (aside) await rename(aside, target).catch(() => undefined);
    if (keptAs) await rename(keptAs, target).catch(() => undefined);
    await rm(temp, { recursive: true, force: true });
    if (cause instanceof Real2SimError) throw cause;
    throw new Real2SimError('EXPORT', `Moving the new folder into '${target}' failed (${(cause as Error).message}); the previous folder is unchanged`, { dir: target }, cause);
  }
  cleanups.delete(restore);
  if (aside) {
    const gone = await removeOwnFolder(aside, join(parent, `${basename(target)}.replaced-${stamp()}`)).catch(() => false);
    if (!gone) keptAs = (await readdir(parent)).map((n) => join(parent, n)).find((p) => p.startsWith(`${target}.replaced-`));
  }
  return { target, ...(keptAs ? { keptAs } : {}) };
}

/** Whether `dir` is a complete folder of the tool: a marker whose every file exists. */
export async function verifyOutDir(dir: string): Promise<{ complete: boolean; missing: string[] }> {
  const marker = await readMarker(dir);
  if (!marker) return { complete: false, missing: [MARKER_FILE] };
  const missing: string[] = [];
  for (const f of marker.files) if (!(await stat(join(dir, ...f.split('/'))).catch(() => null))) missing.push(f);
  return { complete: missing.length === 0, missing };
}

/** Adds files to an existing folder's marker (e.g. `validate` writing physics.json). */
export async function addToMarker(dir: string, files: string[]): Promise<void> {
  const marker = await readMarker(dir);
  if (!marker) return;
  const all = [...new Set([...marker.files, ...files])].sort();
  if (all.length === marker.files.length) return;
  const path = join(dir, MARKER_FILE);
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, `${JSON.stringify({ ...marker, files: all }, null, 1)}\n`);
  await rename(temp, path);
}
