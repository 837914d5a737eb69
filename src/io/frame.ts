/**
 * Files on disk → one checked `RgbdFrame`: colour (PNG/JPEG), optional 16-bit depth PNG,
 * camera intrinsics, optional instance label PNG.
 *
 * Camera files understood:
 * - JSON forms read by `intrinsicsFromJson` (this project's, CameraInfo-shaped, Open3D
 *   `PinholeCameraIntrinsic`, BOP/MegaPose `camera_data.json`, UOC `camera_params.json` — the
 *   image size is taken from the colour image when the file lacks it);
 * - BOP `scene_camera.json` (`{"<image id>": {"cam_K": [9], "depth_scale": s}}`): pick an
 *   entry with `cameraEntry` (default: the only / first one); its `depth_scale` (depth unit in
 *   mm) sets the depth scale unless `depthScale` is given;
 * - ROS `camera_calibration` YAML (`image_width`, `image_height`, `camera_matrix.data`).
 *
 * Depth units vary by dataset: millimetres (default, `depthScale` 0.001 m per unit),
 * 0.1 mm (BOP depth_scale 0.1 → 0.0001) and TUM's 1/5000 m.
 */
import { readFile } from 'node:fs/promises';
import { intrinsicsFromJson, type CameraIntrinsics } from '../model/camera.ts';
import { Real2SimError } from '../model/errors.ts';
import { checkFrame, type RgbdFrame } from '../model/frame.ts';
import { decodeColorImage, decodeDepthPng, decodeLabelPng } from './image.ts';

export interface FramePaths {
  rgb: string;
  depth?: string;
  camera: string;
  masks?: string;
  /** Metres per stored depth unit (default 0.001, or BOP `depth_scale` / 1000 when present). */
  depthScale?: number;
  /** Key of the entry in a BOP `scene_camera.json` (default: the first). */
  cameraEntry?: string;
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : String((e as Error).message);
    throw new Real2SimError('BAD_FILE', `Cannot read the ${what} '${path}': ${why}.`, { path, what }, e);
  }
}

/** Parsed camera file: intrinsics-shaped JSON plus a depth scale when the file states one. */
export function parseCameraFile(text: string, name: string, size: { width: number; height: number }, entry?: string): { intrinsics: CameraIntrinsics; depthScale?: number } {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return { intrinsics: parseCalibrationYaml(text, name, size) };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Real2SimError('BAD_CAMERA', `Camera file '${name}' is not valid JSON: ${e instanceof Error ? e.message : String(e)}.`, { name }, e);
  }
  let o = json as Record<string, unknown>;
  // BOP scene_camera.json: a dict of image id → {cam_K, depth_scale}
  if (typeof o === 'object' && o !== null && !Array.isArray(o) && !('cam_K' in o)) {
    const keys = Object.keys(o);
    const first = keys.length > 0 && keys.every((k) => typeof o[k] === 'object' && o[k] !== null && 'cam_K' in o[k]);
    if (first) {
      const key = entry ?? keys[0]!;
      const e = o[key];
      if (!e) throw new Real2SimError('BAD_CAMERA', `Camera file '${name}' has no entry '${key}' (it has ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', …' : ''}).`, { name, entry: key });
      o = e as Record<string, unknown>;
    }
  }
  let depthScale: number | undefined;
  if (typeof o === 'object' && o !== null && 'cam_K' in o) {
    if (typeof o['depth_scale'] === 'number') depthScale = o['depth_scale'] / 1000;
    o = { K: o['cam_K'] };
  }
  try {
    const intrinsics = intrinsicsFromJson(o, size);
    return depthScale !== undefined ? { intrinsics, depthScale } : { intrinsics };
  } catch (e) {
    if (e instanceof Real2SimError) throw new Real2SimError(e.code, `Camera file '${name}': ${e.message}`, { ...e.context, name }, e);
    throw e;
  }
}

/** ROS `camera_calibration` YAML: only the fields the bridge needs, read line by line. */
function parseCalibrationYaml(text: string, name: string, size: { width: number; height: number }): CameraIntrinsics {
  const w = /^image_width:\s*(\d+)/m.exec(text);
  const h = /^image_height:\s*(\d+)/m.exec(text);
  const k = /camera_matrix:[\s\S]*?data:\s*\[([^\]]*)\]/m.exec(text);
  if (!k) {
    throw new Real2SimError('BAD_CAMERA', `Camera file '${name}' is neither JSON nor a ROS camera_calibration YAML with camera_matrix.data.`, { name });
  }
  const data = k[1]!.split(',').map((s) => Number(s.trim()));
  try {
    return intrinsicsFromJson({ width: w ? Number(w[1]) : size.width, height: h ? Number(h[1]) : size.height, K: data });
  } catch (e) {
    if (e instanceof Real2SimError) throw new Real2SimError(e.code, `Camera file '${name}': ${e.message}`, { ...e.context, name }, e);
    throw e;
  }
}

/** Reads the files, decodes them and checks that sizes agree (`checkFrame`). */
export async function loadFrame(paths: FramePaths): Promise<RgbdFrame> {
  const color = decodeColorImage(await readBytes(paths.rgb, 'colour image'), paths.rgb);
  const camText = new TextDecoder().decode(await readBytes(paths.camera, 'camera file'));
  const cam = parseCameraFile(camText, paths.camera, { width: color.width, height: color.height }, paths.cameraEntry);
  const frame: RgbdFrame = { color, camera: cam.intrinsics };
  if (paths.depth) {
    const scale = paths.depthScale ?? cam.depthScale ?? 0.001;
    frame.depth = decodeDepthPng(await readBytes(paths.depth, 'depth image'), scale, paths.depth);
  }
  if (paths.masks) frame.masks = decodeLabelPng(await readBytes(paths.masks, 'mask image'), paths.masks);
  if (cam.intrinsics.frameId) frame.frameId = cam.intrinsics.frameId;
  return checkFrame(frame);
}
