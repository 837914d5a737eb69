import { describe, expect, it } from 'vitest';
import { reconstruct, reconstructDetailed } from '../src/pipeline.ts';
import { checkFrame, type RgbdFrame } from '../src/model/frame.ts';
import { composePoses, invertPose, transformPoint } from '../src/model/pose.ts';
import { isPhysicalInertia } from '../src/geometry/massProperties.ts';
import { generateSynthScene } from '../src/synth/synth.ts';
import { renderFixture, type Solid } from './stages/fixtures.ts';
import { closedOrientedProblems } from './stages/meshChecks.ts';
import type { DepthBackend } from '../src/stages/backends.ts';

const SOLIDS: Solid[] = [
  { kind: 'box', id: 1, centre: [0, 0, 0.05], size: [0.2, 0.1, 0.1], yaw: 0.4 },
  { kind: 'cylinder', id: 2, centre: [0.1, 0.22, 0.06], radius: 0.04, height: 0.12 },
  { kind: 'sphere', id: 3, centre: [0.15, -0.2, 0.05], radius: 0.05 },
];

describe('reconstruct pipeline', () => {
  it('fixture with given masks: every object metric, posed, closed, with mass and inertia; reports in stage order', async () => {
    const { frame, cameraPose } = renderFixture(SOLIDS, { width: 400, height: 300 });
    const progress: string[] = [];
    const scene = await reconstruct(frame, { onProgress: (s, f) => progress.push(`${s}:${f}`) });
    expect(scene.reports.map((r) => r.stage)).toEqual(['perceive', 'lift', 'ground', 'shape', 'place', 'compose']);
    expect(progress).toContain('compose:1');
    expect(scene.objects.map((o) => o.instanceId)).toEqual([1, 2, 3]);
    // our world and the fixture's differ by a yaw and a shift on the floor: compare via the camera
    const align = composePoses(cameraPose, invertPose(scene.camera!.pose));
    for (const o of scene.objects) {
      const s = SOLIDS.find((x) => x.id === o.instanceId)!;
      const c = transformPoint(align, o.pose.position);
      expect(Math.hypot(c[0] - s.centre[0], c[1] - s.centre[1], c[2] - s.centre[2])).toBeLessThan(0.006);
      expect(closedOrientedProblems(o.mesh)).toEqual([]);
      expect(o.mass).toBeGreaterThan(0);
      expect(isPhysicalInertia(o.inertia)).toBe(true);
      expect(o.collision.length).toBeGreaterThanOrEqual(1);
    }
    const box = scene.objects[0]!;
    expect(box.size[0]).toBeCloseTo(0.2, 2);
    expect(box.size[1]).toBeCloseTo(0.1, 2);
    expect(box.size[2]).toBeCloseTo(0.1, 3);
    expect(scene.support).toEqual({ normal: [0, 0, 1], d: 0 });
  });

  it('synthetic scene seed 3, given masks: median centre error under 5 mm', async () => {
    // primitives only: the same scene whether or not ../shared/data (mesh files) is beside the checkout
    const { scene: truth, frame } = generateSynthScene({ seed: 3, sharedMeshesDir: null });
    const pred = await reconstruct(frame);
    const align = composePoses(truth.camera!.pose, invertPose(pred.camera!.pose));
    // objects the camera does not see at all (fully occluded) cannot be reconstructed
    const seen = new Set(frame.masks!.data);
    const visible = truth.objects.filter((t) => seen.has(t.instanceId!));
    expect(visible.length).toBeGreaterThanOrEqual(2);
    const errs = visible.map((t) => {
      const p = pred.objects.find((o) => o.instanceId === t.instanceId);
      if (!p) return Infinity; // a missed object counts as the worst error
      const c = transformPoint(align, p.pose.position);
      return Math.hypot(c[0] - t.pose.position[0], c[1] - t.pose.position[1], c[2] - t.pose.position[2]);
    });
    errs.sort((a, b) => a - b);
    expect(errs[errs.length >> 1]).toBeLessThan(0.005);
  });

  it('a frame without depth, depth from a depth backend (the one pipeline, single-image configuration): median centre error under 1 cm', async () => {
    const { scene: truth, frame } = generateSynthScene({ seed: 3, sharedMeshesDir: null });
    const { depth: sensor, camera, ...colourOnly } = frame;
    // a "model" that answers the sensor's depth and intrinsics: what the CPU stages make of a
    // model's depth, with no sensor filtering in lift, against the generator's ground truth
    const depthBackend: DepthBackend = { name: 'sensor', estimate: () => Promise.resolve({ depth: sensor!, camera }) };
    const rec = await reconstructDetailed(colourOnly, { depth: depthBackend });
    const pred = rec.scene;
    expect(rec.depth).toBe(sensor);
    expect(pred.meta).toMatchObject({ source: 'single-image', backends: { depth: 'sensor' } });
    expect(pred.reports[0]).toMatchObject({ stage: 'perceive', backend: 'sensor+given', counts: { intrinsicsEstimated: 1 } });
    expect(pred.reports[1]!.counts['outliers']).toBe(0);
    const align = composePoses(truth.camera!.pose, invertPose(pred.camera!.pose));
    const seen = new Set(frame.masks!.data);
    const visible = truth.objects.filter((t) => seen.has(t.instanceId!));
    const errs = visible.map((t) => {
      const p = pred.objects.find((o) => o.instanceId === t.instanceId);
      if (!p) return Infinity;
      const c = transformPoint(align, p.pose.position);
      return Math.hypot(c[0] - t.pose.position[0], c[1] - t.pose.position[1], c[2] - t.pose.position[2]);
    });
    errs.sort((a, b) => a - b);
    expect(errs[errs.length >> 1]).toBeLessThan(0.01);
    // without a depth backend the same frame is refused, naming what is missing
    await expect(reconstructDetailed(colourOnly)).rejects.toMatchObject({ code: 'BAD_DEPTH' });
  });

  it('geometric segmentation when no masks are given', async () => {
    const { frame } = renderFixture(SOLIDS, { width: 400, height: 300 });
    const { masks: _none, ...noMasks } = frame;
    // onMasks: called once, before lift, with the masks the result carries
    const seen: { masks: unknown; stagesDone: string[] }[] = [];
    const done: string[] = [];
    const { scene, masks } = await reconstructDetailed(noMasks, {
      onProgress: (stage, f) => void (f >= 1 && done.push(stage)),
      onMasks: (m) => seen.push({ masks: m, stagesDone: [...done] }),
    });
    expect(scene.reports[0]!.backend).toBe('geometric');
    expect(scene.objects.length).toBe(3);
    expect(seen.length).toBe(1);
    expect(seen[0]!.masks).toBe(masks);
    expect(seen[0]!.stagesDone).toEqual(['ground', 'perceive']);
  });

  describe('bad input: a clear error or a stage warning, never a crash or a degenerate mesh', () => {
    const base = () => renderFixture(SOLIDS, { width: 160, height: 120 }).frame;

    it('all-invalid depth', async () => {
      const f = base();
      f.depth!.data.fill(0);
      await expect(reconstruct(f)).rejects.toMatchObject({ code: 'BAD_DEPTH', message: expect.stringMatching(/no valid pixel/) as unknown });
    });

    it('NaN and ±Inf depth count as no data, with a warning', async () => {
      const f = renderFixture(SOLIDS, { width: 320, height: 240 }).frame;
      for (let i = 0; i < f.depth!.data.length; i += 7) f.depth!.data[i] = i % 2 ? Number.NaN : Number.POSITIVE_INFINITY;
      const scene = await reconstruct(f);
      expect(scene.objects.length).toBe(3);
      expect(scene.reports.find((r) => r.stage === 'ground')!.warnings.join()).toMatch(/NaN or ±Inf/);
      for (const o of scene.objects) expect(closedOrientedProblems(o.mesh)).toEqual([]);
    });

    it('no depth at all', async () => {
      const { depth: _d, ...f } = base();
      await expect(reconstruct(f)).rejects.toMatchObject({ code: 'BAD_DEPTH' });
    });

    it('a frame with no plane', async () => {
      const { frame } = renderFixture([{ kind: 'sphere', id: 1, centre: [0, 0, 0.3], radius: 0.6 }], { floor: false, camHeight: 0.3, pitch: 0, width: 160, height: 120 });
      await expect(reconstruct(frame)).rejects.toMatchObject({ code: 'NO_PLANE' });
    });

    it('a mask that covers one pixel and a mask label with no depth', async () => {
      const f = renderFixture(SOLIDS, { width: 320, height: 240 }).frame;
      const m = f.masks!;
      const floorPixel = m.data.length - 1 - [...m.data].reverse().findIndex((v) => v === 0);
      m.data[floorPixel] = 9; // one pixel
      for (let i = 0; i < 60; i++) {
        m.data[i] = 8; // a strip along the top row with no depth under it
        f.depth!.data[i] = 0;
      }
      m.labels.set(8, 'ghost');
      const scene = await reconstruct(f);
      expect(scene.objects.map((o) => o.instanceId)).toEqual([1, 2, 3]);
      const warnings = scene.reports.flatMap((r) => r.warnings).join('\n');
      expect(warnings).toMatch(/mask 9 covers 1 pixel/);
      expect(warnings).toMatch(/object 8 \(ghost\): 0 usable depth points/);
    });

    it('intrinsics that do not match the image size', async () => {
      const f = base();
      f.camera = { ...f.camera, width: 640, height: 480 };
      await expect(reconstruct(f)).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    });

    it('a 100-megapixel image is refused before anything is allocated', async () => {
      // the images claim 10000×10000 but carry no pixels: checkFrame must refuse on the header alone
      const huge: RgbdFrame = {
        color: { width: 10000, height: 10000, encoding: 'rgb8', data: new Uint8Array(0) },
        depth: { width: 10000, height: 10000, data: new Float32Array(0) },
        camera: { width: 10000, height: 10000, fx: 5000, fy: 5000, cx: 5000, cy: 5000 },
      };
      expect(() => checkFrame(huge)).toThrow(/100\.0 MP/);
      await expect(reconstruct(huge)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    });
  });
});
