import { Real2SimError, showValue, throwIfProblems, type ValidationProblem } from './errors.ts';

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

/**
 * Plausible pinhole intrinsics, relative to the image: a focal length between 0.04 and 1000
 * times the image's larger side (fields of view from ~170° down to ~0.06°), fx/fy within a factor of 4, and the
 * principal point inside the image or at most half an image outside it. Values outside these
 * are typos or another camera's numbers (a focal length of 1e-9, cx = −50000), and would give
 * objects many metres long after minutes of work.
 */
export const INTRINSICS_LIMITS = { minFocalPerSize: 0.04, maxFocalPerSize: 1000, maxAspect: 4, principalMargin: 0.5 } as const;

export function validateIntrinsics(c: CameraIntrinsics): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const positiveInt = (name: 'width' | 'height') => {
    const v = c[name];
    if (!Number.isInteger(v) || v <= 0) problems.push({ path: name, message: `must be a positive integer, got ${showValue(v)}` });
  };
  positiveInt('width');
  positiveInt('height');
  const sizeOk = problems.length === 0;
  const L = INTRINSICS_LIMITS;
  const ref = Math.max(c.width, c.height);
  for (const name of ['fx', 'fy'] as const) {
    const v = c[name];
    if (!Number.isFinite(v) || v <= 0) problems.push({ path: name, message: `focal length must be a finite number > 0, got ${showValue(v)}` });
    else if (sizeOk && (v < L.minFocalPerSize * ref || v > L.maxFocalPerSize * ref)) {
      problems.push({
        path: name,
        message: `focal length ${v} px is implausible for a ${c.width}×${c.height} image (expected ${+(L.minFocalPerSize * ref).toPrecision(3)}–${+(L.maxFocalPerSize * ref).toPrecision(3)} px; a typical camera has about ${Math.round(0.8 * c.width)}): are these intrinsics in pixels and for this image size?`,
      });
    }
  }
  const focalOk = problems.every((p) => p.path !== 'fx' && p.path !== 'fy');
  if (focalOk && Math.max(c.fx / c.fy, c.fy / c.fx) > L.maxAspect) {
    problems.push({
      path: 'fy',
      message: `fx = ${c.fx} and fy = ${c.fy} differ by more than ${L.maxAspect}×: pixels are nearly square on real cameras; check the matrix layout (row-major k: fx at [0], fy at [4])`,
    });
  }
  for (const [name, size] of [
    ['cx', c.width],
    ['cy', c.height],
  ] as const) {
    const v = c[name];
    if (!Number.isFinite(v)) problems.push({ path: name, message: `principal point must be finite, got ${showValue(v)}` });
    else if (sizeOk && (v < -L.principalMargin * size || v > (1 + L.principalMargin) * size)) {
      problems.push({
        path: name,
        message: `principal point ${v} px lies far outside the ${size}-pixel image (expected about ${(size - 1) / 2}, at most ${L.principalMargin * size} px outside): are these intrinsics for this image size?`,
      });
    }
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
  if (!k || typeof k.length !== 'number' || k.length !== 9) {
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
  const FORMS = 'an object like {"width": 640, "height": 480, "fx": 525, "fy": 525, "cx": 319.5, "cy": 239.5}, a CameraInfo with "k": [9 numbers], Open3D\'s "intrinsic_matrix" or BOP\'s "cam_K"';
  if (Array.isArray(json)) throw new Real2SimError('BAD_CAMERA', `Camera JSON is an array (of ${json.length}); it must be ${FORMS}`, { got: 'array' });
  if (typeof json !== 'object' || json === null) {
    throw new Real2SimError('BAD_CAMERA', `Camera JSON must be an object with fx, fy, cx, cy (and width, height), got ${json === null ? 'null' : typeof json}: use ${FORMS}`, {
      got: json === null ? 'null' : typeof json,
    });
  }
  const o = json as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);
  let width = num(o['width'] ?? size?.width);
  let height = num(o['height'] ?? size?.height);
  if (Array.isArray(o['resolution']) && o['resolution'].length === 2) {
    height = num(o['resolution'][0]);
    width = num(o['resolution'][1]);
  }
  /** A 3×3 matrix given as 9 numbers or 3 rows of 3: every entry checked, with its index. */
  const matrix = (field: string, raw: unknown, layout: string): number[] => {
    if (!Array.isArray(raw)) throw new Real2SimError('BAD_CAMERA', `Camera JSON '${field}' must be an array of 9 numbers (${layout}), got ${typeof raw}`, { field });
    const flat = (raw as unknown[]).flat();
    if (flat.length !== 9) throw new Real2SimError('BAD_CAMERA', `Camera JSON '${field}' must hold 9 numbers (${layout} 3×3), got ${flat.length}`, { field, length: flat.length });
    const values = flat.map(num);
    const bad = values.map((v, i) => (Number.isFinite(v) ? -1 : i)).filter((i) => i >= 0);
    if (bad.length)
      throw new Real2SimError(
        'BAD_CAMERA',
        `Camera JSON '${field}' must hold finite numbers; ${bad.map((i) => `${field}[${i}] = ${JSON.stringify(flat[i]) ?? 'undefined'}`).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not`,
        { field, bad },
      );
    return values;
  };
  if ('intrinsic_matrix' in o) {
    const m = matrix('intrinsic_matrix', o['intrinsic_matrix'], 'column-major'); // Open3D: column-major
    return checkIntrinsics({ width, height, fx: m[0]!, fy: m[4]!, cx: m[6]!, cy: m[7]! });
  }
  const kField = 'k' in o ? 'k' : 'K' in o ? 'K' : undefined;
  if (kField) {
    const m = matrix(kField, o[kField], 'row-major');
    return checkIntrinsics({ width, height, fx: m[0]!, fy: m[4]!, cx: m[2]!, cy: m[5]! });
  }
  const fields = { fx: o['fx'], fy: o['fy'], cx: o['cx'] ?? o['x_offset'], cy: o['cy'] ?? o['y_offset'] };
  const absent = Object.entries(fields)
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  if (absent.length === 4) {
    const keys = Object.keys(o);
    throw new Real2SimError(
      'BAD_CAMERA',
      `Camera JSON has no intrinsics (it has ${
        keys.length
          ? keys
              .slice(0, 8)
              .map((k) => `'${k}'`)
              .join(', ')
          : 'no fields'
      }); it must be ${FORMS}`,
      { keys: keys.slice(0, 20) },
    );
  }
  const c = { width, height, fx: num(fields.fx), fy: num(fields.fy), cx: num(fields.cx), cy: num(fields.cy) };
  const order = ['width', 'height', 'fx', 'fy', 'cx', 'cy'];
  const problems = [
    ...absent.map((k) => ({ path: k, message: "missing: give all of fx, fy, cx, cy (pixels), or a 'k' matrix" })),
    ...validateIntrinsics(c).filter((p) => !absent.includes(p.path)),
  ].sort((a, b) => order.indexOf(a.path) - order.indexOf(b.path));
  throwIfProblems('BAD_CAMERA', 'Camera intrinsics', problems);
  return c;
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
