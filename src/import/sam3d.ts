/**
 * SAM 3D Objects results → generated scene.
 *
 * Format (facebookresearch/sam-3d-objects, notebook/inference.py): `Inference.__call__` returns
 * a dict per object whose "rotation" (a PyTorch3D quaternion, w first), "translation" and
 * "scale" place the object's local geometry in the camera frame of the pointmap —
 * `make_scene` moves points with `SceneVisualizer.object_pointcloud(points_local, quat_l2c,
 * trans_l2c, scale_l2c)`, i.e. p_cam = R(q)·(scale ⊙ p_local) + t — and "glb" is its mesh in the
 * local frame. Saved per object as `<name>.glb` (or .obj/.ply) + `<name>.json` with those three
 * fields (lists), in one folder; or `<name>.json` may name its mesh in "mesh".
 * The camera frame is PyTorch3D's (x left, y up, z forward) unless `cameraConvention` says
 * 'opencv' (x right, y down, z forward). Scale is from MoGe's metric pointmap: close, not exact.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { Real2SimError } from '../model/errors.ts';
import type { Mesh } from '../model/geometry.ts';
import { quatNormalize, quatToMat3 } from '../model/pose.ts';
import { readMeshFile, transformMesh, type GeneratedObject, type GeneratedScene } from './common.ts';

export interface Sam3dOptions {
  cameraConvention?: 'pytorch3d' | 'opencv';
  /** Camera pitch below the horizon (radians) when no depth will fix gravity (default 0: level). */
  pitchRad?: number;
}

/** Optical frame (x right, y down, z forward) → world-like (x forward, y left, z up), camera at the origin pitched down by `pitch`. */
export function opticalToWorldLike(m: Mesh, pitch: number): Mesh {
  const c = Math.cos(pitch),
    s = Math.sin(pitch);
  // forward f = (0, −sin p, cos p)·…: rows are the world axes in the optical frame
  const R = [0, -s, c, -1, 0, 0, 0, -c, -s];
  return transformMesh(m, [R[0]!, R[1]!, R[2]!, 0, R[3]!, R[4]!, R[5]!, 0, R[6]!, R[7]!, R[8]!, 0, 0, 0, 0, 1]);
}

export async function readSam3d(dir: string, options: Sam3dOptions = {}): Promise<GeneratedScene> {
  const root = resolve(dir);
  let names: string[];
  try {
    names = (await readdir(root)).filter((n) => n.endsWith('.json')).sort();
  } catch (cause) {
    throw new Real2SimError('BAD_FILE', `Cannot list the SAM 3D result folder ${root}: ${(cause as Error).message}`, { dir }, cause);
  }
  if (names.length === 0) throw new Real2SimError('NO_OBJECTS', `${root} holds no <name>.json pose files (one per object, with rotation, translation, scale).`);
  const conv = options.cameraConvention ?? 'pytorch3d';
  const objects: GeneratedObject[] = [];
  for (const n of names) {
    const file = join(root, n);
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    } catch (cause) {
      throw new Real2SimError('BAD_FILE', `${file} is not readable JSON: ${(cause as Error).message}`, { file }, cause);
    }
    if (typeof j !== 'object' || j === null) throw new Real2SimError('BAD_FILE', `${file} must hold an object with rotation, translation and scale.`);
    const flat = (v: unknown) => (Array.isArray(v) ? (v as unknown[]).flat(3) : typeof v === 'number' ? [v] : []) as number[];
    const q = flat(j['rotation']);
    const t = flat(j['translation']);
    let s = flat(j['scale']);
    if (s.length === 1) s = [s[0]!, s[0]!, s[0]!];
    const problems: string[] = [];
    if (q.length !== 4 || !q.every(Number.isFinite)) problems.push('rotation: must be a quaternion [w, x, y, z] (PyTorch3D order)');
    if (t.length !== 3 || !t.every(Number.isFinite)) problems.push('translation: must hold 3 numbers');
    if (s.length !== 3 || !s.every((x) => x > 0)) problems.push('scale: must be one positive number or three');
    if (problems.length > 0) throw new Real2SimError('BAD_FILE', `${file} is invalid:\n  ${problems.join('\n  ')}`, { problems });
    const stem = basename(n, '.json');
    const meshName = typeof j['mesh'] === 'string' ? j['mesh'] : undefined;
    let meshFile: string | undefined;
    for (const c of meshName ? [meshName] : ['glb', 'obj', 'ply'].map((e) => `${stem}.${e}`)) {
      const p = resolve(root, c);
      const rel = relative(root, p);
      if (rel.startsWith('..') || isAbsolute(rel)) throw new Real2SimError('BAD_FILE', `${file}: mesh "${c}" points outside ${root}.`);
      if (
        await stat(p).then(
          (x) => x.isFile(),
          () => false,
        )
      ) {
        meshFile = p;
        break;
      }
    }
    if (!meshFile) throw new Real2SimError('BAD_FILE', `${file}: no mesh ${meshName ?? `${stem}.glb/.obj/.ply`} beside it.`);
    const R = quatToMat3(quatNormalize([q[1]!, q[2]!, q[3]!, q[0]!]));
    const cam = transformMesh(await readMeshFile(meshFile), [R[0]!, R[1]!, R[2]!, t[0]!, R[3]!, R[4]!, R[5]!, t[1]!, R[6]!, R[7]!, R[8]!, t[2]!, 0, 0, 0, 1], s as [number, number, number]);
    // camera frame → optical
    const optical = conv === 'pytorch3d' ? transformMesh(cam, [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]) : cam;
    objects.push({ name: stem, label: typeof j['label'] === 'string' ? j['label'] : stem.replace(/[_-]?\d+$/, '') || stem, mesh: opticalToWorldLike(optical, options.pitchRad ?? 0) });
  }
  return {
    format: 'sam3d',
    objects,
    camera: { position: [0, 0, 0], pitchRad: options.pitchRad ?? 0 },
    notes: options.pitchRad === undefined ? ['camera assumed level (pitch 0) until depth fixes gravity'] : [],
  };
}
