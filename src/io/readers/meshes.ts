/**
 * Mesh files that simulator assets reference, read into model meshes: OBJ (keeping its `o`/`g`
 * groups apart, because V-HACD collision files put one convex piece per group), binary or
 * ASCII STL (`decodeStl` of ../mesh.ts), and MuJoCo's legacy binary `.msh`.
 * COLLADA (.dae) is not read: it is reported as unsupported with what to do instead.
 */
import { decodeStl, weldMesh } from '../mesh.ts';
import type { Mesh } from '../../model/geometry.ts';
import { Real2SimError } from '../../model/errors.ts';

export interface ParsedMesh {
  /** Every triangle of the file. */
  mesh: Mesh;
  /** One mesh per `o`/`g` group that has faces (a single entry when the file has no groups). */
  groups: Mesh[];
}

/** OBJ text: `v`, `f` (v, v/vt, v//vn, v/vt/vn; negative indices; polygons fanned), `o`, `g`. */
export function parseObj(text: string, name = 'mesh.obj'): ParsedMesh {
  const verts: number[] = [];
  const groups: number[][] = [[]];
  const lines = text.split(/\r?\n/);
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!.trim();
    if (line.length < 2) continue;
    const c0 = line.charCodeAt(0);
    if (c0 === 118 /* v */ && line.charCodeAt(1) === 32) {
      const parts = line.split(/\s+/);
      const x = Number(parts[1]),
        y = Number(parts[2]),
        z = Number(parts[3]);
      if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) {
        throw new Real2SimError('BAD_MESH', `${name}:${ln + 1}: vertex '${line}' is not three finite numbers`, { name, line: ln + 1 });
      }
      verts.push(x, y, z);
    } else if (c0 === 102 /* f */ && line.charCodeAt(1) === 32) {
      const parts = line.split(/\s+/).slice(1);
      const nv = verts.length / 3;
      const ids = parts.map((p) => {
        const i = parseInt(p, 10);
        const k = i < 0 ? nv + i : i - 1;
        if (!Number.isInteger(k) || k < 0 || k >= nv) {
          throw new Real2SimError('BAD_MESH', `${name}:${ln + 1}: face index '${p}' is out of range (${nv} vertices so far)`, { name, line: ln + 1 });
        }
        return k;
      });
      const g = groups[groups.length - 1]!;
      for (let k = 1; k + 1 < ids.length; k++) g.push(ids[0]!, ids[k]!, ids[k + 1]!);
    } else if ((c0 === 111 /* o */ || c0 === 103) /* g */ && line.charCodeAt(1) === 32) {
      if (groups[groups.length - 1]!.length > 0) groups.push([]);
    }
  }
  const positions = new Float32Array(verts);
  const all = groups.flat();
  if (all.length === 0) throw new Real2SimError('BAD_MESH', `${name} holds no triangles`, { name });
  return { mesh: { positions, indices: new Uint32Array(all) }, groups: groups.filter((g) => g.length > 0).map((g) => compact(positions, g)) };
}

/** Keeps only the vertices a triangle list uses, re-indexed. */
export function compact(positions: Float32Array, tris: ArrayLike<number>): Mesh {
  const map = new Map<number, number>();
  const out: number[] = [];
  const idx = new Uint32Array(tris.length);
  for (let i = 0; i < tris.length; i++) {
    const v = tris[i]!;
    let k = map.get(v);
    if (k === undefined) {
      k = map.size;
      map.set(v, k);
      out.push(positions[v * 3]!, positions[v * 3 + 1]!, positions[v * 3 + 2]!);
    }
    idx[i] = k;
  }
  return { positions: new Float32Array(out), indices: idx };
}

/**
 * STL (binary or ASCII), welded by exact position so hulls and inertia see a closed mesh;
 * triangles that weld to a line or a point are kept, as the file has them.
 */
export function parseStl(bytes: Uint8Array, name = 'mesh.stl'): Mesh {
  let soup: Mesh;
  try {
    soup = decodeStl(bytes);
  } catch (cause) {
    throw new Real2SimError('BAD_MESH', `${name} is not a readable STL file`, { name }, cause);
  }
  if (soup.positions.length < 9) throw new Real2SimError('BAD_MESH', `${name} holds no triangles`, { name });
  const { positions, indices } = weldMesh(soup, { keepDegenerate: true });
  return { positions, indices };
}

/**
 * MuJoCo legacy binary mesh (`.msh`), little-endian:
 * int32 nvert, nnormal, ntexcoord, nface; float32 vertices[3·nvert]; float32 normals[3·nnormal];
 * float32 texcoords[2·ntexcoord]; int32 faces[3·nface]. The size must match exactly.
 */
export function parseMsh(bytes: Uint8Array, name = 'mesh.msh'): Mesh {
  if (bytes.byteLength < 16) throw new Real2SimError('BAD_MESH', `${name} is too short for a MuJoCo .msh header (${bytes.byteLength} bytes)`, { name });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [nv, nn, nt, nf] = [0, 1, 2, 3].map((k) => dv.getInt32(k * 4, true)) as [number, number, number, number];
  const expected = 16 + 4 * (3 * nv + 3 * nn + 2 * nt + 3 * nf);
  if (nv < 3 || nn < 0 || nt < 0 || nf < 0 || expected !== bytes.byteLength) {
    throw new Real2SimError(
      'BAD_MESH',
      `${name} is not a MuJoCo .msh file: header says ${nv} vertices, ${nn} normals, ${nt} texcoords, ${nf} faces (${expected} bytes) but the file has ${bytes.byteLength} bytes`,
      { name },
    );
  }
  const positions = new Float32Array(3 * nv);
  for (let i = 0; i < 3 * nv; i++) positions[i] = dv.getFloat32(16 + 4 * i, true);
  if (nf === 0) throw new Real2SimError('BAD_MESH', `${name} has no faces; MuJoCo would take its convex hull, this importer needs triangles`, { name });
  const fo = 16 + 4 * (3 * nv + 3 * nn + 2 * nt);
  const indices = new Uint32Array(3 * nf);
  for (let i = 0; i < 3 * nf; i++) {
    const k = dv.getInt32(fo + 4 * i, true);
    if (k < 0 || k >= nv) throw new Real2SimError('BAD_MESH', `${name}: face index ${k} out of range (${nv} vertices)`, { name });
    indices[i] = k;
  }
  return { positions, indices };
}

export type AssetMeshFormat = 'obj' | 'stl' | 'msh';

/** Reads a mesh file referenced by an asset. DAE and unknown formats are `UNSUPPORTED`. */
export function parseAssetMesh(bytes: Uint8Array, path: string): ParsedMesh {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  switch (ext) {
    case 'obj':
      return parseObj(new TextDecoder().decode(bytes), path);
    case 'stl': {
      const m = parseStl(bytes, path);
      return { mesh: m, groups: [m] };
    }
    case 'msh': {
      const m = parseMsh(bytes, path);
      return { mesh: m, groups: [m] };
    }
    case 'dae':
      throw new Real2SimError(
        'UNSUPPORTED',
        `COLLADA mesh '${path}' is not supported: convert it to OBJ or STL (e.g. 'assimp export in.dae out.obj' or Blender) and point the <uri> at the converted file`,
        { path },
      );
    default:
      throw new Real2SimError('UNSUPPORTED', `Mesh '${path}' has an unsupported format '${ext ?? '(none)'}': use OBJ, STL or MuJoCo .msh`, { path });
  }
}
