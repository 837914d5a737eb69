/** One definition per external shape: problems in our words, one a field, in field order; values cleaned. */
import { describe, expect, it } from 'vitest';
import { Real2SimError } from '../../src/model/errors.ts';
import { Bytes, OneOf, parseShape, shapeProblems, toJsonSchema, Type, TypedArray, Vec } from '../../src/model/shapes.ts';

const Shape = Type.Object({
  name: Type.String({ minLength: 1 }),
  count: Type.Integer({ minimum: 0 }),
  scale: Type.Number({ exclusiveMinimum: 0 }),
  tags: Type.Optional(Type.Array(Type.String())),
  at: Vec(3),
  data: Bytes(),
  mode: OneOf(['a', 'b'] as const),
  parts: Type.Array(Type.Union([Type.Object({ kind: Type.Literal('box'), size: Vec(3) }), Type.Object({ kind: Type.Literal('ball'), radius: Type.Number() })])),
  positions: Type.Optional(TypedArray('float32')),
});

describe('shapes', () => {
  it('accepts a good value and drops the fields the shape does not name (also in nested maps)', () => {
    const v = { name: 'x', count: 0, scale: 1, at: [0, 0, 0], data: new Uint8Array(2), mode: 'a', parts: [{ kind: 'ball', radius: 1, colour: 'red' }], extra: 1, tags: undefined };
    expect(parseShape(Shape, v, 'thing')).toEqual({ name: 'x', count: 0, scale: 1, at: [0, 0, 0], data: new Uint8Array(2), mode: 'a', parts: [{ kind: 'ball', radius: 1 }] });
    expect(v.extra).toBe(1); // the caller's value is not changed
  });

  it('lists one problem a field, in the order of the fields, with what is asked and what came', () => {
    const v = { name: '', count: 1.5, scale: 0, tags: ['a', 2], at: [0, NaN, 0], data: 'AAAA', mode: 'c', parts: [{ kind: 'cube' }, { kind: 'box', size: [1] }], positions: [1, 2, 3] };
    expect(shapeProblems(Shape, v)).toEqual([
      { path: 'name', message: 'must be a non-empty string, got ""' },
      { path: 'count', message: 'must be an integer ≥ 0, got 1.5' },
      { path: 'scale', message: 'must be a finite number > 0, got 0' },
      { path: 'tags', message: 'must be an array of strings, got ["a", 2]' },
      { path: 'at', message: 'must be an array of 3 finite numbers, got [0, NaN, 0]' },
      { path: 'data', message: 'must be a byte string, got "AAAA"' },
      { path: 'mode', message: 'must be one of a, b, got "c"' },
      { path: 'parts[0].kind', message: 'must be one of "box", "ball", got "cube"' },
      { path: 'parts[1].size', message: 'must be an array of 3 finite numbers, got [1]' },
      { path: 'positions', message: 'must be a float32 array, got [1, 2, 3]' },
    ]);
  });

  it('names a value that is not a map by its root, and a missing field once', () => {
    expect(shapeProblems(Shape, null, 'body')).toEqual([{ path: 'body', message: 'must be a map, got null' }]);
    expect(shapeProblems(Type.Object({ inner: Type.Object({ a: Type.Number(), b: Type.Number() }) }), {})).toEqual([{ path: 'inner', message: 'must be a map, got nothing' }]);
  });

  it('throws one coded error listing every problem', () => {
    let err: unknown;
    try {
      parseShape(Shape, { name: 'x' }, 'thing', { code: 'BAD_SCENE' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Real2SimError);
    expect((err as Real2SimError).code).toBe('BAD_SCENE');
    expect((err as Real2SimError).message).toMatch(/^thing is invalid:\n {2}count: must be an integer ≥ 0, got nothing\n {2}scale: /);
  });

  it('publishes plain JSON Schema: byte strings as binary strings, typed arrays in their file form, no internal keys', () => {
    const json = toJsonSchema(Shape) as { properties: Record<string, Record<string, unknown>> };
    expect(json.properties['data']).toEqual({ type: 'string', contentEncoding: 'binary' });
    expect(json.properties['positions']).toMatchObject({ type: 'object', required: ['dtype', 'length', 'base64'], properties: { dtype: { const: 'float32' } } });
    expect(JSON.stringify(json)).not.toMatch(/x-dtype|"expected"/);
  });
});
