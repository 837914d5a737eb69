import { Real2SimError, throwIfProblems, type ValidationProblem } from './errors.ts';

/**
 * Pinhole intrinsics of a camera, in pixels. The image is `width` × `height`; (cx, cy) is the
 * principal point with pixel centres at integer coordinates (ROS `CameraInfo` convention).
 * Points in the camera optical frame: x right, y down, z forward (REP 103 `_optical` frame).
 */
export interface CameraIntrinsics {
  width: number;
  height: number;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  /** Optional frame id from the driver (e.g. `camera_color_optical_frame`). */
  frameId?: string;
}

/** Structural subset of `sensor_msgs/msg/CameraInfo` that the bridge reads. */
export interface CameraInfoLike {
  width: number;
  height: number;
  k?: ArrayLike<number>;
  /** ROS 1 / rosbridge-from-ROS-1 spelling. */
  K?: ArrayLike<number>;
  header?: { frame_id?: string };
}

export function validateIntrinsics(c: CameraIntrinsics): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const positiveInt = (name: 'width' | 'height') => {
    const v = c[name];
    if (!Number.isInteger(v) || v <= 0) problems.push({ path: name, message: `must be a positive integer, got ${v}` });
  };
  positiveInt('width');
  positiveInt('height');
  for (const name of ['fx', 'fy'] as const) {
    const v = c[name];
    if (!Number.isFinite(v) || v <= 0) problems.push({ path: name, message: `focal length must be a finite number > 0, got ${v}` });
  }
  for (const name of ['cx', 'cy'] as const) {
    const v = c[name];
    if (!Number.isFinite(v)) problems.push({ path: name, message: `principal point must be finite, got ${v}` });
  }
  return problems;
}

/** Returns the intrinsics if valid; throws a `BAD_CAMERA` error listing every problem otherwise. */
export function checkIntrinsics(c: CameraIntrinsics): CameraIntrinsics {
  throwIfProblems('BAD_CAMERA', 'Camera intrinsics', validateIntrinsics(c));
  return c;
}

/** From a ROS `CameraInfo` (rclnodejs or rosbridge shape). K is row-major 3×3. */
export function intrinsicsFromCameraInfo(info: CameraInfoLike): CameraIntrinsics {
  const k = info.k ?? info.K;
  if (!k || k.length !== 9) {
    throw new Real2SimError('BAD_CAMERA', `CameraInfo.k must hold 9 numbers (row-major 3×3), got ${k ? k.length : 'none'}`);
  }
  const frameId = info.header?.frame_id;
  return checkIntrinsics({
    width: info.width,
    height: info.height,
    fx: Number(k[0]),
    fy: Number(k[4]),
    cx: Number(k[2]),
    cy: Number(k[5]),
    ...(frameId ? { frameId } : {}),
  });
}

/**
 * From plain JSON. Accepts, in order:
 * - `{width, height, fx, fy, cx, cy}` (this project's own form);
 * - a CameraInfo-shaped object with `k`/`K`;
 * - Open3D `PinholeCameraIntrinsic` JSON: `{width, height, intrinsic_matrix: [9, column-major]}`;
 * - `{K: [[fx,0,cx],[0,fy,cy],[0,0,1]], resolution: [h, w]}` (BOP / MegaPose `camera_data.json`).
 * `size` supplies width/height when the JSON lacks them (e.g. UOC `camera_params.json`).
 */
export function intrinsicsFromJson(json: unknown, size?: { width: number; height: number }): CameraIntrinsics {
  if (typeof json !== 'object' || json === null) {
    throw new Real2SimError('BAD_CAMERA', 'Camera JSON must be an object with fx, fy, cx, cy (and width, height)');
  }
  const o = json as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN);
  let width = num(o['width'] ?? size?.width);
  let height = num(o['height'] ?? size?.height);
  if (Array.isArray(o['resolution']) && o['resolution'].length === 2) {
    height = num(o['resolution'][0]);
    width = num(o['resolution'][1]);
  }
  if (Array.isArray(o['intrinsic_matrix']) && o['intrinsic_matrix'].length === 9) {
    const m = o['intrinsic_matrix'].map(num); // column-major
    return checkIntrinsics({ width, height, fx: m[0]!, fy: m[4]!, cx: m[6]!, cy: m[7]! });
  }
  const kRaw = o['k'] ?? o['K'];
  if (Array.isArray(kRaw)) {
    const flat = (kRaw as unknown[]).flat().map(num);
    if (flat.length === 9) return checkIntrinsics({ width, height, fx: flat[0]!, fy: flat[4]!, cx: flat[2]!, cy: flat[5]! });
  }
  const fx = num(o['fx']);
  const fy = num(o['fy']);
  const cx = num(o['cx'] ?? o['x_offset']);
  const cy = num(o['cy'] ?? o['y_offset']);
  return checkIntrinsics({ width, height, fx, fy, cx, cy });
}

/** Throws `SIZE_MISMATCH` unless the intrinsics were made for an image of this size. */
export function checkIntrinsicsMatch(c: CameraIntrinsics, width: number, height: number, what = 'image'): void {
  if (c.width !== width || c.height !== height) {
    throw new Real2SimError(
      'SIZE_MISMATCH',
      `Camera intrinsics are for ${c.width}×${c.height} but the ${what} is ${width}×${height}: pass the CameraInfo that belongs to this stream (or scale fx, fy, cx, cy with the image).`,
      { intrinsics: { width: c.width, height: c.height }, image: { width, height } },
    );
  }
}
