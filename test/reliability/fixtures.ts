/**
 * A workspace of good and bad input files for the bad-input table: small frames (64×48), camera
 * files of every broken kind, broken bundles, and "user" folders with sentinel files whose
 * contents must survive every run.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeDepthPng, encodeLabelPng, encodePng } from '../../src/io/image.ts';
import { writeBundle } from '../../src/export/bundle.ts';
import { fixedScene } from '../export/fixtures.ts';

export const FW = 64;
export const FH = 48;

/** Deterministic bytes (xorshift) so the noise photo is the same on every run. */
export function noise(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export interface Workspace {
  root: string;
  /** Folders whose every file must be byte-identical after the table ran. */
  sentinels: string[];
  p(...rel: string[]): string;
}

export async function buildWorkspace(root: string): Promise<Workspace> {
  const p = (...rel: string[]) => join(root, ...rel);
  const put = (rel: string, data: string | Uint8Array) => {
    const path = p(rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, data);
  };
  // a good frame
  const rgb = new Uint8Array(FW * FH * 3).fill(120);
  put('rgb.png', encodePng({ width: FW, height: FH, encoding: 'rgb8', data: rgb }));
  const depth = new Float32Array(FW * FH).fill(0.8);
  put('depth.png', encodeDepthPng({ width: FW, height: FH, data: depth }));
  put('depth_small.png', encodeDepthPng({ width: 32, height: 24, data: new Float32Array(32 * 24).fill(0.8) }));
  const labels = new Uint16Array(FW * FH);
  for (let i = 0; i < 200; i++) labels[1000 + i] = 1;
  put('masks.png', encodeLabelPng({ width: FW, height: FH, data: labels, labels: new Map() }));
  put('masks_small.png', encodeLabelPng({ width: 32, height: 24, data: new Uint16Array(32 * 24), labels: new Map() }));
  put('photo.png', encodePng({ width: FW, height: FH, encoding: 'rgb8', data: noise(FW * FH * 3) }));
  const cam = { width: FW, height: FH, fx: 50, fy: 50, cx: 31.5, cy: 23.5 };
  put('camera.json', JSON.stringify(cam));
  // broken images
  put('empty.png', new Uint8Array(0));
  put('text.png', 'this is not an image\n');
  put('trunc.png', readFileSync(p('rgb.png')).subarray(0, 40));
  put('garbage.jpg', Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, ...noise(200, 3)]));
  put('noise.bin', noise(4096, 11));
  put('zero.png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Uint8Array(64)]));
  mkdirSync(p('adir'), { recursive: true });
  put('afile', 'a plain file\n');
  // camera files, each broken in its own way
  const cams: Record<string, string> = {
    'cam_array.json': JSON.stringify([cam]),
    'cam_nok.json': JSON.stringify({ width: FW, height: FH }),
    'cam_k8.json': JSON.stringify({ width: FW, height: FH, k: [50, 0, 31.5, 0, 50, 23.5, 0, 0] }),
    'cam_k10.json': JSON.stringify({ width: FW, height: FH, k: [50, 0, 31.5, 0, 50, 23.5, 0, 0, 1, 0] }),
    'cam_kstr.json': JSON.stringify({ width: FW, height: FH, k: [50, 0, 'x', 0, 50, 23.5, 0, 0, 1] }),
    'cam_knull.json': JSON.stringify({ width: FW, height: FH, k: null }),
    'cam_kobj.json': JSON.stringify({ width: FW, height: FH, k: { a: 1 } }),
    'cam_f1e-9.json': JSON.stringify({ ...cam, fx: 1e-9, fy: 1e-9 }),
    'cam_fneg.json': JSON.stringify({ ...cam, fx: -50 }),
    'cam_fzero.json': JSON.stringify({ ...cam, fy: 0 }),
    'cam_fhuge.json': JSON.stringify({ ...cam, fx: 1e12, fy: 1e12 }),
    'cam_aspect.json': JSON.stringify({ ...cam, fx: 50, fy: 500 }),
    'cam_cxneg.json': JSON.stringify({ ...cam, cx: -50000 }),
    'cam_cybig.json': JSON.stringify({ ...cam, cy: 1e6 }),
    'cam_width0.json': JSON.stringify({ ...cam, width: 0 }),
    'cam_widthfrac.json': JSON.stringify({ ...cam, width: 64.5 }),
    'cam_wrongsize.json': JSON.stringify({ ...cam, width: 640, height: 480, cx: 319.5, cy: 239.5, fx: 500, fy: 500 }),
    'cam_missingcy.json': JSON.stringify({ width: FW, height: FH, fx: 50, fy: 50, cx: 31.5 }),
    'cam_null.json': 'null',
    'cam_number.json': '42',
    'cam_string.json': '"fx=50"',
    'cam_bad.json': '{"fx": 50,',
    'cam_empty.json': '',
    'cam_yaml.yaml': 'image_width: 64\nimage_height: 48\ncamera_name: x\n',
    'cam_yamlbad.yaml': 'image_width: 64\nimage_height: 48\ncamera_matrix:\n  rows: 3\n  data: [50, 0, x, 0, 50, 23.5, 0, 0]\n',
    'cam_intrinsic8.json': JSON.stringify({ width: FW, height: FH, intrinsic_matrix: [50, 0, 0, 0, 50, 0, 31.5, 23.5] }),
    'cam_bop8.json': JSON.stringify({ '7': { cam_K: [50, 0, 31.5, 0, 50, 23.5, 0, 0], depth_scale: 1 } }),
    'cam_nan.json': '{"width": 64, "height": 48, "fx": "NaN", "fy": 50, "cx": 31.5, "cy": 23.5}',
  };
  for (const [name, text] of Object.entries(cams)) put(name, text);

  // user folders: sentinels that no run may change
  put('user/NOTES.md', '# my notes\n');
  put('user/CMakeLists.txt', 'project(arm)\n');
  put('user/urdf/arm.png', noise(300, 5));
  put('user/scene.urdf', '<robot name="mine"/>\n');
  put('user/scene.json', '{"mine": true}\n');
  put('frames/rgb.png', readFileSync(p('rgb.png')));
  put('frames/notes.txt', 'frame notes\n');
  // a bundle of an earlier version (no marker)
  put('oldbundle/scene.json', '{"version": 1}\n');
  put('oldbundle/scene.urdf', '<robot name="old"/>\n');
  put('oldbundle/meshes/a.obj', 'v 0 0 0\n');
  // a real bundle (with marker), and one with the user's own file added
  await writeBundle(p('bundle'), fixedScene(), { glb: false });
  await writeBundle(p('bundle_user'), fixedScene(), { glb: false });
  put('bundle_user/input/frame.png', readFileSync(p('rgb.png')));
  put('bundle_user/notes.txt', 'kept in the bundle folder\n');

  // broken bundles for validate / view / export
  const sceneText = readFileSync(p('bundle', 'scene.json'), 'utf8');
  const scene = JSON.parse(sceneText) as { objects: { pose: { orientation: unknown; position: unknown } }[]; version: number };
  put('b_badjson/scene.json', '{"version": 1, "objects": [');
  put('b_array/scene.json', '[]');
  put('b_null/scene.json', 'null');
  put('b_version/scene.json', JSON.stringify({ ...scene, version: 999 }));
  put('b_noversion/scene.json', '{"objects": []}');
  const zq = structuredClone(scene);
  zq.objects[0]!.pose.orientation = [0, 0, 0, 0];
  put('b_zeroquat/scene.json', JSON.stringify(zq));
  const np = structuredClone(scene);
  np.objects[0]!.pose.position = [0, 'x', 0];
  put('b_nanpos/scene.json', JSON.stringify(np));
  const short = structuredClone(scene);
  short.objects[0]!.pose.orientation = [0, 0, 1];
  put('b_shortquat/scene.json', JSON.stringify(short));
  put('b_objects3/scene.json', JSON.stringify({ ...scene, objects: 3 }));
  put('b_emptyfile/scene.json', '');
  mkdirSync(p('b_dirjson', 'scene.json'), { recursive: true });
  mkdirSync(p('b_empty'), { recursive: true });
  // a 700 MB scene.json (sparse: no disk space used)
  put('b_huge/scene.json', '{');
  truncateSync(p('b_huge', 'scene.json'), 700 * 1024 * 1024);
  put('scene_zeroquat.json', JSON.stringify(zq));
  put('scene_bad.json', '{"version": 1, "objects": 3}');
  mkdirSync(p('models_empty'), { recursive: true });
  put('models_bad/m.json', '{"task": "depth"}');
  // research-model inputs that are not
  mkdirSync(p('import_empty'), { recursive: true });
  put('import_bad.glb', noise(100, 9));

  return { root, sentinels: [p('user'), p('frames'), p('oldbundle'), p('bundle_user'), p('afile')], p };
}

/** Path → sha256 of every file under `paths` (a file path maps itself). */
export function snapshot(paths: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (path: string) => {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const e of readdirSync(path)) visit(join(path, e));
    else out.set(path, createHash('sha256').update(readFileSync(path)).digest('hex'));
  };
  for (const p of paths) visit(p);
  return out;
}
