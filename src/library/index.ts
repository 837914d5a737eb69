import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import type { Mesh } from '../model/geometry.ts';
import type { SceneLibraryRef } from '../model/scene.ts';
import { boundsOf } from '../model/geometry.ts';
import { Real2SimError } from '../model/errors.ts';
import { decodeMesh, meshFormatFromPath } from '../io/mesh.ts';
import { parseMsh } from '../io/readers/meshes.ts';
import { computeDescriptors, type LibraryDescriptors } from './descriptors.ts';

/**
 * A library of known objects: a folder of meshes (OBJ, STL, PLY, GLB, MuJoCo MSH), searched
 * recursively, with an optional `library.json` beside them:
 *
 * ```json
 * { "units": "m",
 *   "items": { "cans/soup.obj": { "name": "tomato soup can", "density": 980, "units": "mm",
 *                                 "scale": 1, "symmetry": "cylinder" },
 *              "old/broken.stl": { "ignore": true } } }
 * ```
 *
 * Units per file: `scale` (metres per file unit) or `units` (m, cm, mm) from the file's entry,
 * else the top-level `units`, else detected: a mesh whose largest extent is over 5 units is in
 * millimetres (no tabletop object is 5 m long; few are under 5 mm). Descriptors are cached in
 * `.real2sim-library-cache.json` beside the library, one entry per file keyed by its path,
 * size and modification time, so a changed file is described again and the others are not.
 */
/**
 * Symmetry of an item about its principal axes (the mesh's own axes may be arbitrary, as in scans):
 * `cylinder`: round about the principal axis whose extent differs from the other two (cans, balls);
 * `box`: unchanged by half turns about each principal axis (boxes, bricks); `none`.
 */
export type LibrarySymmetry = SceneLibraryRef['symmetry'];
export const LIBRARY_SYMMETRIES: readonly LibrarySymmetry[] = ['none', 'cylinder', 'box'];

export interface LibraryItemConfig {
  name?: string;
  /** kg/m³ */
  density?: number;
  /** Metres per file unit (overrides `units`). */
  scale?: number;
  units?: 'm' | 'cm' | 'mm';
  symmetry?: LibrarySymmetry;
  ignore?: boolean;
}

export interface LibraryConfig {
  units?: 'm' | 'cm' | 'mm';
  items?: Record<string, LibraryItemConfig>;
}

export interface LibraryItem {
  /** Path relative to the library folder, '/'-separated. */
  path: string;
  name: string;
  density?: number;
  symmetry: LibrarySymmetry;
  /** Metres per file unit, and where it came from. */
  scale: number;
  units: 'given' | 'detected-m' | 'detected-mm';
  desc: LibraryDescriptors;
}

export interface Library {
  dir: string;
  items: LibraryItem[];
  /** How many items were described now (the rest came from the cache). */
  described: number;
  warnings: string[];
}

export const LIBRARY_CACHE = '.real2sim-library-cache.json';
export const LIBRARY_CONFIG = 'library.json';
const CACHE_VERSION = 4;
const MESH_EXT = /\.(obj|stl|ply|glb|msh)$/i;
/** File names that say nothing about the object: the item is named after its folder. */
const GENERIC_NAME = /^(model|mesh|textured.*|collision.*|visual.*|google_\d+k.*|nontextured.*)$/i;
/** Largest extent above which a unit-less mesh is read as millimetres. */
export const MM_DETECT_EXTENT = 5;

const UNIT_SCALE = { m: 1, cm: 0.01, mm: 0.001 } as const;

interface CacheEntry {
  size: number;
  mtimeMs: number;
  scale: number;
  units: LibraryItem['units'];
  desc: Omit<LibraryDescriptors, 'samples' | 'normals'> & { samples: string; normals: string };
}

interface CacheFile {
  version: number;
  entries: Record<string, CacheEntry>;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d).sort();
    } catch {
      return;
    }
    const meshes = entries.filter((e) => MESH_EXT.test(e));
    // a folder with a visual mesh and its collision approximation holds one object, not two
    const hasVisual = meshes.some((e) => !/^collision/i.test(e));
    for (const e of entries) {
      if (e.startsWith('.')) continue;
      const p = join(d, e);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (MESH_EXT.test(e) && !(hasVisual && /^collision/i.test(e))) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function readConfig(dir: string): LibraryConfig {
  const p = join(dir, LIBRARY_CONFIG);
  if (!existsSync(p)) return {};
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new Real2SimError('BAD_INPUT', `${p} is not valid JSON: ${(e as Error).message}`, { path: p }, e);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Real2SimError('BAD_INPUT', `${p} must hold a JSON object ({ "units": …, "items": { path: {…} } })`, { path: p });
  const cfg = json as LibraryConfig;
  if (cfg.units !== undefined && !(cfg.units in UNIT_SCALE)) throw new Real2SimError('BAD_INPUT', `${p}: units must be m, cm or mm, got ${String(cfg.units)}`, { path: p });
  for (const [k, it] of Object.entries(cfg.items ?? {})) {
    const where = `${p}, item '${k}'`;
    if (typeof it !== 'object' || it === null) throw new Real2SimError('BAD_INPUT', `${where}: must be an object`, { path: p });
    if (it.units !== undefined && !(it.units in UNIT_SCALE)) throw new Real2SimError('BAD_INPUT', `${where}: units must be m, cm or mm, got ${String(it.units)}`, { path: p });
    if (it.scale !== undefined && !(typeof it.scale === 'number' && it.scale > 0 && Number.isFinite(it.scale)))
      throw new Real2SimError('BAD_INPUT', `${where}: scale must be a positive number (metres per file unit)`, { path: p });
    if (it.density !== undefined && !(typeof it.density === 'number' && it.density > 0 && Number.isFinite(it.density)))
      throw new Real2SimError('BAD_INPUT', `${where}: density must be a positive number (kg/m³)`, { path: p });
    if (it.symmetry !== undefined && !LIBRARY_SYMMETRIES.includes(it.symmetry)) throw new Real2SimError('BAD_INPUT', `${where}: symmetry must be one of ${LIBRARY_SYMMETRIES.join(', ')}`, { path: p });
  }
  return cfg;
}

/** Reads one library mesh in its file units. */
export async function readLibraryMesh(file: string): Promise<Mesh> {
  const bytes = new Uint8Array(readFileSync(file));
  if (/\.msh$/i.test(file)) return parseMsh(bytes, file);
  const fmt = meshFormatFromPath(file);
  if (!fmt) throw new Real2SimError('UNSUPPORTED', `${file}: not a mesh format the library reads (obj, stl, ply, glb, msh)`, { path: file });
  return decodeMesh(bytes, fmt, file);
}

function scaled(mesh: Mesh, s: number): Mesh {
  if (s === 1) return mesh;
  const p = new Float32Array(mesh.positions.length);
  for (let i = 0; i < p.length; i++) p[i] = mesh.positions[i]! * s;
  return { positions: p, indices: mesh.indices };
}

const meshCache = new Map<string, Mesh>();

/** An item's mesh in metres, item frame (read once per process). */
export async function itemMesh(lib: Pick<Library, 'dir'>, item: Pick<LibraryItem, 'path' | 'scale'>): Promise<Mesh> {
  const key = `${resolve(lib.dir, item.path)}|${item.scale}`;
  let m = meshCache.get(key);
  if (!m) {
    m = scaled(await readLibraryMesh(resolve(lib.dir, item.path)), item.scale);
    meshCache.set(key, m);
  }
  return m;
}

function f32ToB64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}
function b64ToF32(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

function defaultName(rel: string): string {
  const base = basename(rel, extname(rel));
  if (GENERIC_NAME.test(base)) {
    const parent = basename(dirname(rel));
    if (parent && parent !== '.') return parent;
  }
  return base;
}

export interface LoadLibraryOptions {
  /** Where the cache goes (default: beside the library). Unwritable → the index still works, with a warning. */
  cacheFile?: string;
  /** Samples per item (default DESCRIPTOR_SAMPLES). */
  samples?: number;
}

/** Indexes a library folder (see the header); reads the cache and rewrites it when anything changed. */
export async function loadLibrary(dirIn: string, options: LoadLibraryOptions = {}): Promise<Library> {
  const dir = resolve(dirIn);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Real2SimError('BAD_INPUT', `--library ${dirIn}: not a folder`, { path: dirIn });
  const cfg = readConfig(dir);
  const cachePath = options.cacheFile ?? join(dir, LIBRARY_CACHE);
  let cache: CacheFile = { version: CACHE_VERSION, entries: {} };
  if (existsSync(cachePath)) {
    try {
      const c = JSON.parse(readFileSync(cachePath, 'utf8')) as CacheFile;
      if (c.version === CACHE_VERSION && c.entries && typeof c.entries === 'object') cache = c;
    } catch {
      // a corrupt cache is rebuilt
    }
  }
  const warnings: string[] = [];
  const items: LibraryItem[] = [];
  const entries: Record<string, CacheEntry> = {};
  let described = 0;
  const samples = options.samples;
  for (const file of listFiles(dir)) {
    const rel = relative(dir, file).split(sep).join('/');
    const ic = cfg.items?.[rel] ?? {};
    if (ic.ignore) continue;
    const st = statSync(file);
    const givenScale = ic.scale ?? (ic.units ? UNIT_SCALE[ic.units] : cfg.units ? UNIT_SCALE[cfg.units] : undefined);
    const key = `${rel}`;
    let entry = cache.entries[key];
    if (!entry || entry.size !== st.size || entry.mtimeMs !== st.mtimeMs || (givenScale !== undefined && entry.scale !== givenScale) || (givenScale === undefined && entry.units === 'given')) {
      let raw: Mesh;
      try {
        raw = await readLibraryMesh(file);
      } catch (e) {
        warnings.push(`${rel}: skipped (${(e as Error).message})`);
        continue;
      }
      let scale: number, units: LibraryItem['units'];
      if (givenScale !== undefined) {
        scale = givenScale;
        units = 'given';
      } else {
        const { min, max } = boundsOf(raw.positions);
        const big = Math.max(max[0] - min[0], max[1] - min[1], max[2] - min[2]);
        [scale, units] = big > MM_DETECT_EXTENT ? [0.001, 'detected-mm'] : [1, 'detected-m'];
      }
      const mesh = scaled(raw, scale);
      meshCache.set(`${file}|${scale}`, mesh);
      const d = computeDescriptors(mesh, samples);
      entry = { size: st.size, mtimeMs: st.mtimeMs, scale, units, desc: { ...d, samples: f32ToB64(d.samples), normals: f32ToB64(d.normals) } };
      described++;
    }
    entries[key] = entry;
    const desc: LibraryDescriptors = { ...entry.desc, rests: entry.desc.rests, samples: b64ToF32(entry.desc.samples), normals: b64ToF32(entry.desc.normals) };
    items.push({
      path: rel,
      name: ic.name ?? defaultName(rel),
      ...(ic.density !== undefined ? { density: ic.density } : {}),
      symmetry: ic.symmetry ?? 'none',
      scale: entry.scale,
      units: entry.units,
      desc,
    });
  }
  const stale = Object.keys(cache.entries).some((k) => !(k in entries));
  if (described > 0 || stale || !existsSync(cachePath)) {
    try {
      writeFileSync(cachePath, JSON.stringify({ version: CACHE_VERSION, entries } satisfies CacheFile));
    } catch (e) {
      warnings.push(`library cache ${cachePath} not written (${(e as Error).message}): the library is described again next time`);
    }
  }
  if (items.length === 0) warnings.push(`library ${dir} holds no readable mesh (obj, stl, ply, glb, msh)`);
  return { dir, items, described, warnings };
}
