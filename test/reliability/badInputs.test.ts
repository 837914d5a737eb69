/**
 * The bad-input table: command lines, files and HTTP requests a user (or a broken client) may
 * send. For every one: a non-zero documented exit code (or the documented HTTP status), a coded
 * message, no stack trace, no hang, and no file of the user changed or lost.
 *
 * Command lines run in-process through `main` (the same entry the `real2sim` binary runs), a
 * smaller set as real subprocesses (the binary's own process handling: exit code, stderr).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encode } from 'cbor2';
import { main } from '../../src/commands/main.ts';
import { EXIT } from '../../src/commands/exitCodes.ts';
import { buildWorkspace, snapshot, type Workspace } from './fixtures.ts';
import { startTinyHost, type TinyHost } from '../gpu/fixtures.ts';
import { startViewerServer, type ViewerServer } from '../../src/viewer/server.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
/** A stack frame as Node prints it: "    at fn (file:line:col)". */
const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m;
const CODED = /\[[A-Z_]+\]/;
/** JavaScript internals that must never reach a user. */
const INTERNALS = /TypeError|RangeError|ReferenceError|DataView|\[object Object\]|undefined is not|Cannot read propert|node:internal|\.ts:\d+/;
const CASE_TIMEOUT_MS = 20_000;

let ws: Workspace;
let busyPort: Server;
let busy = 0;
let before: Map<string, string>;
const tally = { cli: 0, subprocess: 0, http: 0, stackTraces: 0, hangs: 0 };

beforeAll(async () => {
  ws = await buildWorkspace(mkdtempSync(join(tmpdir(), 'r2s-bad-')));
  busyPort = createServer();
  await new Promise<void>((r) => busyPort.listen(0, '127.0.0.1', () => r()));
  busy = (busyPort.address() as { port: number }).port;
  before = snapshot(ws.sentinels);
}, 60_000);

afterAll(async () => {
  await new Promise<void>((r) => busyPort.close(() => r()));
  if (ws) rmSync(ws.root, { recursive: true, force: true });
  console.log(`bad-input table: ${tally.cli} in-process + ${tally.subprocess} subprocess command lines, ${tally.http} HTTP requests; stack traces ${tally.stackTraces}, hangs ${tally.hangs}`);
});

interface CliCase {
  argv: (w: Workspace) => string[];
  code?: number;
  /** Pattern the message must match (besides being coded). */
  match?: RegExp;
}

/** Runs `main` with every output channel captured. */
async function runInProcess(argv: string[]): Promise<{ code: number | 'hang'; text: string }> {
  const chunks: string[] = [];
  const collect = (...a: unknown[]) => void chunks.push(a.map(String).join(' '));
  const spies = [
    vi.spyOn(console, 'log').mockImplementation(collect),
    vi.spyOn(console, 'error').mockImplementation(collect),
    vi.spyOn(console, 'warn').mockImplementation(collect),
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (collect(String(s)), true)),
  ];
  try {
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([main(argv, { out: collect, err: collect }), new Promise<'hang'>((r) => (timer = setTimeout(() => r('hang'), CASE_TIMEOUT_MS)))]);
    clearTimeout(timer);
    return { code, text: chunks.join('\n') };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

const numbersBad = ['abc', '-1', '0', 'NaN', 'Infinity', '1e400', '', ' '];
const frame = (w: Workspace) => ['--rgb', w.p('rgb.png'), '--depth', w.p('depth.png'), '--camera', w.p('camera.json')];
const rec = (w: Workspace, ...more: string[]) => ['reconstruct', ...frame(w), '--out', w.p('out', 'r'), '--quiet', ...more];

const CASES: Record<string, CliCase> = {
  'no arguments': { argv: () => [] },
  'unknown command': { argv: () => ['reconstruc'], match: /unknown command/ },
  'option as command': { argv: () => ['--rgb', 'x.png'] },
  'prototype key as command': { argv: () => ['constructor'] },
  'command __proto__': { argv: () => ['__proto__'] },
  // reconstruct: arguments
  'reconstruct no flags': { argv: () => ['reconstruct'], match: /needs depth or a GPU host/ },
  'reconstruct unknown flag': { argv: (w) => [...rec(w), '--bogus'], match: /Unknown option/ },
  'reconstruct flag without value': { argv: () => ['reconstruct', '--rgb'] },
  'reconstruct no --out': { argv: (w) => ['reconstruct', ...frame(w)], match: /--out/ },
  'reconstruct no --camera': { argv: (w) => ['reconstruct', '--rgb', w.p('rgb.png'), '--depth', w.p('depth.png'), '--out', w.p('out', 'x')], match: /--camera/ },
  'reconstruct no --rgb': { argv: (w) => ['reconstruct', '--depth', w.p('depth.png'), '--camera', w.p('camera.json'), '--out', w.p('out', 'x')], match: /--rgb/ },
  'reconstruct positional': { argv: (w) => [...rec(w), 'extra'] },
  'reconstruct --segmentation bogus': { argv: (w) => rec(w, '--segmentation', 'bogus'), match: /--segmentation/ },
  'reconstruct --gpu-token without host': { argv: (w) => rec(w, '--gpu-token', 't'), match: /--gpu-host/ },
  'reconstruct --gpu-host with --segmentation': { argv: (w) => rec(w, '--gpu-host', 'http://127.0.0.1:1', '--segmentation', 'geometric') },
  ...Object.fromEntries(['notaurl', 'ftp://x', 'http://', 'http://[::1'].map((u) => [`reconstruct --gpu-host '${u}'`, { argv: (w: Workspace) => rec(w, '--gpu-host', u), match: /GPU host URL/ }])),
  'reconstruct --masks without depth': { argv: (w) => ['reconstruct', '--rgb', w.p('rgb.png'), '--gpu-host', 'http://127.0.0.1:1', '--masks', w.p('masks.png'), '--out', w.p('out', 'x')] },
  ...Object.fromEntries(['depth-scale', 'density', 'gpu-timeout-ms'].flatMap((flag) => numbersBad.map((v) => [`reconstruct --${flag} '${v}'`, { argv: (w: Workspace) => rec(w, `--${flag}`, v) }]))),
  ...Object.fromEntries(['abc', 'NaN', 'Infinity', '', '1e400'].map((v) => [`reconstruct --seed '${v}'`, { argv: (w: Workspace) => rec(w, '--seed', v) }])),
  // reconstruct: files
  ...Object.fromEntries(
    (['rgb', 'depth', 'masks'] as const).flatMap((which) =>
      ['missing.png', 'empty.png', 'text.png', 'trunc.png', 'garbage.jpg', 'noise.bin', 'zero.png', 'adir'].map((file) => [
        `reconstruct --${which} ${file}`,
        {
          argv: (w: Workspace) => {
            const files = { rgb: w.p('rgb.png'), depth: w.p('depth.png'), masks: w.p('masks.png') };
            files[which] = w.p(file);
            return ['reconstruct', '--rgb', files.rgb, '--depth', files.depth, '--masks', files.masks, '--camera', w.p('camera.json'), '--out', w.p('out', 'f'), '--quiet'];
          },
        },
      ]),
    ),
  ),
  'reconstruct depth of another size': {
    argv: (w) => ['reconstruct', '--rgb', w.p('rgb.png'), '--depth', w.p('depth_small.png'), '--camera', w.p('camera.json'), '--out', w.p('out', 'f')],
    match: /SIZE_MISMATCH|32×24/,
  },
  'reconstruct masks of another size': { argv: (w) => [...rec(w), '--masks', w.p('masks_small.png')] },
  'reconstruct colour photo as --masks': { argv: (w) => [...rec(w), '--masks', w.p('photo.png')], match: /distinct labels/ },
  'reconstruct colour image as --depth': { argv: (w) => ['reconstruct', '--rgb', w.p('rgb.png'), '--depth', w.p('photo.png'), '--camera', w.p('camera.json'), '--out', w.p('out', 'f')] },
  ...Object.fromEntries(
    [
      ['cam_array.json', /array/],
      ['cam_nok.json', /no intrinsics/],
      ['cam_k8.json', /9 numbers.*got 8/],
      ['cam_k10.json', /got 10/],
      ['cam_kstr.json', /k\[2\]/],
      ['cam_knull.json', /'k'/],
      ['cam_kobj.json', /'k'/],
      ['cam_f1e-9.json', /implausible/],
      ['cam_fneg.json', /fx/],
      ['cam_fzero.json', /fy/],
      ['cam_fhuge.json', /implausible/],
      ['cam_aspect.json', /differ/],
      ['cam_cxneg.json', /cx: principal point -50000/],
      ['cam_cybig.json', /cy/],
      ['cam_width0.json', /width/],
      ['cam_widthfrac.json', /width/],
      ['cam_wrongsize.json', /640×480/],
      ['cam_missingcy.json', /cy: missing/],
      ['cam_null.json', /null/],
      ['cam_number.json', /number/],
      ['cam_string.json', /string/],
      ['cam_bad.json', /not valid JSON/],
      ['cam_empty.json', /camera/i],
      ['cam_yaml.yaml', /camera_matrix/],
      ['cam_yamlbad.yaml', /9 numbers|finite/],
      ['cam_intrinsic8.json', /intrinsic_matrix/],
      ['cam_bop8.json', /9 numbers.*got 8/],
      ['cam_nan.json', /fx/],
      ['missing.json', /no such file/],
      ['adir', /folder/],
    ].map(([file, match]) => [
      `reconstruct --camera ${file as string}`,
      { argv: (w: Workspace) => ['reconstruct', '--rgb', w.p('rgb.png'), '--depth', w.p('depth.png'), '--camera', w.p(file as string), '--out', w.p('out', 'c'), '--quiet'], match: match as RegExp },
    ]),
  ),
  // reconstruct: --out
  'reconstruct --out under a file': { argv: (w) => ['reconstruct', ...frame(w), '--out', w.p('afile', 'sub')], match: /is a file/ },
  'reconstruct --out is a file': { argv: (w) => ['reconstruct', ...frame(w), '--out', w.p('afile')], match: /is a file/ },
  'reconstruct --out a user folder': { argv: (w) => ['reconstruct', ...frame(w), '--out', w.p('user')], match: /did not write/ },
  'reconstruct --out the input folder': { argv: (w) => ['reconstruct', ...frame(w), '--out', w.p('frames')], match: /did not write/ },
  'reconstruct --out an old bundle (no marker)': { argv: (w) => ['reconstruct', ...frame(w), '--out', w.p('oldbundle')], match: /--force/ },
  'reconstruct --out a bundle with user files': { argv: (w) => ['reconstruct', ...frame(w), '--out', w.p('bundle_user')], match: /notes\.txt|input\/frame\.png/ },
  'reconstruct --out empty string': { argv: (w) => ['reconstruct', ...frame(w), '--out', ''] },
  'reconstruct --out root': { argv: (w) => ['reconstruct', ...frame(w), '--out', '/'] },
  'reconstruct --out under /proc': { argv: (w) => ['reconstruct', ...frame(w), '--out', '/proc/real2sim-out'] },
  // validate
  'validate no bundle': { argv: () => ['validate'] },
  'validate two bundles': { argv: (w) => ['validate', w.p('bundle'), w.p('bundle')] },
  'validate missing folder': { argv: (w) => ['validate', w.p('nope')] },
  'validate a file': { argv: (w) => ['validate', w.p('afile')] },
  'validate empty folder': { argv: (w) => ['validate', w.p('b_empty')], match: /no scene\.json/ },
  'validate a user folder with scene.json': { argv: (w) => ['validate', w.p('user')], match: /scene\.json/ },
  'validate bad JSON': { argv: (w) => ['validate', w.p('b_badjson')], match: /not valid JSON/ },
  'validate JSON array': { argv: (w) => ['validate', w.p('b_array')] },
  'validate JSON null': { argv: (w) => ['validate', w.p('b_null')] },
  'validate future version': { argv: (w) => ['validate', w.p('b_version')] },
  'validate no version': { argv: (w) => ['validate', w.p('b_noversion')] },
  'validate zero quaternion': { argv: (w) => ['validate', w.p('b_zeroquat')], match: /zero quaternion/ },
  'validate non-numeric position': { argv: (w) => ['validate', w.p('b_nanpos')], match: /objects\[0\]\.pose\.position: must be an array of 3 finite numbers, got \[0, "x", 0\]/ },
  'validate 3-value quaternion': { argv: (w) => ['validate', w.p('b_shortquat')], match: /orientation: must be an array of 4 finite numbers, got \[0, 0, 1\]/ },
  'validate objects not an array': { argv: (w) => ['validate', w.p('b_objects3')] },
  'validate empty scene.json': { argv: (w) => ['validate', w.p('b_emptyfile')] },
  'validate scene.json is a folder': { argv: (w) => ['validate', w.p('b_dirjson')], match: /not a file/ },
  'validate 700 MB scene.json': { argv: (w) => ['validate', w.p('b_huge')], match: /700 MiB.*limit/ },
  'validate --engine bogus': { argv: (w) => ['validate', w.p('bundle'), '--engine', 'bogus'], match: /engine/ },
  'validate --engine empty': { argv: (w) => ['validate', w.p('bundle'), '--engine', ''] },
  'validate unknown flag': { argv: (w) => ['validate', w.p('bundle'), '--fast'] },
  // export
  'export nothing': { argv: () => ['export'] },
  'export no --out': { argv: (w) => ['export', w.p('bundle', 'scene.json')], match: /--out/ },
  'export missing file': { argv: (w) => ['export', w.p('nope.json'), '--out', w.p('out', 'e')], match: /no such file/ },
  'export a folder': { argv: (w) => ['export', w.p('bundle'), '--out', w.p('out', 'e')], match: /folder/ },
  'export bad scene': { argv: (w) => ['export', w.p('scene_bad.json'), '--out', w.p('out', 'e')] },
  'export zero quaternion': { argv: (w) => ['export', w.p('scene_zeroquat.json'), '--out', w.p('out', 'e')], match: /zero quaternion/ },
  'export 700 MB scene.json': { argv: (w) => ['export', w.p('b_huge', 'scene.json'), '--out', w.p('out', 'e')], match: /700 MiB/ },
  'export --out a user folder': { argv: (w) => ['export', w.p('bundle', 'scene.json'), '--out', w.p('user')], match: /did not write/ },
  'export --out under a file': { argv: (w) => ['export', w.p('bundle', 'scene.json'), '--out', w.p('afile', 'x')], match: /is a file/ },
  'export --out a bundle with user files': { argv: (w) => ['export', w.p('bundle', 'scene.json'), '--out', w.p('bundle_user')] },
  'export two inputs': { argv: (w) => ['export', w.p('bundle', 'scene.json'), w.p('bundle', 'scene.json'), '--out', w.p('out', 'e')] },
  // view
  'view nothing': { argv: () => ['view'] },
  'view missing bundle': { argv: (w) => ['view', w.p('nope'), '--port', '0'] },
  'view not a bundle': { argv: (w) => ['view', w.p('b_empty'), '--port', '0'] },
  'view bad JSON': { argv: (w) => ['view', w.p('b_badjson'), '--port', '0'] },
  'view 700 MB scene.json': { argv: (w) => ['view', w.p('b_huge'), '--port', '0'] },
  ...Object.fromEntries(['99999', '-1', 'abc', '', '80.5', '1e3x', '65536'].map((v) => [`view --port '${v}'`, { argv: (w: Workspace) => ['view', w.p('bundle'), '--port', v], match: /--port/ }])),
  'view port in use': { argv: (w) => ['view', w.p('bundle'), '--port', String(busy)], match: /in use/ },
  'view host not an address': { argv: (w) => ['view', w.p('bundle'), '--port', '0', '--host', 'no-such-host.invalid'] },
  // serve
  'serve no --models': { argv: () => ['serve'], match: /--models/ },
  ...Object.fromEntries(
    ['99999', '-1', 'abc', '', '80.5', '65536'].map((v) => [`serve --port '${v}'`, { argv: (w: Workspace) => ['serve', '--models', w.p('models_empty'), '--port', v], match: /--port/ }]),
  ),
  ...Object.fromEntries(['bogus', 'CUDA', 'tensorrt', ''].map((v) => [`serve --ep '${v}'`, { argv: (w: Workspace) => ['serve', '--models', w.p('models_empty'), '--ep', v], match: /--ep/ }])),
  'serve --ep cuda without CUDA': { argv: (w) => ['serve', '--models', w.p('models_empty'), '--ep', 'cuda'], match: /cuda/ },
  ...Object.fromEntries(['0', '-2', '1.5', 'many'].map((v) => [`serve --threads '${v}'`, { argv: (w: Workspace) => ['serve', '--models', w.p('models_empty'), '--threads', v], match: /--threads/ }])),
  ...Object.fromEntries(
    ['0', '-5', 'big', '99999'].map((v) => [`serve --max-body-mb '${v}'`, { argv: (w: Workspace) => ['serve', '--models', w.p('models_empty'), '--max-body-mb', v], match: /--max-body-mb/ }]),
  ),
  'serve network without token': { argv: (w) => ['serve', '--models', w.p('models_empty'), '--host', '0.0.0.0'], match: /token/ },
  'serve empty models folder': { argv: (w) => ['serve', '--models', w.p('models_empty'), '--port', '0'], match: /No model manifests/ },
  'serve missing models folder': { argv: (w) => ['serve', '--models', w.p('nope'), '--port', '0'] },
  'serve models folder is a file': { argv: (w) => ['serve', '--models', w.p('afile'), '--port', '0'] },
  'serve bad manifest': { argv: (w) => ['serve', '--models', w.p('models_bad'), '--port', '0'] },
  'serve --host with a space': { argv: (w) => ['serve', '--models', w.p('models_empty'), '--host', 'a b'] },
  // synth
  'synth nothing': { argv: () => ['synth'] },
  ...Object.fromEntries(['abc', '1.5', '', 'NaN'].map((v) => [`synth --seed '${v}'`, { argv: (w: Workspace) => ['synth', '--seed', v, '--out', w.p('out', 's')], match: /--seed/ }])),
  'synth no --out': { argv: () => ['synth', '--seed', '1'], match: /--out/ },
  ...Object.fromEntries(
    ['x', '3..', '..3', '-1', '1..2..3', '0', '5..2', '1..100000'].map((v) => [
      `synth --objects '${v}'`,
      { argv: (w: Workspace) => ['synth', '--seed', '1', '--objects', v, '--out', w.p('out', 's')], match: /--objects/ },
    ]),
  ),
  'synth --out is a file': { argv: (w) => ['synth', '--seed', '1', '--out', w.p('afile')], match: /is a file/ },
  'synth --out under a file': { argv: (w) => ['synth', '--seed', '1', '--out', w.p('afile', 'x')], match: /is a file/ },
  'synth --out a user folder': { argv: (w) => ['synth', '--seed', '1', '--out', w.p('user')], match: /did not write/ },
  'synth --out an old bundle': { argv: (w) => ['synth', '--seed', '1', '--out', w.p('oldbundle')] },
  // demo
  ...Object.fromEntries(['abc', '1.5', '', 'NaN'].map((v) => [`demo --seed '${v}'`, { argv: (w: Workspace) => ['demo', '--seed', v, '--out', w.p('out', 'd')], match: /--seed/ }])),
  'demo --out a user folder': { argv: (w) => ['demo', '--out', w.p('user')], match: /did not write/ },
  'demo --out under a file': { argv: (w) => ['demo', '--out', w.p('afile', 'demo')], match: /is a file/ },
  'demo --out is a file': { argv: (w) => ['demo', '--out', w.p('afile')], match: /is a file/ },
  'demo unknown flag': { argv: () => ['demo', '--fast'] },
  // import
  'import nothing': { argv: () => ['import'] },
  'import --from bogus': { argv: (w) => ['import', '--from', 'bogus', w.p('import_empty'), '--out', w.p('out', 'i')], match: /--from/ },
  'import no input': { argv: (w) => ['import', '--from', 'midi', '--out', w.p('out', 'i')] },
  'import no --out': { argv: (w) => ['import', '--from', 'midi', w.p('import_bad.glb')], match: /--out/ },
  'import midi not a GLB': { argv: (w) => ['import', '--from', 'midi', w.p('import_bad.glb'), '--object-size', 'a=1', '--out', w.p('out', 'i')] },
  'import midi missing file': { argv: (w) => ['import', '--from', 'midi', w.p('nope.glb'), '--object-size', 'a=1', '--out', w.p('out', 'i')] },
  'import scenemaker empty folder': { argv: (w) => ['import', '--from', 'scenemaker', w.p('import_empty'), '--camera-height', '1', '--out', w.p('out', 'i')] },
  'import sam3d empty folder': { argv: (w) => ['import', '--from', 'sam3d', w.p('import_empty'), '--camera-height', '1', '--out', w.p('out', 'i')] },
  'import --out a user folder': { argv: (w) => ['import', '--from', 'midi', w.p('import_bad.glb'), '--object-size', 'a=1', '--out', w.p('user')], match: /did not write/ },
  'import --camera-convention bogus': { argv: (w) => ['import', '--from', 'sam3d', w.p('import_empty'), '--camera-convention', 'x', '--camera-height', '1', '--out', w.p('out', 'i')] },
  'import --object-size bogus': { argv: (w) => ['import', '--from', 'midi', w.p('import_bad.glb'), '--object-size', 'big', '--out', w.p('out', 'i')] },
  // ros (bad arguments only: nothing is started)
  'ros unknown flag': { argv: () => ['ros', '--bogus'] },
  'ros --transport bogus': { argv: () => ['ros', '--transport', 'bogus'] },
};

describe('bad-input table: command lines (in-process, the entry the binary runs)', () => {
  const names = Object.keys(CASES);
  it('has at least 170 distinct command-line cases', () => {
    expect(names.length).toBeGreaterThanOrEqual(170);
  });
  it.each(names)('%s', async (name) => {
    const c = CASES[name]!;
    const argv = c.argv(ws);
    const { code, text } = await runInProcess(argv);
    tally.cli++;
    if (code === 'hang') tally.hangs++;
    if (STACK.test(text)) tally.stackTraces++;
    expect(code, text).not.toBe('hang');
    expect(code, text).toBe(c.code ?? EXIT.BAD_INPUT);
    expect(text, 'a stack trace reached the user').not.toMatch(STACK);
    expect(text).toMatch(CODED);
    expect(text).not.toMatch(INTERNALS);
    if (c.match) expect(text).toMatch(c.match);
    expect(snapshot(ws.sentinels), 'a user file changed or was lost').toEqual(before);
  });
  it('left no temporary folder and wrote nothing where it refused', () => {
    const hidden = readdirSync(ws.root).filter((n) => /\.(tmp|old)-/.test(n));
    expect(hidden).toEqual([]);
    expect(readdirSync(ws.root).filter((n) => n.includes('.replaced-'))).toEqual([]);
  });
});

/** Real subprocesses: what a shell sees. */
const SUBPROCESS: Record<string, { argv: (w: Workspace) => string[]; code: number; match: RegExp }> = {
  'focal length 1e-9': {
    argv: (w) => ['reconstruct', '--rgb', w.p('rgb.png'), '--depth', w.p('depth.png'), '--camera', w.p('cam_f1e-9.json'), '--out', w.p('out', 'p1')],
    code: 2,
    match: /implausible.*\[BAD_CAMERA\]/s,
  },
  'cx = -50000': {
    argv: (w) => ['reconstruct', '--rgb', w.p('rgb.png'), '--depth', w.p('depth.png'), '--camera', w.p('cam_cxneg.json'), '--out', w.p('out', 'p2')],
    code: 2,
    match: /principal point -50000/,
  },
  '--out under a file': { argv: (w) => ['reconstruct', ...frame(w), '--out', w.p('afile', 'x')], code: 2, match: /is a file.*\[OUT_REFUSED\]/s },
  'serve --port 99999': { argv: (w) => ['serve', '--models', w.p('models_empty'), '--port', '99999'], code: 2, match: /--port must be an integer from 0 to 65535/ },
  'serve --ep bogus': { argv: (w) => ['serve', '--models', w.p('models_empty'), '--ep', 'bogus'], code: 2, match: /--ep must be one of cpu, cuda/ },
  'view on a port in use': { argv: (w) => ['view', w.p('bundle'), '--port', String(busy)], code: 2, match: /in use/ },
  'synth --out a file': { argv: (w) => ['synth', '--seed', '1', '--out', w.p('afile')], code: 2, match: /\[OUT_REFUSED\]/ },
  'camera file is an array': {
    argv: (w) => ['reconstruct', '--rgb', w.p('rgb.png'), '--depth', w.p('depth.png'), '--camera', w.p('cam_array.json'), '--out', w.p('out', 'p3')],
    code: 2,
    match: /array/,
  },
  'colour photo as --masks': { argv: (w) => [...rec(w), '--masks', w.p('photo.png')], code: 2, match: /distinct labels/ },
  '700 MB scene.json': { argv: (w) => ['validate', w.p('b_huge')], code: 2, match: /700 MiB/ },
  'zero quaternion': { argv: (w) => ['validate', w.p('b_zeroquat')], code: 2, match: /zero quaternion/ },
  'unknown command': { argv: () => ['bogus'], code: 2, match: /unknown command/ },
};

function runCli(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; signal: string | null; out: string; err: string; hung: boolean }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REAL2SIM_DEBUG: '' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, out, err, hung });
    });
  });
}

describe('bad-input table: real subprocesses', () => {
  it('every case exits with its code, one coded line, no stack trace (two at a time)', async () => {
    const names = Object.keys(SUBPROCESS);
    const results: Record<string, Awaited<ReturnType<typeof runCli>>> = {};
    for (let i = 0; i < names.length; i += 2) {
      await Promise.all(names.slice(i, i + 2).map(async (n) => (results[n] = await runCli(SUBPROCESS[n]!.argv(ws)))));
    }
    for (const n of names) {
      const r = results[n]!;
      tally.subprocess++;
      if (r.hung) tally.hangs++;
      if (STACK.test(r.out + r.err)) tally.stackTraces++;
      expect(r.hung, n).toBe(false);
      expect(r.code, `${n}: ${r.err}`).toBe(SUBPROCESS[n]!.code);
      expect(r.err + r.out, n).not.toMatch(STACK);
      expect(r.err, n).toMatch(SUBPROCESS[n]!.match);
      expect(r.err, n).toMatch(CODED);
    }
    expect(snapshot(ws.sentinels)).toEqual(before);
  }, 240_000);

  it('--debug adds the stack trace (and only then)', async () => {
    const r = await runCli(['validate', ws.p('b_badjson'), '--debug']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\[BAD_SCENE\]/);
    expect(r.err).toMatch(STACK);
  }, 60_000);

  it('validate --engine rapier runs on a bundle from the command line (was "expected instance of p")', async () => {
    const r = await runCli(['validate', ws.p('bundle'), '--engine', 'rapier', '--no-reference']);
    expect(r.err + r.out).not.toMatch(/expected instance|INTERNAL/);
    expect(r.err + r.out).not.toMatch(STACK);
    expect([EXIT.OK, EXIT.PHYSICS]).toContain(r.code);
    expect(r.out).toMatch(/physics: [A-Z_]+ \(rapier/);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// HTTP

/** Sends raw bytes, returns what came back before the server closed (or `timeoutMs` passed). */
function rawRequest(port: number, chunks: (string | Uint8Array)[], opts: { gapMs?: number; timeoutMs?: number } = {}): Promise<{ text: string; closedAfterMs: number; reset: boolean }> {
  return new Promise((done) => {
    const t0 = Date.now();
    const sock = connect(port, '127.0.0.1');
    let text = '';
    let reset = false;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.destroy();
      done({ text, closedAfterMs: Date.now() - t0, reset });
    };
    const timer = setTimeout(finish, opts.timeoutMs ?? 10_000);
    sock.on('data', (d: Buffer) => (text += d.toString('latin1')));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET') reset = true;
    });
    sock.on('close', finish);
    sock.on('connect', () => {
      void (async () => {
        for (const c of chunks) {
          if (sock.destroyed) break;
          sock.write(c);
          if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
        }
      })();
    });
  });
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);

describe('bad-input table: HTTP requests', () => {
  const TOKEN = 'tok';
  let host: TinyHost;
  let viewer: ViewerServer;
  const limits = { headersTimeoutMs: 600, requestTimeoutMs: 3000, bodyIdleMs: 600, checkIntervalMs: 100 };
  beforeAll(async () => {
    host = await startTinyHost({ token: TOKEN, maxBodyBytes: 1024 * 1024, limits });
    viewer = await startViewerServer({ bundleDir: ws.p('bundle'), port: 0, limits });
  }, 60_000);
  afterAll(async () => {
    await host?.close();
    await viewer?.close();
  });

  const auth = `authorization: Bearer ${TOKEN}\r\n`;
  const post = (path: string, body: Uint8Array, headers = `${auth}content-type: application/cbor\r\n`) => [
    `POST ${path} HTTP/1.1\r\nhost: x\r\n${headers}content-length: ${body.length}\r\nconnection: close\r\n\r\n`,
    body,
  ];
  const get = (path: string, headers = auth) => [`GET ${path} HTTP/1.1\r\nhost: x\r\n${headers}connection: close\r\n\r\n`];
  const cbor = (v: unknown) => encode(v);
  const img = (over: Record<string, unknown> = {}) => ({ width: 4, height: 3, encoding: 'rgb8', data: new Uint8Array(36), ...over });

  const GPU: Record<string, { req: () => (string | Uint8Array)[]; status: number; opts?: { gapMs?: number; timeoutMs?: number } }> = {
    'unknown path': { req: () => get('/nope'), status: 404 },
    'unknown version': { req: () => post('/v2/depth', cbor({ image: img() })), status: 404 },
    'models without token': { req: () => get('/v1/models', ''), status: 401 },
    'models wrong token': { req: () => get('/v1/models', 'authorization: Bearer nope\r\n'), status: 401 },
    'task without token': { req: () => post('/v1/depth', cbor({ image: img() }), 'content-type: application/cbor\r\n'), status: 401 },
    'POST health': { req: () => post('/v1/health', new Uint8Array(0)), status: 405 },
    'GET a task': { req: () => get('/v1/depth'), status: 405 },
    'DELETE models': { req: () => [`DELETE /v1/models HTTP/1.1\r\nhost: x\r\n${auth}connection: close\r\n\r\n`], status: 405 },
    'JSON body': { req: () => post('/v1/depth', new TextEncoder().encode('{}'), `${auth}content-type: application/json\r\n`), status: 415 },
    'no content type': { req: () => post('/v1/depth', cbor({}), auth), status: 415 },
    'CBOR: 0xff': { req: () => post('/v1/depth', Uint8Array.from([0xff])), status: 400 },
    'CBOR: reserved info 0x1c': { req: () => post('/v1/depth', Uint8Array.from([0x1c])), status: 400 },
    'CBOR: truncated map': { req: () => post('/v1/depth', Uint8Array.from([0xa1])), status: 400 },
    'CBOR: huge byte string length': { req: () => post('/v1/depth', Uint8Array.from([0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), status: 400 },
    'CBOR: extra data': { req: () => post('/v1/depth', Uint8Array.from([0xa0, 0x00])), status: 400 },
    'CBOR: invalid UTF-8 text': { req: () => post('/v1/depth', Uint8Array.from([0x62, 0xff, 0xfe])), status: 400 },
    'CBOR: lone break': { req: () => post('/v1/depth', Uint8Array.from([0xff, 0x00])), status: 400 },
    'CBOR: empty body': { req: () => post('/v1/depth', new Uint8Array(0)), status: 400 },
    'CBOR: 64-bit integer': { req: () => post('/v1/depth', Uint8Array.from([0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), status: 422 },
    'CBOR array, not a map': { req: () => post('/v1/depth', cbor([1, 2])), status: 422 },
    'CBOR null': { req: () => post('/v1/depth', cbor(null)), status: 422 },
    'CBOR string': { req: () => post('/v1/segment', cbor('image')), status: 422 },
    'map without image': { req: () => post('/v1/depth', cbor({})), status: 422 },
    'image data too short': { req: () => post('/v1/depth', cbor({ image: img({ data: new Uint8Array(5) }) })), status: 422 },
    'image width -1': { req: () => post('/v1/segment', cbor({ image: img({ width: -1 }) })), status: 422 },
    'image encoding bogus': { req: () => post('/v1/segment', cbor({ image: img({ encoding: 'bogus' }) })), status: 422 },
    'image width 1e9': { req: () => post('/v1/segment', cbor({ image: img({ width: 1e9, height: 1e9 }) })), status: 422 },
    'image data a string': { req: () => post('/v1/depth', cbor({ image: img({ data: 'abc' }) })), status: 422 },
    'shape with a numeric label': { req: () => post('/v1/shape', cbor({ image: img(), label: 5 })), status: 422 },
    'pose with nested garbage': { req: () => post('/v1/pose', cbor({ image: img(), objects: [{ a: [[[]]] }] })), status: 422 },
    'declared body over the limit': { req: () => [`POST /v1/depth HTTP/1.1\r\nhost: x\r\n${auth}content-type: application/cbor\r\ncontent-length: 1000000000\r\n\r\n`], status: 413 },
    '100 kB header': { req: () => [`GET /v1/health HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(100_000)}\r\n\r\n`], status: 431 },
    'garbage request line': { req: () => ['GARBAGE\r\n\r\n'], status: 400 },
    'header without colon': { req: () => ['GET /v1/health HTTP/1.1\r\nnot a header\r\n\r\n'], status: 400 },
    'slow headers (slowloris)': {
      req: () => ['GET /v1/health HTTP/1.1\r\n', 'host: x\r\n', 'x-a: 1\r\n', 'x-b: 2\r\n', 'x-c: 3\r\n', 'x-d: 4\r\n'],
      status: 408,
      opts: { gapMs: 250, timeoutMs: 5000 },
    },
    'stalled body': {
      req: () => [`POST /v1/depth HTTP/1.1\r\nhost: x\r\n${auth}content-type: application/cbor\r\ncontent-length: 100\r\n\r\n`, Uint8Array.from([0xa1])],
      status: 408,
      opts: { timeoutMs: 5000 },
    },
  };

  it.each(Object.keys(GPU))('GPU host: %s', async (name) => {
    const c = GPU[name]!;
    const t0 = Date.now();
    const r = await rawRequest(host.server.port, c.req(), c.opts);
    tally.http++;
    if (r.closedAfterMs >= (c.opts?.timeoutMs ?? 10_000)) tally.hangs++;
    expect(r.reset, 'connection reset instead of an answer').toBe(false);
    expect(statusOf(r.text), r.text.slice(0, 300)).toBe(c.status);
    const body = bodyOf(r.text);
    expect(body).not.toMatch(INTERNALS);
    expect(body).not.toMatch(STACK);
    const parsed = JSON.parse(body) as { error: { code: string; message: string } };
    expect(parsed.error.code).toMatch(/^[A-Z_]+$/);
    expect(parsed.error.message.length).toBeGreaterThan(5);
    if (c.status === 413) expect(parsed.error.message).toMatch(/--max-body-mb/);
    expect(Date.now() - t0).toBeLessThan(c.opts?.timeoutMs ?? 10_000);
  });

  const VIEWER: Record<string, { req: () => (string | Uint8Array)[]; status: number; opts?: { gapMs?: number; timeoutMs?: number } }> = {
    'POST /': { req: () => ['POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'], status: 405 },
    'PUT /app.js': { req: () => ['PUT /app.js HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'], status: 405 },
    'unknown path': { req: () => ['GET /etc/passwd HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'], status: 404 },
    'path traversal': { req: () => ['GET /../../scene.json HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'], status: 404 },
    'bad percent-encoding': { req: () => ['GET /%zz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'], status: 404 },
    '100 kB header': { req: () => [`GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(100_000)}\r\n\r\n`], status: 431 },
    'garbage request line': { req: () => ['\u0001\u0002 nonsense\r\n\r\n'], status: 400 },
    'slow headers (slowloris)': { req: () => ['GET / HTTP/1.1\r\n', 'host: x\r\n', 'x-a: 1\r\n', 'x-b: 2\r\n', 'x-c: 3\r\n', 'x-d: 4\r\n'], status: 408, opts: { gapMs: 250, timeoutMs: 5000 } },
  };

  it.each(Object.keys(VIEWER))('viewer: %s', async (name) => {
    const c = VIEWER[name]!;
    const r = await rawRequest(Number(new URL(viewer.url).port), c.req(), c.opts);
    tally.http++;
    if (r.closedAfterMs >= (c.opts?.timeoutMs ?? 10_000)) tally.hangs++;
    expect(r.reset).toBe(false);
    expect(statusOf(r.text), r.text.slice(0, 200)).toBe(c.status);
    expect(bodyOf(r.text)).not.toMatch(INTERNALS);
  });

  it('counts at least 200 distinct bad inputs in all', () => {
    expect(Object.keys(CASES).length + Object.keys(SUBPROCESS).length + Object.keys(GPU).length + Object.keys(VIEWER).length).toBeGreaterThanOrEqual(200);
  });
});
