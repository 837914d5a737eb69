/**
 * Scene ⇄ JSON text (`scene.json`), versioned.
 *
 * Layout: the `Scene` object as it is, with every typed array replaced by
 *   `{"dtype": "float32" | "float64" | "uint8" | "uint16" | "uint32" | "int32", "length": n, "base64": "…"}`
 * holding the elements little-endian (what numpy's `frombuffer(b64decode(s), '<f4')` reads).
 * `version` is `SCENE_VERSION` of the writer; a reader refuses newer versions with a message
 * saying to upgrade, rather than guessing at fields it does not know.
 */
import { Real2SimError, showValue, throwIfProblems, type ValidationProblem } from '../model/errors.ts';
import { SCENE_VERSION, type Scene } from '../model/scene.ts';
import type { Mesh } from '../model/geometry.ts';

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

const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
function vec(p: ValidationProblem[], path: string, v: unknown, n: number): void {
  if (!Array.isArray(v) || v.length !== n) p.push({ path, message: `must be ${n} finite numbers, got ${Array.isArray(v) ? `${v.length} values` : v === null ? 'null' : typeof v}` });
  else {
    const bad = v.findIndex((x) => !finite(x));
    if (bad >= 0) p.push({ path: `${path}[${bad}]`, message: `must be a finite number, got ${JSON.stringify(v[bad]) ?? 'undefined'}` });
  }
}

/** A quaternion (x, y, z, w): four finite numbers, not all zero (a zero quaternion is no rotation at all). */
function quat(p: ValidationProblem[], path: string, v: unknown): void {
  const before = p.length;
  vec(p, path, v, 4);
  if (p.length === before && Math.hypot(...(v as number[])) < 1e-9) {
    p.push({ path, message: 'is a zero quaternion (all four values 0), which is no rotation: give a unit quaternion (x, y, z, w), e.g. [0, 0, 0, 1] for none' });
  }
}

function checkMeshShape(p: ValidationProblem[], path: string, m: unknown): void {
  if (typeof m !== 'object' || m === null) {
    p.push({ path, message: 'must be a mesh {positions, indices}' });
    return;
  }
  const mesh = m as Partial<Mesh>;
  if (!(mesh.positions instanceof Float32Array) || mesh.positions.length % 3 !== 0) {
    p.push({ path: `${path}.positions`, message: 'must be a float32 array of xyz triples' });
    return;
  }
  if (!(mesh.indices instanceof Uint32Array) || mesh.indices.length % 3 !== 0) {
    p.push({ path: `${path}.indices`, message: 'must be a uint32 array of whole triangles' });
    return;
  }
  const n = mesh.positions.length / 3;
  for (const i of mesh.indices) {
    if (i >= n) {
      p.push({ path: `${path}.indices`, message: `refers to vertex ${i} but there are only ${n}` });
      break;
    }
  }
}

/** Structural checks of a scene read from untrusted text; every problem with its path. */
export function validateScene(s: Scene): ValidationProblem[] {
  const p: ValidationProblem[] = [];
  if (typeof s.frameId !== 'string' || s.frameId === '') p.push({ path: 'frameId', message: 'must be a non-empty string' });
  if (!Array.isArray(s.objects)) {
    p.push({ path: 'objects', message: 'must be an array' });
    return p;
  }
  if (s.reports !== undefined && !Array.isArray(s.reports)) p.push({ path: 'reports', message: 'must be an array' });
  const ids = new Set<string>();
  s.objects.forEach((o, i) => {
    const at = `objects[${i}]`;
    if (typeof o !== 'object' || o === null) {
      p.push({ path: at, message: 'must be an object' });
      return;
    }
    if (typeof o.id !== 'string' || o.id === '') p.push({ path: `${at}.id`, message: 'must be a non-empty string' });
    else if (ids.has(o.id)) p.push({ path: `${at}.id`, message: `'${o.id}' is used by an earlier object` });
    else ids.add(o.id);
    if (typeof o.label !== 'string') p.push({ path: `${at}.label`, message: 'must be a string' });
    checkMeshShape(p, `${at}.mesh`, o.mesh);
    if (typeof o.pose !== 'object' || o.pose === null) p.push({ path: `${at}.pose`, message: 'must be {position, orientation}' });
    else {
      vec(p, `${at}.pose.position`, o.pose.position, 3);
      quat(p, `${at}.pose.orientation`, o.pose.orientation);
    }
    vec(p, `${at}.size`, o.size, 3);
    if (!finite(o.mass) || o.mass < 0) p.push({ path: `${at}.mass`, message: `must be a finite number ≥ 0, got ${showValue(o.mass)}` });
    vec(p, `${at}.centerOfMass`, o.centerOfMass, 3);
    if (typeof o.inertia !== 'object' || o.inertia === null || !['ixx', 'ixy', 'ixz', 'iyy', 'iyz', 'izz'].every((k) => finite((o.inertia as unknown as Record<string, unknown>)[k]))) {
      p.push({ path: `${at}.inertia`, message: 'must hold finite ixx, ixy, ixz, iyy, iyz, izz' });
    }
    if (!Array.isArray(o.collision)) p.push({ path: `${at}.collision`, message: 'must be an array of meshes' });
    else o.collision.forEach((c, k) => checkMeshShape(p, `${at}.collision[${k}]`, c));
  });
  if (s.support !== undefined) {
    vec(p, 'support.normal', s.support.normal, 3);
    if (!finite(s.support.d)) p.push({ path: 'support.d', message: 'must be a finite number' });
  }
  if (s.camera !== undefined) {
    if (typeof s.camera.intrinsics !== 'object' || s.camera.intrinsics === null) p.push({ path: 'camera.intrinsics', message: 'must be an object' });
    if (typeof s.camera.pose !== 'object' || s.camera.pose === null) p.push({ path: 'camera.pose', message: 'must be {position, orientation}' });
    else {
      vec(p, 'camera.pose.position', s.camera.pose.position, 3);
      quat(p, 'camera.pose.orientation', s.camera.pose.orientation);
    }
  }
  return p;
}
