import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CameraIntrinsics } from '../model/camera.ts';
import { Real2SimError } from '../model/errors.ts';
import type { RgbdFrame } from '../model/frame.ts';
import type { LabelImage } from '../model/image.ts';
import { decodeColorImage, decodeDepthPng, decodeLabelPng } from '../io/image.ts';

/**
 * A real frame with hand-made ground truth, as a folder: `color.png` (8-bit RGB), `depth.png`
 * (uint16 millimetres, 0 = no depth), `labels.png` (instance ids, 0 = background),
 * `camera_info.json` (ROS CameraInfo shape: width, height, k) and optionally
 * `labels_raw_mosd.png` (mOSD raw labels: 1–9 = the table, a ground-truth support mask).
 */
export interface LabelledFrame {
  name: string;
  frame: RgbdFrame;
  truth: LabelImage;
  /** 1 where the ground truth says the support (table) is; absent when the folder has none. */
  table?: Uint8Array;
}

export function loadLabelledFrame(dir: string, name = dir): LabelledFrame {
  const read = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
  for (const f of ['color.png', 'depth.png', 'labels.png', 'camera_info.json']) {
    if (!existsSync(join(dir, f))) throw new Real2SimError('BAD_INPUT', `Labelled frame ${name}: ${f} is missing in ${dir} (it needs color.png, depth.png, labels.png, camera_info.json).`);
  }
  const info = JSON.parse(readFileSync(join(dir, 'camera_info.json'), 'utf8')) as { width: number; height: number; k: number[] };
  const camera: CameraIntrinsics = { width: info.width, height: info.height, fx: info.k[0]!, fy: info.k[4]!, cx: info.k[2]!, cy: info.k[5]! };
  const color = decodeColorImage(read('color.png'), `${name}/color.png`);
  const depth = decodeDepthPng(read('depth.png'), 0.001, `${name}/depth.png`);
  const truth = decodeLabelPng(read('labels.png'), `${name}/labels.png`);
  let table: Uint8Array | undefined;
  if (existsSync(join(dir, 'labels_raw_mosd.png'))) {
    const raw = decodeLabelPng(read('labels_raw_mosd.png'), `${name}/labels_raw_mosd.png`);
    table = Uint8Array.from(raw.data, (v) => (v >= 1 && v <= 9 ? 1 : 0));
  }
  return { name, frame: { color, depth, camera }, truth, ...(table ? { table } : {}) };
}
