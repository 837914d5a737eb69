/**
 * External shapes, defined once. Each shape a user or a peer sends us (GPU-host messages, model
 * manifests, scene.json, ROS messages) is a TypeBox schema: the TypeScript type is derived from
 * it (`Static<typeof S>`), TypeBox checks values against it, and the same object is the JSON
 * Schema that is published (docs/*.schema.json are generated from it). What a JSON Schema cannot
 * say (byte counts that depend on a width and a height, two fields that must agree) is checked by
 * code after the shape, on values the shape has already accepted.
 *
 * Problems come back in our own words, not TypeBox's: `path: must be <what the schema asks>, got
 * <what came>`, with paths written `image.data`, `objects[2].mesh`, one problem a field, in the
 * order the schema lists its fields.
 */
import { Kind, Type, TypeRegistry, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Real2SimError, type ErrorCode, type ValidationProblem } from './errors.ts';

export { Type, type Static, type TSchema };

if (!TypeRegistry.Has('Bytes')) TypeRegistry.Set('Bytes', (_schema, value) => value instanceof Uint8Array);

/** A byte string: a `Uint8Array` in memory, a CBOR byte string (major type 2) on the wire. */
export const Bytes = (options: { description?: string } = {}) => Type.Unsafe<Uint8Array>({ [Kind]: 'Bytes', type: 'string', contentEncoding: 'binary', ...options });

const TYPED_ARRAYS = { float32: Float32Array, float64: Float64Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, int32: Int32Array } as const;
type TypedArrays = typeof TYPED_ARRAYS;
interface TypedArrayTypes {
  float32: Float32Array;
  float64: Float64Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  int32: Int32Array;
}
if (!TypeRegistry.Has('TypedArray')) {
  TypeRegistry.Set('TypedArray', (schema, value) => value instanceof TYPED_ARRAYS[(schema as { 'x-dtype': keyof TypedArrays })['x-dtype']]);
}

/**
 * A typed array of `dtype` in memory; in a JSON file it is written `{"dtype", "length",
 * "base64"}` (little-endian elements), which is what the JSON Schema says.
 */
export const TypedArray = <D extends keyof TypedArrays>(dtype: D, options: { expected?: string; description?: string } = {}) =>
  Type.Unsafe<TypedArrayTypes[D]>({
    [Kind]: 'TypedArray',
    'x-dtype': dtype,
    type: 'object',
    required: ['dtype', 'length', 'base64'],
    properties: { dtype: { const: dtype }, length: { type: 'integer', minimum: 0 }, base64: { type: 'string', contentEncoding: 'base64' } },
    expected: `a ${dtype} array`,
    ...options,
  });

/** One of a few string constants (`"NCHW" | "NHWC"`), as a JSON Schema `enum`, checked as a union of literals. */
export function OneOf<const T extends readonly string[]>(values: T, options: { description?: string } = {}) {
  return Type.Unsafe<T[number]>(
    Type.Union(
      values.map((v) => Type.Literal(v)),
      options,
    ),
  );
}

/** A fixed-length array of finite numbers (`[x, y, z]`). */
export function Vec<N extends number>(n: N, options: { description?: string } = {}) {
  return Type.Unsafe<FixedArray<number, N>>(Type.Array(Type.Number(), { minItems: n, maxItems: n, ...options }));
}
type FixedArray<T, N extends number, A extends T[] = []> = A['length'] extends N ? A : FixedArray<T, N, [...A, T]>;

/** A short text for a value, for a message to a user. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return `${v.byteLength} bytes`;
  if (Array.isArray(v)) {
    // a short vector as written ([0, "x", 0]), a longer array by its length
    const short = v.length <= 6 && v.every((x) => x === null || ['number', 'string', 'boolean'].includes(typeof x));
    return short ? `[${v.map((x) => (typeof x === 'string' ? JSON.stringify(x) : String(x))).join(', ')}]` : `an array of ${v.length}`;
  }
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return typeof v;
}

type SchemaNode = TSchema & {
  type?: string;
  const?: unknown;
  anyOf?: SchemaNode[];
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  /** What a value must be, in words, where the keywords alone would read badly (a pattern). */
  expected?: string;
};

/** "a finite number > 0", "one of rgb8, mono8", "an array of 3 finite numbers": what `s` accepts, in words. */
export function expectation(s: SchemaNode): string {
  if (s.expected) return s.expected;
  if (s[Kind] === 'Bytes') return 'a byte string';
  if (s[Kind] === 'TypedArray') return `a ${String((s as { 'x-dtype'?: string })['x-dtype'])} array`;
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) {
    if (s.anyOf.every((a) => a.const !== undefined)) return `one of ${s.anyOf.map((a) => String(a.const)).join(', ')}`;
    return s.anyOf.map(expectation).join(' or ');
  }
  switch (s.type) {
    case 'integer': {
      const lo = s.minimum !== undefined ? ` ≥ ${s.minimum}` : '';
      const hi = s.maximum !== undefined ? ` ≤ ${s.maximum}` : '';
      return `an integer${lo}${hi}`;
    }
    case 'number':
      return `a finite number${s.exclusiveMinimum !== undefined ? ` > ${s.exclusiveMinimum}` : s.minimum !== undefined ? ` ≥ ${s.minimum}` : ''}`;
    case 'string':
      return s.minLength ? 'a non-empty string' : 'a string';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'a map';
    case 'array': {
      const items = s.items ? plural(expectation(s.items)) : 'values';
      if (s.minItems !== undefined && s.minItems === s.maxItems) return `an array of ${s.minItems} ${items}`;
      if (s.maxItems !== undefined) return `an array of ${s.minItems ?? 0}..${s.maxItems} ${items}`;
      if (s.minItems) return `a non-empty array of ${items}`;
      return `an array of ${items}`;
    }
    default:
      return 'something else';
  }
}

function plural(one: string): string {
  if (one === 'a map') return 'maps';
  // "an integer ≥ 1" → "integers ≥ 1", "a finite number" → "finite numbers"
  const m = /^an? ([^≥>≤]*?)( [≥>≤].*)?$/.exec(one);
  return m ? `${m[1]}s${m[2] ?? ''}` : one;
}

const isPrimitive = (s: SchemaNode | undefined): boolean => s !== undefined && s.type !== 'object' && s.type !== 'array' && !(s.anyOf && !s.anyOf.every((a) => a.const !== undefined));

/** Joins a JSON pointer's segments as `a.b[2].c`; `root` names the value itself (no segments). */
function joinPath(root: string, segments: readonly string[]): string {
  let p = '';
  for (const s of segments) p = /^\d+$/.test(s) ? `${p}[${s}]` : p ? `${p}.${s}` : s;
  return p || root;
}

/** The schema of field `key` of a value of schema `node` (a kind of a tagged union: the first kind that has it). */
function child(node: SchemaNode, key: string): SchemaNode | undefined {
  if (node[Kind] === 'TypedArray') return undefined;
  if (node.properties) return node.properties[key];
  if (node.type === 'array') return node.items;
  return node.anyOf?.map((k) => k.properties?.[key]).find((x) => x !== undefined);
}

/** Where a path ('a.b[2].c') falls in the schema's field order, for sorting problems. */
function orderOf(schema: TSchema, path: string): number[] {
  const order: number[] = [];
  let node: SchemaNode | undefined = schema;
  for (const seg of path.split(/\.|\[|\]\.?/).filter((x) => x !== '')) {
    if (/^\d+$/.test(seg)) order.push(Number(seg));
    else {
      const keys = Object.keys(node?.properties ?? node?.anyOf?.find((k) => k.properties?.[seg])?.properties ?? {});
      const i = keys.indexOf(seg);
      order.push(i < 0 ? keys.length : i);
    }
    node = node && child(node, seg);
  }
  return order;
}

/**
 * Every problem of `value` against `schema`, one a field, in the schema's field order. An item of
 * an array of plain values is reported on the array ("prompts: must be an array of strings"), a
 * missing or mistyped map once (not once per field inside it), a map of a tagged union (`kind:
 * "image"`) as the kind it names. `root` is the path given to the value itself when it is not a
 * map (e.g. 'body'); fields are named from the top ('image.data').
 */
export function shapeProblems(schema: TSchema, value: unknown, root = ''): ValidationProblem[] {
  const seen = new Map<string, ValidationProblem | undefined>();
  for (const e of Value.Errors(schema, value)) {
    let segments = e.path.split('/').slice(1);
    // walk down the schema and the value along the path
    const nodes: (SchemaNode | undefined)[] = [schema];
    const values: unknown[] = [value];
    for (const seg of segments) {
      const v = values[values.length - 1];
      nodes.push(nodes[nodes.length - 1] && child(nodes[nodes.length - 1]!, seg));
      values.push(typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[seg] : undefined);
    }
    let node = nodes[segments.length];
    let v = values[segments.length];
    // an item of an array of plain values: report the array
    const last = segments.length;
    if (last > 0 && /^\d+$/.test(segments[last - 1]!) && isPrimitive(node) && nodes[last - 1]?.type === 'array') {
      segments = segments.slice(0, -1);
      node = nodes[last - 1];
      v = values[last - 1];
    }
    if (!node) continue;
    const path = joinPath(root, segments);
    // a problem inside a field that is already wrong says nothing new
    if ([...seen.keys()].some((p) => p === path || path.startsWith(`${p}.`) || path.startsWith(`${p}[`))) continue;
    const tag = discriminator(node);
    if (tag && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      // one of several kinds of map told apart by a field (`kind: "image"`): the problems of the
      // kind it says it is, or of that field when it names none
      const kinds = node.anyOf!;
      const said = (v as Record<string, unknown>)[tag];
      const variant = kinds.find((k) => k.properties![tag]!.const === said);
      const inner = variant
        ? shapeProblems(variant, v)
        : [{ path: tag, message: `must be one of ${kinds.map((k) => JSON.stringify(k.properties![tag]!.const)).join(', ')}, got ${describeValue(said)}` }];
      for (const q of inner) {
        const at = q.path === '' ? path : q.path.startsWith('[') || !path ? `${path}${q.path}` : `${path}.${q.path}`;
        seen.set(at, { path: at, message: q.message });
      }
      if (!seen.has(path)) seen.set(path, undefined);
      continue;
    }
    seen.set(path, { path, message: `must be ${expectation(node)}, got ${describeValue(v)}` });
  }
  return sortProblems(
    schema,
    [...seen.values()].filter((x): x is ValidationProblem => x !== undefined),
  );
}

/** The field that tells the kinds of a union of maps apart (each kind has it as a constant), if any. */
function discriminator(s: SchemaNode): string | undefined {
  const kinds = s.anyOf;
  if (!kinds || kinds.length < 2 || !kinds.every((k) => k.type === 'object' && k.properties)) return undefined;
  return Object.keys(kinds[0]!.properties!).find((key) => kinds.every((k) => k.properties![key]?.const !== undefined));
}

function compareOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Problems (of the shape, or found by code after it) in the schema's field order; the order found among equals. */
export function sortProblems(schema: TSchema, problems: readonly ValidationProblem[]): ValidationProblem[] {
  return problems
    .map((p, i) => ({ p, i, order: orderOf(schema, p.path) }))
    .sort((a, b) => compareOrder(a.order, b.order) || a.i - b.i)
    .map((x) => x.p);
}

/** Whether `value` has `schema`'s shape (a type guard, for the checks that follow the shape). */
export function hasShape<S extends TSchema>(schema: S, value: unknown): value is Static<S> {
  return Value.Check(schema, value);
}

/**
 * `value` as `schema`'s type, with the fields the schema does not name dropped; or one coded
 * error listing every problem: those of the shape, then those `more` finds (it runs on the raw
 * value, so each of its checks guards itself with `hasShape`), all in the schema's field order.
 */
export function parseShape<S extends TSchema>(schema: S, value: unknown, what: string, options: { code?: ErrorCode; root?: string; more?: (value: unknown) => ValidationProblem[] } = {}): Static<S> {
  const problems = [...shapeProblems(schema, value, options.root), ...(options.more?.(value) ?? [])];
  if (problems.length > 0) {
    const sorted = sortProblems(schema, problems);
    const lines = sorted.map((p) => `  ${p.path}: ${p.message}`).join('\n');
    throw new Real2SimError(options.code ?? 'BAD_INPUT', `${what} is invalid:\n${lines}`, { problems: sorted });
  }
  return Value.Clean(schema, structuredCloneShallow(value));
}

/**
 * A copy of the maps and arrays of `v` (typed arrays and other objects are shared), so that
 * dropping unknown fields never changes the caller's value. A field set to `undefined` (CBOR
 * can send one) is an absent field, as the shape check treats it.
 */
function structuredCloneShallow(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(structuredCloneShallow);
  if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => [k, structuredCloneShallow(x)]),
    );
  }
  return v;
}

/** `schema` as plain JSON Schema (TypeBox's own markers dropped), for a published schema file. */
export function toJsonSchema(schema: TSchema): unknown {
  return JSON.parse(JSON.stringify(schema, (k, v: unknown) => (k === 'expected' || k === 'x-dtype' ? undefined : v)));
}
