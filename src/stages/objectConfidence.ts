import type { Mesh } from '../model/geometry.ts';
import { cumulativeAreas, pickTriangle } from '../geometry/surfaceSample.ts';
import { transformPositions, type Pose } from '../model/pose.ts';
import type { ObjectConfidence } from '../model/scene.ts';

/**
 * How far one completed object can be trusted: how much of its surface the camera saw and how
 * well the completed surface passes through what it measured.
 * - visibleFraction: share of area-weighted surface samples within `near` of a measured point;
 * - fitResidual: median distance from the measured points to the nearest surface sample;
 * - score: half from visibility (a third of the surface seen counts fully: one view of a convex
 *   object never sees more than about half), half from the residual (0 at 1 cm).
 * Brute-force nearest neighbours over at most `samples` × `points` pairs (2000 × 800 per
 * object): small enough not to need a spatial index.
 */
export function objectConfidence(mesh: Mesh, pose: Pose, observedWorld: Float32Array | undefined, method: string, opts: { samples?: number; points?: number; near?: number } = {}): ObjectConfidence {
  const near = opts.near ?? 0.01;
  const surf = transformPositions(pose, sampleSurface(mesh, opts.samples ?? 2000));
  const obs = subsample(observedWorld ?? new Float32Array(0), opts.points ?? 800);
  const ns = surf.length / 3,
    no = obs.length / 3;
  if (ns === 0 || no === 0) return { score: 0, visibleFraction: 0, fitResidual: Infinity, method };
  const nearest = (a: Float32Array, i: number, b: Float32Array, nb: number) => {
    let best = Infinity;
    const x = a[i * 3]!,
      y = a[i * 3 + 1]!,
      z = a[i * 3 + 2]!;
    for (let j = 0; j < nb; j++) {
      const dx = b[j * 3]! - x,
        dy = b[j * 3 + 1]! - y,
        dz = b[j * 3 + 2]! - z;
      const d = dx * dx + dy * dy + dz * dz;
      if (d < best) best = d;
    }
    return Math.sqrt(best);
  };
  let seen = 0;
  for (let i = 0; i < ns; i++) if (nearest(surf, i, obs, no) <= near) seen++;
  const res: number[] = [];
  for (let i = 0; i < no; i++) res.push(nearest(obs, i, surf, ns));
  res.sort((a, b) => a - b);
  const visibleFraction = seen / ns;
  const fitResidual = res[res.length >> 1]!;
  const score = 0.5 * Math.min(1, visibleFraction / (1 / 3)) + 0.5 * Math.max(0, 1 - fitResidual / 0.01);
  const r = (x: number, k: number) => Math.round(x * k) / k;
  return { score: r(score, 1000), visibleFraction: r(visibleFraction, 1000), fitResidual: r(fitResidual, 1e5), method };
}

/**
 * Area-weighted points on a triangle mesh, deterministic (a fixed low-discrepancy sequence):
 * triangles from the shared area table at evenly spaced targets, points inside them on the R2
 * sequence.
 */
export function sampleSurface(mesh: Mesh, n: number): Float32Array {
  const P = mesh.positions,
    I = mesh.indices;
  const { cum, total } = cumulativeAreas(mesh);
  const out = new Float32Array(n * 3);
  if (!(total > 0)) return new Float32Array(0);
  for (let k = 0; k < n; k++) {
    const lo = pickTriangle(cum, ((k + 0.5) / n) * total);
    // R2 sequence for the barycentric coordinates
    let r1 = (k * 0.7548776662466927) % 1,
      r2 = (k * 0.5698402909980532) % 1;
    if (r1 + r2 > 1) {
      r1 = 1 - r1;
      r2 = 1 - r2;
    }
    const a = I[lo * 3]! * 3,
      b = I[lo * 3 + 1]! * 3,
      c = I[lo * 3 + 2]! * 3;
    for (let d = 0; d < 3; d++) out[k * 3 + d] = P[a + d]! + r1 * (P[b + d]! - P[a + d]!) + r2 * (P[c + d]! - P[a + d]!);
  }
  return out;
}

function subsample(p: Float32Array, max: number): Float32Array {
  const n = p.length / 3;
  if (n <= max) return p;
  const out = new Float32Array(max * 3);
  for (let k = 0; k < max; k++) out.set(p.subarray(Math.floor((k * n) / max) * 3, Math.floor((k * n) / max) * 3 + 3), k * 3);
  return out;
}
