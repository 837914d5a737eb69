/**
 * The GPU-host protocol, version 1 (docs/gpu-host-protocol.md; machine-readable schema in
 * docs/gpu-host-protocol.schema.json). Task bodies are CBOR maps (see `wire.ts` for the byte
 * layouts); `health` and `models` answer JSON; every error answers JSON `{error: {...}}`.
 *
 * This file holds the wire types, one normaliser per message (unknown → typed value, collecting
 * every problem with its field path), and the conversions between wire values and the scene
 * model. Both the server and the client use it, so the two can never drift apart.
 */
import type { CameraIntrinsics } from '../model/camera.ts';
import { Real2SimError, type ValidationProblem } from '../model/errors.ts';
import type { PointCloud } from '../model/geometry.ts';
import { CHANNELS, type ColorEncoding, type ColorImage, type DepthImage, type LabelImage } from '../model/image.ts';
import type { Pose } from '../model/pose.ts';
import type { Plane } from '../model/scene.ts';
import { bytesOf, float32From, uint16From } from './wire.ts';

export const PROTOCOL_VERSION = 1;
export const API_PREFIX = `/v${PROTOCOL_VERSION}`;
export const CBOR_TYPE = 'application/cbor';
export const JSON_TYPE = 'application/json';
export const REQUEST_ID_HEADER = 'x-request-id';

export type Task = 'segment' | 'depth' | 'deocclude' | 'shape' | 'pose';
export const TASKS: readonly Task[] = ['segment', 'depth', 'deocclude', 'shape', 'pose'];

/**
 * Every endpoint, with whether a client may repeat it safely. All v1 task endpoints are pure
 * functions of their body (no server state changes), hence idempotent and retried on transient
 * failures; an extension that changes server state must declare `idempotent: false`.
 */
export const ENDPOINTS = {
  health: { method: 'GET', path: `${API_PREFIX}/health`, idempotent: true, auth: false },
  models: { method: 'GET', path: `${API_PREFIX}/models`, idempotent: true, auth: true },
  segment: { method: 'POST', path: `${API_PREFIX}/segment`, idempotent: true, auth: true },
  depth: { method: 'POST', path: `${API_PREFIX}/depth`, idempotent: true, auth: true },
  deocclude: { method: 'POST', path: `${API_PREFIX}/deocclude`, idempotent: true, auth: true },
  shape: { method: 'POST', path: `${API_PREFIX}/shape`, idempotent: true, auth: true },
  pose: { method: 'POST', path: `${API_PREFIX}/pose`, idempotent: true, auth: true },
} as const;
export type EndpointName = keyof typeof ENDPOINTS;

/** Error codes of the protocol and the HTTP status each is sent with. */
export const PROTOCOL_ERRORS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  INVALID_BODY: 422,
  INTERNAL: 500,
  MODEL_FAILED: 500,
  NO_MODEL: 503,
  BUSY: 503,
  SHUTTING_DOWN: 503,
} as const;
export type ProtocolErrorCode = keyof typeof PROTOCOL_ERRORS;

export interface ErrorBody {
  error: { code: ProtocolErrorCode; message: string; requestId: string; problems?: ValidationProblem[] };
}

// ---------------------------------------------------------------------------------------------
// Wire values

export interface WireImage {
  width: number;
  height: number;
  encoding: ColorEncoding;
  data: Uint8Array;
}
export interface WireDepth {
  width: number;
  height: number;
  encoding: '32FC1';
  data: Uint8Array;
}
export interface WireLabels {
  width: number;
  height: number;
  encoding: 'mono16';
  data: Uint8Array;
}
export interface WireInstance {
  id: number;
  label: string;
  score?: number;
}
export interface WirePoints {
  count: number;
  positions: Uint8Array;
}
export interface WireMesh {
  format: 'glb';
  data: Uint8Array;
}
export interface WireIntrinsics {
  width: number;
  height: number;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
}
export interface WirePose {
  position: [number, number, number];
  /** Quaternion (x, y, z, w). */
  orientation: [number, number, number, number];
}

export interface SegmentRequest {
  image: WireImage;
  prompts?: string[];
  model?: string;
}
export interface SegmentResponse {
  masks: WireLabels;
  instances: WireInstance[];
  model: string;
  timeMs: number;
}
export interface DepthRequest {
  image: WireImage;
  intrinsics?: WireIntrinsics;
  model?: string;
}
export interface DepthResponse {
  depth: WireDepth;
  intrinsics: WireIntrinsics;
  intrinsicsEstimated: boolean;
  model: string;
  timeMs: number;
}
export interface DeoccludeRequest {
  /** Object crop, rgb8 (or any colour encoding). */
  image: WireImage;
  /** Visible mask, mono8, crop-sized, non-zero = visible. */
  mask: WireImage;
  prompt?: string;
  model?: string;
}
export interface DeoccludeResponse {
  image: WireImage;
  model: string;
  timeMs: number;
}
export interface ShapeRequest {
  /** Completed object image, rgba8 (alpha = object). */
  image: WireImage;
  label?: string;
  model?: string;
}
/** Canonical frame: z up, x forward, centred on the mesh's box, largest extent 1 (unit scale). */
export interface ShapeResponse {
  mesh: WireMesh;
  frame: 'canonical';
  model: string;
  timeMs: number;
}
export interface PoseRequestObject {
  id: string;
  mesh: WireMesh;
  /** Observed points of the object in the world frame (z up), metres. */
  points?: WirePoints;
  crop?: WireImage;
}
export interface PoseRequest {
  objects: PoseRequestObject[];
  intrinsics: WireIntrinsics;
  /** Camera optical frame → world. */
  cameraPose: WirePose;
  support?: { normal: [number, number, number]; d: number };
  model?: string;
}
export interface PoseResponseObject {
  id: string;
  /** Canonical frame → world. */
  pose: WirePose;
  /** Per-axis scale applied to the canonical mesh before `pose`. */
  scale: [number, number, number];
  score?: number;
}
export interface PoseResponse {
  objects: PoseResponseObject[];
  model: string;
  timeMs: number;
}

export interface HealthResponse {
  status: 'ok' | 'draining';
  protocol: number;
  server: string;
  /** The onnxruntime execution provider the models run on ('cuda' or 'cpu'). */
  executionProvider: string;
  /** Every execution provider the installed onnxruntime build offers. */
  availableProviders: string[];
  tasks: Task[];
  uptimeS: number;
}

export interface ModelsResponse {
  models: { id: string; task: Task; file: string; licence: string; source: string; inputs: unknown[]; outputs: unknown[] }[];
}

export interface TaskRequests {
  segment: SegmentRequest;
  depth: DepthRequest;
  deocclude: DeoccludeRequest;
  shape: ShapeRequest;
  pose: PoseRequest;
}
export interface TaskResponses {
  segment: SegmentResponse;
  depth: DepthResponse;
  deocclude: DeoccludeResponse;
  shape: ShapeResponse;
  pose: PoseResponse;
}

// ---------------------------------------------------------------------------------------------
// Normalisers: unknown → typed, every problem listed with its path.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
/** The most pixels one image on the wire may hold (same limit as a frame). */
export const MAX_WIRE_PIXELS = 16_000_000;

class Checker {
  readonly problems: ValidationProblem[] = [];
  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }
  obj(v: unknown, path: string): Obj | undefined {
    if (isObj(v)) return v;
    this.add(path, `must be a map, got ${describe(v)}`);
    return undefined;
  }
  int(o: Obj, key: string, path: string, min = 1): number {
    const v = o[key];
    if (typeof v === 'number' && Number.isInteger(v) && v >= min) return v;
    this.add(`${path}.${key}`, `must be an integer ≥ ${min}, got ${describe(v)}`);
    return NaN;
  }
  num(o: Obj, key: string, path: string, positive = false): number {
    const v = o[key];
    if (typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0)) return v;
    this.add(`${path}.${key}`, `must be a finite number${positive ? ' > 0' : ''}, got ${describe(v)}`);
    return NaN;
  }
  str(o: Obj, key: string, path: string, optional = false): string | undefined {
    const v = o[key];
    if (v === undefined && optional) return undefined;
    if (typeof v === 'string') return v;
    this.add(`${path}.${key}`, `must be a string, got ${describe(v)}`);
    return undefined;
  }
  bytes(o: Obj, key: string, path: string, expected?: number): Uint8Array | undefined {
    const v = o[key];
    if (!(v instanceof Uint8Array)) {
      this.add(`${path}.${key}`, `must be a byte string, got ${describe(v)}`);
      return undefined;
    }
    if (expected !== undefined && Number.isFinite(expected) && v.byteLength !== expected) {
      this.add(`${path}.${key}`, `must hold ${expected} bytes, got ${v.byteLength}`);
      return undefined;
    }
    return v;
  }
  vec(o: Obj, key: string, path: string, n: number): number[] | undefined {
    const v = o[key];
    if (Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x))) return v as number[];
    this.add(`${path}.${key}`, `must be an array of ${n} finite numbers, got ${describe(v)}`);
    return undefined;
  }
  done<T>(what: string, value: T): T {
    if (this.problems.length > 0) {
      const lines = this.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
      throw new Real2SimError('BAD_INPUT', `${what} is invalid:\n${lines}`, { problems: this.problems });
    }
    return value;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return `${v.byteLength} bytes`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return typeof v;
}

function checkSize(c: Checker, o: Obj, path: string): [number, number] {
  const w = c.int(o, 'width', path);
  const h = c.int(o, 'height', path);
  if (Number.isFinite(w) && Number.isFinite(h) && w * h > MAX_WIRE_PIXELS) {
    c.add(path, `${w}×${h} exceeds the ${MAX_WIRE_PIXELS / 1e6} MP limit`);
    return [NaN, NaN];
  }
  return [w, h];
}

function wireImage(c: Checker, v: unknown, path: string, encodings?: readonly ColorEncoding[]): WireImage | undefined {
  const o = c.obj(v, path);
  if (!o) return undefined;
  const [width, height] = checkSize(c, o, path);
  const enc = o['encoding'];
  const allowed = encodings ?? (Object.keys(CHANNELS) as ColorEncoding[]);
  if (typeof enc !== 'string' || !allowed.includes(enc as ColorEncoding)) {
    c.add(`${path}.encoding`, `must be one of ${allowed.join(', ')}, got ${describe(enc)}`);
    return undefined;
  }
  const data = c.bytes(o, 'data', path, width * height * CHANNELS[enc as ColorEncoding]);
  return data ? { width, height, encoding: enc as ColorEncoding, data } : undefined;
}

/** A raster of one fixed encoding (label masks, depth): size, encoding, then `bytesPerPixel`-sized data. */
function wireRaster<E extends string>(c: Checker, v: unknown, path: string, encoding: E, bytesPerPixel: number): { width: number; height: number; encoding: E; data: Uint8Array } | undefined {
  const o = c.obj(v, path);
  if (!o) return undefined;
  const [width, height] = checkSize(c, o, path);
  if (o['encoding'] !== encoding) c.add(`${path}.encoding`, `must be "${encoding}", got ${describe(o['encoding'])}`);
  const data = c.bytes(o, 'data', path, width * height * bytesPerPixel);
  return data ? { width, height, encoding, data } : undefined;
}

function wireIntrinsics(c: Checker, v: unknown, path: string): WireIntrinsics | undefined {
  const o = c.obj(v, path);
  if (!o) return undefined;
  const [width, height] = checkSize(c, o, path);
  const r = { width, height, fx: c.num(o, 'fx', path, true), fy: c.num(o, 'fy', path, true), cx: c.num(o, 'cx', path), cy: c.num(o, 'cy', path) };
  return r;
}

function wireMesh(c: Checker, v: unknown, path: string): WireMesh | undefined {
  const o = c.obj(v, path);
  if (!o) return undefined;
  if (o['format'] !== 'glb') c.add(`${path}.format`, `must be "glb", got ${describe(o['format'])}`);
  const data = c.bytes(o, 'data', path);
  return data ? { format: 'glb', data } : undefined;
}

function wirePose(c: Checker, v: unknown, path: string): WirePose | undefined {
  const o = c.obj(v, path);
  if (!o) return undefined;
  const position = c.vec(o, 'position', path, 3);
  const orientation = c.vec(o, 'orientation', path, 4);
  if (orientation && !(Math.hypot(...orientation) > 1e-9)) c.add(`${path}.orientation`, 'must be a non-zero quaternion (x, y, z, w)');
  return position && orientation ? { position: position as WirePose['position'], orientation: orientation as WirePose['orientation'] } : undefined;
}

function optionalModel(c: Checker, o: Obj, path: string): { model?: string } {
  const m = c.str(o, 'model', path, true);
  return m === undefined ? {} : { model: m };
}

function stringList(c: Checker, v: unknown, path: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v;
  c.add(path, `must be an array of strings, got ${describe(v)}`);
  return undefined;
}

export function parseSegmentRequest(v: unknown): SegmentRequest {
  const c = new Checker();
  const o = c.obj(v, 'body') ?? {};
  const image = wireImage(c, o['image'], 'image');
  const prompts = stringList(c, o['prompts'], 'prompts');
  return c.done('segment request', { image: image!, ...(prompts ? { prompts } : {}), ...optionalModel(c, o, 'body') });
}

export function parseDepthRequest(v: unknown): DepthRequest {
  const c = new Checker();
  const o = c.obj(v, 'body') ?? {};
  const image = wireImage(c, o['image'], 'image');
  const intrinsics = o['intrinsics'] === undefined ? undefined : wireIntrinsics(c, o['intrinsics'], 'intrinsics');
  if (image && intrinsics && (intrinsics.width !== image.width || intrinsics.height !== image.height)) {
    c.add('intrinsics', `are for ${intrinsics.width}×${intrinsics.height} but the image is ${image.width}×${image.height}`);
  }
  return c.done('depth request', { image: image!, ...(intrinsics ? { intrinsics } : {}), ...optionalModel(c, o, 'body') });
}

export function parseDeoccludeRequest(v: unknown): DeoccludeRequest {
  const c = new Checker();
  const o = c.obj(v, 'body') ?? {};
  const image = wireImage(c, o['image'], 'image');
  const mask = wireImage(c, o['mask'], 'mask', ['mono8']);
  if (image && mask && (mask.width !== image.width || mask.height !== image.height)) {
    c.add('mask', `is ${mask.width}×${mask.height} but the crop is ${image.width}×${image.height}`);
  }
  const prompt = c.str(o, 'prompt', 'body', true);
  return c.done('deocclude request', { image: image!, mask: mask!, ...(prompt !== undefined ? { prompt } : {}), ...optionalModel(c, o, 'body') });
}

export function parseShapeRequest(v: unknown): ShapeRequest {
  const c = new Checker();
  const o = c.obj(v, 'body') ?? {};
  const image = wireImage(c, o['image'], 'image');
  const label = c.str(o, 'label', 'body', true);
  return c.done('shape request', { image: image!, ...(label !== undefined ? { label } : {}), ...optionalModel(c, o, 'body') });
}

/** The most objects one pose request may carry. */
export const MAX_POSE_OBJECTS = 256;

export function parsePoseRequest(v: unknown): PoseRequest {
  const c = new Checker();
  const o = c.obj(v, 'body') ?? {};
  const list = o['objects'];
  const objects: PoseRequestObject[] = [];
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_POSE_OBJECTS) {
    c.add('objects', `must be an array of 1..${MAX_POSE_OBJECTS} objects, got ${describe(list)}`);
  } else {
    list.forEach((item, i) => {
      const p = `objects[${i}]`;
      const io = c.obj(item, p);
      if (!io) return;
      const id = c.str(io, 'id', p);
      const mesh = wireMesh(c, io['mesh'], `${p}.mesh`);
      let points: WirePoints | undefined;
      if (io['points'] !== undefined) {
        const po = c.obj(io['points'], `${p}.points`);
        if (po) {
          const count = c.int(po, 'count', `${p}.points`, 0);
          const positions = c.bytes(po, 'positions', `${p}.points`, count * 12);
          if (positions) points = { count, positions };
        }
      }
      const crop = io['crop'] === undefined ? undefined : wireImage(c, io['crop'], `${p}.crop`);
      if (id !== undefined && mesh) objects.push({ id, mesh, ...(points ? { points } : {}), ...(crop ? { crop } : {}) });
    });
  }
  const intrinsics = wireIntrinsics(c, o['intrinsics'], 'intrinsics');
  const cameraPose = wirePose(c, o['cameraPose'], 'cameraPose');
  let support: PoseRequest['support'];
  if (o['support'] !== undefined) {
    const so = c.obj(o['support'], 'support');
    if (so) {
      const normal = c.vec(so, 'normal', 'support', 3);
      const d = c.num(so, 'd', 'support');
      if (normal) support = { normal: normal as [number, number, number], d };
    }
  }
  return c.done('pose request', { objects, intrinsics: intrinsics!, cameraPose: cameraPose!, ...(support ? { support } : {}), ...optionalModel(c, o, 'body') });
}

export const REQUEST_PARSERS: { [T in Task]: (v: unknown) => TaskRequests[T] } = {
  segment: parseSegmentRequest,
  depth: parseDepthRequest,
  deocclude: parseDeoccludeRequest,
  shape: parseShapeRequest,
  pose: parsePoseRequest,
};

// Response normalisers: the client checks every answer against the declared shape.

function common(c: Checker, o: Obj): { model: string; timeMs: number } {
  return { model: c.str(o, 'model', 'body') ?? '', timeMs: c.num(o, 'timeMs', 'body') };
}

export function parseSegmentResponse(v: unknown): SegmentResponse {
  const c = new Checker();
  const o = c.obj(v, 'body') ?? {};
  const masks: WireLabels | undefined = wireRaster(c, o['masks'], 'masks', 'mono16', 2);
  const list = o['instances'];
  const instances: WireInstance[] = [];
  if (!Array.isArray(list)) c.add('instances', `must be an array, got ${describe(list)}`);
  else
    list.forEach((item, i) => {
      const io = c.obj(item, `instances[${i}]`);
      if (!io) return;
      const id = c.int(io, 'id', `instances[${i}]`);
      const label = c.str(io, 'label', `instances[${i}]`) ?? '';
      const score = io['score'] === undefined ? undefined : c.num(io, 'score', `instances[${i}]`);
      instances.push({ id, label, ...(score !== undefined ? { score } : {}) });
    });
  return c.done('segment response', { masks: masks!, instances, ...common(c, o) });
}

export function parseDepthResponse(v: unknown): DepthResponse {
  const c = new Checker();
  const o = c.obj(v, 'body') ?? {};
  const depth: WireDepth | undefined = wireRaster(c, o['depth'], 'depth', '32FC1', 4);
  const intrinsics = wireIntrinsics(c, o['intrinsics'], 'intrinsics');
  const est = o['intrinsicsEstimated'];
  if (typeof est !== 'boolean') c.add('intrinsicsEstimated', `must be a boolean, got ${describe(est)}`);
  return c.done('depth response', { depth: depth!, intrinsics: intrinsics!, intrinsicsEstimated: est === true, ...common(c, o) });
}

export function parseDeoccludeResponse(v: unknown): DeoccludeResponse {
  const c = new Checker();
  const o = c.obj(v, 'body') ?? {};
  const image = wireImage(c, o['image'], 'image', ['rgba8']);
  return c.done('deocclude response', { image: image!, ...common(c, o) });
}

export function parseShapeResponse(v: unknown): ShapeResponse {
  const c = new Checker();
  const o = c.obj(v, 'body') ?? {};
  const mesh = wireMesh(c, o['mesh'], 'mesh');
  if (o['frame'] !== 'canonical') c.add('frame', `must be "canonical", got ${describe(o['frame'])}`);
  return c.done('shape response', { mesh: mesh!, frame: 'canonical' as const, ...common(c, o) });
}

export function parsePoseResponse(v: unknown): PoseResponse {
  const c = new Checker();
  const o = c.obj(v, 'body') ?? {};
  const list = o['objects'];
  const objects: PoseResponseObject[] = [];
  if (!Array.isArray(list)) c.add('objects', `must be an array, got ${describe(list)}`);
  else
    list.forEach((item, i) => {
      const p = `objects[${i}]`;
      const io = c.obj(item, p);
      if (!io) return;
      const id = c.str(io, 'id', p);
      const pose = wirePose(c, io['pose'], `${p}.pose`);
      const scale = c.vec(io, 'scale', p, 3);
      if (scale && !scale.every((s) => s > 0)) c.add(`${p}.scale`, 'must be positive');
      const score = io['score'] === undefined ? undefined : c.num(io, 'score', p);
      if (id !== undefined && pose && scale) objects.push({ id, pose, scale: scale as [number, number, number], ...(score !== undefined ? { score } : {}) });
    });
  return c.done('pose response', { objects, ...common(c, o) });
}

export const RESPONSE_PARSERS: { [T in Task]: (v: unknown) => TaskResponses[T] } = {
  segment: parseSegmentResponse,
  depth: parseDepthResponse,
  deocclude: parseDeoccludeResponse,
  shape: parseShapeResponse,
  pose: parsePoseResponse,
};

// ---------------------------------------------------------------------------------------------
// Conversions between the scene model and wire values.

export function toWireImage(img: ColorImage): WireImage {
  return { width: img.width, height: img.height, encoding: img.encoding, data: bytesOf(img.data) };
}
export function fromWireImage(w: WireImage): ColorImage {
  return { width: w.width, height: w.height, encoding: w.encoding, data: new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength) };
}
export function toWireMask(mask: Uint8Array, width: number, height: number): WireImage {
  return { width, height, encoding: 'mono8', data: bytesOf(mask) };
}
export function toWireDepth(d: DepthImage): WireDepth {
  return { width: d.width, height: d.height, encoding: '32FC1', data: bytesOf(d.data) };
}
export function fromWireDepth(w: WireDepth): DepthImage {
  return { width: w.width, height: w.height, data: float32From(w.data) };
}
export function toWireLabels(l: LabelImage): WireLabels {
  return { width: l.width, height: l.height, encoding: 'mono16', data: bytesOf(l.data) };
}
export function fromWireLabels(w: WireLabels, instances: readonly WireInstance[]): LabelImage {
  return { width: w.width, height: w.height, data: uint16From(w.data), labels: new Map(instances.map((i) => [i.id, i.label])) };
}
export function toWireIntrinsics(c: CameraIntrinsics): WireIntrinsics {
  return { width: c.width, height: c.height, fx: c.fx, fy: c.fy, cx: c.cx, cy: c.cy };
}
export function toWirePoints(cloud: PointCloud): WirePoints {
  return { count: cloud.positions.length / 3, positions: bytesOf(cloud.positions) };
}
export function fromWirePoints(w: WirePoints): PointCloud {
  return { positions: float32From(w.positions) };
}
export function toWirePose(p: Pose): WirePose {
  return { position: [...p.position], orientation: [...p.orientation] };
}
export function fromWirePose(w: WirePose): Pose {
  return { position: [...w.position], orientation: [...w.orientation] };
}
export function toWirePlane(p: Plane): { normal: [number, number, number]; d: number } {
  return { normal: [...p.normal], d: p.d };
}
