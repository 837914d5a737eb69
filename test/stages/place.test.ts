import { describe, expect, it } from 'vitest';
import { boxOf, place, toObjectFrame } from '../../src/stages/place.ts';
import { boxMesh, cylinderMesh, translateMesh } from '../../src/geometry/primitives.ts';
import { quatFromYaw, rpyFromQuat, transformPositions } from '../../src/model/pose.ts';
import { boundsOf } from '../../src/model/geometry.ts';
import { createRng } from '../../src/geometry/random.ts';
import { makeLShape, makeMug } from '../../src/synth/shapes.ts';
import { yawDifferenceDeg } from '../../src/eval/metrics.ts';
import type { PoseBackend, PoseEstimate } from '../../src/stages/backends.ts';

describe('place stage', () => {
  it('recovers yaw, centre and extents of a turned box, x along its longer side (seeded yaws 1..20)', () => {
    const rng = createRng(1);
    for (let k = 0; k < 20; k++) {
      const yaw = rng.range(-Math.PI / 2 + 0.01, Math.PI / 2);
      const mesh = { positions: transformPositions({ position: [0.3, -0.2, 0.04], orientation: quatFromYaw(yaw) }, boxMesh(0.2, 0.1, 0.08).positions), indices: boxMesh(0.2, 0.1, 0.08).indices };
      const { pose, size, symmetry } = boxOf(mesh);
      expect(size[0]).toBeCloseTo(0.2, 5);
      expect(size[1]).toBeCloseTo(0.1, 5);
      expect(size[2]).toBeCloseTo(0.08, 5);
      expect(pose.position[0]).toBeCloseTo(0.3, 5);
      expect(pose.position[2]).toBeCloseTo(0.04, 5);
      const d = Math.abs(rpyFromQuat(pose.orientation)[2] - yaw);
      expect(Math.min(d, Math.PI - d)).toBeLessThan(1e-4);
      expect(symmetry).toBe('rot2');
    }
  });

  it('calls a cylinder round and puts the object frame at the box centre', async () => {
    const cyl = translateMesh(cylinderMesh(0.05, 0.2, 48), 1, 2, 0.1);
    const lifted = { id: 3, label: 'can', pixels: new Uint32Array(), cloud: { positions: new Float32Array() }, maskPixels: 0 };
    const { output } = await place()({ objects: [lifted], shapes: [{ id: 3, mesh: cyl, frame: 'world' }] });
    const o = output.objects[0]!;
    expect(o.symmetry).toBe('continuous');
    const b = boundsOf(o.mesh.positions);
    for (let k = 0; k < 3; k++) expect((b.min[k]! + b.max[k]!) / 2).toBeCloseTo(0, 4);
    expect(o.size[2]).toBeCloseTo(0.2, 5);
    // object frame → world reproduces the world mesh
    const back = transformPositions(o.pose, o.mesh.positions);
    for (let i = 0; i < 30; i++) expect(back[i]).toBeCloseTo(cyl.positions[i]!, 5);
    expect(toObjectFrame(cyl, o.pose).positions.length).toBe(cyl.positions.length);
  });
});

describe('place stage: yaw of objects with no half-turn symmetry', () => {
  // the generator's truth frames (src/synth/shapes.ts): a mug's handle on +x, an L's open corner at +x+y
  const turned = (m: { positions: Float32Array; indices: Uint32Array }, yaw: number) => ({
    positions: transformPositions({ position: [0.4, 0.1, 0.1], orientation: quatFromYaw(yaw) }, m.positions),
    indices: m.indices,
  });
  const yawDeg = (q: [number, number, number, number]) => (rpyFromQuat(q)[2] * 180) / Math.PI;

  it('a mug: x points at the handle, whatever the turn (12 mugs, seeded yaws over the whole turn)', () => {
    const rng = createRng(7);
    for (let k = 0; k < 12; k++) {
      const mug = makeMug(rng);
      const yaw = rng.range(-Math.PI, Math.PI);
      const { pose, symmetry } = boxOf(turned(mug.mesh, yaw));
      expect(symmetry).toBe('none');
      expect(yawDifferenceDeg(yawDeg(pose.orientation), (yaw * 180) / Math.PI, 360)).toBeLessThan(3);
    }
  });

  it('an L, lying or standing: the frame whose x and y point away from the solid centroid (12 Ls)', () => {
    const rng = createRng(11);
    for (let k = 0; k < 12; k++) {
      const l = makeLShape(rng);
      const yaw = rng.range(-Math.PI, Math.PI);
      const { pose, size, symmetry } = boxOf(turned(l.mesh, yaw));
      expect(symmetry).toBe('none');
      expect(yawDifferenceDeg(yawDeg(pose.orientation), (yaw * 180) / Math.PI, 360)).toBeLessThan(1);
      for (let a = 0; a < 3; a++) expect(size[a]).toBeCloseTo(l.size[a]!, 4);
    }
  });

  it('a box stays a box: half-turn symmetric, x along its longer side', () => {
    const b = boxMesh(0.3, 0.12, 0.05);
    const { symmetry, size } = boxOf(turned(b, 2.5));
    expect(symmetry).toBe('rot2');
    expect(size[0]).toBeCloseTo(0.3, 5);
  });
});

describe('place stage: canonical meshes (learned shape backends)', () => {
  it('fits a unit canonical mesh to partial observations by scaled ICP over yaw hypotheses (seed 5)', async () => {
    const { fitCanonical } = await import('../../src/stages/place.ts');
    const { latheMesh } = await import('../../src/geometry/primitives.ts');
    // an asymmetric-ish canonical shape: a tapered cup, unit height, in its own frame
    const canonical = latheMesh(
      [
        [0, -0.5],
        [0.3, -0.5],
        [0.45, 0.5],
        [0, 0.5],
      ],
      32,
    );
    // the truth: scaled 0.2, turned 0.7 rad, standing at (1, −0.5) on the floor
    const truthPose = { position: [1, -0.5, 0.1] as [number, number, number], orientation: quatFromYaw(0.7) };
    const scaled = { positions: canonical.positions.map((v) => v * 0.2), indices: canonical.indices };
    const { sampleSurface } = await import('../../src/eval/metrics.ts');
    const world = transformPositions(truthPose, sampleSurface(scaled, 3000, createRng(5)));
    // observe only the half facing −x (a camera on that side)
    const rng = createRng(5);
    const seen: number[] = [];
    for (let i = 0; i < world.length; i += 3) if (world[i]! < 1.0 + 0.01 * rng.next()) seen.push(world[i]!, world[i + 1]!, world[i + 2]!);
    const { mesh, rmse } = fitCanonical(canonical, Float32Array.from(seen));
    expect(rmse).toBeLessThan(0.006); // the model is sampled ~3 mm apart
    const b = boundsOf(mesh.positions);
    expect(Math.abs(b.max[2] - b.min[2] - 0.2)).toBeLessThan(0.012); // scale from a half view: within 6 %
    expect((b.max[0] + b.min[0]) / 2).toBeCloseTo(1, 2);
    expect((b.max[1] + b.min[1]) / 2).toBeCloseTo(-0.5, 2);
  });

  it('with a pose backend: one call for every canonical mesh; its pose and per-axis scale are the object, a world mesh keeps the box path, a bad scale is skipped', async () => {
    const canonical = boxMesh(1, 1, 1);
    const points = (x: number) => ({ id: 0, label: '', pixels: new Uint32Array(), cloud: { positions: new Float32Array() }, maskPixels: 0, world: Float32Array.from([x, 0, 0.05, x + 0.01, 0, 0.05]) });
    const lifted = [
      { ...points(1), id: 1, label: 'posed' },
      { ...points(2), id: 2, label: 'bad scale' },
      { ...points(3), id: 3, label: 'already placed' },
    ];
    const placedWorld = translateMesh(boxMesh(0.1, 0.1, 0.1), 3, 0, 0.05);
    const calls: string[][] = [];
    const pose: PoseBackend = {
      name: 'model',
      estimate: (input) => {
        calls.push(input.objects.map((o) => o.id));
        expect(input.camera.fx).toBe(500);
        return Promise.resolve(
          input.objects.map((o): PoseEstimate => ({
            id: o.id,
            pose: { position: [Number(o.id), 0, 0.1] as [number, number, number], orientation: quatFromYaw(0.3) },
            scale: o.id === '2' ? [0.1, -0.1, 0.1] : [0.3, 0.2, 0.1],
          })),
        );
      },
    };
    const { output, report } = await place(
      {},
      pose,
    )({
      objects: lifted,
      shapes: [
        { id: 1, mesh: canonical, frame: 'canonical' },
        { id: 2, mesh: canonical, frame: 'canonical' },
        { id: 3, mesh: placedWorld, frame: 'world' },
      ],
      view: { camera: { width: 64, height: 48, fx: 500, fy: 500, cx: 32, cy: 24 }, cameraPose: { position: [0, 0, 1], orientation: [0, 0, 0, 1] } },
    });
    expect(calls).toEqual([['1', '2']]);
    expect(report.backend).toBe('model');
    expect(output.objects.map((o) => o.label)).toEqual(['posed', 'already placed']);
    const [posed, box] = output.objects;
    expect(posed!.pose.position).toEqual([1, 0, 0.1]);
    for (const [k, v] of [0.3, 0.2, 0.1].entries()) expect(posed!.size[k]).toBeCloseTo(v, 6);
    expect(box!.size[0]).toBeCloseTo(0.1, 5);
    expect(box!.pose.position[0]).toBeCloseTo(3, 5);
    expect(report.warnings).toEqual(['object 2 (bad scale): the pose backend gave scale 0.1, -0.1, 0.1; skipped']);
  });
});
