import { describe, expect, it } from 'vitest';
import { geometricShapeBackend } from '../../src/stages/shapeGeometric.ts';
import { kthSmallest } from '../../src/stages/util.ts';
import { meshVolume } from '../../src/geometry/massProperties.ts';
import { boundsOf } from '../../src/model/geometry.ts';
import { ground } from '../../src/stages/ground.ts';
import { lift } from '../../src/stages/lift.ts';
import { organizedCloud } from '../../src/stages/organized.ts';
import { collectInstances } from '../../src/stages/perceive.ts';
import { renderFixture, type Solid } from './fixtures.ts';
import { closedOrientedProblems } from './meshChecks.ts';
import type { ShapeView } from '../../src/stages/backends.ts';

async function observe(solid: Solid, opts = {}) {
  const { frame } = renderFixture([solid], { width: 320, height: 240, camHeight: 0.6, pitch: 0.75, camXY: [-0.55, 0.05], ...opts });
  const cloud = organizedCloud(frame.depth!, frame.camera);
  const objectPixels = Uint8Array.from(frame.masks!.data, (v) => (v ? 1 : 0));
  const g = await ground()({ cloud, objectPixels });
  const l = await lift()({ cloud, masks: frame.masks!, instances: collectInstances(frame.masks!, 1), cameraPose: g.output.cameraPose, heightOf: g.output.heightOf });
  const view: ShapeView = { depth: frame.depth!, camera: frame.camera, cameraPose: g.output.cameraPose };
  return { points: l.output.objects[0]!.world!, view };
}

describe('geometric shape backend', () => {
  const backend = geometricShapeBackend();

  it('an object standing on another extrudes down to it (restsOn), never through it to the support', async () => {
    const solids: Solid[] = [
      { kind: 'box', id: 1, centre: [0, 0, 0.03], size: [0.3, 0.2, 0.06], yaw: 0 },
      { kind: 'box', id: 2, centre: [0.02, 0, 0.1], size: [0.1, 0.1, 0.08], yaw: 0.3 },
    ];
    const { frame } = renderFixture(solids, { width: 320, height: 240, camHeight: 0.6, pitch: 0.75, camXY: [-0.55, 0.05] });
    const cloud = organizedCloud(frame.depth!, frame.camera);
    const objectPixels = Uint8Array.from(frame.masks!.data, (v) => (v ? 1 : 0));
    const g = await ground()({ cloud, objectPixels });
    const l = await lift()({ cloud, masks: frame.masks!, instances: collectInstances(frame.masks!, 1), cameraPose: g.output.cameraPose, heightOf: g.output.heightOf });
    const view: ShapeView = { depth: frame.depth!, camera: frame.camera, cameraPose: g.output.cameraPose };
    const top = l.output.objects.find((o) => o.id === 2)!.world!;
    const through = await backend.generateDetailed({ id: '2', label: 'box', points: { positions: top }, view });
    expect(boundsOf(through.mesh.positions).min[2]).toBeLessThan(0.01); // what the stage did before: a pillar to the table
    const onIt = await backend.generateDetailed({ id: '2', label: 'box', points: { positions: top }, view, restsOn: 0.06 });
    const b = boundsOf(onIt.mesh.positions);
    expect(b.min[2]).toBeCloseTo(0.06, 2);
    expect(b.max[2]).toBeCloseTo(0.14, 2);
    expect(onIt.details.onObject).toBe(true);
    expect(closedOrientedProblems(onIt.mesh)).toEqual([]);
  });

  it('completes a box seen from one side into a closed, outward box of the right size and volume', async () => {
    const { points, view } = await observe({ kind: 'box', id: 1, centre: [0, 0, 0.06], size: [0.16, 0.1, 0.12], yaw: 0.5 });
    const r = await backend.generateDetailed({ id: '1', label: 'box', points: { positions: points }, view });
    expect(r.frame).toBe('world');
    expect(closedOrientedProblems(r.mesh)).toEqual([]);
    expect(meshVolume(r.mesh)).toBeGreaterThan(0.16 * 0.1 * 0.12 * 0.9);
    expect(meshVolume(r.mesh)).toBeLessThan(0.16 * 0.1 * 0.12 * 1.1);
    const b = boundsOf(r.mesh.positions);
    expect(b.min[2]).toBeCloseTo(0, 3); // extruded down to the support
    expect(b.max[2]).toBeCloseTo(0.12, 2);
    expect(r.details.concave).toBe(false);
  });

  it('completes the hidden back of a cylinder (solid of revolution; volume within 10 %)', async () => {
    const { points, view } = await observe({ kind: 'cylinder', id: 1, centre: [0, 0, 0.06], radius: 0.04, height: 0.12 });
    const r = await backend.generateDetailed({ id: '1', label: 'can', points: { positions: points }, view });
    expect(r.details.revolved || r.details.mirrors > 0).toBe(true);
    const v = Math.PI * 0.04 ** 2 * 0.12;
    expect(Math.abs(meshVolume(r.mesh) - v) / v).toBeLessThan(0.1);
    expect(closedOrientedProblems(r.mesh)).toEqual([]);
  });

  it('carves a mug open: concave, closed, less volume than its hull', async () => {
    const { points, view } = await observe({ kind: 'mug', id: 1, centre: [0, 0, 0.05], radius: 0.05, height: 0.1, wall: 0.006 }, { pitch: 1.0, camHeight: 0.7 });
    const r = await backend.generateDetailed({ id: '1', label: 'mug', points: { positions: points }, view });
    expect(r.details.concave).toBe(true);
    expect(closedOrientedProblems(r.mesh)).toEqual([]);
    const solid = Math.PI * 0.05 ** 2 * 0.1;
    expect(meshVolume(r.mesh)).toBeLessThan(solid * 0.85);
    expect(meshVolume(r.mesh)).toBeGreaterThan(0);
  });

  it('never returns an open or empty mesh: 3 collinear points give a minimum-thickness box', async () => {
    const r = await backend.generate({ id: 'x', label: 'speck', points: { positions: Float32Array.from([0, 0, 0.01, 0.01, 0, 0.01, 0.02, 0, 0.01]) } });
    expect(closedOrientedProblems(r.mesh)).toEqual([]);
    expect(meshVolume(r.mesh)).toBeGreaterThan(0);
    const none = await backend.generate({ id: 'y', label: 'nothing' });
    expect(meshVolume(none.mesh)).toBeGreaterThan(0);
  });
});

describe('kthSmallest', () => {
  it('returns what the ascending sort holds at k, including duplicates, signed zeros and NaN', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let t = 0; t < 2000; t++) {
      const n = 1 + Math.floor(rnd() * 300);
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const r = rnd();
        a[i] = t % 4 === 0 ? r : t % 4 === 1 ? Math.floor(r * 5) : t % 4 === 2 ? (r < 0.1 ? NaN : r - 0.5) : r < 0.3 ? (r < 0.15 ? -0 : 0) : r - 0.5;
      }
      const sorted = a.slice().sort();
      const lo = Math.floor(n * 0.02),
        hi = Math.floor(n * 0.98);
      // two selections on the same array, as bestMirror does
      const b = a.slice();
      expect(Object.is(kthSmallest(b, lo), sorted[lo])).toBe(true);
      expect(Object.is(kthSmallest(b, hi), sorted[hi])).toBe(true);
      const k = Math.floor(rnd() * n);
      expect(Object.is(kthSmallest(a.slice(), k), sorted[k])).toBe(true);
    }
  });
});
