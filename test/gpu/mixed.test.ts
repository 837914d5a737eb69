/**
 * A mixed configuration of the one pipeline: an RGB-D frame (sensor depth, given masks) with the
 * learned de-occlusion, image-to-3D shape and pose backends of the tiny models, in-process
 * (`onnxBackends`). The pose model's answer is known from its definition (fixed size and yaw), so
 * each object must come out exactly that size and yaw, standing where the generator put it.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { onnxBackends } from '../../src/gpu/backends.ts';
import { loadModelDir } from '../../src/gpu/manifest.ts';
import { ModelRuntime } from '../../src/gpu/runtime.ts';
import { TINY } from '../../src/gpu/tinyModels.ts';
import { composePoses, invertPose, quatAngle, quatFromYaw, transformPoint } from '../../src/model/pose.ts';
import { reconstructDetailed } from '../../src/pipeline.ts';
import { generateSynthScene } from '../../src/synth/synth.ts';
import { tinyModelDir } from './fixtures.ts';

let dir: string;
let runtime: ModelRuntime;
beforeAll(async () => {
  dir = await tinyModelDir();
  runtime = await ModelRuntime.create(await loadModelDir(dir), { intraOpThreads: 1 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('RGB-D frame + learned de-occlusion, shape and pose: every object the pose model’s size and yaw, near its true place', async () => {
  const { scene: truth, frame } = generateSynthScene({ seed: 5, sharedMeshesDir: null, width: 320, height: 240, minObjects: 2, maxObjects: 3, shapes: ['box'] });
  const b = onnxBackends(runtime);
  const calls = { deocclusion: 0, pose: 0 };
  const rec = await reconstructDetailed(frame, {
    deocclusion: { name: b.deocclusion.name, complete: (...a) => (calls.deocclusion++, b.deocclusion.complete(...a)) },
    shape: { backend: b.shape },
    pose: { name: b.pose.name, estimate: (i) => (calls.pose++, b.pose.estimate(i)) },
  });
  const scene = rec.scene;
  expect(scene.meta).toMatchObject({ source: 'rgbd', segmentation: 'given', backends: { deocclusion: 'onnx', shape: 'onnx', pose: 'onnx' } });
  expect(scene.reports.map((r) => [r.stage, r.backend])).toEqual([
    ['perceive', 'given'],
    ['lift', 'depth'],
    ['ground', 'ransac'],
    ['shape', 'onnx+onnx'],
    ['place', 'onnx'],
    ['compose', 'mesh'],
  ]);
  // one de-occlusion per object, one pose call for all of them
  expect(scene.objects.length).toBeGreaterThanOrEqual(2);
  expect(calls).toEqual({ deocclusion: rec.lifted.length, pose: 1 });
  const align = composePoses(truth.camera!.pose, invertPose(scene.camera!.pose));
  for (const obj of scene.objects) {
    for (let k = 0; k < 3; k++) expect(obj.size[k]).toBeCloseTo(TINY.pose.size[k]!, 5);
    expect(quatAngle(obj.pose.orientation, quatFromYaw((TINY.pose.yawDeg * Math.PI) / 180))).toBeLessThan(1e-5);
    // the pose model centres the box over the object's seen points: within a box's size of the truth
    const t = truth.objects.find((o) => o.instanceId === obj.instanceId)!;
    const c = transformPoint(align, obj.pose.position);
    expect(Math.hypot(c[0] - t.pose.position[0], c[1] - t.pose.position[1])).toBeLessThan(0.1);
  }
}, 60_000);
