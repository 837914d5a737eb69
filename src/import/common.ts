/**
 * What every research-model importer produces: the generated objects in a "world-like" frame
 * that is right up to a similarity (one unknown scale, a translation and possibly a small yaw):
 * z up, x forward from the camera, y left (REP 103) — plus the camera when the format has one.
 * `metric.ts` then fixes scale and placement from depth or a user reference.
 *
 * Axis conventions of the formats, converted where each reader reads them:
 * - SceneMaker / MIDI-3D: glTF scene, y up (gravity-aligned), camera looking along −z:
 *   world-like (x, y, z) = (−z_s, −x_s, y_s).
 * - SAM 3D Objects: PyTorch3D camera frame (x left, y up, z forward) → optical (x right,
 *   y down, z forward) = (−x, −y, z) → world-like through the camera pitch.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Real2SimError } from '../model/errors.ts';
import type { Mesh } from '../model/geometry.ts';
import type { Rng } from '../geometry/random.ts';
import { cumulativeAreas, pickTriangle } from '../geometry/surfaceSample.ts';
import { glbToMesh } from '../gpu/glb.ts';
import { decodeMesh } from '../io/mesh.ts';

export interface GeneratedObject {
  /** Name in the source (file stem, node name). */
  name: string;
  label: string;
  /** Triangles in the world-like frame (source units). */
  mesh: Mesh;
}

export interface GeneratedScene {
  format: 'scenemaker' | 'midi' | 'sam3d';
  objects: GeneratedObject[];
  /** Camera position in the world-like frame, when the format places one (SAM 3D: its origin). */
  camera?: { position: [number, number, number]; pitchRad: number };
  /** Notes for the import report (assumptions made while reading). */
  notes: string[];
}

/** (x_s, y_s, z_s) of a y-up glTF scene with the camera looking along −z → world-like. */
export function yUpToWorldLike(m: Mesh): Mesh {
  const p = new Float32Array(m.positions.length);
  for (let i = 0; i < p.length; i += 3) {
    p[i] = -m.positions[i + 2]!;
    p[i + 1] = -m.positions[i]!;
    p[i + 2] = m.positions[i + 1]!;
  }
  // a proper rotation (det +1): winding is kept
  return { positions: p, indices: m.indices };
}

/** Reads a GLB / OBJ / PLY / STL mesh file (all nodes merged, node transforms applied). */
export async function readMeshFile(path: string): Promise<Mesh> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new Real2SimError('BAD_FILE', `Cannot read mesh ${path}: ${(cause as Error).message}`, { path }, cause);
  }
  const ext = extname(path).toLowerCase().slice(1);
  if (ext === 'glb') return glbToMesh(bytes);
  if (ext === 'obj' || ext === 'ply' || ext === 'stl') return decodeMesh(bytes, ext, path);
  throw new Real2SimError('UNSUPPORTED', `Mesh ${path}: unsupported format ".${ext}" (use .glb, .obj, .ply or .stl)`);
}

/**
 * `n` points on a mesh surface, area-weighted, reproducible from `rng`: the triangle drawn from
 * the shared area table (`cumulativeAreas`, `pickTriangle`), the point inside it by folding the
 * unit square onto the triangle (u + v > 1 → 1 − u, 1 − v). The metrics' `sampleSurface` takes
 * √r₁ instead; both are uniform, but the stream differs, and the importers' results (scale
 * estimates, tests' figures) were made with this one.
 */
export function sampleSurface(mesh: Mesh, n: number, rng: Rng): Float32Array {
  const p = mesh.positions,
    idx = mesh.indices;
  const { cum, total } = cumulativeAreas(mesh);
  const out = new Float32Array(n * 3);
  if (!(total > 0)) return out.subarray(0, 0);
  for (let k = 0; k < n; k++) {
    const lo = pickTriangle(cum, rng.next() * total);
    const a = idx[lo * 3]! * 3,
      b = idx[lo * 3 + 1]! * 3,
      c = idx[lo * 3 + 2]! * 3;
    let u = rng.next(),
      v = rng.next();
    if (u + v > 1) {
      u = 1 - u;
      v = 1 - v;
    }
    for (let j = 0; j < 3; j++) out[k * 3 + j] = p[a + j]! + u * (p[b + j]! - p[a + j]!) + v * (p[c + j]! - p[a + j]!);
  }
  return out;
}

/** Applies row-major 4×4 `m` (rigid) and a scale: p' = R·(s ⊙ p) + t. */
export function transformMesh(mesh: Mesh, m: ArrayLike<number>, s: readonly [number, number, number] = [1, 1, 1]): Mesh {
  const p = mesh.positions;
  const out = new Float32Array(p.length);
  for (let i = 0; i < p.length; i += 3) {
    const x = p[i]! * s[0],
      y = p[i + 1]! * s[1],
      z = p[i + 2]! * s[2];
    out[i] = m[0]! * x + m[1]! * y + m[2]! * z + m[3]!;
    out[i + 1] = m[4]! * x + m[5]! * y + m[6]! * z + m[7]!;
    out[i + 2] = m[8]! * x + m[9]! * y + m[10]! * z + m[11]!;
  }
  const det = (m[0]! * (m[5]! * m[10]! - m[6]! * m[9]!) - m[1]! * (m[4]! * m[10]! - m[6]! * m[8]!) + m[2]! * (m[4]! * m[9]! - m[5]! * m[8]!)) * s[0] * s[1] * s[2];
  if (det >= 0) return { positions: out, indices: mesh.indices };
  const idx = mesh.indices.slice();
  for (let t = 0; t < idx.length; t += 3) [idx[t + 1], idx[t + 2]] = [idx[t + 2]!, idx[t + 1]!];
  return { positions: out, indices: idx };
}
