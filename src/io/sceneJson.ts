/**
 * Scene ⇄ JSON text (`scene.json`), versioned.
 *
 * Layout: the `Scene` object as it is, with every typed array replaced by
 *   `{"dtype": "float32" | "float64" | "uint8" | "uint16" | "uint32" | "int32", "length": n, "base64": "…"}`
 * holding the elements little-endian (what numpy's `frombuffer(b64decode(s), '<f4')` reads).
 * `version` is `SCENE_VERSION` of the writer; a reader refuses newer versions with a message
 * saying to upgrade, rather than guessing at fields it does not know.
 */
import { Real2SimError, throwIfProblems, type ValidationProblem } from '../model/errors.ts';
import { hasShape, shapeProblems, sortProblems, toJsonSchema, Type, TypedArray, Vec, type Static } from '../model/shapes.ts';
import { SCENE_VERSION, type Scene } from '../model/scene.ts';

type TypedArray = Float32Array | Float64Array | Uint8Array | Uint16Array | Uint32Array | Int32Array;
const DTYPES = {
  float32: Float32Array,
  float64: Float64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  int32: Int32Array,
} as const;
type DType = keyof typeof DTYPES;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function dtypeOf(a: TypedArray): DType | null {
  for (const [k, C] of Object.entries(DTYPES)) if (a instanceof C) return k as DType;
  return null;
}

function toLittleEndianBytes(a: TypedArray): Buffer {
  const b = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE_ENDIAN || a.BYTES_PER_ELEMENT === 1) return b;
  const copy = Buffer.from(b);
  if (a.BYTES_PER_ELEMENT === 2) copy.swap16();
  else if (a.BYTES_PER_ELEMENT === 4) copy.swap32();
  else copy.swap64();
  return copy;
}

export interface SceneJsonOptions {
  /** Spaces of indentation (default 2; 0 for one line). */
  indent?: number;
}

/**
 * Scene → JSON text. Deterministic: the same scene gives the same text. The scene is validated
 * first (`BAD_SCENE` listing every problem) so that what is written can be read back; other
 * non-finite numbers (in reports, meta) become `null` as JSON has no NaN.
 */
export function sceneToJson(scene: Scene, options: SceneJsonOptions = {}): string {
  const indent = options.indent ?? 2;
  throwIfProblems('BAD_SCENE', 'Scene to write', validateScene(scene));
  return JSON.stringify(
    { ...scene, version: scene.version ?? SCENE_VERSION },
    (_key, value: unknown) => {
      if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
        const a = value as TypedArray;
        const dtype = dtypeOf(a);
        if (!dtype) throw new Real2SimError('BAD_SCENE', `Cannot store a ${a.constructor.name} in scene.json (key '${_key}').`);
        return { dtype, length: a.length, base64: toLittleEndianBytes(a).toString('base64') };
      }
      if (value instanceof Map) return Object.fromEntries(value as Map<string, unknown>);
      return value;
    },
    indent || undefined,
  );
}

function isTypedArrayJson(v: unknown): v is { dtype: DType; length: number; base64: string } {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o['dtype'] === 'string' && typeof o['base64'] === 'string' && typeof o['length'] === 'number' && Object.keys(o).length === 3;
}

function decodeTyped(v: { dtype: string; length: number; base64: string }, path: string): TypedArray {
  const C = (DTYPES as Record<string, (typeof DTYPES)[DType] | undefined>)[v.dtype];
  if (!C) throw new Real2SimError('BAD_SCENE', `scene.json ${path}: unknown dtype '${v.dtype}' (expected one of ${Object.keys(DTYPES).join(', ')}).`, { path });
  const bytes = Buffer.from(v.base64, 'base64');
  if (bytes.length !== v.length * C.BYTES_PER_ELEMENT) {
    throw new Real2SimError('BAD_SCENE', `scene.json ${path}: ${v.dtype} array of length ${v.length} needs ${v.length * C.BYTES_PER_ELEMENT} bytes, base64 holds ${bytes.length} (truncated file?).`, {
      path,
    });
  }
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  if (!LITTLE_ENDIAN && C.BYTES_PER_ELEMENT > 1) {
    const b = Buffer.from(copy.buffer);
    if (C.BYTES_PER_ELEMENT === 2) b.swap16();
    else if (C.BYTES_PER_ELEMENT === 4) b.swap32();
    else b.swap64();
  }
  return new C(copy.buffer);
}

function revive(v: unknown, path: string): unknown {
  if (Array.isArray(v)) return v.map((x, i) => revive(x, `${path}[${i}]`));
  if (typeof v === 'object' && v !== null) {
    if (isTypedArrayJson(v)) return decodeTyped(v, path);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = revive(x, path ? `${path}.${k}` : k);
    return out;
  }
  return v;
}

/** JSON text → Scene. Throws `BAD_SCENE` listing every problem with its field path. */
export function sceneFromJson(text: string, name = 'scene.json'): Scene {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Real2SimError('BAD_SCENE', `${name} is not valid JSON (${e instanceof Error ? e.message : String(e)}); was the file cut short?`, { name }, e);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Real2SimError('BAD_SCENE', `${name} must hold a JSON object with 'version', 'frameId' and 'objects'.`, { name });
  }
  const version = (raw as Record<string, unknown>)['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new Real2SimError('BAD_SCENE', `${name} has no valid 'version' field (got ${JSON.stringify(version)}); it was not written by real2sim.`, { name, version });
  }
  if (version > SCENE_VERSION) {
    throw new Real2SimError('BAD_SCENE', `${name} has scene format version ${version}, but this real2sim reads versions up to ${SCENE_VERSION}: upgrade real2sim to read it.`, {
      name,
      version,
      supported: SCENE_VERSION,
    });
  }
  const scene = revive(raw, '') as Scene;
  scene.reports ??= [];
  throwIfProblems('BAD_SCENE', name, validateScene(scene));
  return scene;
}

// The shape of a scene read from untrusted text, defined once: the checks below and the published
// docs/scene.schema.json (typed arrays in their file form) both come from it. `SceneFields` is
// what the model's `Scene` must be assignable to, so the shape cannot drift from the model.

const Vec3 = Vec(3);
const PoseShape = Type.Object({ position: Vec3, orientation: Vec(4, { description: 'unit quaternion (x, y, z, w)' }) });
const MeshShape = Type.Object({
  positions: TypedArray('float32', { expected: 'a float32 array of xyz triples' }),
  indices: TypedArray('uint32', { expected: 'a uint32 array of whole triangles' }),
});
const ObjectShape = Type.Object({
  id: Type.String({ minLength: 1 }),
  label: Type.String(),
  mesh: MeshShape,
  pose: PoseShape,
  size: Vec3,
  mass: Type.Number({ minimum: 0, description: 'kg' }),
  centerOfMass: Vec3,
  inertia: Type.Object({ ixx: Type.Number(), ixy: Type.Number(), ixz: Type.Number(), iyy: Type.Number(), iyz: Type.Number(), izz: Type.Number() }),
  collision: Type.Array(MeshShape, { description: 'convex parts' }),
});
export const SceneShape = Type.Object({
  version: Type.Optional(Type.Integer({ minimum: 1, maximum: SCENE_VERSION })),
  frameId: Type.String({ minLength: 1 }),
  objects: Type.Array(ObjectShape),
  reports: Type.Optional(Type.Array(Type.Unknown())),
  support: Type.Optional(Type.Object({ normal: Vec3, d: Type.Number() })),
  camera: Type.Optional(Type.Object({ intrinsics: Type.Object({}), pose: PoseShape })),
});
type SceneFields = Static<typeof SceneShape>;

/** The published JSON Schema of scene.json (docs/scene.schema.json, written by `npm run schemas`). */
export function sceneJsonSchema(): unknown {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://real2sim.local/scene/v${SCENE_VERSION}.schema.json`,
    title: `real2sim scene.json, version ${SCENE_VERSION}`,
    description:
      "Generated from src/io/sceneJson.ts (npm run schemas); do not edit by hand. The fields a reader relies on; a scene holds more (reports, physics, meta) that are not checked. Beyond the shape: object ids are unique, a mesh has whole triangles whose indices name existing vertices, quaternions are not zero, a typed array's base64 holds exactly length elements.",
    ...(toJsonSchema(SceneShape) as object),
  };
}

/** A quaternion of four zeros is no rotation at all. */
function zeroQuaternion(pose: unknown, path: string): ValidationProblem[] {
  if (!hasShape(PoseShape, pose) || Math.hypot(...pose.orientation) >= 1e-9) return [];
  return [{ path: `${path}.orientation`, message: 'is a zero quaternion (all four values 0), which is no rotation: give a unit quaternion (x, y, z, w), e.g. [0, 0, 0, 1] for none' }];
}

function meshProblems(m: unknown, path: string): ValidationProblem[] {
  if (!hasShape(MeshShape, m)) return [];
  if (m.positions.length % 3 !== 0) return [{ path: `${path}.positions`, message: `must be a float32 array of xyz triples, got ${m.positions.length} values` }];
  if (m.indices.length % 3 !== 0) return [{ path: `${path}.indices`, message: `must be a uint32 array of whole triangles, got ${m.indices.length} indices` }];
  const n = m.positions.length / 3;
  for (const i of m.indices) if (i >= n) return [{ path: `${path}.indices`, message: `refers to vertex ${i} but there are only ${n}` }];
  return [];
}

/** Structural checks of a scene read from untrusted text; every problem with its path. */
export function validateScene(s: Scene): ValidationProblem[] {
  const fields: SceneFields = s;
  const p = shapeProblems(SceneShape, fields);
  const objects: unknown = s.objects;
  if (Array.isArray(objects)) {
    const ids = new Set<string>();
    objects.forEach((o: unknown, i) => {
      const at = `objects[${i}]`;
      const id: unknown = typeof o === 'object' && o !== null ? (o as Record<string, unknown>)['id'] : undefined;
      if (typeof id === 'string' && id !== '') {
        if (ids.has(id)) p.push({ path: `${at}.id`, message: `'${id}' is used by an earlier object` });
        ids.add(id);
      }
      if (typeof o !== 'object' || o === null) return;
      const r = o as Record<string, unknown>;
      p.push(...meshProblems(r['mesh'], `${at}.mesh`), ...zeroQuaternion(r['pose'], `${at}.pose`));
      const collision = r['collision'];
      if (Array.isArray(collision)) collision.forEach((c: unknown, k) => p.push(...meshProblems(c, `${at}.collision[${k}]`)));
    });
  }
  const camera: unknown = s.camera;
  if (typeof camera === 'object' && camera !== null) p.push(...zeroQuaternion((camera as Record<string, unknown>)['pose'], 'camera.pose'));
  return sortProblems(SceneShape, p);
}
