import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sceneFromJson, sceneJsonSchema, sceneToJson } from '../../src/io/sceneJson.ts';
import { Real2SimError } from '../../src/model/errors.ts';
import { expectError } from '../helpers/errors.ts';
import { SCENE_VERSION } from '../../src/model/scene.ts';
import { makeScene } from './sceneFixture.ts';

const scene = () => {
  const s = makeScene([
    { id: 'box_1', size: [0.1, 0.2, 0.3], position: [0.5, 0, 0.15], yaw: 0.3, instanceId: 1, symmetry: 'rot2' },
    { id: 'can_2', shape: 'cylinder', size: [0.06, 0.06, 0.12], position: [0.7, 0.1, 0.06] },
  ]);
  s.camera = { intrinsics: { width: 640, height: 480, fx: 525, fy: 525, cx: 319.5, cy: 239.5 }, pose: { position: [0, 0, 1], orientation: [1, 0, 0, 0] } };
  s.reports.push({ stage: 'lift', backend: 'geometric', timeMs: 1.5, counts: { points: 10 }, warnings: ['w'] });
  s.meta = { seed: 7 };
  return s;
};

describe('scene JSON', () => {
  it('round-trips every field, typed arrays bit-exact', () => {
    const s = scene();
    const text = sceneToJson(s);
    const back = sceneFromJson(text);
    expect(back.version).toBe(SCENE_VERSION);
    expect(back.objects[0]!.mesh.positions).toBeInstanceOf(Float32Array);
    expect(back.objects[0]!.mesh.indices).toBeInstanceOf(Uint32Array);
    expect(Array.from(back.objects[1]!.mesh.positions)).toEqual(Array.from(s.objects[1]!.mesh.positions));
    expect(Array.from(back.objects[0]!.collision[0]!.indices)).toEqual(Array.from(s.objects[0]!.collision[0]!.indices));
    expect(back.objects[0]!.pose).toEqual(s.objects[0]!.pose);
    expect(back.objects[0]!.inertia).toEqual(s.objects[0]!.inertia);
    expect(back.camera).toEqual(s.camera);
    expect(back.reports).toEqual(s.reports);
    expect(back.meta).toEqual({ seed: 7 });
    // deterministic text, and stable under a second round trip
    expect(sceneToJson(back)).toBe(text);
  });

  it('stores typed arrays as little-endian base64 with dtype and length', () => {
    const json = JSON.parse(sceneToJson(scene())) as { objects: { mesh: { indices: { dtype: string; length: number; base64: string } } }[] };
    const idx = json.objects[0]!.mesh.indices;
    expect(idx.dtype).toBe('uint32');
    expect(idx.length).toBe(36);
    const bytes = Buffer.from(idx.base64, 'base64');
    expect(bytes.readUInt32LE(4)).toBe(1);
  });

  it('refuses a future version with a message saying to upgrade', () => {
    const o = JSON.parse(sceneToJson(scene())) as Record<string, unknown>;
    o['version'] = SCENE_VERSION + 1;
    expectError(() => sceneFromJson(JSON.stringify(o)), 'BAD_SCENE', new RegExp(`version ${SCENE_VERSION + 1}.*up to ${SCENE_VERSION}: upgrade`));
  });

  it('refuses a missing version, invalid JSON and cut-short files', () => {
    expectError(() => sceneFromJson('{"frameId":"world","objects":[]}'), 'BAD_SCENE', /no valid 'version'/);
    const text = sceneToJson(scene());
    expectError(() => sceneFromJson(text.slice(0, text.length / 2)), 'BAD_SCENE', /not valid JSON/);
  });

  it('lists every structural problem with its path', () => {
    const o = JSON.parse(sceneToJson(scene())) as { objects: Record<string, unknown>[] };
    o.objects[0]!['mass'] = -1;
    o.objects[1]!['id'] = 'box_1';
    (o.objects[1]!['pose'] as Record<string, unknown>)['position'] = [0, 'x', 0];
    (o.objects[0]!['mesh'] as Record<string, { length: number; base64: string }>)['indices']!.length = 35;
    let err: Real2SimError | undefined;
    try {
      sceneFromJson(JSON.stringify(o));
    } catch (e) {
      err = e as Real2SimError;
    }
    expect(err?.code).toBe('BAD_SCENE');
    expect(err?.message).toMatch(/objects\[0\]\.mesh\.indices/);

    const o2 = JSON.parse(sceneToJson(scene())) as { objects: Record<string, unknown>[] };
    o2.objects[0]!['mass'] = -1;
    o2.objects[1]!['id'] = 'box_1';
    (o2.objects[1]!['pose'] as Record<string, unknown>)['position'] = [0, 'x', 0];
    expectError(() => sceneFromJson(JSON.stringify(o2)), 'BAD_SCENE', /objects\[0\]\.mass: must be a finite number ≥ 0[\s\S]*objects\[1\]\.id: 'box_1' is used[\s\S]*objects\[1\]\.pose\.position/);
  });

  it('says what each wrong field must be and what it holds, in the order of the fields', () => {
    const o = JSON.parse(sceneToJson(scene())) as Record<string, unknown> & { objects: Record<string, unknown>[] };
    o['support'] = null;
    (o.objects[0]!['pose'] as Record<string, unknown>)['orientation'] = [0, 0, 0, 0];
    o.objects[0]!['size'] = [0.1, 'x', 0.1];
    o.objects[1]!['inertia'] = { ixx: 1 };
    expectError(
      () => sceneFromJson(JSON.stringify(o)),
      'BAD_SCENE',
      new RegExp(
        [
          'scene.json is invalid:',
          '  objects\\[0\\]\\.pose\\.orientation: is a zero quaternion .*',
          '  objects\\[0\\]\\.size: must be an array of 3 finite numbers, got \\[0\\.1, "x", 0\\.1\\]',
          '  objects\\[1\\]\\.inertia\\.ixy: must be a finite number, got nothing',
        ].join('\\n'),
      ),
    );
    // a null support was a TypeError before the shape was checked by the schema
    expect(() => sceneFromJson(JSON.stringify(o))).toThrow(/support: must be a map, got null/);
  });

  it('docs/scene.schema.json is the one generated from src/io/sceneJson.ts (run `npm run schemas` after changing it)', () => {
    const file = JSON.parse(readFileSync(join(import.meta.dirname, '../../docs/scene.schema.json'), 'utf8')) as unknown;
    expect(file).toEqual(sceneJsonSchema());
  });

  it('refuses to write a scene with a NaN pose', () => {
    const s = scene();
    s.objects[0]!.pose.position[0] = NaN;
    expectError(() => sceneToJson(s), 'BAD_SCENE', /objects\[0\]\.pose\.position/);
  });
});
