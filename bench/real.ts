/**
 * `npm run bench:real [-- --data DIR --frames a,b --json FILE]`
 *
 * Scores the `geometric` segmentation on every real frame with hand-made ground-truth instance
 * labels, with the unseen-object-segmentation protocol (UOIS-Net, UCN, MSMFormer; see
 * `src/eval/segmentation.ts`): overlap P/R/F after Hungarian matching, boundary P/R/F, the share
 * of true objects segmented with F ≥ 0.75. Per frame and overall (mean over frames, the
 * literature's convention; the object share pools all objects), for all frames and for the
 * frames never tuned on (docs/real-frames.md).
 *
 * Frames: every folder under DIR (default `../shared/data/real_gt`) holding `labels.png`,
 * `color.png`, `depth.png`, `camera_info.json` (the layout of `src/eval/labelledFrame.ts`), so
 * further labelled frames of the same kinds are scored by pointing `--data` at them.
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadLabelledFrame } from '../src/eval/labelledFrame.ts';
import { segmentGeometricFrame } from '../src/eval/segmentFrame.ts';
import { formatScoreTable, scoreSegmentation, summariseScores, type SegmentationScore } from '../src/eval/segmentation.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Frames the segmentation's defaults were tuned on (docs/real-frames.md); every other frame is test-only. */
export const TUNED_ON = ['osd_mosd/test0', 'osd_mosd/test16', 'osd_mosd/test31', 'osd_mosd/test45'];

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    data: { type: 'string', default: resolve(root, '../shared/data/real_gt') },
    frames: { type: 'string' },
    json: { type: 'string' },
  },
});

function labelledDirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  if (existsSync(join(dir, 'labels.png')) && existsSync(join(dir, 'depth.png'))) return [dir];
  return readdirSync(dir)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .flatMap((e) => {
      const p = join(dir, e);
      return statSync(p).isDirectory() ? labelledDirs(p) : [];
    });
}

const data = resolve(values.data);
let dirs = labelledDirs(data);
if (values.frames) {
  const want = new Set(values.frames.split(','));
  dirs = dirs.filter((d) => want.has(relative(data, d)) || want.has(d.split('/').pop()!));
}
if (dirs.length === 0) {
  console.error(`bench:real: no labelled frames under ${data} (folders with labels.png, color.png, depth.png, camera_info.json). Pass --data DIR.`);
  process.exit(2);
}

const rows: { name: string; split: 'tune' | 'test'; score: SegmentationScore; ms: number }[] = [];
for (const dir of dirs) {
  const name = relative(data, dir) || dir;
  const lf = loadLabelledFrame(dir, name);
  const t0 = performance.now();
  const masks = await segmentGeometricFrame(lf.frame);
  const ms = performance.now() - t0;
  const score = scoreSegmentation(masks.data, lf.truth.data, masks.width, masks.height);
  rows.push({ name, split: TUNED_ON.includes(name) ? 'tune' : 'test', score, ms });
}

const test = rows.filter((r) => r.split === 'test');
console.log(`bench:real — geometric segmentation vs hand-made labels (${data})\n`);
console.log(
  formatScoreTable([
    ...rows.map((r) => ({ name: `${r.name} (${r.split})`, score: r.score })),
    { name: 'overall, all frames', score: summariseScores(rows.map((r) => r.score)) },
    ...(test.length ? [{ name: 'overall, test-only frames', score: summariseScores(test.map((r) => r.score)) }] : []),
  ]),
);
console.log('\ntargets (no learned model): overlap F ≥ 0.85, boundary F ≥ 0.75, ≥ 80 % of objects at F ≥ 0.75');
console.log(`segmentation time per frame (ground + perceive, this machine): ${rows.map((r) => `${Math.round(r.ms)}`).join(' / ')} ms`);
if (values.json) {
  writeFileSync(values.json, JSON.stringify({ data, frames: rows.map((r) => ({ name: r.name, split: r.split, ...r.score })), overall: summariseScores(rows.map((r) => r.score)) }, null, 2));
}
