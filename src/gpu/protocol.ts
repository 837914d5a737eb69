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
import type { ValidationProblem } from '../model/errors.ts';
import type { PointCloud } from '../model/geometry.ts';
import { CHANNELS, type ColorEncoding, type ColorImage, type DepthImage, type LabelImage } from '../model/image.ts';
import type { Pose } from '../model/pose.ts';
import type { Plane } from '../model/scene.ts';
import { Bytes, hasShape, OneOf, parseShape, toJsonSchema, Type, Vec, type Static, type TSchema } from '../model/shapes.ts';
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

// ---------------------------------------------------------------------------------------------
// Wire values and messages: each defined once as a schema; the types are derived from it, the
// normalisers check against it, and docs/gpu-host-protocol.schema.json is generated from it
// (`npm run schemas`; test/gpu/schema.test.ts fails when the file is stale).

/** The most pixels one image on the wire may hold (same limit as a frame). */
export const MAX_WIRE_PIXELS = 16_000_000;
/** The most objects one pose request may carry. */
export const MAX_POSE_OBJECTS = 256;

const ENCODINGS = Object.keys(CHANNELS) as ColorEncoding[];
const Size = () => Type.Integer({ minimum: 1 });
const Raster = <E extends readonly string[]>(encodings: E, data: string) =>
  Type.Object({ width: Size(), height: Size(), encoding: encodings.length === 1 ? Type.Literal(encodings[0]!) : OneOf(encodings), data: Bytes({ description: data }) });

export const WireImageShape = Type.Unsafe<{ width: number; height: number; encoding: ColorEncoding; data: Uint8Array }>(Raster(ENCODINGS, 'width·height·channels uint8'));
export type WireImage = Static<typeof WireImageShape>;
/** An image of the one encoding `encoding` (a visible mask, a completed object), typed as any wire image. */
const WireImageOf = (encoding: ColorEncoding, description?: string) =>
  Type.Unsafe<WireImage>({ ...Raster([encoding] as const, 'width·height·channels uint8'), ...(description ? { description } : {}) });
export const WireDepthShape = Raster(['32FC1'] as const, 'width·height float32 metres; 0 or NaN = no data');
export type WireDepth = Static<typeof WireDepthShape>;
export const WireLabelsShape = Raster(['mono16'] as const, 'width·height uint16 instance ids; 0 = background');
export type WireLabels = Static<typeof WireLabelsShape>;
export const WireInstanceShape = Type.Object({ id: Type.Integer({ minimum: 1 }), label: Type.String(), score: Type.Optional(Type.Number()) });
export type WireInstance = Static<typeof WireInstanceShape>;
export const WirePointsShape = Type.Object({ count: Type.Integer({ minimum: 0 }), positions: Bytes({ description: 'count·3 float32 xyz metres' }) });
export type WirePoints = Static<typeof WirePointsShape>;
export const WireMeshShape = Type.Object({ format: Type.Literal('glb'), data: Bytes({ description: 'binary glTF 2.0' }) });
export type WireMesh = Static<typeof WireMeshShape>;
export const WireIntrinsicsShape = Type.Object({
  width: Size(),
  height: Size(),
  fx: Type.Number({ exclusiveMinimum: 0 }),
  fy: Type.Number({ exclusiveMinimum: 0 }),
  cx: Type.Number(),
  cy: Type.Number(),
});
export type WireIntrinsics = Static<typeof WireIntrinsicsShape>;
export const WirePoseShape = Type.Object({ position: Vec(3), orientation: Vec(4, { description: 'quaternion (x, y, z, w)' }) });
export type WirePose = Static<typeof WirePoseShape>;
const Model = () => Type.Optional(Type.String({ description: 'model id when the host has several for the task' }));
/** What every task answer carries besides its own fields. */
const common = { model: Type.String(), timeMs: Type.Number({ description: 'model run time' }), requestId: Type.Optional(Type.String()) };

export const SegmentRequestShape = Type.Object({ image: WireImageShape, prompts: Type.Optional(Type.Array(Type.String())), model: Model() });
export type SegmentRequest = Static<typeof SegmentRequestShape>;
export const SegmentResponseShape = Type.Object({ masks: WireLabelsShape, instances: Type.Array(WireInstanceShape), ...common });
export type SegmentResponse = Static<typeof SegmentResponseShape>;
export const DepthRequestShape = Type.Object({ image: WireImageShape, intrinsics: Type.Optional(WireIntrinsicsShape), model: Model() });
export type DepthRequest = Static<typeof DepthRequestShape>;
export const DepthResponseShape = Type.Object({ depth: WireDepthShape, intrinsics: WireIntrinsicsShape, intrinsicsEstimated: Type.Boolean(), ...common });
export type DepthResponse = Static<typeof DepthResponseShape>;
export const DeoccludeRequestShape = Type.Object({
  /** Object crop, rgb8 (or any colour encoding). */
  image: WireImageShape,
  /** Visible mask, mono8, crop-sized, non-zero = visible. */
  mask: WireImageOf('mono8', 'crop-sized, non-zero = visible'),
  prompt: Type.Optional(Type.String()),
  model: Model(),
});
export type DeoccludeRequest = Static<typeof DeoccludeRequestShape>;
export const DeoccludeResponseShape = Type.Object({ image: WireImageOf('rgba8'), ...common });
export type DeoccludeResponse = Static<typeof DeoccludeResponseShape>;
export const ShapeRequestShape = Type.Object({
  image: Type.Unsafe<WireImage>({ ...WireImageShape, description: 'completed object, rgba8 (alpha = object)' }),
  label: Type.Optional(Type.String()),
  model: Model(),
});
export type ShapeRequest = Static<typeof ShapeRequestShape>;
/** Canonical frame: z up, x forward, centred on the mesh's box, largest extent 1 (unit scale). */
export const ShapeResponseShape = Type.Object({ mesh: WireMeshShape, frame: Type.Literal('canonical', { description: 'z up, x forward, centred on its box, largest extent 1' }), ...common });
export type ShapeResponse = Static<typeof ShapeResponseShape>;
export const PoseRequestObjectShape = Type.Object({
  id: Type.String(),
  mesh: WireMeshShape,
  /** Observed points of the object in the world frame (z up), metres. */
  points: Type.Optional(Type.Unsafe<WirePoints>({ ...WirePointsShape, description: 'world frame, z up' })),
  crop: Type.Optional(WireImageShape),
});
export type PoseRequestObject = Static<typeof PoseRequestObjectShape>;
export const PoseRequestShape = Type.Object({
  objects: Type.Array(PoseRequestObjectShape, { minItems: 1, maxItems: MAX_POSE_OBJECTS }),
  intrinsics: WireIntrinsicsShape,
  /** Camera optical frame → world. */
  cameraPose: Type.Unsafe<WirePose>({ ...WirePoseShape, description: 'camera optical frame → world' }),
  support: Type.Optional(Type.Object({ normal: Vec(3), d: Type.Number() })),
  model: Model(),
});
export type PoseRequest = Static<typeof PoseRequestShape>;
export const PoseResponseObjectShape = Type.Object({
  id: Type.String(),
  /** Canonical frame → world. */
  pose: Type.Unsafe<WirePose>({ ...WirePoseShape, description: 'canonical → world' }),
  /** Per-axis scale applied to the canonical mesh before `pose`. */
  scale: Vec(3, { description: 'per-axis, > 0, applied before pose' }),
  score: Type.Optional(Type.Number()),
});
export type PoseResponseObject = Static<typeof PoseResponseObjectShape>;
export const PoseResponseShape = Type.Object({ objects: Type.Array(PoseResponseObjectShape), ...common });
export type PoseResponse = Static<typeof PoseResponseShape>;

export const HealthResponseShape = Type.Object({
  status: OneOf(['ok', 'draining'] as const),
  protocol: Type.Literal(PROTOCOL_VERSION),
  server: Type.String(),
  /** The onnxruntime execution provider the models run on ('cuda' or 'cpu'). */
  executionProvider: Type.String({ description: "the onnxruntime execution provider the models run on ('cuda' or 'cpu')" }),
  /** Every execution provider the installed onnxruntime build offers. */
  availableProviders: Type.Array(Type.String()),
  tasks: Type.Array(OneOf(TASKS)),
  uptimeS: Type.Number(),
});
export type HealthResponse = Static<typeof HealthResponseShape>;
export const ModelsResponseShape = Type.Object({
  models: Type.Array(
    Type.Object({
      id: Type.String(),
      task: OneOf(TASKS),
      file: Type.String(),
      licence: Type.String(),
      source: Type.String(),
      inputs: Type.Array(Type.Unknown()),
      outputs: Type.Array(Type.Unknown()),
    }),
  ),
});
export type ModelsResponse = Static<typeof ModelsResponseShape>;
export const ErrorBodyShape = Type.Object({
  error: Type.Object({
    code: OneOf(Object.keys(PROTOCOL_ERRORS) as ProtocolErrorCode[]),
    message: Type.String(),
    requestId: Type.String(),
    problems: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  }),
});
export type ErrorBody = Static<typeof ErrorBodyShape>;

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
export const REQUEST_SHAPES = {
  segment: SegmentRequestShape,
  depth: DepthRequestShape,
  deocclude: DeoccludeRequestShape,
  shape: ShapeRequestShape,
  pose: PoseRequestShape,
} as const;
export const RESPONSE_SHAPES = {
  segment: SegmentResponseShape,
  depth: DepthResponseShape,
  deocclude: DeoccludeResponseShape,
  shape: ShapeResponseShape,
  pose: PoseResponseShape,
} as const;

// ---------------------------------------------------------------------------------------------
// Normalisers: unknown → typed, every problem listed with its path. The shape comes from the
// schemas above; the checks here are the ones a JSON Schema cannot say (sizes and byte counts
// that depend on other fields, two fields that must agree).

type Obj = Record<string, unknown>;
const field = (v: unknown, key: string): unknown => (typeof v === 'object' && v !== null ? (v as Obj)[key] : undefined);

/** A size within the pixel limit (images, intrinsics), once the value has its shape. */
function sizeProblems(v: { width: number; height: number }, path: string): ValidationProblem[] {
  const { width: w, height: h } = v;
  return w * h > MAX_WIRE_PIXELS ? [{ path, message: `${w}×${h} exceeds the ${MAX_WIRE_PIXELS / 1e6} MP limit` }] : [];
}

/** A byte string of exactly `expected` bytes. */
function byteCount(data: Uint8Array, expected: number, path: string): ValidationProblem[] {
  return data.byteLength === expected ? [] : [{ path, message: `must hold ${expected} bytes, got ${data.byteLength}` }];
}

/**
 * A raster's size and byte count; none when it does not have its shape (the shape check said
 * so). A raster over the pixel limit is not measured further.
 */
function rasterProblems<S extends TSchema>(shape: S, v: unknown, path: string, bytesPerPixel: (encoding: string) => number = (e) => CHANNELS[e as ColorEncoding]): ValidationProblem[] {
  if (!hasShape(shape, v)) return [];
  const r = v as { width: number; height: number; encoding: string; data: Uint8Array };
  const size = sizeProblems(r, path);
  return size.length > 0 ? size : byteCount(r.data, r.width * r.height * bytesPerPixel(r.encoding), `${path}.data`);
}

const intrinsicsProblems = (v: unknown): ValidationProblem[] => (hasShape(WireIntrinsicsShape, v) ? sizeProblems(v, 'intrinsics') : []);

/** Two rasters (already of their shape) that must be the same size. */
function sameSize(a: WireIntrinsics | WireImage, b: WireImage, path: string, message: (a: WireIntrinsics | WireImage, b: WireImage) => string): ValidationProblem[] {
  return a.width === b.width && a.height === b.height ? [] : [{ path, message: message(a, b) }];
}

function poseProblems(v: unknown, path: string): ValidationProblem[] {
  if (!hasShape(WirePoseShape, v)) return [];
  return Math.hypot(...v.orientation) > 1e-9 ? [] : [{ path: `${path}.orientation`, message: 'must be a non-zero quaternion (x, y, z, w)' }];
}

function parse<S extends TSchema>(shape: S, v: unknown, what: string, more: (v: unknown) => ValidationProblem[]): Static<S> {
  return parseShape(shape, v, what, { root: 'body', more });
}

export function parseSegmentRequest(v: unknown): SegmentRequest {
  return parse(SegmentRequestShape, v, 'segment request', (b) => rasterProblems(WireImageShape, field(b, 'image'), 'image'));
}

export function parseDepthRequest(v: unknown): DepthRequest {
  return parse(DepthRequestShape, v, 'depth request', (b) => {
    const [image, k] = [field(b, 'image'), field(b, 'intrinsics')];
    const p = [...rasterProblems(WireImageShape, image, 'image'), ...intrinsicsProblems(k)];
    if (hasShape(WireImageShape, image) && hasShape(WireIntrinsicsShape, k)) {
      p.push(...sameSize(k, image, 'intrinsics', (a, b) => `are for ${a.width}×${a.height} but the image is ${b.width}×${b.height}`));
    }
    return p;
  });
}

export function parseDeoccludeRequest(v: unknown): DeoccludeRequest {
  return parse(DeoccludeRequestShape, v, 'deocclude request', (b) => {
    const [image, mask] = [field(b, 'image'), field(b, 'mask')];
    const p = [...rasterProblems(WireImageShape, image, 'image'), ...rasterProblems(DeoccludeRequestShape.properties.mask, mask, 'mask')];
    if (hasShape(WireImageShape, image) && hasShape(DeoccludeRequestShape.properties.mask, mask)) {
      p.push(...sameSize(mask, image, 'mask', (a, b) => `is ${a.width}×${a.height} but the crop is ${b.width}×${b.height}`));
    }
    return p;
  });
}

export function parseShapeRequest(v: unknown): ShapeRequest {
  return parse(ShapeRequestShape, v, 'shape request', (b) => rasterProblems(WireImageShape, field(b, 'image'), 'image'));
}

export function parsePoseRequest(v: unknown): PoseRequest {
  return parse(PoseRequestShape, v, 'pose request', (b) => {
    const p: ValidationProblem[] = [];
    const list = field(b, 'objects');
    if (Array.isArray(list)) {
      list.forEach((item, i) => {
        const points = field(item, 'points');
        if (hasShape(WirePointsShape, points)) p.push(...byteCount(points.positions, points.count * 12, `objects[${i}].points.positions`));
        p.push(...rasterProblems(WireImageShape, field(item, 'crop'), `objects[${i}].crop`));
      });
    }
    p.push(...intrinsicsProblems(field(b, 'intrinsics')));
    p.push(...poseProblems(field(b, 'cameraPose'), 'cameraPose'));
    return p;
  });
}

export const REQUEST_PARSERS: { [T in Task]: (v: unknown) => TaskRequests[T] } = {
  segment: parseSegmentRequest,
  depth: parseDepthRequest,
  deocclude: parseDeoccludeRequest,
  shape: parseShapeRequest,
  pose: parsePoseRequest,
};

// Response normalisers: the client checks every answer against the declared shape.

export function parseSegmentResponse(v: unknown): SegmentResponse {
  return parse(SegmentResponseShape, v, 'segment response', (b) => rasterProblems(WireLabelsShape, field(b, 'masks'), 'masks', () => 2));
}

export function parseDepthResponse(v: unknown): DepthResponse {
  return parse(DepthResponseShape, v, 'depth response', (b) => [...rasterProblems(WireDepthShape, field(b, 'depth'), 'depth', () => 4), ...intrinsicsProblems(field(b, 'intrinsics'))]);
}

export function parseDeoccludeResponse(v: unknown): DeoccludeResponse {
  return parse(DeoccludeResponseShape, v, 'deocclude response', (b) => rasterProblems(DeoccludeResponseShape.properties.image, field(b, 'image'), 'image'));
}

export function parseShapeResponse(v: unknown): ShapeResponse {
  return parse(ShapeResponseShape, v, 'shape response', () => []);
}

export function parsePoseResponse(v: unknown): PoseResponse {
  return parse(PoseResponseShape, v, 'pose response', (b) => {
    const p: ValidationProblem[] = [];
    const list = field(b, 'objects');
    if (Array.isArray(list)) {
      list.forEach((item, i) => {
        p.push(...poseProblems(field(item, 'pose'), `objects[${i}].pose`));
        const scale = field(item, 'scale');
        if (hasShape(PoseResponseObjectShape.properties.scale, scale) && !scale.every((s) => s > 0)) p.push({ path: `objects[${i}].scale`, message: 'must be positive' });
      });
    }
    return p;
  });
}

export const RESPONSE_PARSERS: { [T in Task]: (v: unknown) => TaskResponses[T] } = {
  segment: parseSegmentResponse,
  depth: parseDepthResponse,
  deocclude: parseDeoccludeResponse,
  shape: parseShapeResponse,
  pose: parsePoseResponse,
};

/** The published JSON Schema of the protocol (docs/gpu-host-protocol.schema.json is this, written by `npm run schemas`). */
export function protocolJsonSchema(): unknown {
  const endpoints = Object.fromEntries(
    Object.entries(ENDPOINTS).map(([name, e]) => {
      const cap = name[0]!.toUpperCase() + name.slice(1);
      const isTask = (TASKS as readonly string[]).includes(name);
      return [name, { method: e.method, path: e.path, ...(isTask ? { request: `#/$defs/${cap}Request` } : {}), response: `#/$defs/${cap}Response`, idempotent: e.idempotent, auth: e.auth }];
    }),
  );
  const defs: Record<string, TSchema> = {
    Image: WireImageShape,
    Depth: WireDepthShape,
    Labels: WireLabelsShape,
    Intrinsics: WireIntrinsicsShape,
    Mesh: WireMeshShape,
    Points: WirePointsShape,
    Pose: WirePoseShape,
    SegmentRequest: SegmentRequestShape,
    SegmentResponse: SegmentResponseShape,
    DepthRequest: DepthRequestShape,
    DepthResponse: DepthResponseShape,
    DeoccludeRequest: DeoccludeRequestShape,
    DeoccludeResponse: DeoccludeResponseShape,
    ShapeRequest: ShapeRequestShape,
    ShapeResponse: ShapeResponseShape,
    PoseRequest: PoseRequestShape,
    PoseResponse: PoseResponseShape,
    HealthResponse: HealthResponseShape,
    ModelsResponse: ModelsResponseShape,
    ErrorBody: ErrorBodyShape,
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://real2sim.local/gpu-host-protocol/v1.schema.json',
    title: 'real2sim GPU-host protocol, version 1',
    description:
      'Generated from src/gpu/protocol.ts (npm run schemas); do not edit by hand. Bodies of the task endpoints are CBOR maps (RFC 8949) described here in the JSON data model; a property with "contentEncoding": "binary" is a CBOR byte string (major type 2), never base64. health and models answer JSON; every error answers JSON ErrorBody. Byte layouts are little-endian, row-major, tightly packed. Beyond the shapes here: each raster\'s data holds exactly width·height·(bytes per pixel) bytes and at most ' +
      `${MAX_WIRE_PIXELS} pixels; points.positions holds count·12 bytes; a depth request's intrinsics and a deocclude request's mask match the image's size; quaternions are non-zero; pose scales are > 0.`,
    'x-protocol': {
      version: PROTOCOL_VERSION,
      prefix: API_PREFIX,
      requestIdHeader: REQUEST_ID_HEADER,
      auth: 'Authorization: Bearer <token> on every endpoint except health',
      contentType: CBOR_TYPE,
      endpoints,
      errors: PROTOCOL_ERRORS,
    },
    $defs: Object.fromEntries(Object.entries(defs).map(([k, s]) => [k, toJsonSchema(s)])),
  };
}

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
