/**
 * Real reconstructed scenes for the physics benches: the product's own stages 1–6 (geometric
 * segmentation, as `real2sim reconstruct` runs without masks) on the real RGB-D frames in
 * `../shared/data/`, WITHOUT validation, so the benches time validation + repair on the hulls
 * users actually get. The scenes are our own output, generated at bench time and cached as
 * scene.json files under `.bench/real-scenes/` (git-ignored); the frames themselves are never
 * copied. Without `../shared/data` the list is empty and the benches say so.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CameraIntrinsics } from '../src/model/camera.ts';
import { POSECNN, PRIMESENSE, UOC } from '../test/realframes/frames.ts';
import type { Scene } from '../src/model/scene.ts';
import { decodeColorImage, decodeDepthPng } from '../src/io/image.ts';
import { sceneFromJson, sceneToJson } from '../src/io/sceneJson.ts';
import { reconstructDetailed } from '../src/pipeline.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED_DATA = resolve(ROOT, '../shared/data');
const CACHE = join(ROOT, '.bench', 'real-scenes');

interface RealSource {
  name: string;
  rgb: string;
  depth: string;
  camera: CameraIntrinsics;
  depthScale: number;
}

/** The real tabletop frames (../shared/data/README.md gives units and intrinsics). */
export const REAL_SOURCES: RealSource[] = [
  ...['000000', '000003', '000006'].map((id) => ({ name: `uoc_${id}`, rgb: `uoc_demo/${id}-color.png`, depth: `uoc_demo/${id}-depth.png`, camera: UOC, depthScale: 0.001 })),
  ...['000001', '000003'].map((id) => ({ name: `posecnn_${id}`, rgb: `posecnn_lov_demo/${id}-color.png`, depth: `posecnn_lov_demo/${id}-depth.png`, camera: POSECNN, depthScale: 0.0001 })),
  ...['test0', 'test13', 'test16', 'test26', 'test31', 'test45', 'test55'].map((t) => ({
    name: `osd_${t}`,
    rgb: `real_gt/osd_mosd/${t}/color.png`,
    depth: `real_gt/osd_mosd/${t}/depth.png`,
    camera: PRIMESENSE,
    depthScale: 0.001,
  })),
];

export interface RealScene {
  name: string;
  scene: Scene;
}

/**
 * The reconstructed (unvalidated) scene of every real frame present, from the cache when it is
 * newer than the pipeline's sources, else reconstructed now (seconds per frame) and cached.
 */
export async function realScenes(log: (s: string) => void = () => {}, fresh = false): Promise<RealScene[]> {
  if (!existsSync(SHARED_DATA)) return [];
  mkdirSync(CACHE, { recursive: true });
  const out: RealScene[] = [];
  for (const src of REAL_SOURCES) {
    const rgb = join(SHARED_DATA, src.rgb),
      depth = join(SHARED_DATA, src.depth);
    if (!existsSync(rgb) || !existsSync(depth)) continue;
    const file = join(CACHE, `${src.name}.json`);
    if (!fresh && existsSync(file) && statSync(file).mtimeMs > statSync(join(ROOT, 'src', 'pipeline.ts')).mtimeMs) {
      out.push({ name: src.name, scene: sceneFromJson(readFileSync(file, 'utf8'), file) });
      continue;
    }
    log(`  reconstructing ${src.name} (cached in ${CACHE}) …\n`);
    const frame = {
      color: decodeColorImage(new Uint8Array(readFileSync(rgb)), src.rgb),
      depth: decodeDepthPng(new Uint8Array(readFileSync(depth)), src.depthScale, src.depth),
      camera: src.camera,
    };
    const { scene } = await reconstructDetailed(frame);
    writeFileSync(file, sceneToJson(scene, { indent: 0 }));
    out.push({ name: src.name, scene });
  }
  return out;
}
