/**
 * What a batch shows and leaves behind: a progress line on stderr (frames done / failed / rate /
 * ETA), a summary table at the end, and `index.json` + `index.csv` with one row per frame.
 */
import { writeFile, rename, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobResult } from './job.ts';

export class Progress {
  private done = 0;
  private failed = 0;
  private cached = 0;
  private readonly t0 = performance.now();
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly total: number,
    private readonly write: (s: string) => void = (s) => process.stderr.write(s),
    tty = process.stderr.isTTY === true,
  ) {
    this.tty = tty;
  }

  add(r: JobResult): void {
    if (r.status === 'failed') this.failed++;
    else if (r.status === 'cached') this.cached++;
    else this.done++;
    this.draw(false);
  }

  /** Frames per second over the frames actually reconstructed (finished bundles found are free). */
  get rate(): number {
    const s = (performance.now() - this.t0) / 1000;
    return s > 0 ? this.done / s : 0;
  }

  line(): string {
    const finished = this.done + this.failed + this.cached;
    const left = this.total - finished;
    const rate = this.rate;
    const eta = left === 0 ? '0 s' : rate > 0 ? `${Math.ceil(left / rate)} s` : '?';
    const width = 24;
    const filled = this.total > 0 ? Math.round((width * finished) / this.total) : width;
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${finished}/${this.total} frames · ${this.done} done · ${this.cached} already done · ${this.failed} failed · ${rate.toFixed(2)} frames/s · ETA ${eta}`;
  }

  draw(final: boolean): void {
    const now = performance.now();
    // a terminal gets one line redrawn in place; a log gets a line every 5 s
    if (!final && now - this.lastDraw < (this.tty ? 100 : 5000)) return;
    this.lastDraw = now;
    this.write(this.tty ? `\r${this.line()}${final ? '\n' : ''}` : `${this.line()}\n`);
  }
}

const CSV_COLUMNS = ['input', 'frame', 'bundle', 'status', 'objects', 'verdict', 'confidence', 'confidenceScore', 'timeMs', 'attempts', 'errorCode', 'error'] as const;

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function indexCsv(rows: readonly JobResult[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    const flat: Record<string, unknown> = { ...r, errorCode: r.error?.code, error: r.error?.message };
    lines.push(CSV_COLUMNS.map((c) => csvCell(flat[c])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** index.json and index.csv in `out`, rows sorted by input then frame. */
export async function writeIndex(out: string, rows: readonly JobResult[], extra: Record<string, unknown> = {}): Promise<JobResult[]> {
  const sorted = [...rows].sort((a, b) => a.input.localeCompare(b.input) || a.frame.localeCompare(b.frame));
  await mkdir(out, { recursive: true });
  await writeAtomic(join(out, 'index.json'), `${JSON.stringify({ ...extra, frames: sorted }, null, 2)}\n`);
  await writeAtomic(join(out, 'index.csv'), indexCsv(sorted));
  return sorted;
}

/** The summary printed at the end: counts, verdicts, and every failure with its code. */
export function summaryTable(rows: readonly JobResult[], wallS: number): string {
  const count = (f: (r: JobResult) => boolean) => rows.filter(f).length;
  const verdicts = new Map<string, number>();
  for (const r of rows) if (r.status !== 'failed') verdicts.set(r.verdict ?? 'not validated', (verdicts.get(r.verdict ?? 'not validated') ?? 0) + 1);
  const reconstructed = rows.filter((r) => r.status === 'done');
  const meanS = reconstructed.length ? reconstructed.reduce((s, r) => s + r.timeMs, 0) / reconstructed.length / 1000 : 0;
  const lines = [
    `  ${'frames'.padEnd(22)} ${rows.length}`,
    `  ${'reconstructed'.padEnd(22)} ${reconstructed.length}${reconstructed.length ? ` (mean ${meanS.toFixed(2)} s per frame)` : ''}`,
    `  ${'already done'.padEnd(22)} ${count((r) => r.status === 'cached')}`,
    `  ${'failed'.padEnd(22)} ${count((r) => r.status === 'failed')}`,
    ...[...verdicts].sort().map(([v, n]) => `  ${`physics ${v}`.padEnd(22)} ${n}`),
    `  ${'wall time'.padEnd(22)} ${wallS.toFixed(1)} s`,
  ];
  const failed = rows.filter((r) => r.status === 'failed');
  if (failed.length) {
    lines.push('', '  failed frames:');
    for (const r of failed.slice(0, 20)) lines.push(`    ${r.input} ${r.frame}: [${r.error?.code}] ${r.error?.message.split('\n')[0]}`);
    if (failed.length > 20) lines.push(`    … and ${failed.length - 20} more (index.csv lists them all)`);
  }
  return lines.join('\n');
}
