/**
 * Normalisers at the ROS boundary: `unknown` in, checked model types out, every problem listed
 * with its field path (`image.data`, `camera_info.k[4]`) instead of stopping at the first.
 *
 * Field layouts accepted for `uint8[] data` (what rclnodejs and rosbridge deliver):
 * - rclnodejs: `Uint8Array` (typed arrays on, the default) or a plain `number[]`;
 * - rosbridge JSON: a base64 string (how rosbridge encodes `uint8[]`), or a plain `number[]`;
 * - rosbridge CBOR: a `Uint8Array` (CBOR byte string) or a tagged typed array;
 * - also any other `ArrayBufferView`, an `ArrayBuffer`, and `{type: 'Buffer', data: [...]}`.
 * Stamps: `{sec, nanosec}` (ROS 2) or `{secs, nsecs}` (ROS 1 through a bridge).
 *
 * Images keep ROS's layout: rows of `step` bytes (padding removed here), multi-byte samples
 * in the byte order named by `is_bigendian` (swapped here to host order).
 *
 * Two phases, so the node can reject bad input on arrival for the price of a few field reads
 * and pay for pixel conversion only for the frame it reconstructs:
 * `checkImage` (no pixel work) → `RawImage`; `toColorImage` / `toDepthImage` / `toLabelImage`.
 */
import type { CameraIntrinsics } from '../src/model/camera.ts';
import type { ValidationProblem } from '../src/model/errors.ts';
import { MAX_FRAME_PIXELS } from '../src/model/frame.ts';
import type { ColorEncoding, ColorImage, DepthImage, LabelImage } from '../src/model/image.ts';

export type Result<T> = { ok: true; value: T; warnings: string[] } | { ok: false; problems: ValidationProblem[] };

/** Bytes per pixel of every encoding the node accepts. `8UC1` is read as `mono8`. */
export const ENCODING_BYTES: Readonly<Record<string, number>> = {
  rgb8: 3,
  bgr8: 3,
  rgba8: 4,
  bgra8: 4,
  mono8: 1,
  '8UC1': 1,
  mono16: 2,
  '16UC1': 2,
  '32FC1': 4,
  '32SC1': 4,
};

export const COLOR_ENCODINGS = ['rgb8', 'bgr8', 'rgba8', 'bgra8', 'mono8'] as const;
export const DEPTH_ENCODINGS = ['16UC1', 'mono16', '32FC1'] as const;
export const LABEL_ENCODINGS = ['mono8', '8UC1', 'mono16', '16UC1', '32SC1'] as const;

/** A checked `sensor_msgs/msg/Image`: sizes agree, bytes are there; pixels untouched. */
export interface RawImage {
  width: number;
  height: number;
  encoding: string;
  bigEndian: boolean;
  /** Bytes per row as sent (≥ width × bytes per pixel). */
  step: number;
  /** Exactly `step × height` bytes. */
  data: Uint8Array;
  /** Seconds. */
  stamp: number;
  frameId: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Bytes of a `uint8[]` field in any layout listed at the top of the file, or null with a
 * problem recorded. Views are not copied.
 */
export function bytesOf(v: unknown, path: string, problems: ValidationProblem[]): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (typeof v === 'string') {
    // Node's decoder skips characters outside the alphabet, so a decoded length other than the
    // one the text length implies means the text was not base64 (cheaper than a regex over MBs).
    const buf = Buffer.from(v, 'base64');
    const padding = v.endsWith('==') ? 2 : v.endsWith('=') ? 1 : 0;
    if (v.length % 4 !== 0 || buf.length !== (v.length / 4) * 3 - padding) {
      problems.push({ path, message: 'is a string but not valid base64 (rosbridge sends uint8[] as base64)' });
      return null;
    }
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  }
  const arr: readonly unknown[] | null = Array.isArray(v) ? v : isObject(v) && v['type'] === 'Buffer' && Array.isArray(v['data']) ? v['data'] : null;
  if (arr) {
    const out = new Uint8Array(arr.length);
    for (let i = 0; i < arr.length; i++) {
      const b = arr[i];
      if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) {
        problems.push({ path: `${path}[${i}]`, message: `must be a byte (integer 0..255), got ${JSON.stringify(b)}` });
        return null;
      }
      out[i] = b;
    }
    return out;
  }
  problems.push({ path, message: `must be bytes (Uint8Array, number[] or base64 string), got ${v === null ? 'null' : typeof v}` });
  return null;
}

/** Seconds of a `builtin_interfaces/Time` in either spelling, or null with a problem. */
export function stampOf(header: unknown, path: string, problems: ValidationProblem[]): number | null {
  if (!isObject(header)) {
    problems.push({ path, message: 'header is missing' });
    return null;
  }
  const s = header['stamp'];
  if (!isObject(s)) {
    problems.push({ path: `${path}.stamp`, message: 'stamp is missing' });
    return null;
  }
  const sec = s['sec'] ?? s['secs'];
  const ns = s['nanosec'] ?? s['nsecs'] ?? 0;
  if (typeof sec !== 'number' || !Number.isFinite(sec) || typeof ns !== 'number' || !Number.isFinite(ns) || ns < 0 || ns >= 1e9) {
    problems.push({ path: `${path}.stamp`, message: `must be {sec, nanosec} with 0 ≤ nanosec < 1e9, got ${JSON.stringify(s)}` });
    return null;
  }
  return sec + ns * 1e-9;
}

function frameIdOf(header: unknown): string {
  return isObject(header) && typeof header['frame_id'] === 'string' ? header['frame_id'] : '';
}

function positiveInt(o: Record<string, unknown>, key: string, path: string, problems: ValidationProblem[], allowZero = false): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || (!allowZero && v === 0)) {
    problems.push({ path: `${path}.${key}`, message: `must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(v)}` });
    return 0;
  }
  return v;
}

/**
 * Checks a `sensor_msgs/msg/Image` without touching its pixels. `allowed` restricts the
 * encodings for this input (e.g. depth accepts only `16UC1`, `mono16`, `32FC1`).
 */
export function checkImage(msg: unknown, path: string, allowed: readonly string[]): Result<RawImage> {
  const problems: ValidationProblem[] = [];
  if (!isObject(msg)) return { ok: false, problems: [{ path, message: 'message must be an object' }] };
  const stamp = stampOf(msg['header'], `${path}.header`, problems);
  const width = positiveInt(msg, 'width', path, problems);
  const height = positiveInt(msg, 'height', path, problems);
  const encoding = msg['encoding'];
  let bpp = 0;
  if (typeof encoding !== 'string') {
    problems.push({ path: `${path}.encoding`, message: `must be a string, got ${JSON.stringify(encoding)}` });
  } else if (ENCODING_BYTES[encoding] === undefined) {
    problems.push({ path: `${path}.encoding`, message: `unknown encoding '${encoding}'; use one of ${allowed.join(', ')}` });
  } else if (!allowed.includes(encoding)) {
    problems.push({ path: `${path}.encoding`, message: `'${encoding}' is not accepted on this input; use one of ${allowed.join(', ')}` });
  } else {
    bpp = ENCODING_BYTES[encoding]!;
  }
  const be = msg['is_bigendian'] ?? 0;
  if (be !== 0 && be !== 1 && be !== true && be !== false) {
    problems.push({ path: `${path}.is_bigendian`, message: `must be 0 or 1, got ${JSON.stringify(be)}` });
  }
  if (width * height > MAX_FRAME_PIXELS) {
    problems.push({ path, message: `image is ${width}×${height}; the limit is ${MAX_FRAME_PIXELS / 1e6} MP` });
  }
  const step = positiveInt(msg, 'step', path, problems);
  if (bpp > 0 && width > 0 && step > 0 && step < width * bpp) {
    problems.push({ path: `${path}.step`, message: `is ${step} but a row of ${width} ${String(encoding)} pixels needs at least ${width * bpp} bytes` });
  }
  const data = bytesOf(msg['data'], `${path}.data`, problems);
  if (data && step > 0 && height > 0 && data.length !== step * height) {
    problems.push({ path: `${path}.data`, message: `holds ${data.length} bytes but step × height = ${step} × ${height} = ${step * height}` });
  }
  if (problems.length > 0 || !data || stamp === null) return { ok: false, problems };
  return {
    ok: true,
    value: { width, height, encoding: encoding as string, bigEndian: be === 1 || be === true, step, data, stamp, frameId: frameIdOf(msg['header']) },
    warnings: [],
  };
}

/** Rows of `rowBytes` bytes packed tightly (a view when there is no padding). */
function packedRows(img: RawImage, rowBytes: number): Uint8Array {
  if (img.step === rowBytes) return img.data.subarray(0, rowBytes * img.height);
  const out = new Uint8Array(rowBytes * img.height);
  for (let y = 0; y < img.height; y++) out.set(img.data.subarray(y * img.step, y * img.step + rowBytes), y * rowBytes);
  return out;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Colour image in its own 8-bit encoding, rows packed. */
export function toColorImage(img: RawImage): ColorImage {
  const encoding = (img.encoding === '8UC1' ? 'mono8' : img.encoding) as ColorEncoding;
  const bpp = ENCODING_BYTES[img.encoding]!;
  // Copy so the frame owns its pixels (a view could pin a transport's receive buffer).
  const data = new Uint8Array(packedRows(img, img.width * bpp));
  return { width: img.width, height: img.height, encoding, data };
}

/**
 * Samples of every pixel in host order, as a typed array over a tightly packed copy (or a
 * zero-copy view when the rows are unpadded, aligned and already in host order). Hot path
 * (640×480 at 30 Hz): rows are copied with `set` (memcpy) and bytes swapped in place with
 * integer ops over a Uint16/Uint32 view — several times faster than a DataView per sample.
 */
function samples<T extends Uint16Array | Int32Array | Float32Array>(img: RawImage, bytes: 2 | 4, make: (b: ArrayBuffer, o: number, n: number) => T): T {
  const { width, height, step, data } = img;
  const n = width * height;
  const swap = img.bigEndian === HOST_LITTLE_ENDIAN;
  if (!swap && step === width * bytes && data.byteOffset % bytes === 0) return make(data.buffer as ArrayBuffer, data.byteOffset, n);
  const packed = new Uint8Array(n * bytes);
  const rowBytes = width * bytes;
  if (step === rowBytes) packed.set(data.subarray(0, n * bytes));
  else for (let y = 0; y < height; y++) packed.set(data.subarray(y * step, y * step + rowBytes), y * rowBytes);
  if (swap) {
    if (bytes === 2) {
      const u = new Uint16Array(packed.buffer);
      for (let i = 0; i < n; i++) {
        const v = u[i]!;
        u[i] = (v >>> 8) | ((v & 0xff) << 8);
      }
    } else {
      const u = new Uint32Array(packed.buffer);
      for (let i = 0; i < n; i++) {
        const v = u[i]!;
        u[i] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
      }
    }
  }
  return make(packed.buffer, 0, n);
}

const samples16 = (img: RawImage) => samples(img, 2, (b, o, n) => new Uint16Array(b, o, n));

/**
 * Metric depth (metres, 0 = no data). `16UC1`/`mono16` are millimetres times `scale`
 * (default 0.001); `32FC1` is metres already. Negative, NaN and infinite values become 0.
 */
export function toDepthImage(img: RawImage, scale = 0.001): DepthImage {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  if (img.encoding === '32FC1') {
    const src = samples(img, 4, (b, o, n) => new Float32Array(b, o, n));
    for (let i = 0; i < n; i++) {
      const d = src[i]!;
      out[i] = d > 0 && d < Infinity ? d : 0;
    }
  } else {
    const src = samples16(img);
    for (let i = 0; i < n; i++) out[i] = src[i]! * scale;
  }
  return { width: img.width, height: img.height, data: out };
}

/** Instance label image. `32SC1` ids must lie in 0..65535 (the model stores Uint16). */
export function toLabelImage(img: RawImage, path = 'masks'): Result<LabelImage> {
  const n = img.width * img.height;
  const out = new Uint16Array(n);
  if (img.encoding === 'mono8' || img.encoding === '8UC1') {
    out.set(packedRows(img, img.width));
  } else if (img.encoding === '32SC1') {
    const src = samples(img, 4, (b, o, n) => new Int32Array(b, o, n));
    for (let i = 0; i < n; i++) {
      const v = src[i]!;
      if (v < 0 || v > 65535) {
        return { ok: false, problems: [{ path: `${path}.data`, message: `label ${v} at pixel ${i} is outside 0..65535 (0 = background)` }] };
      }
      out[i] = v;
    }
  } else {
    out.set(samples16(img));
  }
  return { ok: true, value: { width: img.width, height: img.height, data: out, labels: new Map() }, warnings: [] };
}

/** `sensor_msgs/msg/CameraInfo` → intrinsics, with every problem listed. */
export function checkCameraInfo(msg: unknown, path = 'camera_info'): Result<CameraIntrinsics & { stamp: number }> {
  const problems: ValidationProblem[] = [];
  if (!isObject(msg)) return { ok: false, problems: [{ path, message: 'message must be an object' }] };
  const warnings: string[] = [];
  const stamp = stampOf(msg['header'], `${path}.header`, problems);
  const width = positiveInt(msg, 'width', path, problems);
  const height = positiveInt(msg, 'height', path, problems);
  const key = msg['k'] !== undefined ? 'k' : 'K';
  const k = msg[key];
  let kv: number[] = [];
  if (!(Array.isArray(k) || ArrayBuffer.isView(k)) || (k as ArrayLike<number>).length !== 9) {
    problems.push({ path: `${path}.k`, message: `must hold 9 numbers (row-major 3×3), got ${k === undefined ? 'none' : JSON.stringify(k).slice(0, 80)}` });
  } else {
    kv = Array.from(k as ArrayLike<unknown>, (x) => (typeof x === 'number' ? x : NaN));
    kv.forEach((x, i) => {
      if (!Number.isFinite(x)) problems.push({ path: `${path}.${key}[${i}]`, message: `must be a finite number` });
    });
    for (const i of [0, 4]) if (Number.isFinite(kv[i]) && kv[i]! <= 0) problems.push({ path: `${path}.${key}[${i}]`, message: `focal length must be > 0, got ${kv[i]}` });
  }
  const d = msg['d'] ?? msg['D'];
  if ((Array.isArray(d) || ArrayBuffer.isView(d)) && Array.from(d as ArrayLike<number>).some((x) => x !== 0)) {
    warnings.push(`${path}: non-zero distortion is ignored; subscribe to rectified images (image_rect) for best results`);
  }
  if (problems.length > 0 || stamp === null) return { ok: false, problems };
  const frameId = frameIdOf(msg['header']);
  return {
    ok: true,
    value: { width, height, fx: kv[0]!, fy: kv[4]!, cx: kv[2]!, cy: kv[5]!, stamp, ...(frameId ? { frameId } : {}) },
    warnings,
  };
}

export function formatProblems(problems: readonly ValidationProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}
