/**
 * Retention of the bundles a long-running writer (the ROS node in continuous mode) leaves in
 * one folder: keep the last `keepLast` and/or stay under `maxBytes`, removing the oldest first.
 *
 * Only folders this writer owns are ever touched: direct sub-folders of the root whose
 * `.real2sim-bundle` marker has the writer's `kind` (the node writes 'ros') and lists every
 * file in the folder. A user's own files, a bundle of `real2sim reconstruct`, a bundle to which
 * someone added a file: never counted, never deleted. Deleting unlinks only the files the marker
 * lists (`deleteOwnFolder`). The bundle being published (`current`) is never removed, and a
 * bundle being written is a hidden temporary folder (`.<name>.tmp-…`) until its rename, so it is
 * never seen here.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { deleteOwnFolder, ownMarker } from './outDir.ts';

export interface RetentionOptions {
  /** Bundles kept (the newest); 0 = no count limit. */
  keepLast: number;
  /** Total bytes kept; 0 = no size limit. The current bundle is kept even when it alone is larger. */
  maxBytes: number;
  /** Marker kind of the bundles this writer owns. */
  kind: string;
}

export interface RetainedBundle {
  dir: string;
  /** The marker's write time (ISO), the order of removal. */
  written: string;
  bytes: number;
}

export interface PruneResult {
  removed: string[];
  /** Folders that stopped being wholly ours (a file was added): left alone, no longer counted. */
  released: string[];
}

/**
 * Bytes of the files under `dir`, each hard-linked file once (bundles link model meshes).
 * Folders may come and go while it counts (a bundle renamed into place, an old one removed):
 * what has vanished counts as nothing.
 */
export async function folderBytes(dir: string): Promise<number> {
  const seen = new Set<string>();
  let bytes = 0;
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        await walk(p);
        continue;
      }
      const st = await stat(p).catch(() => null);
      if (!st) continue;
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      bytes += st.size;
    }
  };
  await walk(dir);
  return bytes;
}

/** The writer's own bundle at `dir` (marker of `kind`, no file it did not write), or null. */
async function ownBundle(dir: string, kind: string): Promise<RetainedBundle | null> {
  const marker = await ownMarker(dir);
  if (!marker || marker.kind !== kind) return null;
  return { dir, written: marker.written, bytes: await folderBytes(dir) };
}

export class BundleRetention {
  /** Oldest first. */
  private readonly bundles: RetainedBundle[] = [];
  removedTotal = 0;

  private constructor(
    readonly root: string,
    readonly options: RetentionOptions,
  ) {}

  /** Starts with the writer's bundles already in `root` (from an earlier run), oldest first. */
  static async open(root: string, options: RetentionOptions): Promise<BundleRetention> {
    const r = new BundleRetention(resolve(root), options);
    const names = await readdir(r.root, { withFileTypes: true }).catch(() => []);
    for (const e of names) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      const b = await ownBundle(join(r.root, e.name), options.kind);
      if (b) r.bundles.push(b);
    }
    r.bundles.sort((a, b) => a.written.localeCompare(b.written) || a.dir.localeCompare(b.dir));
    return r;
  }

  get count(): number {
    return this.bundles.length;
  }
  get bytes(): number {
    return this.bundles.reduce((s, b) => s + b.bytes, 0);
  }
  list(): readonly RetainedBundle[] {
    return this.bundles;
  }

  /** Records a bundle just written (the newest); ignored when it is not the writer's own. */
  async add(dir: string): Promise<boolean> {
    const abs = resolve(dir);
    const i = this.bundles.findIndex((b) => b.dir === abs);
    if (i >= 0) this.bundles.splice(i, 1); // re-written in place (same name): now the newest
    const b = await ownBundle(abs, this.options.kind);
    if (b) this.bundles.push(b);
    return b !== null;
  }

  /**
   * Removes the oldest bundles until both limits hold; never `current`. With `room`, makes room
   * for one more bundle of `room` bytes first (called before a write, so that the limits hold
   * while it is written, not only once it is done).
   */
  async prune(current: string, o: { room?: number } = {}): Promise<PruneResult> {
    const keep = resolve(current);
    const { keepLast, maxBytes } = this.options;
    const out: PruneResult = { removed: [], released: [] };
    const slots = o.room !== undefined ? keepLast - 1 : keepLast;
    const budget = maxBytes - (o.room ?? 0);
    const over = () => (keepLast > 0 && this.bundles.length > slots) || (maxBytes > 0 && this.bytes > budget);
    while (over()) {
      const i = this.bundles.findIndex((b) => b.dir !== keep);
      if (i < 0) break;
      const [b] = this.bundles.splice(i, 1);
      const exists = await stat(b!.dir).catch(() => null);
      if (!exists) continue; // removed by someone else: nothing to do
      if (await deleteOwnFolder(b!.dir)) {
        out.removed.push(b!.dir);
        this.removedTotal++;
      } else out.released.push(b!.dir);
    }
    return out;
  }
}
