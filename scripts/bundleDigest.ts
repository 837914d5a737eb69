/**
 * `node --import tsx scripts/bundleDigest.ts FILE.json [--write] [--frames test45,uoc_demo/000003] [--validate] [--pool]`
 *
 * Identity check for work that must not change results (speed-ups): runs the `reconstruct` job
 * (`frameToBundle`, geometric segmentation, in this thread; physics validation only with
 * `--validate`; on the worker pool as the CLI runs it only with `--pool`) on the real frames in ../shared/data and hashes every file of each bundle, with
 * the run's times and the write stamp blanked, and PNGs by their pixels (a change of PNG compression is no change of result). `--write` stores the digests; without it they are
 * compared with FILE and every file that differs is listed (exit 1 if any).
 *
 * Usage: digest on the commit before the change with `--write`, then again after it; `--pool`
 * against a `--write` without it shows that the pool's results are the single-thread ones.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { frameToBundle } from '../src/app/frameToBundle.ts';
import { sharedPool, sharedPoolIfMade } from '../src/app/pool.ts';
import { decodeColorImage, decodeDepthPng, readPngHeader } from '../src/io/image.ts';
import type { CameraIntrinsics } from '../src/model/camera.ts';
import { DATA, POSECNN, PRIMESENSE, UOC } from '../test/realframes/frames.ts';

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: { write: { type: 'boolean', default: false }, frames: { type: 'string' }, validate: { type: 'boolean', default: false }, pool: { type: 'boolean', default: false } },
});
const file = positionals[0];
if (!file) {
  console.error('usage: scripts/bundleDigest.ts FILE.json [--write] [--frames a,b] [--validate] [--pool]');
  process.exit(2);
}
if (!existsSync(DATA)) {
  console.error(`bundleDigest: ../shared/data is missing (${DATA})`);
  process.exit(2);
}

const frames: { name: string; rgb: string; depth: string; camera: CameraIntrinsics; scale: number }[] = [];
for (const id of ['000000', '000003', '000006']) frames.push({ name: `uoc_demo/${id}`, rgb: `uoc_demo/${id}-color.png`, depth: `uoc_demo/${id}-depth.png`, camera: UOC, scale: 0.001 });
for (const id of ['000001', '000003'])
  frames.push({ name: `posecnn_lov_demo/${id}`, rgb: `posecnn_lov_demo/${id}-color.png`, depth: `posecnn_lov_demo/${id}-depth.png`, camera: POSECNN, scale: 0.0001 });
for (const t of ['test0', 'test13', 'test16', 'test26', 'test31', 'test45', 'test55']) {
  frames.push({ name: `osd_mosd/${t}`, rgb: `real_gt/osd_mosd/${t}/color.png`, depth: `real_gt/osd_mosd/${t}/depth.png`, camera: PRIMESENSE, scale: 0.001 });
}
const only = values.frames?.split(',');
const chosen = frames.filter((f) => !only || only.some((w) => f.name.includes(w)));

/** A PNG's size, format and pixels: what it shows, not how it was compressed. */
function pngPixels(bytes: Uint8Array): Uint8Array {
  const { width, height, bitDepth, colorType } = readPngHeader(bytes);
  // 16-bit grey (labels, depth) as its raw values: one unit per metre reads them back exactly
  const data = bitDepth === 16 && colorType === 0 ? new Uint8Array(decodeDepthPng(bytes, 1).data.buffer) : decodeColorImage(bytes).data;
  return Buffer.concat([Buffer.from(`${width}x${height} ${bitDepth} ${colorType}\n`), data]);
}

const tmp = mkdtempSync(join(tmpdir(), 'real2sim-digest-'));
const listFiles = (d: string): string[] => readdirSync(d).flatMap((e) => (statSync(join(d, e)).isDirectory() ? listFiles(join(d, e)) : [join(d, e)]));
// what differs between two runs of the same code: times, the write stamp, the temporary folder
const VOLATILE = /"(timeMs|wallMs|elapsedMs|written|createdAt)":\s*("[^"]*"|[-0-9.e+]+)/g;
const digests: Record<string, string> = {};
try {
  for (const f of chosen) {
    const frame = {
      color: decodeColorImage(new Uint8Array(readFileSync(join(DATA, f.rgb))), f.rgb),
      depth: decodeDepthPng(new Uint8Array(readFileSync(join(DATA, f.depth))), f.scale, f.depth),
      camera: f.camera,
    };
    const out = join(tmp, f.name.replace(/\//g, '_'));
    const t0 = performance.now();
    await frameToBundle(frame, { out, pool: values.pool ? sharedPool() : null, validate: values.validate, pipeline: { segmentation: 'geometric' } });
    for (const p of listFiles(out).sort()) {
      if (p.endsWith('.real2sim-bundle')) continue; // names the files (checked one by one) and the write time
      let bytes: Buffer | string | Uint8Array = readFileSync(p);
      if (/\.(json|html)$/.test(p)) bytes = bytes.toString('utf8').replace(VOLATILE, '"$1":0').split(tmp).join('TMP');
      else if (p.endsWith('.png')) bytes = pngPixels(bytes);
      digests[`${f.name} ${relative(out, p)}`] = createHash('sha1').update(bytes).digest('hex').slice(0, 16);
    }
    console.log(`${f.name}: ${(performance.now() - t0).toFixed(0)} ms`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

if (values.write) {
  writeFileSync(file, `${JSON.stringify(digests, null, 1)}\n`);
  console.log(`wrote ${Object.keys(digests).length} digests to ${file}`);
} else {
  const ref = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const names = new Set([...Object.keys(ref), ...Object.keys(digests)].filter((k) => chosen.some((f) => k.startsWith(`${f.name} `))));
  const differ = [...names].filter((k) => ref[k] !== digests[k]);
  for (const k of differ) console.log(`differs: ${k} (${ref[k] ?? 'absent'} → ${digests[k] ?? 'absent'})`);
  console.log(differ.length ? `${differ.length} of ${names.size} files differ` : `identical: ${names.size} files`);
  process.exitCode = differ.length ? 1 : 0;
}
await sharedPoolIfMade()?.close();
