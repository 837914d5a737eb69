import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CameraIntrinsics } from '../../src/model/camera.ts';
import type { RgbdFrame } from '../../src/model/frame.ts';
import { decodeColorImage, decodeDepthPng } from '../../src/io/image.ts';
import { reconstructDetailed, type ReconstructionDetails } from '../../src/pipeline.ts';
import { renderScene } from '../../src/synth/render.ts';

/** `../shared/data` beside the repository root (absent in a fresh clone). */
export const DATA = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
export const HAVE_DATA = existsSync(DATA);

export interface RealFrame {
  name: string;
  rgb: string;
  depth: string;
  camera: CameraIntrinsics;
  /** Metres per depth unit (../shared/data/README.md). */
  depthScale: number;
}

/** Intrinsics of the real frames' cameras (../shared/data/README.md); the benches use the same. */
export const UOC: CameraIntrinsics = { width: 640, height: 480, fx: 612.937, fy: 613.173, cx: 322.549, cy: 248.158 };
export const POSECNN: CameraIntrinsics = { width: 640, height: 480, fx: 1066.778, fy: 1067.487, cx: 312.9869, cy: 241.3109 };
export const PRIMESENSE: CameraIntrinsics = { width: 640, height: 480, fx: 525, fy: 525, cx: 319.5, cy: 239.5 };

export const FRAMES: RealFrame[] = [
  ...['000000', '000003', '000006'].map((id) => ({ name: `uoc_demo/${id}`, rgb: `uoc_demo/${id}-color.png`, depth: `uoc_demo/${id}-depth.png`, camera: UOC, depthScale: 0.001 })),
  ...['000001', '000003'].map((id) => ({ name: `posecnn_lov_demo/${id}`, rgb: `posecnn_lov_demo/${id}-color.png`, depth: `posecnn_lov_demo/${id}-depth.png`, camera: POSECNN, depthScale: 0.0001 })),
  { name: 'open3d_testdata/TUM', rgb: 'open3d_testdata/RGBD/other_formats/TUM_color.png', depth: 'open3d_testdata/RGBD/other_formats/TUM_depth.png', camera: PRIMESENSE, depthScale: 1 / 5000 },
];

export function loadRealFrame(f: RealFrame): RgbdFrame {
  const color = decodeColorImage(new Uint8Array(readFileSync(resolve(DATA, f.rgb))), f.rgb);
  const depth = decodeDepthPng(new Uint8Array(readFileSync(resolve(DATA, f.depth))), f.depthScale, f.depth);
  return { color, depth, camera: f.camera };
}

export interface Reprojection {
  objects: number;
  inlierRatio: number;
  /** Median |rendered − observed| depth over all object pixels, metres. */
  depthErrorM: number;
  sizes: [number, number, number][];
}

/**
 * Reprojection check: render the reconstructed objects back into the camera and compare with
 * what the camera saw, on the pixels the perceive stage gave each object.
 */
export function reprojection(frame: RgbdFrame, det: ReconstructionDetails): Reprojection {
  const { scene, masks } = det;
  // the renderer labels objects by instance id: the id of the mask each object was built from
  const objects = scene.objects.map((o) => ({ ...o, instanceId: det.maskIdOf.get(o.id)! }));
  const r = renderScene({ ...scene, objects }, scene.camera!, { ground: false });
  const errs: number[] = [];
  for (const o of objects) {
    const id = det.maskIdOf.get(o.id);
    for (let i = 0; i < masks.data.length; i++) {
      if (masks.data[i] !== id) continue;
      const obs = frame.depth!.data[i]!,
        ren = r.depth.data[i]!;
      if (obs > 0 && Number.isFinite(obs) && ren > 0 && Number.isFinite(ren)) errs.push(Math.abs(ren - obs));
    }
  }
  const med = (x: number[]) => (x.length ? [...x].sort((a, b) => a - b)[x.length >> 1]! : NaN);
  return {
    objects: scene.objects.length,
    inlierRatio: scene.reports.find((x) => x.stage === 'ground')!.counts['inlierRatio']!,
    depthErrorM: med(errs),
    sizes: scene.objects.map((o) => o.size),
  };
}

export async function runRealFrame(f: RealFrame): Promise<{ frame: RgbdFrame; det: ReconstructionDetails; check: Reprojection }> {
  const frame = loadRealFrame(f);
  const det = await reconstructDetailed(frame);
  return { frame, det, check: reprojection(frame, det) };
}
