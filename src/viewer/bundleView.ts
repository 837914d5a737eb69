import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodePlyCloud } from '../io/mesh.ts';
import { readBundleScene } from '../export/bundle.ts';
import { Real2SimError } from '../model/errors.ts';
import type { PointCloud } from '../model/geometry.ts';
import type { PhysicsReport } from '../model/physics.ts';
import type { Scene } from '../model/scene.ts';
import { mergeClouds, toViewModel, type ViewModel } from './viewModel.ts';

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
  const clouds: PointCloud[] = [];
  for (const f of files) {
    const path = join(dir, 'debug', 'clouds', f);
    clouds.push(decodePlyCloud(new Uint8Array(await readFile(path)), path));
  }
  const cloud = mergeClouds(clouds);
  return cloud.positions.length > 0 ? cloud : undefined;
}

export async function readBundleForView(dir: string): Promise<Scene> {
  // the bundle reader's checks (missing, not a file, size limit) and its messages
  const scene = await readBundleScene(dir);
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
