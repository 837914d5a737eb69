/**
 * What a batch shows and leaves behind, from known rows and a clock the test drives: the progress
 * line (frames done / failed / rate / ETA), the summary table, index.json and index.csv.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobResult } from '../../src/batch/job.ts';
import { indexCsv, Progress, summaryTable, writeIndex } from '../../src/batch/report.ts';

const dir = mkdtempSync(join(tmpdir(), 'r2s-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (frame: string, status: JobResult['status'], extra: Partial<JobResult> = {}): JobResult => ({
  key: `k-${frame}`,
  input: '/data/scenes',
  frame,
  bundle: `/out/scenes/${frame}`,
  status,
  timeMs: 0,
  ...extra,
});

describe('batch progress line', () => {
  it('counts done / already done / failed, rate over reconstructed frames, ETA from the rate', () => {
    let t = 10_000;
    const lines: string[] = [];
    const p = new Progress(
      10,
      (s) => lines.push(s),
      false,
      () => t,
    );
    t = 11_000;
    p.add(row('a', 'done'));
    t = 12_000;
    p.add(row('b', 'done'));
    p.add(row('c', 'failed', { error: { code: 'BAD_IMAGE', message: 'x' } }));
    t = 13_000;
    p.add(row('d', 'cached'));
    t = 14_000;
    p.add(row('e', 'done'));
    // 3 reconstructed in 4 s = 0.75 frames/s; 5 left → 6.67 s → 7 s
    expect(p.line()).toBe('[############............] 5/10 frames · 3 done · 1 already done · 1 failed · 0.75 frames/s · ETA 7 s');
    // a log (not a terminal) gets a line at most every 5 s: the first add, not the next four
    expect(lines).toEqual(['[##......................] 1/10 frames · 1 done · 0 already done · 0 failed · 1.00 frames/s · ETA 9 s\n']);
    p.draw(true);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(`${p.line()}\n`);
  });

  it('a terminal gets the line redrawn in place; nothing reconstructed yet → ETA ?', () => {
    let t = 50_000;
    const out: string[] = [];
    const p = new Progress(
      4,
      (s) => out.push(s),
      true,
      () => t,
    );
    expect(p.line()).toContain('0/4 frames · 0 done · 0 already done · 0 failed · 0.00 frames/s · ETA ?');
    t = 50_200;
    p.add(row('a', 'cached'));
    expect(out).toEqual([`\r[######..................] 1/4 frames · 0 done · 1 already done · 0 failed · 0.00 frames/s · ETA ?`]);
    t = 50_400;
    p.add(row('b', 'cached'));
    p.add(row('c', 'cached'));
    p.add(row('d', 'cached'));
    p.draw(true);
    expect(out.at(-1)).toBe(`\r[########################] 4/4 frames · 0 done · 4 already done · 0 failed · 0.00 frames/s · ETA 0 s\n`);
  });
});

describe('batch summary and index', () => {
  const rows: JobResult[] = [
    row('f2', 'done', { objects: 3, verdict: 'valid', confidence: 'high', confidenceScore: 0.91234, timeMs: 3000, attempts: 1 }),
    row('f0', 'done', { objects: 2, verdict: 'repaired', confidence: 'low', confidenceScore: 0.4, timeMs: 1000, attempts: 2 }),
    row('f1', 'cached', { objects: 2, verdict: 'valid', confidence: 'high', confidenceScore: 0.8, timeMs: 0, attempts: 0 }),
    row('f3', 'failed', { timeMs: 0, attempts: 3, error: { code: 'REMOTE', message: 'GPU host gone, "twice", then\nagain' } }),
  ];

  it('summary table: counts, mean time of the frames reconstructed, verdicts, failures with their code', () => {
    const t = summaryTable(rows, 12.34);
    expect(t).toContain('frames                 4');
    expect(t).toContain('reconstructed          2 (mean 2.00 s per frame)');
    expect(t).toContain('already done           1');
    expect(t).toContain('failed                 1');
    expect(t).toContain('physics repaired       1');
    expect(t).toContain('physics valid          2');
    expect(t).toContain('wall time              12.3 s');
    expect(t).toContain('    /data/scenes f3: [REMOTE] GPU host gone, "twice", then');
    expect(t).not.toContain('again');
  });

  it('index.json and index.csv: one row per frame, sorted, the same values in both', async () => {
    const sorted = await writeIndex(join(dir, 'idx'), rows, { inputs: ['/data/scenes'] });
    expect(sorted.map((r) => r.frame)).toEqual(['f0', 'f1', 'f2', 'f3']);
    const json = JSON.parse(readFileSync(join(dir, 'idx', 'index.json'), 'utf8')) as { inputs: string[]; frames: JobResult[] };
    expect(json.inputs).toEqual(['/data/scenes']);
    expect(json.frames).toEqual(sorted);
    const csv = readFileSync(join(dir, 'idx', 'index.csv'), 'utf8');
    expect(csv).toBe(indexCsv(sorted));
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe('input,frame,bundle,status,objects,verdict,confidence,confidenceScore,timeMs,attempts,errorCode,error');
    expect(lines[1]).toBe('/data/scenes,f0,/out/scenes/f0,done,2,repaired,low,0.4,1000,2,,');
    expect(lines[3]).toBe('/data/scenes,f2,/out/scenes/f2,done,3,valid,high,0.912,3000,1,,');
    // quotes doubled, the field quoted, its newline kept inside the quotes
    expect(csv).toContain('/data/scenes,f3,/out/scenes/f3,failed,,,,,0,3,REMOTE,"GPU host gone, ""twice"", then\nagain"\n');
  });
});
