import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PLYLoader } from 'three/examples/jsm/loaders/PLYLoader.js';
import { sceneFromJson } from '../io/sceneJson.ts';
import { Real2SimError } from '../model/errors.ts';
import type { PointCloud } from '../model/geometry.ts';
import type { PhysicsReport } from '../model/physics.ts';
import type { Scene } from '../model/scene.ts';
import { toViewModel, type ViewModel } from './viewModel.ts';

/** Most observed points sent to the page; more only slows the browser without showing more. */
const MAX_CLOUD_POINTS = 200_000;

async function readOptional(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch {
    return null;
  }
}

/** Reads the per-object clouds a reconstruction left in `debug/clouds/*.ply` (world frame). */
async function readClouds(dir: string): Promise<PointCloud | undefined> {
  let files: string[];
  try {
    files = (await readdir(join(dir, 'debug', 'clouds'))).filter((f) => f.endsWith('.ply')).sort();
  } catch {
    return undefined;
  }
  const loader = new PLYLoader();
  const pos: Float32Array[] = [];
  const col: Uint8Array[] = [];
  let total = 0;
  let allColoured = true;
  for (const f of files) {
    const bytes = await readFile(join(dir, 'debug', 'clouds', f));
    const g = loader.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    const p = g.getAttribute('position');
    if (!p) continue;
    pos.push(new Float32Array(p.array as ArrayLike<number>));
    const c = g.getAttribute('color');
    if (c) col.push(Uint8Array.from(c.array as ArrayLike<number>, (v) => Math.round(v * 255)));
    else allColoured = false;
    total += p.count;
  }
  if (total === 0) return undefined;
  const step = Math.max(1, Math.ceil(total / MAX_CLOUD_POINTS));
  const positions = new Float32Array(Math.ceil(total / step) * 3);
  const colors = allColoured ? new Uint8Array(positions.length) : undefined;
  let k = 0;
  let i = 0;
  pos.forEach((p, f) => {
    for (let j = 0; j < p.length / 3; j++, i++) {
      if (i % step !== 0) continue;
      positions.set(p.subarray(j * 3, j * 3 + 3), k * 3);
      if (colors) colors.set(col[f]!.subarray(j * 3, j * 3 + 3), k * 3);
      k++;
    }
  });
  const cloud: PointCloud = { positions: positions.subarray(0, k * 3) };
  if (colors) cloud.colors = colors.subarray(0, k * 3);
  return cloud;
}

export async function readBundleForView(dir: string): Promise<Scene> {
  const text = await readOptional(join(dir, 'scene.json'));
  if (!text) {
    throw new Real2SimError('BAD_FILE', `No scene.json in ${dir}: give the folder that 'real2sim reconstruct' or 'real2sim demo' wrote.`, { dir });
  }
  const scene = sceneFromJson(text.toString('utf8'));
  // `real2sim validate` writes a newer physics report beside the scene
  const physics = await readOptional(join(dir, 'physics.json'));
  if (physics) {
    try {
      scene.physics = JSON.parse(physics.toString('utf8')) as PhysicsReport;
    } catch (cause) {
      throw new Real2SimError('BAD_FILE', `${join(dir, 'physics.json')} is not valid JSON; re-run 'real2sim validate ${dir}'.`, {}, cause);
    }
  }
  return scene;
}

/** Everything the page shows for a bundle folder: scene, physics, clouds, mask overlay. */
export async function bundleViewModel(dir: string, title?: string): Promise<ViewModel> {
  const scene = await readBundleForView(dir);
  const overlay = await readOptional(join(dir, 'debug', 'masks.png'));
  const cloud = await readClouds(dir);
  return toViewModel(scene, {
    title: title ?? `real2sim · ${dir}`,
    ...(cloud ? { cloud } : {}),
    ...(overlay ? { maskOverlayPng: new Uint8Array(overlay) } : {}),
  });
}
