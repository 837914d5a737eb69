/**
 * Round trips: scene → URDF / SDF / MJCF → importer → the same poses, masses, centres of mass
 * and inertias within 1e-6; and the URDF in urdf-loader (three.js, in Node with linkedom's DOM
 * and a file-reading mesh callback) gives the same link world poses within 1e-6.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHTML } from 'linkedom';
import { Group, Mesh as ThreeMesh, Matrix4, type Object3D } from 'three';
import { OBJLoader } from 'three/examples/jsm/loaders/OBJLoader.js';
import { writeBundle } from '../../src/export/bundle.ts';
import { prepareScene, type ExportObject } from '../../src/export/prepare.ts';
import { fromUrdf } from '../../src/io/readers/urdf.ts';
import { fromSdf } from '../../src/io/readers/sdf.ts';
import { fromMjcf } from '../../src/io/readers/mjcf.ts';
import { generateSynthScene } from '../../src/synth/synth.ts';
import { poseToMat4, quatAngle } from '../../src/model/pose.ts';
import type { Scene, SceneObject } from '../../src/model/scene.ts';
import { fixedScene } from './fixtures.ts';

const work = mkdtempSync(join(tmpdir(), 'r2s-roundtrip-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function maxAbsInertia(o: { inertia: SceneObject['inertia'] }): number {
  const I = o.inertia;
  return Math.max(Math.abs(I.ixx), Math.abs(I.iyy), Math.abs(I.izz));
}

function expectSameObject(got: SceneObject, want: ExportObject, tol = 1e-6): void {
  const tag = `object ${want.name}`;
  for (let k = 0; k < 3; k++) expect(Math.abs(got.pose.position[k]! - want.pose.position[k]!), `${tag} position`).toBeLessThan(tol);
  expect(quatAngle(got.pose.orientation, want.pose.orientation), `${tag} orientation`).toBeLessThan(tol);
  expect(Math.abs(got.mass - want.mass) / want.mass, `${tag} mass`).toBeLessThan(tol);
  for (let k = 0; k < 3; k++) expect(Math.abs(got.centerOfMass[k]! - want.centerOfMass[k]!), `${tag} com`).toBeLessThan(tol);
  const scale = maxAbsInertia(want);
  for (const key of ['ixx', 'ixy', 'ixz', 'iyy', 'iyz', 'izz'] as const) {
    expect(Math.abs(got.inertia[key] - want.inertia[key]) / scale, `${tag} inertia ${key}`).toBeLessThan(tol);
  }
  expect(!!got.isStatic, `${tag} static`).toBe(want.isStatic);
}

const scenes: [string, () => Scene][] = [
  ['fixed scene', fixedScene],
  ...[1, 2, 3, 4, 5].map((seed): [string, () => Scene] => [`synthetic seed=${seed}`, () => generateSynthScene({ seed, width: 32, height: 24 }).scene]),
];

describe('round trips through our importers', () => {
  for (const [name, make] of scenes) {
    it(`${name}: URDF, SDF and MJCF import back to the same poses, masses and inertias (1e-6)`, async () => {
      const scene = make();
      const dir = join(work, name.replace(/\W+/g, '_'));
      await writeBundle(dir, scene, { glb: false });
      const want = prepareScene(scene).objects;
      for (const [file, importer] of [
        ['scene.urdf', fromUrdf],
        ['scene.sdf', fromSdf],
        ['scene.xml', fromMjcf],
      ] as const) {
        const back = await importer(readFileSync(join(dir, file), 'utf8'), { baseDir: dir, fileName: file });
        expect(
          back.objects.map((o) => o.id),
          file,
        ).toEqual(want.map((o) => o.name));
        back.objects.forEach((o, i) => expectSameObject(o, want[i]!));
      }
    });
  }

  it('package:// URIs resolve against the bundle folder', async () => {
    const dir = join(work, 'pkg');
    await writeBundle(dir, fixedScene(), { packageName: 'my_scene', glb: false });
    const text = readFileSync(join(dir, 'scene.urdf'), 'utf8');
    expect(text).toContain('package://my_scene/meshes/');
    const back = await fromUrdf(text, { baseDir: dir, fileName: 'scene.urdf' });
    expect(back.objects.length).toBe(5);
  });
});

describe('urdf-loader (three.js) agrees on link world poses', () => {
  let URDFLoader: typeof import('urdf-loader').default;
  beforeAll(async () => {
    // urdf-loader needs a DOM: linkedom's, installed as globals before the import.
    const { window } = parseHTML('<!doctype html><html></html>');
    const g = globalThis as Record<string, unknown>;
    g['DOMParser'] ??= window.DOMParser;
    g['Document'] ??= window.Document;
    g['Element'] ??= window.Element;
    URDFLoader = (await import('urdf-loader')).default;
  });

  for (const [name, make] of scenes.slice(0, 3)) {
    it(`${name}: every link's matrixWorld matches the object pose within 1e-6`, async () => {
      const scene = make();
      const dir = join(work, `loader_${name.replace(/\W+/g, '_')}`);
      await writeBundle(dir, scene, { glb: false });
      const loader = new URDFLoader();
      let meshes = 0;
      loader.loadMeshCb = (path: string, _manager: unknown, _material: unknown, done: (obj: Object3D, err?: Error) => void) => {
        try {
          const group: Group = new OBJLoader().parse(readFileSync(path, 'utf8'));
          meshes++;
          done(group);
        } catch (e) {
          done(new ThreeMesh(), e as Error);
        }
      };
      loader.workingPath = `${dir}/`;
      loader.parseCollision = true;
      const robot = loader.parse(readFileSync(join(dir, 'scene.urdf'), 'utf8'));
      robot.updateMatrixWorld(true);
      const want = prepareScene(scene).objects;
      // primitives (sphere, box) are no mesh files
      expect(meshes).toBe(want.reduce((n, o) => n + 1 + (o.primitive ? 0 : o.collisionFiles.length), 0));
      for (const o of want) {
        const link = robot.links[o.name];
        expect(link, o.name).toBeDefined();
        const m = new Matrix4().copy(link!.matrixWorld).transpose().elements; // → row-major
        const ours = poseToMat4(o.pose);
        for (let k = 0; k < 16; k++) expect(Math.abs(m[k]! - ours[k]!), `${o.name} [${k}]`).toBeLessThan(1e-6);
      }
    });
  }
});
