/**
 * Import of research-model outputs built from synthetic scenes (seeds in the test names):
 * SceneMaker folder, MIDI-3D scene GLB, SAM 3D Objects result → metric scenes; with depth, every
 * object's size within 5 % of the truth; the validated, exported bundles pass the validators.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeBundle } from '../../src/export/bundle.ts';
import { toMetricScene, type MetricReference } from '../../src/import/metric.ts';
import { readMidiGlb } from '../../src/import/midi.ts';
import { readSam3d } from '../../src/import/sam3d.ts';
import { readSceneMaker } from '../../src/import/scenemaker.ts';
import type { Scene, SceneObject } from '../../src/model/scene.ts';
import { invertPose, transformPoint, transformPositions } from '../../src/model/pose.ts';
import { boxOf } from '../../src/stages/place.ts';
import type { GeneratedScene } from '../../src/import/common.ts';
import { checkSdf, checkUrdf, mujocoCompile, skipWithout } from '../export/validators.ts';
import { midiGlb, synth, writeSam3d, writeSceneMaker } from './fixtures.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'r2s-import-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Imported objects keep the generated order; the generated names are the truth ids. */
function pairs(scene: Scene, gen: GeneratedScene, truth: Scene): [SceneObject, SceneObject][] {
  expect(scene.objects).toHaveLength(truth.objects.length);
  return gen.objects.map((g, i) => [scene.objects[i]!, truth.objects.find((t) => t.id === g.name)!]);
}

/** The truth measured the way the importer measures: the gravity-aligned box of the world mesh. */
function truthBox(t: SceneObject) {
  return boxOf({ positions: transformPositions(t.pose, t.mesh.positions), indices: t.mesh.indices });
}

function expectSizes(scene: Scene, gen: GeneratedScene, truth: Scene, tolerance: number): number {
  let worst = 0;
  for (const [got, t] of pairs(scene, gen, truth)) {
    expect(got.label).toBe(t.label);
    const want = truthBox(t).size;
    for (let k = 0; k < 3; k++) {
      const err = Math.abs(got.size[k]! - want[k]!) / want[k]!;
      worst = Math.max(worst, err);
      expect(err, `${t.id} axis ${k}: ${got.size[k]} vs ${want[k]}`).toBeLessThan(tolerance);
    }
  }
  return worst;
}

function expectPositions(scene: Scene, gen: GeneratedScene, truth: Scene, tolerance: number): void {
  // the two world frames differ (ours sits at the camera's foot): compare in the camera frame
  const inOptical = (s: Scene, p: [number, number, number]) => transformPoint(invertPose(s.camera!.pose), p);
  for (const [got, t] of pairs(scene, gen, truth)) {
    const want = inOptical(truth, truthBox(t).pose.position);
    const have = inOptical(scene, got.pose.position);
    expect(Math.hypot(...have.map((p, k) => p - want[k]!)), t.id).toBeLessThan(tolerance);
  }
}

async function validateAndExport(scene: Scene, name: string): Promise<void> {
  const sim = await import('../../sim/index.ts');
  const { scene: checked, report } = await sim.validateAndRepair(scene);
  expect(['valid', 'repaired']).toContain(report.verdict);
  const dir = join(tmp, name);
  await writeBundle(dir, checked);
  if (!skipWithout('check_urdf')) expect(checkUrdf(join(dir, 'scene.urdf')).ok).toBe(true);
  if (!skipWithout('ign')) expect(checkSdf(join(dir, 'scene.sdf')).ok).toBe(true);
  if (!skipWithout('mujoco-compile')) expect(mujocoCompile(join(dir, 'scene.xml'), join(tmp, `${name}.mjb`)).ok).toBe(true);
}

// Seeds without spheres: a registered polyhedral sphere sits on one vertex within a millimetre of
// where the truth sits and rolls a few cm when settled, which physics validation flags (toppled).
describe('with depth: scaled registration to the observed points', () => {
  for (const seed of [11, 12]) {
    test(`SceneMaker folder, seed ${seed}: sizes within 5 %, placed within 2 cm, bundle valid`, async () => {
      const s = synth(seed);
      const dir = join(tmp, `sm${seed}`);
      await writeSceneMaker(s, dir);
      const gen = await readSceneMaker(dir);
      const scene = await toMetricScene(gen, { reference: { kind: 'depth', frame: s.frame } });
      const worst = expectSizes(scene, gen, s.scene, 0.05);
      expectPositions(scene, gen, s.scene, 0.02);
      expect(scene.reports[0]!.counts['fitness']).toBeGreaterThan(0.9);
      expect(worst).toBeLessThan(0.05);
      await validateAndExport(scene, `sm${seed}-bundle`);
    }, 60_000);
  }

  test('MIDI-3D scene GLB, seed 21: one node per object (node transforms applied), sizes within 5 %', async () => {
    const s = synth(21);
    const gen = await readMidiGlb(await midiGlb(s), { labels: s.scene.objects.map((o) => o.label) });
    expect(gen.objects.map((o) => o.name)).toEqual(s.scene.objects.map((o) => o.id));
    const scene = await toMetricScene(gen, { reference: { kind: 'depth', frame: s.frame } });
    expectSizes(scene, gen, s.scene, 0.05);
    expectPositions(scene, gen, s.scene, 0.02);
    await validateAndExport(scene, 'midi21');
  }, 60_000);

  test('SAM 3D result, seed 22: a 15 % metric error in the result is corrected by the depth', async () => {
    const s = synth(22);
    const dir = join(tmp, 'sam22');
    await writeSam3d(s, dir, 1.15);
    const gen = await readSam3d(dir);
    const scene = await toMetricScene(gen, { reference: { kind: 'depth', frame: s.frame } });
    expectSizes(scene, gen, s.scene, 0.05);
    expectPositions(scene, gen, s.scene, 0.02);
    await validateAndExport(scene, 'sam22-bundle');
  }, 60_000);
});

describe('without depth: a user reference', () => {
  test('SceneMaker, seed 15: one known object size scales the scene; objects rest on z = 0', async () => {
    const s = synth(15);
    const dir = join(tmp, 'sm15');
    await writeSceneMaker(s, dir);
    const gen = await readSceneMaker(dir);
    const first = s.scene.objects[0]!;
    const ref: MetricReference = { kind: 'objectSize', object: first.id, metres: Math.max(...first.size) };
    const scene = await toMetricScene(gen, { reference: ref });
    expectSizes(scene, gen, s.scene, 0.01);
    expect(Math.min(...scene.objects.map((o) => o.pose.position[2] - o.size[2] / 2))).toBeCloseTo(0, 4);
    await validateAndExport(scene, 'sm15-bundle');
  }, 60_000);

  test('SAM 3D, seed 16: the camera height (and pitch) set scale and placement', async () => {
    const s = synth(16);
    const dir = join(tmp, 'sam16');
    const pitch = await writeSam3d(s, dir, 1.3);
    const gen = await readSam3d(dir, { pitchRad: pitch });
    const scene = await toMetricScene(gen, { reference: { kind: 'cameraHeight', metres: s.scene.camera!.pose.position[2] } });
    expectSizes(scene, gen, s.scene, 0.01);
    await validateAndExport(scene, 'sam16-bundle');
  }, 60_000);

  test('a camera height cannot scale a MIDI scene (no camera in it): a clear error', async () => {
    const s = synth(17);
    const gen: GeneratedScene = await readMidiGlb(await midiGlb(s));
    await expect(toMetricScene(gen, { reference: { kind: 'cameraHeight', metres: 1.2 } })).rejects.toThrow(/does not say where the camera is.*--object-size/);
  });
});

describe('bad input', () => {
  test('a pose.json with a broken transform lists the problem; a mesh path outside the folder is refused', async () => {
    const dir = join(tmp, 'bad');
    await writeSceneMaker(synth(18), dir);
    await writeFile(join(dir, 'pose.json'), JSON.stringify({ objects: [{ name: 'a', transform: [1, 2, 3], scale: -1 }] }));
    await expect(readSceneMaker(dir)).rejects.toThrow(/objects\[0\]\.transform: must be a 4×4 matrix[\s\S]*objects\[0\]\.scale: must be a positive number/);
    await writeFile(
      join(dir, 'pose.json'),
      JSON.stringify({
        objects: [
          {
            name: 'a',
            mesh: '../../etc/passwd',
            transform: [
              [1, 0, 0, 0],
              [0, 1, 0, 0],
              [0, 0, 1, 0],
              [0, 0, 0, 1],
            ],
            scale: 1,
          },
        ],
      }),
    );
    await expect(readSceneMaker(dir)).rejects.toThrow(/points outside the SceneMaker folder/);
  });

  test('a GLB that is not a GLB is a BAD_MESH error, not a crash', async () => {
    await expect(readMidiGlb(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).rejects.toMatchObject({ code: 'BAD_MESH' });
  });
});

test('a SAM 3D pose file that is not JSON, or lacks fields, is a BAD_FILE error naming the file', async () => {
  const dir = join(tmp, 'badsam');
  await writeSam3d(synth(24), dir);
  await writeFile(join(dir, 'zz.json'), '{not json');
  await expect(readSam3d(dir)).rejects.toMatchObject({ code: 'BAD_FILE', message: expect.stringMatching(/zz\.json is not readable JSON/) as unknown });
  await writeFile(join(dir, 'zz.json'), JSON.stringify({ rotation: [1, 0, 0], scale: 0 }));
  await expect(readSam3d(dir)).rejects.toThrow(/zz\.json is invalid:\n {2}rotation: must be a quaternion[\s\S]*translation: must hold 3 numbers[\s\S]*scale: must be one positive number/);
});
