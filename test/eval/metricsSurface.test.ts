import { describe, expect, it } from 'vitest';
import { meanDistance, metricMetrics, objectSurfaceWorld, sampledChamferMm, sampleObjectWorld64, surfaceChamferMm, SurfaceDistance } from '../../src/eval/metrics.ts';
import { createRng } from '../../src/geometry/random.ts';
import { composePoses, quatFromRpy, quatToMat3, type Pose } from '../../src/model/pose.ts';
import type { Mesh } from '../../src/model/geometry.ts';
import type { Scene, SceneObject } from '../../src/model/scene.ts';
import { makeObject, makeScene } from '../io/sceneFixture.ts';

// ---------------------------------------------------------------------------------------------
// Brute-force reference: O(n·m) closest point on every triangle (Ericson, Real-Time Collision
// Detection §5.1.5, written out independently here), float64.

type V = [number, number, number];
const sub = (a: V, b: V): V => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: V, b: V) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const add = (a: V, b: V, s: number): V => [a[0] + b[0] * s, a[1] + b[1] * s, a[2] + b[2] * s];

function closestOnTriangle(p: V, a: V, b: V, c: V): V {
  const ab = sub(b, a),
    ac = sub(c, a),
    ap = sub(p, a);
  const d1 = dot(ab, ap),
    d2 = dot(ac, ap);
  if (d1 <= 0 && d2 <= 0) return a;
  const bp = sub(p, b);
  const d3 = dot(ab, bp),
    d4 = dot(ac, bp);
  if (d3 >= 0 && d4 <= d3) return b;
  const vc = d1 * d4 - d3 * d2;
  if (vc <= 0 && d1 >= 0 && d3 <= 0) return add(a, ab, d1 / (d1 - d3));
  const cp = sub(p, c);
  const d5 = dot(ab, cp),
    d6 = dot(ac, cp);
  if (d6 >= 0 && d5 <= d6) return c;
  const vb = d5 * d2 - d1 * d6;
  if (vb <= 0 && d2 >= 0 && d6 <= 0) return add(a, ac, d2 / (d2 - d6));
  const va = d3 * d6 - d5 * d4;
  if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0) return add(b, sub(c, b), (d4 - d3) / (d4 - d3 + (d5 - d6)));
  const denom = 1 / (va + vb + vc);
  return add(add(a, ab, vb * denom), ac, vc * denom);
}

function bruteDistance(p: V, pos: ArrayLike<number>, idx: ArrayLike<number>): number {
  let best = Infinity;
  const v = (i: number): V => [pos[i * 3]!, pos[i * 3 + 1]!, pos[i * 3 + 2]!];
  for (let t = 0; t < idx.length; t += 3) {
    const q = closestOnTriangle(p, v(idx[t]!), v(idx[t + 1]!), v(idx[t + 2]!));
    best = Math.min(best, Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]));
  }
  return best;
}

/** World-frame float64 vertices, the way the reference sees an object. */
function worldVerts(o: SceneObject): Float64Array {
  const r = quatToMat3(o.pose.orientation),
    t = o.pose.position,
    p = o.mesh.positions;
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i += 3)
    for (let k = 0; k < 3; k++) {
      out[i + k] = r[k * 3]! * p[i]! + r[k * 3 + 1]! * p[i + 1]! + r[k * 3 + 2]! * p[i + 2]! + t[k]!;
    }
  return out;
}

function bruteChamferMm(pred: SceneObject, truth: SceneObject, samples: number, seed: number): number {
  const oneWay = (from: SceneObject, to: SceneObject) => {
    const s = sampleObjectWorld64(from, samples, seed),
      pos = worldVerts(to);
    let sum = 0;
    for (let i = 0; i < s.length; i += 3) sum += bruteDistance([s[i]!, s[i + 1]!, s[i + 2]!], pos, to.mesh.indices);
    return sum / (s.length / 3);
  };
  return ((oneWay(pred, truth) + oneWay(truth, pred)) / 2) * 1000;
}

/** A small random mesh: `nv` vertices in a 0.2 m cube, `nt` triangles over them (some slivers). */
function randomMesh(seed: number, nv: number, nt: number): Mesh {
  const rng = createRng(seed);
  const positions = new Float32Array(nv * 3).map(() => rng.range(-0.1, 0.1));
  const indices = new Uint32Array(nt * 3);
  for (let t = 0; t < nt; t++) {
    const a = rng.int(nv);
    let b = rng.int(nv),
      c = rng.int(nv);
    while (b === a) b = rng.int(nv);
    while (c === a || c === b) c = rng.int(nv);
    indices.set([a, b, c], t * 3);
  }
  return { positions, indices };
}

function withMesh(id: string, mesh: Mesh, pose: Pose): SceneObject {
  return { ...makeObject({ id, size: [0.2, 0.2, 0.2], position: [0, 0, 0] }), mesh, pose };
}

function withObjects(objs: SceneObject[]): Scene {
  const s = makeScene([]);
  s.objects = objs;
  return s;
}

/** Two triangles spanning an L × L square at z = 0 (normal +z). */
function plate(L: number): Mesh {
  const h = L / 2;
  return { positions: new Float32Array([-h, -h, 0, h, -h, 0, h, h, 0, -h, h, 0]), indices: new Uint32Array([0, 1, 2, 0, 2, 3]) };
}

describe('metric Chamfer is point-to-surface', () => {
  it('identical meshes give 0 (< 1e-9 mm) for a posed box and cylinder', () => {
    for (const o of [
      makeObject({ id: 'b', size: [0.2, 0.12, 0.07], position: [0.31, -0.4, 0.035], yaw: 0.7 }),
      makeObject({ id: 'c', shape: 'cylinder', size: [0.08, 0.08, 0.15], position: [-0.2, 0.6, 0.075], yaw: -1.1 }),
    ]) {
      const m = metricMetrics(withObjects([o]), withObjects([o]), { samples: 2000 });
      expect(m.rows[0]!.chamferMm).toBeLessThan(1e-9);
      expect(m.chamferMm.median).toBeLessThan(1e-9);
    }
  });

  it('a 1 m plate shifted by d along its (tilted) normal scores d·1000 mm in both directions, to 1e-6', () => {
    const tilt: Pose = { position: [0.2, -0.3, 0.5], orientation: quatFromRpy(0.3, -0.2, 0.7) };
    for (const d of [0.001, 0.0173, 0.05]) {
      const truth = withMesh('t', plate(1), tilt);
      const pred = withMesh('p', plate(1), composePoses(tilt, { position: [0, 0, d], orientation: [0, 0, 0, 1] }));
      // every closest point lies straight across, inside the facing square: each sample is at d
      for (const [from, to] of [
        [pred, truth],
        [truth, pred],
      ] as const) {
        const dist = objectSurfaceWorld(to).distances(sampleObjectWorld64(from, 3000, 4));
        for (const x of dist) expect(Math.abs(x - d) / d).toBeLessThan(1e-6);
      }
      const mm = metricMetrics(withObjects([pred]), withObjects([truth]), { samples: 3000 }).rows[0]!.chamferMm;
      expect(Math.abs(mm - d * 1000) / (d * 1000)).toBeLessThan(1e-6);
    }
  });

  it('BVH distances match the brute-force closest point on every triangle to 1e-9 m (seed 42)', () => {
    const mesh = randomMesh(42, 40, 90);
    const pos = Float64Array.from(mesh.positions);
    const surf = new SurfaceDistance(pos, mesh.indices);
    const rng = createRng(4242);
    // near the mesh, inside it, and far from it (0.5 m away) — the far ones exercise pruning
    const pts = new Float64Array(600 * 3).map((_, i) => (i < 1200 ? rng.range(-0.15, 0.15) : rng.range(0.3, 0.6)));
    const got = surf.distances(pts);
    for (let i = 0; i < 600; i++) {
      const p: V = [pts[i * 3]!, pts[i * 3 + 1]!, pts[i * 3 + 2]!];
      const ref = bruteDistance(p, pos, mesh.indices);
      expect(Math.abs(got[i]! - ref)).toBeLessThan(1e-9);
      expect(Math.abs(surf.distance(p[0], p[1], p[2]) - ref)).toBeLessThan(1e-9);
    }
  });

  it('surfaceChamferMm matches the brute-force reference on two posed random meshes to 1e-9 mm (seed 7)', () => {
    const a = withMesh('a', randomMesh(7, 30, 50), { position: [0.1, 0.02, 0.3], orientation: quatFromRpy(0.1, 0.2, 0.3) });
    const b = withMesh('b', randomMesh(8, 25, 40), { position: [0.13, -0.01, 0.28], orientation: quatFromRpy(-0.4, 0, 1.2) });
    const got = surfaceChamferMm(a, b, 400, 3);
    const ref = bruteChamferMm(a, b, 400, 3);
    expect(got).toBeGreaterThan(1);
    expect(Math.abs(got - ref)).toBeLessThan(1e-9);
    expect(metricMetrics(withObjects([a]), withObjects([b]), { samples: 400, seed: 3 }).rows[0]!.chamferMm).toBeCloseTo(got, 12);
  });

  it('two independent samplings of the SAME 20 cm box: < 0.01 mm (the sampled Chamfer has a ~mm floor)', () => {
    const t = makeObject({ id: 't', size: [0.2, 0.2, 0.2], position: [0.1, 0.2, 0.1], yaw: 0.4 });
    // same box, triangles listed in another order: a different mesh hash, so independent samples
    const idx = t.mesh.indices,
      n = idx.length;
    const reordered = new Uint32Array(n);
    for (let k = 0; k < n; k += 3) reordered.set(idx.subarray(n - k - 3, n - k), k);
    const p: SceneObject = { ...t, id: 'p', mesh: { ...t.mesh, indices: reordered } };
    const m = metricMetrics(withObjects([p]), withObjects([t]), { samples: 4096 });
    expect(m.rows[0]!.chamferMm).toBeLessThan(0.01);
    expect(m.rows[0]!.chamferSampledMm).toBeGreaterThan(1);
    // and two seeds on the very same object
    expect(surfaceChamferMm(t, t, 4096, 1)).toBeLessThan(0.01);
    expect(sampledChamferMm(t, t, 4096, 1)).toBe(0);
  });

  it('fewer surface samples change the variance, not the mean (box shifted 1 cm, seeds 0–3)', () => {
    const t = makeObject({ id: 't', size: [0.2, 0.1, 0.1], position: [0, 0, 0.05] });
    const p = makeObject({ id: 'p', size: [0.2, 0.1, 0.1], position: [0.01, 0, 0.05] });
    const many = surfaceChamferMm(p, t, 20480, 0);
    const few = [0, 1, 2, 3].map((s) => surfaceChamferMm(p, t, 1024, s));
    const mean = few.reduce((a, b) => a + b, 0) / few.length;
    expect(Math.abs(mean - many) / many).toBeLessThan(0.05);
    // the sampled one is biased upward by its floor at the lower count
    expect(sampledChamferMm(p, t, 1024, 0)).toBeGreaterThan(sampledChamferMm(p, t, 20480, 0));
  });

  it('degenerate meshes: no triangles → distances to the vertices; nothing at all → Infinity', () => {
    const pts = new Float64Array([0, 0, 1, 3, 0, 0]);
    const verts = new SurfaceDistance(new Float64Array([0, 0, 0, 1, 0, 0]), new Uint32Array([0, 0, 1]));
    const d = verts.distances(pts);
    expect(d[0]).toBeCloseTo(1, 6);
    expect(d[1]).toBeCloseTo(2, 6);
    const none = new SurfaceDistance(new Float64Array(0), new Uint32Array(0));
    expect(none.empty).toBe(true);
    expect(meanDistance(none.distances(pts))).toBe(Infinity);
    // a non-finite query is skipped, not poisoning the mean
    const tri = new SurfaceDistance(new Float64Array([0, 0, 0, 1, 0, 0, 0, 1, 0]), new Uint32Array([0, 1, 2]));
    const dn = tri.distances(new Float64Array([0.2, 0.2, 0.5, NaN, 0, 0]));
    expect(dn[1]).toBeNaN();
    expect(meanDistance(dn)).toBeCloseTo(0.5, 12);
  });
});
