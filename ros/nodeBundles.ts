/**
 * The node's bundles in output_dir under the retention policy (`src/export/retention.ts`), with
 * the node's counters kept in step: bundles accumulate in continuous mode (one per run, 1–10 MB
 * each), so by default only the last 20 are kept there; on demand every bundle is kept unless
 * keep_last / max_disk_mb say otherwise.
 */
import { BundleRetention, type PruneResult } from '../src/export/retention.ts';
import type { NodeStats } from './outputs.ts';
import type { NodeParams } from './params.ts';
import type { Transport } from './transport/types.ts';

export class NodeBundles {
  private constructor(
    private readonly retention: BundleRetention,
    private readonly stats: NodeStats,
    private readonly log: Transport['log'],
  ) {}

  static async open(params: NodeParams, stats: NodeStats, log: Transport['log']): Promise<NodeBundles> {
    const keepLast = params.keep_last >= 0 ? params.keep_last : params.mode === 'continuous' ? 20 : 0;
    const retention = await BundleRetention.open(params.output_dir, { keepLast, maxBytes: params.max_disk_mb * 1e6, kind: 'ros' });
    stats.bundlesKept = retention.count;
    stats.bundleBytes = retention.bytes;
    return new NodeBundles(retention, stats, log);
  }

  get count(): number {
    return this.retention.count;
  }

  get bytes(): number {
    return this.retention.bytes;
  }

  /**
   * Room for the bundle about to be written (the size of the last one), so that output_dir
   * holds at most keep_last bundles even while one is being written. `current` is kept.
   */
  async makeRoom(current: string): Promise<void> {
    await this.prune(() => {
      const last = this.retention.list().at(-1);
      return this.retention.prune(current, { room: last?.bytes ?? 0 });
    });
  }

  /** A bundle was written: counted, and the oldest beyond the policy removed. */
  async added(dir: string): Promise<void> {
    await this.prune(async () => {
      await this.retention.add(dir);
      return this.retention.prune(dir);
    });
  }

  /** Runs one pruning step: counts what it removed, warns about what it let go, updates the totals. */
  private async prune(step: () => Promise<PruneResult>): Promise<void> {
    const { retention, stats } = this;
    try {
      const pruned = await step();
      stats.bundlesRemoved += pruned.removed.length;
      for (const d of pruned.released) this.log.warn(`retention: ${d} now holds files the node did not write; it is left alone and no longer counted`);
    } catch (err) {
      this.log.warn(`retention: could not remove old bundles: ${(err as Error).message}`);
    }
    stats.bundlesKept = retention.count;
    stats.bundleBytes = retention.bytes;
  }
}
