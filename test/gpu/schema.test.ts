/** The machine-readable schema and the TypeScript normalisers describe the same protocol. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ENDPOINTS, PROTOCOL_ERRORS, REQUEST_PARSERS, RESPONSE_PARSERS, TASKS } from '../../src/gpu/protocol.ts';

const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../../docs/gpu-host-protocol.schema.json'), 'utf8')) as {
  'x-protocol': { endpoints: Record<string, { method: string; path: string; idempotent: boolean; auth: boolean; request?: string; response: string }>; errors: Record<string, number> };
  $defs: Record<string, { required?: string[] }>;
};

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

test('each request and response lists as required exactly what the normaliser demands', () => {
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
    const common = ['model', 'timeMs'];
    expect(missing(RESPONSE_PARSERS[task]), `${task} response`).toEqual([...def(e.response).required!, ...common].sort());
  }
});
