/**
 * Mesh bytes ⇄ model meshes.
 *
 * Readers: OBJ (three's OBJLoader), PLY ascii/binary (three's PLYLoader), STL ascii/binary
 * (three's STLLoader), GLB (glTF-Transform's NodeIO: node world transforms applied, every
 * triangle primitive of the default scene merged). OBJ and STL loaders emit one vertex per
 * triangle corner, so positions are welded back (exact float equality) into an indexed mesh by
 * default; normals are dropped when welding because a welded vertex has no single normal.
 * Units are whatever the file holds: scaling millimetre files is the caller's business.
 *
 * Writers return strings/bytes and never touch the file system: `encodeObj` (mesh),
 * `encodePly` (point cloud, binary little-endian).
 */
import { BufferGeometry, ColorManagement, Mesh as ThreeMesh, type BufferAttribute, type InterleavedBufferAttribute } from 'three';
import { OBJLoader } from 'three/examples/jsm/loaders/OBJLoader.js';
import { PLYLoader } from 'three/examples/jsm/loaders/PLYLoader.js';
import { STLLoader } from 'three/examples/jsm/loaders/STLLoader.js';
import { NodeIO, type Node as GltfNode } from '@gltf-transform/core';
import { decoderReason, Real2SimError } from '../model/errors.ts';
import type { Mesh, PointCloud } from '../model/geometry.ts';
import { mergeMeshes } from '../geometry/primitives.ts';
import { weldRemap } from '../geometry/weld.ts';
import { defined } from '../model/options.ts';

export type MeshFormat = 'obj' | 'ply' | 'stl' | 'glb';

export interface DecodeMeshOptions {
  /** Merge vertices with identical positions (default true). */
  weld?: boolean;
}

export const DECODE_MESH_DEFAULTS: Required<DecodeMeshOptions> = { weld: true };

/** Format from a file name's extension, or null. */
export function meshFormatFromPath(path: string): MeshFormat | null {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext === 'obj' || ext === 'ply' || ext === 'stl' || ext === 'glb' ? ext : null;
}

const who = (name?: string) => (name ? `'${name}'` : 'mesh file');

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * Decodes a triangle mesh. Throws `BAD_MESH` naming the file for an empty or unreadable file,
 * a file without triangles, non-finite coordinates or out-of-range indices.
 */
export async function decodeMesh(bytes: Uint8Array, format: MeshFormat, name?: string, options: DecodeMeshOptions = {}): Promise<Mesh> {
  const opts = { ...DECODE_MESH_DEFAULTS, ...defined(options) };
  if (bytes.length === 0) {
    throw new Real2SimError('BAD_MESH', `${who(name)} is empty (0 bytes): it holds no mesh. Re-export it from the modelling tool.`, { name, format });
  }
  let mesh: Mesh;
  try {
    switch (format) {
      case 'obj':
        mesh = decodeObj(bytes);
        break;
      case 'ply':
        mesh = geometryToMesh(parsePly(bytes, name), plyFaceCount(bytes) > 0);
        break;
      case 'stl':
        mesh = decodeStl(bytes);
        break;
      case 'glb':
        mesh = await decodeGlb(bytes);
        break;
      default:
        throw new Real2SimError('UNSUPPORTED', `Mesh format '${String(format)}' is not supported; use obj, ply, stl or glb.`, { name, format });
    }
  } catch (e) {
    if (e instanceof Real2SimError) throw e;
    const why = decoderReason(e);
    const ext = /Missing required extension, "([^"]+)"/.exec(why)?.[1];
    if (ext) {
      throw new Real2SimError(
        'BAD_MESH',
        `${who(name)} needs the glTF extension ${ext}, which this reader does not decode (compressed meshes): re-export it without mesh compression.`,
        { name, format, extension: ext },
        e,
      );
    }
    throw new Real2SimError('BAD_MESH', `${who(name)} is not a readable ${format.toUpperCase()} file (truncated or corrupt?): ${why}`, { name, format }, e);
  }
  if (mesh.indices.length === 0) {
    throw new Real2SimError(
      'BAD_MESH',
      `${who(name)} holds no triangles (${mesh.positions.length / 3} vertices, 0 faces): an empty mesh${format === 'ply' ? ' or a point cloud' : ''} cannot be an object's shape.`,
      { name, format },
    );
  }
  checkMesh(mesh, name);
  return opts.weld ? weldMesh(mesh) : mesh;
}

/** Throws `BAD_MESH` for non-finite coordinates or indices outside the vertex array. */
export function checkMesh(mesh: Mesh, name?: string): Mesh {
  const n = mesh.positions.length / 3;
  if (!Number.isInteger(n) || mesh.indices.length % 3 !== 0) {
    throw new Real2SimError('BAD_MESH', `${who(name)}: positions must hold xyz triples and indices whole triangles.`, { name });
  }
  for (let i = 0; i < mesh.positions.length; i++) {
    if (!Number.isFinite(mesh.positions[i]!)) {
      throw new Real2SimError('BAD_MESH', `${who(name)}: vertex ${Math.floor(i / 3)} has a non-finite coordinate (${mesh.positions[i]}); a face probably refers to a vertex that does not exist.`, {
        name,
        vertex: Math.floor(i / 3),
      });
    }
  }
  for (let i = 0; i < mesh.indices.length; i++) {
    if (mesh.indices[i]! >= n) {
      throw new Real2SimError('BAD_MESH', `${who(name)}: triangle ${Math.floor(i / 3)} refers to vertex ${mesh.indices[i]} but there are only ${n}.`, { name });
    }
  }
  return mesh;
}

/**
 * STL, binary or ASCII (three's STLLoader), as a triangle soup: three vertices per triangle,
 * with the file's normals (and colours, for a binary file that has them). Throws what the
 * loader throws on a damaged file; `decodeMesh` and the asset readers word it.
 */
export function decodeStl(bytes: Uint8Array): Mesh {
  return geometryToMesh(new STLLoader().parse(toArrayBuffer(bytes)));
}

function decodeObj(bytes: Uint8Array): Mesh {
  const text = new TextDecoder().decode(bytes);
  const group = new OBJLoader().parse(text);
  const parts: Mesh[] = [];
  group.traverse((o) => {
    if (o instanceof ThreeMesh) {
      o.updateWorldMatrix(true, false);
      const g = (o.geometry as BufferGeometry).clone().applyMatrix4(o.matrixWorld);
      parts.push(geometryToMesh(g));
    }
  });
  return concatMeshes(parts);
}

/** Faces declared in a PLY header (0 when none or unreadable). */
function plyFaceCount(bytes: Uint8Array): number {
  const head = new TextDecoder().decode(bytes.subarray(0, Math.min(bytes.length, 4096)));
  const m = /element\s+face\s+(\d+)/.exec(head.split('end_header')[0] ?? '');
  return m ? Number(m[1]) : 0;
}

function parsePly(bytes: Uint8Array, name?: string): BufferGeometry {
  const magic = new TextDecoder().decode(bytes.subarray(0, 3));
  if (magic !== 'ply') {
    throw new Real2SimError('BAD_MESH', `${who(name)} is not a PLY file: it does not start with 'ply'.`, { name });
  }
  // PLYLoader converts sRGB vertex colours to linear when colour management is on; the model
  // stores colours as the file has them, so switch it off for this synchronous parse only.
  const was = ColorManagement.enabled;
  ColorManagement.enabled = false;
  // PLYLoader prints every header line it does not know ("unhandled …") with console.log: on a
  // damaged file that is a stream of garbage on the user's terminal. The parse is synchronous,
  // so silencing console.log for its duration affects nothing else.
  const log = console.log;
  console.log = () => undefined;
  try {
    return new PLYLoader().parse(toArrayBuffer(bytes));
  } finally {
    console.log = log;
    ColorManagement.enabled = was;
  }
}

function attrToFloat32(a: BufferAttribute | InterleavedBufferAttribute, itemSize: number): Float32Array {
  const out = new Float32Array(a.count * itemSize);
  for (let i = 0; i < a.count; i++) {
    out[i * itemSize] = a.getX(i);
    if (itemSize > 1) out[i * itemSize + 1] = a.getY(i);
    if (itemSize > 2) out[i * itemSize + 2] = a.getZ(i);
  }
  return out;
}

/**
 * three geometry → model mesh. Non-indexed geometry is read as a triangle soup (three corners
 * per triangle) when `soupIsTriangles`, else as bare points (a PLY without faces).
 */
function geometryToMesh(g: BufferGeometry, soupIsTriangles = true): Mesh {
  const pos = g.getAttribute('position') as BufferAttribute | undefined;
  if (!pos || pos.count === 0) return { positions: new Float32Array(0), indices: new Uint32Array(0) };
  const positions = attrToFloat32(pos, 3);
  const idx = g.getIndex();
  let indices: Uint32Array;
  if (idx) indices = Uint32Array.from({ length: idx.count - (idx.count % 3) }, (_, i) => idx.getX(i));
  else if (soupIsTriangles) indices = Uint32Array.from({ length: pos.count - (pos.count % 3) }, (_, i) => i);
  else indices = new Uint32Array(0);
  const mesh: Mesh = { positions, indices };
  const nrm = g.getAttribute('normal') as BufferAttribute | undefined;
  if (nrm && nrm.count === pos.count) mesh.normals = attrToFloat32(nrm, 3);
  const col = g.getAttribute('color') as BufferAttribute | undefined;
  if (col && col.count === pos.count) {
    const c = new Uint8Array(pos.count * 3);
    // getX() denormalises integer attributes to 0..1
    for (let i = 0; i < pos.count; i++) {
      c[i * 3] = Math.round(Math.min(1, Math.max(0, col.getX(i))) * 255);
      c[i * 3 + 1] = Math.round(Math.min(1, Math.max(0, col.getY(i))) * 255);
      c[i * 3 + 2] = Math.round(Math.min(1, Math.max(0, col.getZ(i))) * 255);
    }
    mesh.colors = c;
  }
  return mesh;
}

async function decodeGlb(bytes: Uint8Array): Promise<Mesh> {
  const doc = await new NodeIO().readBinary(bytes);
  const root = doc.getRoot();
  const scene = root.getDefaultScene() ?? root.listScenes()[0];
  const nodes: GltfNode[] = [];
  if (scene) scene.traverse((n) => void nodes.push(n));
  else nodes.push(...root.listNodes());
  const parts: Mesh[] = [];
  const el: number[] = [];
  for (const node of nodes) {
    const gm = node.getMesh();
    if (!gm) continue;
    const m = node.getWorldMatrix(); // column-major 4×4
    const det = m[0] * (m[5] * m[10] - m[9] * m[6]) - m[4] * (m[1] * m[10] - m[9] * m[2]) + m[8] * (m[1] * m[6] - m[5] * m[2]);
    for (const prim of gm.listPrimitives()) {
      const mode = prim.getMode();
      if (mode !== 4 && mode !== 5 && mode !== 6) continue; // points and lines carry no surface
      const pa = prim.getAttribute('POSITION');
      if (!pa) continue;
      const count = pa.getCount();
      const positions = new Float32Array(count * 3);
      for (let i = 0; i < count; i++) {
        pa.getElement(i, el); // denormalises quantised positions
        const x = el[0]!,
          y = el[1]!,
          z = el[2]!;
        positions[i * 3] = m[0] * x + m[4] * y + m[8] * z + m[12];
        positions[i * 3 + 1] = m[1] * x + m[5] * y + m[9] * z + m[13];
        positions[i * 3 + 2] = m[2] * x + m[6] * y + m[10] * z + m[14];
      }
      const ia = prim.getIndices();
      const ib = ia?.getArray();
      const seq: number[] = ib ? Array.from(ib as ArrayLike<number>) : Array.from({ length: count }, (_, i) => i);
      const tri: number[] = [];
      if (mode === 4) for (let i = 0; i + 2 < seq.length; i += 3) tri.push(seq[i]!, seq[i + 1]!, seq[i + 2]!);
      else if (mode === 5)
        for (let i = 0; i + 2 < seq.length; i++) {
          if (i % 2 === 0) tri.push(seq[i]!, seq[i + 1]!, seq[i + 2]!);
          else tri.push(seq[i + 1]!, seq[i]!, seq[i + 2]!);
        }
      else for (let i = 1; i + 1 < seq.length; i++) tri.push(seq[0]!, seq[i]!, seq[i + 1]!);
      const indices = Uint32Array.from(tri);
      // a mirroring transform turns counter-clockwise faces clockwise: swap to keep them outward
      if (det < 0) for (let i = 0; i < indices.length; i += 3) [indices[i + 1], indices[i + 2]] = [indices[i + 2]!, indices[i + 1]!];
      parts.push({ positions, indices });
    }
  }
  return concatMeshes(parts);
}

/**
 * Concatenates meshes (`mergeMeshes`); optional arrays are kept only when every part has
 * them, as a file read in parts keeps its normals and colours.
 */
export function concatMeshes(parts: readonly Mesh[]): Mesh {
  const merged = mergeMeshes(parts);
  if (parts.length === 0) return merged;
  const nv = merged.positions.length;
  const normals = parts.every((p) => p.normals) ? new Float32Array(nv) : undefined;
  const colors = parts.every((p) => p.colors) ? new Uint8Array(nv) : undefined;
  let vo = 0;
  for (const p of parts) {
    if (normals) normals.set(p.normals!, vo);
    if (colors) colors.set(p.colors!, vo);
    vo += p.positions.length;
  }
  return { ...merged, ...(normals ? { normals } : {}), ...(colors ? { colors } : {}) };
}

/**
 * Merges vertices whose positions are bit-identical (`weldRemap`) and drops triangles that
 * become degenerate (two equal corners) unless `keepDegenerate`. Normals are dropped (a shared
 * corner of a box has three); colours of the first vertex at a position are kept.
 */
export function weldMesh(mesh: Mesh, options: { keepDegenerate?: boolean } = {}): Mesh {
  const keepDegenerate = options.keepDegenerate === true;
  const { remap, keep } = weldRemap(mesh.positions);
  const positions = new Float32Array(keep.length * 3);
  const colors = mesh.colors ? new Uint8Array(keep.length * 3) : undefined;
  keep.forEach((v, i) => {
    positions[i * 3] = mesh.positions[v * 3]!;
    positions[i * 3 + 1] = mesh.positions[v * 3 + 1]!;
    positions[i * 3 + 2] = mesh.positions[v * 3 + 2]!;
    if (colors) colors.set(mesh.colors!.subarray(v * 3, v * 3 + 3), i * 3);
  });
  const tri: number[] = [];
  for (let t = 0; t < mesh.indices.length; t += 3) {
    const a = remap[mesh.indices[t]!]!,
      b = remap[mesh.indices[t + 1]!]!,
      c = remap[mesh.indices[t + 2]!]!;
    if (keepDegenerate || (a !== b && b !== c && a !== c)) tri.push(a, b, c);
  }
  return { positions, indices: Uint32Array.from(tri), ...(colors ? { colors } : {}) };
}

/** Shortest decimal text that reads back as the same float32 (deterministic, compact OBJ). */
export function formatFloat32(x: number): string {
  if (x === 0) return '0';
  const f = Math.fround(x);
  for (let p = 6; p < 9; p++) {
    const v = roundToDigits(f, p);
    if (Math.fround(v) === f) return scaledText(v, p);
  }
  return String(Number(f.toPrecision(9)));
}

/**
 * `String(v)` for v = ±n / 10^k as `roundToDigits` made it, from the integer n (JavaScript
 * writes numbers from 10^−6 up to 10^21 in plain decimals: the digits of n with the point k
 * places from the right, trailing zeros dropped); other magnitudes through String.
 */
function scaledText(v: number, p: number): string {
  const a = Math.abs(v);
  if (!(a >= 1e-6 && a < 1e15)) return String(v);
  let k = p - 1 - Math.floor(Math.log10(a));
  if (a * POW10[Math.max(0, Math.min(22, k))]! >= POW10[p]!) k--;
  if (!(k >= 0 && k <= 12)) return String(v);
  const n = Math.round(a * POW10[k]!);
  // n·10^−k must be v exactly (else let String decide)
  if (n / POW10[k]! !== a) return String(v);
  let digits = String(n);
  let places = k;
  let end = digits.length;
  while (places > 0 && end > 1 && digits.charCodeAt(end - 1) === 48) {
    end--;
    places--;
  }
  digits = digits.slice(0, end);
  const sign = v < 0 ? '-' : '';
  if (places === 0) return sign + digits;
  if (digits.length > places) return `${sign}${digits.slice(0, digits.length - places)}.${digits.slice(digits.length - places)}`;
  return `${sign}0.${'0'.repeat(places - digits.length)}${digits}`;
}

/** Exact powers of ten (10^k is exact in a double for k ≤ 22). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * `Number(f.toPrecision(p))` for a float32 `f`, without the string round trip when it can be
 * done exactly in doubles: |f|·10^k (the scale that leaves p digits before the point) is exact
 * when 0 ≤ k ≤ 12 (24 mantissa bits times 5^k fit in 53), so its rounding (ties away from zero,
 * as toPrecision's "the larger n") is exact and n / 10^k is the double the decimal string
 * parses to (both correctly rounded). Other scales go through toPrecision.
 */
function roundToDigits(f: number, p: number): number {
  const a = Math.abs(f);
  let k = p - 1 - Math.floor(Math.log10(a));
  // log10 can be one off next to a power of ten: settle k so that 10^(p−1) ≤ a·10^k < 10^p
  if (k >= 0 && k <= 12 && a * POW10[k]! >= POW10[p]!) k--;
  else if (k >= 0 && k <= 12 && a * POW10[k]! < POW10[p - 1]!) k++;
  if (!(k >= 0 && k <= 12) || !Number.isFinite(a)) return Number(f.toPrecision(p));
  const y = a * POW10[k]!;
  let n = Math.floor(y);
  if (y - n >= 0.5) n++;
  const v = n / POW10[k]!;
  return f < 0 ? -v : v;
}

/**
 * Mesh → Wavefront OBJ text: `o`, `v` (with `r g b` in 0..1 when the mesh has colours, the
 * common extension three and MeshLab read), `vn` when normals exist, 1-based `f`.
 */
export function encodeObj(mesh: Mesh, name?: string): string {
  checkMesh(mesh, name);
  const n = mesh.positions.length / 3;
  const lines: string[] = ['# real2sim mesh, metres'];
  if (name) lines.push(`o ${name.replace(/\s+/g, '_')}`);
  const p = mesh.positions;
  for (let i = 0; i < n; i++) {
    let line = `v ${formatFloat32(p[i * 3]!)} ${formatFloat32(p[i * 3 + 1]!)} ${formatFloat32(p[i * 3 + 2]!)}`;
    if (mesh.colors) line += ` ${(mesh.colors[i * 3]! / 255).toFixed(4)} ${(mesh.colors[i * 3 + 1]! / 255).toFixed(4)} ${(mesh.colors[i * 3 + 2]! / 255).toFixed(4)}`;
    lines.push(line);
  }
  const hasNormals = mesh.normals !== undefined && mesh.normals.length === mesh.positions.length;
  if (hasNormals) {
    const q = mesh.normals!;
    for (let i = 0; i < n; i++) lines.push(`vn ${formatFloat32(q[i * 3]!)} ${formatFloat32(q[i * 3 + 1]!)} ${formatFloat32(q[i * 3 + 2]!)}`);
  }
  const ix = mesh.indices;
  for (let t = 0; t < ix.length; t += 3) {
    const a = ix[t]! + 1,
      b = ix[t + 1]! + 1,
      c = ix[t + 2]! + 1;
    lines.push(hasNormals ? `f ${a}//${a} ${b}//${b} ${c}//${c}` : `f ${a} ${b} ${c}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Point cloud → binary little-endian PLY. Per vertex: float x y z, then float nx ny nz when
 * normals exist, then uchar red green blue when colours exist (the layout Open3D and
 * MeshLab read).
 */
export function encodePly(cloud: PointCloud): Uint8Array {
  const n = cloud.positions.length / 3;
  if (!Number.isInteger(n)) throw new Real2SimError('BAD_INPUT', `Point cloud positions must hold xyz triples, got ${cloud.positions.length} numbers.`);
  const hasN = cloud.normals !== undefined && cloud.normals.length === cloud.positions.length;
  const hasC = cloud.colors !== undefined && cloud.colors.length === cloud.positions.length;
  const header =
    ['ply', 'format binary_little_endian 1.0', 'comment real2sim point cloud, metres', `element vertex ${n}`, 'property float x', 'property float y', 'property float z']
      .concat(hasN ? ['property float nx', 'property float ny', 'property float nz'] : [])
      .concat(hasC ? ['property uchar red', 'property uchar green', 'property uchar blue'] : [])
      .concat(['end_header'])
      .join('\n') + '\n';
  const head = new TextEncoder().encode(header);
  const stride = 12 + (hasN ? 12 : 0) + (hasC ? 3 : 0);
  const out = new Uint8Array(head.length + n * stride);
  out.set(head, 0);
  const dv = new DataView(out.buffer, head.length);
  for (let i = 0; i < n; i++) {
    let o = i * stride;
    for (let k = 0; k < 3; k++, o += 4) dv.setFloat32(o, cloud.positions[i * 3 + k]!, true);
    if (hasN) for (let k = 0; k < 3; k++, o += 4) dv.setFloat32(o, cloud.normals![i * 3 + k]!, true);
    if (hasC) for (let k = 0; k < 3; k++, o += 1) dv.setUint8(o, cloud.colors![i * 3 + k]!);
  }
  return out;
}

/** PLY (ascii or binary, with or without faces) → point cloud of its vertices. */
export function decodePlyCloud(bytes: Uint8Array, name?: string): PointCloud {
  if (bytes.length === 0) throw new Real2SimError('BAD_MESH', `${who(name)} is empty (0 bytes): it holds no points.`, { name });
  let g: BufferGeometry;
  try {
    g = parsePly(bytes, name);
  } catch (e) {
    if (e instanceof Real2SimError) throw e;
    throw new Real2SimError('BAD_MESH', `${who(name)} is not a readable PLY file (truncated or corrupt?): ${decoderReason(e)}`, { name }, e);
  }
  const m = geometryToMesh(g, false);
  for (let i = 0; i < m.positions.length; i++) {
    if (!Number.isFinite(m.positions[i]!)) throw new Real2SimError('BAD_MESH', `${who(name)}: point ${Math.floor(i / 3)} has a non-finite coordinate.`, { name });
  }
  return { positions: m.positions, ...(m.colors ? { colors: m.colors } : {}), ...(m.normals ? { normals: m.normals } : {}) };
}
