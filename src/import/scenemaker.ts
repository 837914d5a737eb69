/**
 * SceneMaker output folder → generated scene.
 *
 * Format (IDEA-Research/SceneMaker; its README.md describes the decoupled pipeline — de-occlusion,
 * image-to-3D per object, then a pose model predicting each object's transform — and
 * craftsman/data/pose_dataset.py builds each object's 4×4 from a rotation and translation and
 * scales the normalised object separately; its inference code is not public yet, so the file
 * layout below is what its pose stage writes as the issue describes it):
 *   pose.json: {"objects": [{"name", "label"?, "mesh"?, "transform": 4×4 (row-major, nested or
 *              flat), "scale": s | [sx, sy, sz]}]}  (a bare array or a {name: {...}} map works too)
 *   <name>.glb | .obj (also under meshes/ or objects/), each normalised to ±0.95, y up;
 *   or one scene.glb whose nodes are named like the objects (poses already applied).
 * The scene is y up, normalised to ±0.95: scene vertex = transform · (scale · mesh vertex).
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Real2SimError } from '../model/errors.ts';
import { boundsOf } from '../model/geometry.ts';
import { glbNodeMeshes } from '../gpu/glb.ts';
import { readMeshFile, transformMesh, yUpToWorldLike, type GeneratedObject, type GeneratedScene } from './common.ts';

interface PoseEntry {
  name: string;
  label?: string;
  mesh?: string;
  transform: number[];
  scale: [number, number, number];
}

function parsePoses(json: unknown, file: string): PoseEntry[] {
  const problems: string[] = [];
  let list: unknown[];
  if (Array.isArray(json)) list = json;
  else if (json && typeof json === 'object' && Array.isArray((json as { objects?: unknown }).objects)) list = (json as { objects: unknown[] }).objects;
  else if (json && typeof json === 'object') list = Object.entries(json as Record<string, unknown>).map(([name, v]) => ({ name, ...(v as object) }));
  else throw new Real2SimError('BAD_FILE', `${file} must hold an object list: {"objects": [{"name", "transform", "scale"}]}`);
  const out: PoseEntry[] = [];
  list.forEach((e, i) => {
    const o = (e ?? {}) as Record<string, unknown>;
    const name = typeof o['name'] === 'string' ? o['name'] : `object_${i}`;
    const t = o['transform'] ?? o['pose'] ?? o['matrix'];
    const flat = Array.isArray(t) ? (t as unknown[]).flat() : [];
    if (flat.length !== 16 || !flat.every((x) => typeof x === 'number' && Number.isFinite(x))) problems.push(`objects[${i}].transform: must be a 4×4 matrix of finite numbers`);
    const s = o['scale'] ?? 1;
    const scale = typeof s === 'number' ? [s, s, s] : Array.isArray(s) && s.length === 3 ? s : null;
    if (!scale || !scale.every((x) => typeof x === 'number' && x > 0)) problems.push(`objects[${i}].scale: must be a positive number or three`);
    if (problems.length === 0) {
      out.push({
        name,
        ...(typeof o['label'] === 'string' ? { label: o['label'] } : {}),
        ...(typeof o['mesh'] === 'string' ? { mesh: o['mesh'] } : {}),
        transform: flat as number[],
        scale: scale as [number, number, number],
      });
    }
  });
  if (problems.length > 0) throw new Real2SimError('BAD_FILE', `${file} is invalid:\n  ${problems.join('\n  ')}`, { problems });
  if (out.length === 0) throw new Real2SimError('NO_OBJECTS', `${file} lists no objects.`);
  return out;
}

const exists = (p: string) =>
  stat(p).then(
    (s) => s.isFile(),
    () => false,
  );

/** Resolves a file named by the folder's own data, refusing paths that leave the folder. */
function inside(dir: string, name: string): string {
  const p = resolve(dir, name);
  const rel = relative(dir, p);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new Real2SimError('BAD_FILE', `"${name}" points outside the SceneMaker folder ${dir}.`, { name });
  return p;
}

export async function readSceneMaker(dir: string): Promise<GeneratedScene> {
  const root = resolve(dir);
  const poseFile = join(root, 'pose.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(poseFile, 'utf8'));
  } catch (cause) {
    throw new Real2SimError('BAD_FILE', `Cannot read ${poseFile} (a SceneMaker output folder holds pose.json and one mesh per object): ${(cause as Error).message}`, { dir }, cause);
  }
  const entries = parsePoses(json, poseFile);
  const sceneGlb = join(root, 'scene.glb');
  let sceneNodes: Map<string, GeneratedObject['mesh']> | undefined;
  const objects: GeneratedObject[] = [];
  const notes: string[] = [];
  for (const e of entries) {
    const candidates = e.mesh ? [e.mesh] : ['', 'meshes', 'objects'].flatMap((sub) => ['glb', 'obj', 'ply'].map((ext) => join(sub, `${e.name}.${ext}`)));
    let file: string | undefined;
    for (const c of candidates) {
      const p = inside(root, c);
      if (await exists(p)) {
        file = p;
        break;
      }
    }
    let sceneMesh;
    if (file) sceneMesh = transformMesh(await readMeshFile(file), e.transform, e.scale);
    else if (await exists(sceneGlb)) {
      sceneNodes ??= new Map((await glbNodeMeshes(await readFile(sceneGlb))).map((n) => [n.name, n.mesh]));
      sceneMesh = sceneNodes.get(e.name);
      if (sceneMesh) notes.push(`${e.name}: taken from scene.glb (pose already applied there)`);
    }
    if (!sceneMesh)
      throw new Real2SimError('BAD_FILE', `SceneMaker object "${e.name}": no mesh ${e.mesh ?? `${e.name}.glb/.obj`} in ${root} (or its meshes/, objects/), and no scene.glb node of that name.`, {
        object: e.name,
      });
    objects.push({ name: e.name, label: e.label ?? (e.name.replace(/[_-]?\d+$/, '') || e.name), mesh: yUpToWorldLike(sceneMesh) });
  }
  const all = objects.flatMap((o) => [boundsOf(o.mesh.positions)]);
  const maxAbs = Math.max(...all.flatMap((b) => [...b.min, ...b.max].map(Math.abs)));
  if (maxAbs > 1.05) notes.push(`scene extends to ±${maxAbs.toFixed(2)}, beyond SceneMaker's ±0.95 normalisation: read as is`);
  return { format: 'scenemaker', objects, notes };
}
