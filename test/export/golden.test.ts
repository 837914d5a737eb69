/**
 * Golden files: a small fixed scene written in every format must match `golden/` byte for
 * byte, so any change to the writers shows up in review. After an intended change, rewrite
 * them with `UPDATE_GOLDEN=1 npx vitest run test/export/golden.test.ts` and review the diff.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareScene } from '../../src/export/prepare.ts';
import { toUrdf, toUrdfModel } from '../../src/export/urdf.ts';
import { modelIndex } from '../../src/export/modelIndex.ts';
import { toSdfModel, toSdfWorld } from '../../src/export/sdf.ts';
import { toMjcf } from '../../src/export/mjcf.ts';
import { toGlb } from '../../src/export/glb.ts';
import { encodeObj } from '../../src/io/mesh.ts';
import { boxMesh, cylinderMesh } from '../../src/geometry/primitives.ts';
import { quatFromYaw } from '../../src/model/pose.ts';
import type { Scene } from '../../src/model/scene.ts';
import { makeObject } from './fixtures.ts';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const update = process.env['UPDATE_GOLDEN'] === '1';

function goldenScene(): Scene {
  return {
    version: 1,
    frameId: 'world',
    objects: [
      makeObject('table top', 'table & "top"', boxMesh(0.6, 0.4, 0.03), [0.6, 0.4, 0.03], [0.5, 0, 0.015], [0, 0, 0, 1], 600, { isStatic: true, color: [0.5, 0.35, 0.2] }),
      makeObject('box', 'cracker box', boxMesh(0.06, 0.16, 0.21), [0.06, 0.16, 0.21], [0.4, 0.05, 0.135], quatFromYaw(0.5), 300),
      makeObject('can', 'can', cylinderMesh(0.03, 0.1, 8), [0.06, 0.06, 0.1], [0.6, -0.1, 0.08], [0, 0, 0, 1], 200, { color: [0.9, 0.1, 0.1] }),
    ],
    reports: [],
  };
}

function compare(name: string, actual: string | Uint8Array): void {
  const file = join(goldenDir, name);
  const bytes = typeof actual === 'string' ? Buffer.from(actual, 'utf8') : Buffer.from(actual);
  if (update || !existsSync(file)) {
    if (!update) throw new Error(`golden file ${name} is missing: run with UPDATE_GOLDEN=1 to create it`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    return;
  }
  const want = readFileSync(file);
  if (typeof actual === 'string') expect(actual, `${name} differs from its golden file (UPDATE_GOLDEN=1 if intended)`).toBe(want.toString('utf8'));
  else expect(Buffer.compare(bytes, want), `${name} differs from its golden file (UPDATE_GOLDEN=1 if intended)`).toBe(0);
}

describe('golden files', () => {
  const prep = prepareScene(goldenScene());
  it('URDF', () => compare('scene.urdf', toUrdf(prep)));
  it('URDF with package:// URIs', () => compare('scene_package.urdf', toUrdf(prep, { packageName: 'golden_pkg' })));
  it('SDF world', () => compare('scene.sdf', toSdfWorld(prep)));
  it('SDF standalone model + config', () => {
    const m = toSdfModel(prep.objects[1]!);
    compare('models/box/model.sdf', m.sdf);
    compare('models/box/model.config', m.config);
  });
  it('URDF standalone model + models/index.json', () => {
    compare('models/box/model.urdf', toUrdfModel(prep.objects[1]!));
    compare('models/index.json', modelIndex(prep));
  });
  it('MJCF', () => compare('scene.xml', toMjcf(prep)));
  it('OBJ meshes', () => {
    compare('meshes/box.obj', encodeObj(prep.objects[1]!.visual, 'box'));
    compare('meshes/can_collision_0.obj', encodeObj(prep.objects[2]!.collision[0]!, 'can_collision_0'));
  });
  it('GLB', async () => compare('scene.glb', await toGlb(prep)));
  it('names were sanitised (table top → table_top)', () => expect(prep.objects[0]!.name).toBe('table_top'));
});
