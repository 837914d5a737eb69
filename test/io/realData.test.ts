import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFrame } from '../../src/io/frame.ts';
import { decodeLabelPng } from '../../src/io/image.ts';
import { decodeMesh } from '../../src/io/mesh.ts';
import { meshVolume } from '../../src/geometry/massProperties.ts';
import { boundsOf } from '../../src/model/geometry.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = path.resolve(repoRoot, '../shared/data');
const has = existsSync(DATA);
const d = (f: string) => path.join(DATA, f);

function medianValid(a: Float32Array): number {
  const v = Array.from(a)
    .filter((x) => x > 0)
    .sort((x, y) => x - y);
  return v[v.length >> 1]!;
}

describe.skipIf(!has)(`real public data in ${DATA}`, () => {
  it('UOC frame: PNG colour + millimetre depth + camera_params.json (size taken from the image)', async () => {
    const f = await loadFrame({ rgb: d('uoc_demo/000000-color.png'), depth: d('uoc_demo/000000-depth.png'), camera: d('uoc_demo/camera_params.json') });
    expect([f.color.width, f.color.height, f.color.encoding]).toEqual([640, 480, 'rgb8']);
    expect(f.camera.fx).toBeCloseTo(612.937, 6);
    expect(f.camera.cx).toBeCloseTo(322.549, 6);
    // a tabletop seen from ~0.9 m
    expect(medianValid(f.depth!.data)).toBeGreaterThan(0.5);
    expect(medianValid(f.depth!.data)).toBeLessThan(1.5);
  });

  it('Open3D test data: JPEG colour + mm depth + Open3D intrinsic JSON', async () => {
    const f = await loadFrame({ rgb: d('open3d_testdata/RGBD/color/00000.jpg'), depth: d('open3d_testdata/RGBD/depth/00000.png'), camera: d('open3d_testdata/camera_primesense.json') });
    expect([f.camera.fx, f.camera.cx, f.camera.cy]).toEqual([525, 319.5, 239.5]);
    expect(medianValid(f.depth!.data)).toBeCloseTo(1.861, 3);
  });

  it('depth units: PoseCNN 0.1 mm and TUM 1/5000 m give room-scale metres', async () => {
    const cam = d('open3d_testdata/camera_primesense.json');
    const p = await loadFrame({ rgb: d('posecnn_lov_demo/000001-color.png'), depth: d('posecnn_lov_demo/000001-depth.png'), camera: cam, depthScale: 0.0001 });
    expect(medianValid(p.depth!.data)).toBeGreaterThan(0.5);
    expect(medianValid(p.depth!.data)).toBeLessThan(1.5);
    const t = await loadFrame({ rgb: d('open3d_testdata/RGBD/other_formats/TUM_color.png'), depth: d('open3d_testdata/RGBD/other_formats/TUM_depth.png'), camera: cam, depthScale: 1 / 5000 });
    expect(medianValid(t.depth!.data)).toBeCloseTo(12.075 / 5, 3);
  });

  it('HappyPose camera_data.json (BOP/MegaPose K + resolution)', async () => {
    const f = await loadFrame({ rgb: d('happypose_crackers/image_rgb.png'), camera: d('happypose_crackers/camera_data.json') });
    expect(f.camera.fx).toBeCloseTo(615.1529541015625, 9);
    expect([f.camera.width, f.camera.height]).toEqual([640, 480]);
  });

  it('label images: SceneMaker palette (5 instances) and MIDI RGB colour-coded (2 instances)', () => {
    const pal = decodeLabelPng(new Uint8Array(readFileSync(d('scenemaker_examples/duck_click/segmentation.png'))));
    expect([...new Set(pal.data)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    const rgb = decodeLabelPng(new Uint8Array(readFileSync(d('midi3d_examples/Realistic-Style/04_seg.png'))));
    expect([...new Set(rgb.data)].sort((a, b) => a - b)).toEqual([0, 1, 2]);
  });

  it('meshes: pybullet OBJ (duck, mug), a binary STL shelf and a BOP PLY model', async () => {
    const duck = await decodeMesh(new Uint8Array(readFileSync(d('pybullet_data/duck.obj'))), 'obj', 'duck.obj');
    expect(duck.indices.length / 3).toBeGreaterThan(1000);
    const mug = await decodeMesh(new Uint8Array(readFileSync(d('pybullet_data/objects/mug.obj'))), 'obj', 'mug.obj');
    const mb = boundsOf(mug.positions);
    expect(Math.max(...mb.max.map((v, i) => v - mb.min[i]!))).toBeLessThan(1); // metres
    const shelf = await decodeMesh(new Uint8Array(readFileSync(d('pybullet_data/kiva_shelf/meshes/pod_lowres.stl'))), 'stl', 'pod_lowres.stl');
    expect(shelf.positions.length / 3).toBeLessThan(shelf.indices.length); // welded
    const box = await decodeMesh(new Uint8Array(readFileSync(d('happypose_crackers/models/obj_000002.ply'))), 'ply', 'obj_000002.ply');
    // the YCB cracker box is stored in millimetres: roughly 60 × 160 × 210 mm
    const bb = boundsOf(box.positions);
    const ext = bb.max.map((v, i) => v - bb.min[i]!).sort((a, b) => a - b);
    expect(ext[2]).toBeGreaterThan(150);
    expect(ext[2]).toBeLessThan(300);
    expect(Math.abs(meshVolume(box))).toBeGreaterThan(0);
  });
});

it.runIf(!has)('real-data tests skipped: ../shared/data is missing (a fresh clone has no ../shared)', () => {
  expect(has).toBe(false);
});
