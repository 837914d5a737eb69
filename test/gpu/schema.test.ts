/**
 * The machine-readable schema and the TypeScript normalisers describe the same protocol: the file
 * is generated from the definitions the normalisers check against (`npm run schemas`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ENDPOINTS, PROTOCOL_ERRORS, protocolJsonSchema, REQUEST_PARSERS, RESPONSE_PARSERS, TASKS } from '../../src/gpu/protocol.ts';

const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../../docs/gpu-host-protocol.schema.json'), 'utf8')) as {
  'x-protocol': { endpoints: Record<string, { method: string; path: string; idempotent: boolean; auth: boolean; request?: string; response: string }>; errors: Record<string, number> };
  $defs: Record<string, { required?: string[] }>;
};

test('docs/gpu-host-protocol.schema.json is the one generated from src/gpu/protocol.ts (run `npm run schemas` after changing a message)', () => {
  expect(schema).toEqual(protocolJsonSchema());
});

test('endpoints, methods, paths, idempotency, auth and error statuses agree', () => {
  const eps = schema['x-protocol'].endpoints;
  expect(Object.keys(eps).sort()).toEqual(Object.keys(ENDPOINTS).sort());
  for (const [name, e] of Object.entries(ENDPOINTS)) {
    expect({ method: eps[name]!.method, path: eps[name]!.path, idempotent: eps[name]!.idempotent, auth: eps[name]!.auth }).toEqual({
      method: e.method,
      path: e.path,
      idempotent: e.idempotent,
      auth: e.auth,
    });
  }
  expect(schema['x-protocol'].errors).toEqual(PROTOCOL_ERRORS);
});

test('an empty map is refused with one problem for each required field of the schema', () => {
  const def = (ref: string) => schema.$defs[ref.replace('#/$defs/', '')]!;
  for (const task of TASKS) {
    const e = schema['x-protocol'].endpoints[task]!;
    // an empty map: the normaliser names every missing required field at the top level
    const missing = (parse: (v: unknown) => unknown) => {
      try {
        parse({});
        return [];
      } catch (err) {
        const probs = (err as { context: { problems: { path: string }[] } }).context.problems;
        return [...new Set(probs.map((p) => p.path.replace(/^body\./, '').split(/[.[]/)[0]!))].sort();
      }
    };
    expect(missing(REQUEST_PARSERS[task]), `${task} request`).toEqual([...def(e.request!).required!].sort());
    expect(missing(RESPONSE_PARSERS[task]), `${task} response`).toEqual([...def(e.response).required!].sort());
  }
});

test('each problem names its field, what the schema asks and what came, in the order of the fields', () => {
  const bad = {
    image: { width: 0, height: 2, encoding: 'rgb16', data: new Uint8Array(3) },
    intrinsics: { width: 4, height: 3, fx: -1, fy: 1, cx: 0, cy: 0 },
    model: 7,
  };
  expect(() => REQUEST_PARSERS.depth(bad)).toThrow(
    [
      'depth request is invalid:',
      '  image.width: must be an integer ≥ 1, got 0',
      '  image.encoding: must be one of rgb8, bgr8, rgba8, bgra8, mono8, got "rgb16"',
      '  intrinsics.fx: must be a finite number > 0, got -1',
      '  model: must be a string, got 7',
    ].join('\n'),
  );
  const pose = {
    objects: [{ id: 'a', mesh: { format: 'glb', data: new Uint8Array(1) }, points: { count: 2, positions: new Uint8Array(8) } }],
    intrinsics: { width: 4, height: 3, fx: 1, fy: 1, cx: 0, cy: 0 },
    cameraPose: { position: [0, 0, 1], orientation: [0, 0, 0, 0] },
    support: { normal: [0, 0], d: 0 },
  };
  expect(() => REQUEST_PARSERS.pose(pose)).toThrow(
    [
      'pose request is invalid:',
      '  objects[0].points.positions: must hold 24 bytes, got 8',
      '  cameraPose.orientation: must be a non-zero quaternion (x, y, z, w)',
      '  support.normal: must be an array of 3 finite numbers, got [0, 0]',
    ].join('\n'),
  );
  expect(() => RESPONSE_PARSERS.segment(null)).toThrow(/segment response is invalid:\n {2}body: must be a map, got null/);
});
