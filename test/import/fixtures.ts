/**
 * Research-model outputs built from synthetic scenes with ground truth, in the formats their
 * public repositories document (see src/import/scenemaker.ts, midi.ts, sam3d.ts for the files
 * cited): a SceneMaker folder, a MIDI-3D scene GLB and a SAM 3D Objects result folder.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { meshesToGlb, meshToGlb } from '../../src/gpu/glb.ts';
import { generateSynthScene, type SynthScene } from '../../src/synth/synth.ts';
import type { Mesh } from '../../src/model/geometry.ts';
import { quatFromMat3, quatToMat3 } from '../../src/model/pose.ts';
import type { SceneObject } from '../../src/model/scene.ts';

export const synth = (seed: number): SynthScene => generateSynthScene({ seed, sharedMeshesDir: null, width: 320, height: 240, minObjects: 3, maxObjects: 4 });

type M3 = number[];
const mat3mul = (a: M3, b: M3): M3 => [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => a[r * 3]! * b[c]! + a[r * 3 + 1]! * b[3 + c]! + a[r * 3 + 2]! * b[6 + c]!));
const apply = (m: M3, v: readonly number[]) => [0, 1, 2].map((r) => m[r * 3]! * v[0]! + m[r * 3 + 1]! * v[1]! + m[r * 3 + 2]! * v[2]!);
const transpose = (m: M3): M3 => [m[0]!, m[3]!, m[6]!, m[1]!, m[4]!, m[7]!, m[2]!, m[5]!, m[8]!];

/** Object frame (z up) → a y-up glTF local frame: (x, z, −y). */
const Y: M3 = [1, 0, 0, 0, 0, 1, 0, -1, 0];

/** The object's mesh as a research model would store it: y up, normalised so max |v| = 0.95. */
function localMesh(obj: SceneObject): { mesh: Mesh; n: number } {
  let m = 0;
  for (const v of obj.mesh.positions) m = Math.max(m, Math.abs(v));
  const n = 0.95 / m;
  const p = new Float32Array(obj.mesh.positions.length);
  for (let i = 0; i < p.length; i += 3) {
    const v = apply(Y, [obj.mesh.positions[i]!, obj.mesh.positions[i + 1]!, obj.mesh.positions[i + 2]!]);
    for (let k = 0; k < 3; k++) p[i + k] = v[k]! * n;
  }
  return { mesh: { positions: p, indices: obj.mesh.indices }, n };
}

/**
 * The y-up scene frame of SceneMaker / MIDI: gravity-aligned, camera looking along −z,
 * normalised to ±0.95. Returns scene = k·(S·(p − c0)) − o as a 3×3 `A` (rotation) + k, o.
 */
function sceneFrame(s: SynthScene): { A: M3; k: number; c0: number[]; o: number[] } {
  const Rc = quatToMat3(s.scene.camera!.pose.orientation);
  const zOpt = [Rc[2]!, Rc[5]!, Rc[8]!];
  const f = [zOpt[0]!, zOpt[1]!, 0];
  const fl = Math.hypot(f[0]!, f[1]!);
  f[0]! /= fl;
  f[1]! /= fl;
  const l = [-f[1]!, f[0]!, 0];
  // world-like (x = f, y = l, z = up) rows; then scene (x_s, y_s, z_s) = (−wy, wz, −wx)
  const W: M3 = [f[0]!, f[1]!, 0, l[0]!, l[1]!, 0, 0, 0, 1];
  const S: M3 = [0, -1, 0, 0, 0, 1, -1, 0, 0];
  const A = mat3mul(S, W);
  const c0 = [...s.scene.camera!.pose.position.slice(0, 2), 0];
  // normalise over all vertices
  let lo = [Infinity, Infinity, Infinity],
    hi = [-Infinity, -Infinity, -Infinity];
  for (const obj of s.scene.objects) {
    const R = quatToMat3(obj.pose.orientation);
    for (let i = 0; i < obj.mesh.positions.length; i += 3) {
      const w = apply(R, [obj.mesh.positions[i]!, obj.mesh.positions[i + 1]!, obj.mesh.positions[i + 2]!]).map((x, k) => x + obj.pose.position[k]! - c0[k]!);
      const v = apply(A, w);
      lo = lo.map((x, k) => Math.min(x, v[k]!));
      hi = hi.map((x, k) => Math.max(x, v[k]!));
    }
  }
  const centre = lo.map((x, k) => (x + hi[k]!) / 2);
  const k = 0.95 / Math.max(...hi.map((x, i) => (x - lo[i]!) / 2));
  return { A, k, c0, o: centre.map((x) => x * k) };
}

/** Per object: scene = M·(scale·v_local) + t with M a rotation. */
function objectInScene(obj: SceneObject, f: ReturnType<typeof sceneFrame>) {
  const { mesh, n } = localMesh(obj);
  const R = quatToMat3(obj.pose.orientation);
  const M = mat3mul(f.A, mat3mul(R, transpose(Y)));
  const t = apply(
    f.A,
    obj.pose.position.map((x, k) => x - f.c0[k]!),
  ).map((x, k) => f.k * x - f.o[k]!);
  return { mesh, M, scale: f.k / n, t };
}

export async function writeSceneMaker(s: SynthScene, dir: string): Promise<void> {
  await mkdir(join(dir, 'meshes'), { recursive: true });
  const f = sceneFrame(s);
  const objects = [];
  for (const obj of s.scene.objects) {
    const { mesh, M, scale, t } = objectInScene(obj, f);
    await writeFile(join(dir, 'meshes', `${obj.id}.glb`), await meshToGlb(mesh, obj.id));
    objects.push({
      name: obj.id,
      label: obj.label,
      transform: [
        [M[0], M[1], M[2], t[0]],
        [M[3], M[4], M[5], t[1]],
        [M[6], M[7], M[8], t[2]],
        [0, 0, 0, 1],
      ],
      scale,
    });
  }
  await writeFile(join(dir, 'pose.json'), JSON.stringify({ objects }, null, 1));
}

export async function midiGlb(s: SynthScene): Promise<Uint8Array> {
  const f = sceneFrame(s);
  const items = s.scene.objects.map((obj, i) => {
    const { mesh, M, scale, t } = objectInScene(obj, f);
    // vertices in the scene frame, as MIDI writes them; the first node carries a translation instead
    const shift = i === 0 ? [0.1, -0.05, 0.02] : [0, 0, 0];
    const p = new Float32Array(mesh.positions.length);
    for (let j = 0; j < p.length; j += 3) {
      const v = apply(M, [mesh.positions[j]! * scale, mesh.positions[j + 1]! * scale, mesh.positions[j + 2]! * scale]);
      for (let k = 0; k < 3; k++) p[j + k] = v[k]! + t[k]! - shift[k]!;
    }
    return { name: obj.id, mesh: { positions: p, indices: mesh.indices }, matrix: [1, 0, 0, shift[0]!, 0, 1, 0, shift[1]!, 0, 0, 1, shift[2]!, 0, 0, 0, 1] };
  });
  return meshesToGlb(items);
}

/** SAM 3D result folder: p_cam(PyTorch3D) = R(q)·(s·v) + t, metric up to `scaleError`. Returns the camera pitch. */
export async function writeSam3d(s: SynthScene, dir: string, scaleError = 1.15): Promise<number> {
  await mkdir(dir, { recursive: true });
  const cam = s.scene.camera!.pose;
  const Rc = quatToMat3(cam.orientation);
  const D: M3 = [-1, 0, 0, 0, -1, 0, 0, 0, 1];
  for (const obj of s.scene.objects) {
    const { mesh, n } = localMesh(obj);
    const R = mat3mul(D, mat3mul(transpose(Rc), mat3mul(quatToMat3(obj.pose.orientation), transpose(Y))));
    const t = apply(
      mat3mul(D, transpose(Rc)),
      obj.pose.position.map((x, k) => x - cam.position[k]!),
    ).map((x) => x * scaleError);
    const q = quatFromMat3(R);
    await writeFile(join(dir, `${obj.id}.glb`), await meshToGlb(mesh, obj.id));
    await writeFile(
      join(dir, `${obj.id}.json`),
      JSON.stringify({ label: obj.label, rotation: [q[3], q[0], q[1], q[2]], translation: t, scale: [(1 / n) * scaleError, (1 / n) * scaleError, (1 / n) * scaleError] }),
    );
  }
  return -Math.asin(Rc[8]!);
}

/** Truth size as the importer reports it: [longer horizontal, shorter horizontal, height]. */
export function sortedSize(size: readonly number[]): [number, number, number] {
  return [Math.max(size[0]!, size[1]!), Math.min(size[0]!, size[1]!), size[2]!];
}
