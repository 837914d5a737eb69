import { describe, expect, it } from 'vitest';
import { massProperties } from '../../src/geometry/massProperties.ts';
import { boundsOf } from '../../src/model/geometry.ts';
import { composePoses, invertPose, transformPoint, transformPositions } from '../../src/model/pose.ts';
import type { ShapeView } from '../../src/stages/backends.ts';
import { ground } from '../../src/stages/ground.ts';
import { lift } from '../../src/stages/lift.ts';
import { organizedCloud } from '../../src/stages/organized.ts';
import { collectInstances } from '../../src/stages/perceive.ts';
import { shape } from '../../src/stages/shape.ts';
import type { ShapeInput, ShapeResult } from '../../src/stages/backends.ts';
import type { LiftedObject } from '../../src/stages/lift.ts';
import { boxMesh, translateMesh } from '../../src/geometry/primitives.ts';
import { geometricShapeBackend } from '../../src/stages/shapeGeometric.ts';
import { renderFixture, type Solid } from './fixtures.ts';

/**
 * Completion bounded by what an object stands on and by its neighbours, checked against the
 * rendered solids (the truth), on views where the depth beyond the objects is cropped away as in
 * OSD/mOSD: no free space behind an object to stop a mirrored back.
 */
async function observe(solids: Solid[], crop: (id: number) => boolean) {
  const { frame, cameraPose } = renderFixture(solids, { width: 320, height: 240, camHeight: 0.6, pitch: 0.75, camXY: [-0.55, 0.05] });
  const cloud0 = organizedCloud(frame.depth!, frame.camera);
  const objectPixels = Uint8Array.from(frame.masks!.data, (v) => (v ? 1 : 0));
  const g = await ground()({ cloud: cloud0, objectPixels });
  // the depth beyond the silhouettes: only the pixels `crop` keeps
  const depth = { ...frame.depth!, data: Float32Array.from(frame.depth!.data, (d, i) => (crop(frame.masks!.data[i]!) ? d : 0)) };
  const cloud = organizedCloud(depth, frame.camera);
  const l = await lift()({ cloud, masks: frame.masks!, instances: collectInstances(frame.masks!, 1), cameraPose: g.output.cameraPose, heightOf: g.output.heightOf });
  const view: ShapeView = { depth, camera: frame.camera, cameraPose: g.output.cameraPose };
  // the pipeline's world frame (support at z = 0) → the fixture's, where the truth is
  const toFixture = composePoses(cameraPose, invertPose(g.output.cameraPose));
  return { objects: l.output.objects, view, toFixture, toWorld: invertPose(toFixture) };
}

describe('completion bounded by the support and by neighbours', () => {
  it('a box lying across a narrow pillar keeps its centre of mass over the pillar (restsOnFootprint)', async () => {
    // the box's long side across the view, its back hidden; the pillar 5 cm deep
    const pillar: Solid = { kind: 'box', id: 1, centre: [0, 0, 0.08], size: [0.05, 0.05, 0.16], yaw: 0 };
    const lying: Solid = { kind: 'box', id: 2, centre: [0, 0, 0.185], size: [0.06, 0.16, 0.05], yaw: 0 };
    const { objects, view, toFixture, toWorld } = await observe([pillar, lying], (id) => id !== 0);
    const top = objects.find((o) => o.id === 2)!.world!;
    // the pillar's true footprint, counter-clockwise, in the pipeline's world frame
    const foot = [
      [-0.025, -0.025],
      [0.025, -0.025],
      [0.025, 0.025],
      [-0.025, 0.025],
    ].flatMap(([x, y]) => transformPoint(toWorld, [x!, y!, 0.16]).slice(0, 2));
    const backend = geometricShapeBackend();
    const res = await backend.generateDetailed({ id: '2', label: 'box', points: { positions: top }, view, restsOn: 0.16, restsOnFootprint: foot });
    const mesh = { ...res.mesh, positions: transformPositions(toFixture, res.mesh.positions) };
    const [gx, gy] = massProperties(mesh, 1).centerOfMass;
    expect(Math.abs(gx), `centre of mass x ${gx}`).toBeLessThanOrEqual(0.025);
    expect(Math.abs(gy), `centre of mass y ${gy}`).toBeLessThanOrEqual(0.025);
    // and it stays within the true box's depth (6 cm) and a little noise
    const b = boundsOf(mesh.positions);
    expect(b.max[0] - b.min[0]).toBeLessThan(0.08);
  });

  it('an object whose seen points put its centre of mass past what it rests on: the object below reaches under it (hidden there)', async () => {
    // a 6 cm deep box lying across a 5 cm deep pillar: of the pillar only its front face was
    // seen (x = −0.025) and 1 cm of its side, of the box its front face and its whole top; no
    // view, so no mirror
    const pillar = concat(grid([-0.025, -0.025], [-0.025, 0.025], [0.01, 0.16]), grid([-0.025, 0.025], [-0.015, 0.025], [0.01, 0.16]));
    const box = concat(grid([-0.03, -0.08], [-0.03, 0.08], [0.16, 0.21]), gridTop([-0.03, 0.03], [-0.08, 0.08], 0.21));
    const res = await shape()({ objects: [lifted(1, pillar), lifted(2, box)] });
    const low = boundsOf(res.output.shapes.find((s) => s.id === 1)!.mesh.positions);
    const [gx] = massProperties(res.output.shapes.find((s) => s.id === 2)!.mesh, 1).centerOfMass;
    // the box's centre of mass is over the pillar's completion, which stays within the true pillar
    expect(low.max[0]).toBeGreaterThan(gx);
    expect(low.max[0]).toBeLessThanOrEqual(0.025 + 0.002);
    expect(res.output.shapes.find((s) => s.id === 1)!.method).toContain('reaches under');
  });

  it('neighbours side by side: completions that overlap are cut at the line between what was seen of each (within each true box)', async () => {
    // two boxes 1.5 cm apart in y (true: a in y ∈ [−0.11, −0.01], b in [0.005, 0.105]); a shape
    // backend whose completions reach 4 cm too far towards each other, as mirrored backs did on
    // test45 where nothing in the view stopped them
    const a = concat(grid([-0.05, -0.11], [-0.05, -0.01], [0.01, 0.08]), gridTop([-0.05, 0.05], [-0.11, -0.01], 0.08));
    const b = concat(grid([-0.06, 0.005], [-0.06, 0.105], [0.01, 0.12]), gridTop([-0.06, 0.06], [0.005, 0.105], 0.12));
    const overreaching = {
      name: 'overreaching',
      generate: (input: ShapeInput): Promise<ShapeResult> => {
        const { min, max } = boundsOf(input.points!.positions);
        const grow = input.id === '1' ? [0, 0.04] : [-0.04, 0];
        const lo: [number, number, number] = [min[0], min[1] + grow[0]!, 0],
          hi: [number, number, number] = [max[0], max[1] + grow[1]!, max[2]];
        return Promise.resolve({ mesh: translateMesh(boxMesh(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]), (lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2), frame: 'world' });
      },
    };
    const res = await shape({ backend: overreaching })({ objects: [lifted(1, a), lifted(2, b)] });
    const ba = boundsOf(res.output.shapes.find((s) => s.id === 1)!.mesh.positions),
      bb = boundsOf(res.output.shapes.find((s) => s.id === 2)!.mesh.positions);
    expect(ba.max[1]).toBeLessThanOrEqual(0.005 + 0.001);
    expect(bb.min[1]).toBeGreaterThanOrEqual(-0.01 - 0.001);
    // what was seen of each is kept
    expect(ba.max[1]).toBeGreaterThanOrEqual(-0.01 - 0.001);
    expect(bb.min[1]).toBeLessThanOrEqual(0.005 + 0.001);
    expect(res.output.shapes.map((s) => s.method)).toEqual(['overreaching, cut at a neighbour', 'overreaching, cut at a neighbour']);
  });
});

/** Points on the vertical face x = x0 between two xy corners, every 5 mm, heights z0..z1. */
function grid(p0: [number, number], p1: [number, number], [z0, z1]: [number, number]): Float32Array {
  const out: number[] = [];
  const len = Math.hypot(p1[0] - p0[0], p1[1] - p0[1]);
  for (let s = 0; s <= len + 1e-9; s += 0.005) for (let z = z0; z <= z1 + 1e-9; z += 0.005) out.push(p0[0] + ((p1[0] - p0[0]) * s) / len, p0[1] + ((p1[1] - p0[1]) * s) / len, z);
  return Float32Array.from(out);
}

/** Points on a horizontal rectangle at height z, every 5 mm. */
function gridTop([x0, x1]: [number, number], [y0, y1]: [number, number], z: number): Float32Array {
  const out: number[] = [];
  for (let x = x0; x <= x1 + 1e-9; x += 0.005) for (let y = y0; y <= y1 + 1e-9; y += 0.005) out.push(x, y, z);
  return Float32Array.from(out);
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function lifted(id: number, world: Float32Array): LiftedObject {
  return { id, label: 'box', pixels: new Uint32Array(0), cloud: { positions: world }, world, maskPixels: world.length / 3 };
}
