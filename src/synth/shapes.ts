import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Mesh } from '../model/geometry.ts';
import type { Symmetry, Vec3 } from '../model/index.ts';
import { boundsOf } from '../model/geometry.ts';
import { boxMesh, capsuleMesh, coneMesh, cylinderMesh, latheMesh, mergeMeshes, sphereMesh, translateMesh } from '../geometry/primitives.ts';
import { convexHull } from '../geometry/convexHull.ts';
import { massProperties, meshVolume } from '../geometry/massProperties.ts';
import { createRng, type Rng } from '../geometry/random.ts';
import { KdTree } from '../geometry/kdtree.ts';
import { sampleSurface } from '../geometry/surfaceSample.ts';
import { parseObj, parseStl } from '../io/readers/meshes.ts';
import { weldMesh } from '../io/mesh.ts';

/**
 * The open-set shape catalogue of the synthetic scene generator. Every shape comes out
 * closed and outward-oriented, in its own frame (z up, origin at the centre of its box),
 * with convex collision pieces whose union approximates it — a mug is a shell of wall pieces
 * plus a bottom and a handle, so a ball can rest inside it.
 */
export type ShapeKind = 'box' | 'cylinder' | 'sphere' | 'cone' | 'capsule' | 'lshape' | 'mug' | 'mesh';

export const SHAPE_KINDS: readonly ShapeKind[] = ['box', 'cylinder', 'sphere', 'cone', 'capsule', 'lshape', 'mug', 'mesh'];

/** Smallest and largest extent of any generated object, metres (the SceneMaker recipe's 4–40 cm). */
export const MIN_EXTENT = 0.04;
export const MAX_EXTENT = 0.4;

export interface ShapeSpec {
  kind: ShapeKind;
  label: string;
  /** Closed, outward, box-centred, object frame. */
  mesh: Mesh;
  /** Convex pieces, same frame. */
  collision: Mesh[];
  symmetry: Symmetry;
  /** Full extents of the mesh's axis-aligned box (object frame). */
  size: Vec3;
  /** kg/m³ used for the mass. */
  density: number;
  /** For meshes from files: where it came from. */
  source?: string;
}

/** Density per shape (kg/m³): light wood / cardboard for boxes, ceramic for mugs. */
export const SHAPE_DENSITY: Readonly<Record<ShapeKind, number>> = {
  box: 600,
  cylinder: 700,
  sphere: 900,
  cone: 800,
  capsule: 900,
  lshape: 600,
  mug: 2000,
  mesh: 800,
};

const u = (rng: Rng, lo = MIN_EXTENT, hi = MAX_EXTENT) => rng.range(lo, hi);

/** Recentres mesh + pieces on the mesh's box centre and fills in `size`. */
function centred(kind: ShapeKind, label: string, mesh: Mesh, collision: Mesh[], symmetry: Symmetry, source?: string): ShapeSpec {
  const { min, max } = boundsOf(mesh.positions);
  const c: Vec3 = [(min[0] + max[0]) / 2, (min[1] + max[1]) / 2, (min[2] + max[2]) / 2];
  const shift = (m: Mesh) => translateMesh(m, -c[0], -c[1], -c[2]);
  const out: ShapeSpec = {
    kind,
    label,
    mesh: c.every((v) => v === 0) ? mesh : shift(mesh),
    collision: c.every((v) => v === 0) ? collision : collision.map(shift),
    symmetry,
    size: [max[0] - min[0], max[1] - min[1], max[2] - min[2]],
    density: SHAPE_DENSITY[kind],
  };
  if (source !== undefined) out.source = source;
  return out;
}

export function makeBox(rng: Rng): ShapeSpec {
  const square = rng.next() < 0.25;
  const sx = u(rng),
    sz = u(rng);
  const sy = square ? sx : u(rng);
  const m = boxMesh(sx, sy, sz);
  return centred('box', 'box', m, [m], square ? 'rot4' : 'rot2');
}

export function makeCylinder(rng: Rng): ShapeSpec {
  const r = u(rng, MIN_EXTENT, 0.25) / 2;
  const h = u(rng);
  const m = cylinderMesh(r, h, 48);
  return centred('cylinder', 'cylinder', m, [m], 'continuous');
}

export function makeSphere(rng: Rng): ShapeSpec {
  const r = u(rng, MIN_EXTENT, 0.25) / 2;
  const m = sphereMesh(r, 40, 20);
  return centred('sphere', 'sphere', m, [m], 'continuous');
}

export function makeCone(rng: Rng): ShapeSpec {
  const r = u(rng, 0.06, 0.3) / 2;
  const h = u(rng, 0.05, MAX_EXTENT);
  const m = coneMesh(r, h, 48);
  return centred('cone', 'cone', m, [m], 'continuous');
}

/**
 * A capsule lies on its side (axis along x): standing on a hemispherical end is an unstable
 * equilibrium (its centre of mass is above the end's centre of curvature), and truth scenes
 * must be at rest. Lying, it is symmetric under a half turn about z only.
 */
const CAPSULE_SEGMENTS = 20;
export function makeCapsule(rng: Rng): ShapeSpec {
  const r = u(rng, MIN_EXTENT, 0.16) / 2;
  const h = Math.max(2 * r + 0.01, u(rng, MIN_EXTENT, 0.3));
  // turn by half a segment about its axis first, so a flat strip of facets (not a vertex
  // ridge) ends up at the bottom and the polygonal capsule cannot roll
  const half = Math.PI / CAPSULE_SEGMENTS,
    c = Math.cos(half),
    sn = Math.sin(half);
  const m = rotateMesh(capsuleMesh(r, h, CAPSULE_SEGMENTS, 8), (x, y, z) => [z, sn * x + c * y, -(c * x - sn * y)]);
  return centred('capsule', 'capsule', m, [simplifiedHull(m.positions)], 'rot2');
}

/**
 * Prism over a simple polygon (x, y pairs, counter-clockwise) from z0 to z1, with the given
 * triangulation of the polygon. Side faces get their own vertices (flat shading).
 */
function prismMesh(poly: readonly (readonly [number, number])[], tris: readonly number[], z0: number, z1: number): Mesh {
  const n = poly.length;
  const pos: number[] = [];
  const idx: number[] = [];
  // bottom (reversed) and top caps
  for (const [x, y] of poly) pos.push(x, y, z0);
  for (const [x, y] of poly) pos.push(x, y, z1);
  for (let t = 0; t < tris.length; t += 3) {
    idx.push(tris[t]!, tris[t + 2]!, tris[t + 1]!);
    idx.push(n + tris[t]!, n + tris[t + 1]!, n + tris[t + 2]!);
  }
  for (let k = 0; k < n; k++) {
    const [ax, ay] = poly[k]!;
    const [bx, by] = poly[(k + 1) % n]!;
    const b = pos.length / 3;
    pos.push(ax, ay, z0, bx, by, z0, bx, by, z1, ax, ay, z1);
    idx.push(b, b + 1, b + 2, b, b + 2, b + 3);
  }
  return { positions: new Float32Array(pos), indices: new Uint32Array(idx) };
}

/** Swaps y and z of a mesh (and flips winding so it stays outward). */
function yToZ(m: Mesh): Mesh {
  const p = new Float32Array(m.positions.length);
  for (let i = 0; i < p.length; i += 3) {
    p[i] = m.positions[i]!;
    p[i + 1] = m.positions[i + 2]!;
    p[i + 2] = m.positions[i + 1]!;
  }
  const idx = new Uint32Array(m.indices.length);
  for (let t = 0; t < idx.length; t += 3) {
    idx[t] = m.indices[t]!;
    idx[t + 1] = m.indices[t + 2]!;
    idx[t + 2] = m.indices[t + 1]!;
  }
  return { positions: p, indices: idx };
}

/**
 * An L made of two boxes: either flat (an L footprint) or standing (a step seen from the side).
 * The visual mesh is one closed prism over the L polygon, so it has no internal faces; the
 * collision pieces are the two boxes.
 */
export function makeLShape(rng: Rng): ShapeSpec {
  const a = u(rng, 0.08, MAX_EXTENT);
  const b = u(rng, 0.08, MAX_EXTENT);
  const t = rng.range(0.35, 0.65) * Math.min(a, b);
  const depth = u(rng);
  // CCW L polygon: v0..v5, fanned from the reflex corner v3 = (t, t)
  const poly: [number, number][] = [
    [0, 0],
    [a, 0],
    [a, t],
    [t, t],
    [t, b],
    [0, b],
  ];
  const tris = [3, 4, 5, 3, 5, 0, 3, 0, 1, 3, 1, 2];
  const standing = rng.next() < 0.5;
  let mesh = prismMesh(poly, tris, 0, depth);
  let pieces = [translateMesh(boxMesh(a, t, depth), a / 2, t / 2, depth / 2), translateMesh(boxMesh(t, b - t, depth), t / 2, t + (b - t) / 2, depth / 2)];
  if (standing) {
    mesh = yToZ(mesh);
    pieces = pieces.map(yToZ);
  }
  return centred('lshape', 'l_shape', mesh, pieces, 'none');
}

/**
 * A mug: a lathed cup (outer wall, rim, inner wall, floor) plus a C-shaped handle of three bars.
 * Collision: `wallPieces` convex wall segments standing on a bottom disc, and the three handle
 * bars: every piece convex, the cavity open, so a ball dropped in stays in.
 */
export function makeMug(rng: Rng, wallPieces = 12): ShapeSpec {
  const R = u(rng, 0.06, 0.16) / 2;
  const H = u(rng, 0.06, 0.18);
  const wall = Math.min(0.008, Math.max(0.003, R * 0.12));
  const floor = Math.min(0.012, Math.max(0.004, H * 0.08));
  const r = R - wall;
  const segments = wallPieces * 4;
  const cup = latheMesh(
    [
      [0, 0],
      [R, 0],
      [R, H],
      [r, H],
      [r, floor],
      [0, floor],
    ],
    segments,
  );
  // handle on +x: two horizontal bars and one vertical bar
  const reach = Math.max(0.02, R * 0.6);
  const bar = Math.max(0.006, wall * 1.2);
  const hw = Math.max(0.008, R * 0.25); // handle width along y
  const zLo = H * 0.2,
    zHi = H * 0.8;
  const x0 = R * Math.cos(Math.asin(Math.min(1, hw / 2 / R))) - 0.0005; // inner face just inside the outer wall
  const x1 = R + reach;
  const hb = (xa: number, xb: number, za: number, zb: number) => translateMesh(boxMesh(xb - xa, hw, zb - za), (xa + xb) / 2, 0, (za + zb) / 2);
  const handle = [hb(x0, x1 - bar, zHi - bar, zHi), hb(x0, x1 - bar, zLo, zLo + bar), hb(x1 - bar, x1, zLo, zHi)];
  const mesh = mergeMeshes([cup, ...handle]);
  const pieces: Mesh[] = [cylinderMesh(R, floor, segments)].map((m) => translateMesh(m, 0, 0, floor / 2));
  for (let k = 0; k < wallPieces; k++) {
    const a0 = (2 * Math.PI * k) / wallPieces,
      a1 = (2 * Math.PI * (k + 1)) / wallPieces;
    const pts: number[] = [];
    for (const z of [floor, H]) {
      for (const rad of [R, r]) for (const a of [a0, a1]) pts.push(rad * Math.cos(a), rad * Math.sin(a), z);
    }
    pieces.push(convexHull(new Float32Array(pts)));
  }
  pieces.push(...handle);
  return centred('mug', 'mug', mesh, pieces, 'none');
}

// ---------------------------------------------------------------------------------------------
// Meshes from files (OBJ / STL) under a shared data folder.

/** A mesh read from a file, welded, checked closed, in the file's own units and axes. */
export interface FileMesh {
  path: string;
  name: string;
  mesh: Mesh;
}

const fileMeshCache = new Map<string, FileMesh | null>();

/** Files that are collision proxies or scenery rather than objects. */
const SKIP_NAME = /vhacd|_col\b|_CHs|plane/i;

/** Every `.obj` / `.stl` under `dir` (recursive), sorted, so a folder always gives the same list. */
export function listMeshFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (/\.(obj|stl)$/i.test(e) && !SKIP_NAME.test(basename(e, extname(e)))) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Welds vertices with identical positions and drops degenerate triangles. Returns null unless
 * the result is closed and consistently oriented (every directed edge has exactly one twin).
 */
export function weldClosed(m: Mesh): Mesh | null {
  const { positions, indices: idx } = weldMesh({ positions: m.positions, indices: m.indices });
  const edges = new Map<number, number>();
  const nv = positions.length / 3;
  for (let t = 0; t < idx.length; t += 3) {
    const a = idx[t]!,
      b = idx[t + 1]!,
      c = idx[t + 2]!;
    for (const [p, q] of [
      [a, b],
      [b, c],
      [c, a],
    ] as const) {
      const key = p * nv + q;
      edges.set(key, (edges.get(key) ?? 0) + 1);
    }
  }
  if (idx.length < 12) return null;
  for (const [key, count] of edges) {
    if (count !== 1) return null;
    const p = Math.floor(key / nv),
      q = key % nv;
    if (edges.get(q * nv + p) !== 1) return null;
  }
  return { positions, indices: idx };
}

/** A label for a mesh file: its name, or its folder's when the name is generic (`textured_simple.obj`). */
export function meshName(path: string): string {
  const stem = basename(path, extname(path));
  if (/^(textured_simple.*|textured|model|mesh|visual|nontextured|google_\d+k.*)$/i.test(stem)) {
    const parent = basename(dirname(path));
    if (parent && parent !== '.') return parent;
  }
  return stem;
}

/** Reads, welds and checks one mesh file (cached per process); null when unusable. */
export function loadFileMesh(path: string): FileMesh | null {
  const cached = fileMeshCache.get(path);
  if (cached !== undefined) return cached;
  let result: FileMesh | null = null;
  try {
    const bytes = readFileSync(path);
    // the asset readers' OBJ/STL parsers; a file they refuse is unusable here (null)
    const raw = /\.stl$/i.test(path) ? parseStl(new Uint8Array(bytes), path) : parseObj(bytes.toString('utf8'), path).mesh;
    let mesh = weldClosed(raw);
    if (mesh) {
      let vol = meshVolume(mesh);
      if (vol < 0) {
        const idx = mesh.indices.slice();
        for (let t = 0; t < idx.length; t += 3) [idx[t + 1], idx[t + 2]] = [idx[t + 2]!, idx[t + 1]!];
        mesh = { positions: mesh.positions, indices: idx };
        vol = -vol;
      }
      const { min, max } = boundsOf(mesh.positions);
      const ext = [max[0] - min[0], max[1] - min[1], max[2] - min[2]];
      const boxVol = ext[0]! * ext[1]! * ext[2]!;
      // zero-volume, paper-thin or needle-like meshes cannot be scaled into 4–40 cm on every axis
      if (vol > 1e-3 * boxVol && Math.max(...ext) / Math.min(...ext) <= MAX_EXTENT / MIN_EXTENT) {
        result = { path, name: meshName(path), mesh };
      }
    }
  } catch {
    result = null;
  }
  fileMeshCache.set(path, result);
  return result;
}

/** Rotations that put each of the six signed axes up: file meshes come z-up or y-up. */
const UP_AXES: readonly ((x: number, y: number, z: number) => [number, number, number])[] = [
  (x, y, z) => [x, y, z], // +z up
  (x, y, z) => [x, -z, y], // +y up (OBJ convention)
  (x, y, z) => [x, z, -y], // -y up
  (x, y, z) => [z, y, -x], // +x up
  (x, y, z) => [-z, y, x], // -x up
  (x, y, z) => [x, -y, -z], // -z up
];

function rotateMesh(m: Mesh, f: (x: number, y: number, z: number) => [number, number, number]): Mesh {
  const p = new Float32Array(m.positions.length);
  for (let i = 0; i < p.length; i += 3) {
    const r = f(m.positions[i]!, m.positions[i + 1]!, m.positions[i + 2]!);
    p[i] = r[0];
    p[i + 1] = r[1];
    p[i + 2] = r[2];
  }
  return { positions: p, indices: m.indices };
}

/**
 * True when the mesh's centre of mass (uniform density) lies over the box of its lowest 2 %
 * band, and that band is a real patch, not a point: a crude test that it rests as placed.
 */
function standsStably(m: Mesh): boolean {
  const { min, max } = boundsOf(m.positions);
  const band = min[2] + 0.02 * (max[2] - min[2]);
  let bx0 = Infinity,
    bx1 = -Infinity,
    by0 = Infinity,
    by1 = -Infinity;
  for (let i = 0; i < m.positions.length; i += 3) {
    const x = m.positions[i]!,
      y = m.positions[i + 1]!,
      z = m.positions[i + 2]!;
    if (z <= band) {
      bx0 = Math.min(bx0, x);
      bx1 = Math.max(bx1, x);
      by0 = Math.min(by0, y);
      by1 = Math.max(by1, y);
    }
  }
  const [cx, cy] = massProperties(m, 1).centerOfMass;
  const sx = max[0] - min[0],
    sy = max[1] - min[1];
  const mx = 0.1 * (bx1 - bx0),
    my = 0.1 * (by1 - by0);
  return bx1 - bx0 > 0.15 * sx && by1 - by0 > 0.15 * sy && cx > bx0 + mx && cx < bx1 - mx && cy > by0 + my && cy < by1 - my;
}

/** Most vertices of one convex collision piece (the limit for simulator hulls). */
export const MAX_HULL_VERTICES = 64;

/**
 * Convex hull with at most `maxVertices` vertices: vertices of the bottom face (the
 * face the object rests on, z = min) are taken first — spread out, up to a quarter of the budget — so it keeps
 * its exact resting face, then the rest by farthest-point sampling (seeded by the extremes, so
 * deterministic). The thinned hull lies inside the full one.
 */
export function simplifiedHull(points: Float32Array, maxVertices = MAX_HULL_VERTICES): Mesh {
  const full = convexHull(points);
  const V = full.positions;
  const n = V.length / 3;
  if (n <= maxVertices) return full;
  const { min, max } = boundsOf(V);
  const eps = 1e-6 * Math.max(max[0] - min[0], max[1] - min[1], max[2] - min[2]);
  const chosen: number[] = [];
  const dist = new Float64Array(n).fill(Infinity);
  const take = (k: number) => {
    chosen.push(k);
    for (let j = 0; j < n; j++) {
      const d = (V[j * 3]! - V[k * 3]!) ** 2 + (V[j * 3 + 1]! - V[k * 3 + 1]!) ** 2 + (V[j * 3 + 2]! - V[k * 3 + 2]!) ** 2;
      if (d < dist[j]!) dist[j] = d;
    }
  };
  const farthest = (allowed: (j: number) => boolean) => {
    let best = -1,
      bd = -1;
    for (let j = 0; j < n; j++) {
      if (allowed(j) && dist[j]! > bd) {
        bd = dist[j]!;
        best = j;
      }
    }
    return bd > 0 ? best : -1;
  };
  const bottom = (j: number) => V[j * 3 + 2]! <= min[2] + eps;
  let first = -1;
  for (let j = 0; j < n; j++) if (bottom(j) && (first < 0 || V[j * 3]! < V[first * 3]!)) first = j;
  if (first >= 0) take(first);
  while (chosen.length < maxVertices >> 2) {
    const k = farthest(bottom);
    if (k < 0) break;
    take(k);
  }
  while (chosen.length < maxVertices) {
    const k = farthest(() => true);
    if (k < 0) break;
    take(k);
  }
  const pts = new Float32Array(chosen.length * 3);
  chosen.forEach((k, i) => pts.set(V.subarray(k * 3, k * 3 + 3), i * 3));
  return convexHull(pts);
}

/**
 * Turns a mesh so that it rests on a face of its convex hull (the pose a real object settles
 * into on a plane): among the hull's planar faces over which the centre of mass projects
 * (statically stable rests), the one facing most nearly down in the mesh's current pose, then
 * the rotation that makes that face's normal exactly −z. Returns the mesh unchanged when no face
 * qualifies (numerically flat hulls).
 */
export function restOnHullFace(m: Mesh): Mesh {
  let hull: Mesh;
  try {
    hull = convexHull(m.positions);
  } catch {
    return m;
  }
  const com = massProperties(m, 1).centerOfMass;
  const P = hull.positions,
    I = hull.indices;
  // group coplanar hull triangles: same unit normal and offset
  const groups: { n: [number, number, number]; d: number; tris: number[]; area: number }[] = [];
  for (let t = 0; t < I.length; t += 3) {
    const a = I[t]! * 3,
      b = I[t + 1]! * 3,
      c = I[t + 2]! * 3;
    const ux = P[b]! - P[a]!,
      uy = P[b + 1]! - P[a + 1]!,
      uz = P[b + 2]! - P[a + 2]!;
    const vx = P[c]! - P[a]!,
      vy = P[c + 1]! - P[a + 1]!,
      vz = P[c + 2]! - P[a + 2]!;
    let nx = uy * vz - uz * vy,
      ny = uz * vx - ux * vz,
      nz = ux * vy - uy * vx;
    const len = Math.hypot(nx, ny, nz);
    if (!(len > 0)) continue;
    nx /= len;
    ny /= len;
    nz /= len;
    const d = nx * P[a]! + ny * P[a + 1]! + nz * P[a + 2]!;
    let g = groups.find((q) => q.n[0] * nx + q.n[1] * ny + q.n[2] * nz > 0.99995 && Math.abs(q.d - d) < 1e-5 * (1 + Math.abs(d)));
    if (!g) groups.push((g = { n: [nx, ny, nz], d, tris: [], area: 0 }));
    g.tris.push(t);
    g.area += len / 2;
  }
  // the centre of mass projected along −n onto the face lies inside one of its triangles
  const inside = (g: (typeof groups)[number]) => {
    const [nx, ny, nz] = g.n;
    const h = nx * com[0] + ny * com[1] + nz * com[2] - g.d;
    const px = com[0] - h * nx,
      py = com[1] - h * ny,
      pz = com[2] - h * nz;
    for (const t of g.tris) {
      const ids = [I[t]! * 3, I[t + 1]! * 3, I[t + 2]! * 3];
      let ok = true;
      for (let k = 0; k < 3 && ok; k++) {
        const a = ids[k]!,
          b = ids[(k + 1) % 3]!;
        const ex = P[b]! - P[a]!,
          ey = P[b + 1]! - P[a + 1]!,
          ez = P[b + 2]! - P[a + 2]!;
        const wx = px - P[a]!,
          wy = py - P[a + 1]!,
          wz = pz - P[a + 2]!;
        // (e × w) · n ≥ 0 for a point left of every edge of a counter-clockwise triangle
        if ((ey * wz - ez * wy) * nx + (ez * wx - ex * wz) * ny + (ex * wy - ey * wx) * nz < 0) ok = false;
      }
      if (ok) return true;
    }
    return false;
  };
  let best: (typeof groups)[number] | null = null;
  let bestScore = -Infinity;
  for (const g of groups) {
    if (!inside(g)) continue;
    const score = -g.n[2]; // facing down in the current pose
    if (score > bestScore + 1e-9 || (Math.abs(score - bestScore) <= 1e-9 && best && g.area > best.area)) {
      best = g;
      bestScore = score;
    }
  }
  if (!best) return m;
  // rotation taking n to −z: axis n × (−z), angle acos(n · −z)
  const [nx, ny, nz] = best.n;
  const cosA = -nz;
  if (cosA > 1 - 1e-12) return m;
  let ax = -ny,
    ay = nx; // n × (0, 0, −1) = (−ny, nx, 0)
  const al = Math.hypot(ax, ay);
  if (al < 1e-12) {
    ax = 1;
    ay = 0;
  } else {
    ax /= al;
    ay /= al;
  }
  const angle = Math.acos(Math.max(-1, Math.min(1, cosA)));
  const c = Math.cos(angle),
    sn = Math.sin(angle),
    t1 = 1 - c;
  // Rodrigues with axis (ax, ay, 0)
  const R = [c + ax * ax * t1, ax * ay * t1, ay * sn, ax * ay * t1, c + ay * ay * t1, -ax * sn, -ay * sn, ax * sn, c];
  return rotateMesh(m, (x, y, z) => [R[0]! * x + R[1]! * y + R[2]! * z, R[3]! * x + R[4]! * y + R[5]! * z, R[6]! * x + R[7]! * y + R[8]! * z]);
}

/**
 * Symmetry of a mesh about the vertical axis through its box centre: the surface is compared
 * with itself turned by 90° and 180° (rot4 / rot2) and by two generic angles (continuous). A turn
 * "matches" when the turned samples lie as close to the surface samples as unturned ones do
 * (90th percentile within 1.5× plus 0.3 % of the object's size).
 * File meshes need this so the truth's yaw error is measured modulo their real symmetry
 * (a cube from a file is rot4, a ball continuous).
 */
export function detectSymmetry(m: Mesh, seed = 1): Symmetry {
  const { min, max } = boundsOf(m.positions);
  const c = [(min[0] + max[0]) / 2, (min[1] + max[1]) / 2];
  const scale = Math.max(max[0] - min[0], max[1] - min[1], max[2] - min[2]);
  const rng = createRng(seed);
  const ref = sampleSurface(m, 20000, rng);
  const probe = sampleSurface(m, 800, rng);
  const tree = new KdTree(ref);
  // 90th percentile of the probe's distances to the reference samples after a turn; the
  // unturned probe gives the sampling's own spacing, which a symmetric turn must not exceed much
  const spread = (angle: number) => {
    const ca = Math.cos(angle),
      sa = Math.sin(angle);
    const d: number[] = [];
    for (let i = 0; i < probe.length; i += 3) {
      const x = probe[i]! - c[0]!,
        y = probe[i + 1]! - c[1]!;
      d.push(tree.nearest(c[0]! + ca * x - sa * y, c[1]! + sa * x + ca * y, probe[i + 2]!).dist2);
    }
    d.sort((a, b) => a - b);
    return Math.sqrt(d[Math.floor(0.9 * (d.length - 1))]!);
  };
  const base = spread(0);
  const matches = (angle: number) => spread(angle) <= 1.5 * base + 0.003 * scale;
  if (!matches(Math.PI)) return 'none';
  if (!matches(Math.PI / 2)) return 'rot2';
  if (matches(0.65) && matches(1.9)) return 'continuous';
  return 'rot4';
}

const symmetryCache = new Map<string, Symmetry>();

/**
 * A file mesh as a scene object: stood on a stable axis (file z-up first, then y-up, …),
 * scaled uniformly so its longest side is a random 4–40 cm while no side drops below 4 cm,
 * collision = its convex hull, symmetry detected from the surface (`detectSymmetry`).
 */
export function makeFileMeshShape(fm: FileMesh, rng: Rng): ShapeSpec {
  let mesh = fm.mesh;
  for (const f of UP_AXES) {
    const cand = rotateMesh(fm.mesh, f);
    if (standsStably(cand)) {
      mesh = cand;
      break;
    }
  }
  // settle onto the nearest stable face of its hull, so it is at rest exactly as placed
  mesh = restOnHullFace(mesh);
  const { min, max } = boundsOf(mesh.positions);
  const ext = [max[0] - min[0], max[1] - min[1], max[2] - min[2]];
  const longest = Math.max(...ext),
    shortest = Math.min(...ext);
  const lo = Math.max(MIN_EXTENT, (MIN_EXTENT * longest) / shortest);
  const target = rng.range(lo, Math.max(lo, MAX_EXTENT));
  const s = target / longest;
  const cx = (min[0] + max[0]) / 2,
    cy = (min[1] + max[1]) / 2,
    cz = (min[2] + max[2]) / 2;
  const p = new Float32Array(mesh.positions.length);
  for (let i = 0; i < p.length; i += 3) {
    p[i] = (mesh.positions[i]! - cx) * s;
    p[i + 1] = (mesh.positions[i + 1]! - cy) * s;
    p[i + 2] = (mesh.positions[i + 2]! - cz) * s;
  }
  const scaled: Mesh = { positions: p, indices: mesh.indices };
  // symmetry does not depend on the uniform scale: once per file (and chosen up axis)
  let sym = symmetryCache.get(fm.path);
  if (sym === undefined) {
    sym = detectSymmetry(scaled);
    symmetryCache.set(fm.path, sym);
  }
  return centred('mesh', fm.name, scaled, [simplifiedHull(p)], sym, fm.path);
}

/** One random shape of `kind`; `meshFiles` is the sorted list of candidate files for 'mesh'. */
export function makeShape(kind: ShapeKind, rng: Rng, meshFiles: readonly string[] = []): ShapeSpec {
  switch (kind) {
    case 'box':
      return makeBox(rng);
    case 'cylinder':
      return makeCylinder(rng);
    case 'sphere':
      return makeSphere(rng);
    case 'cone':
      return makeCone(rng);
    case 'capsule':
      return makeCapsule(rng);
    case 'lshape':
      return makeLShape(rng);
    case 'mug':
      return makeMug(rng);
    case 'mesh': {
      // deterministic for a given folder: the draw sequence depends only on the sorted list
      // and on which files in it are usable
      const tried = new Set<number>();
      while (tried.size < meshFiles.length) {
        const k = rng.int(meshFiles.length);
        if (tried.has(k)) continue;
        tried.add(k);
        const fm = loadFileMesh(meshFiles[k]!);
        if (fm) return makeFileMeshShape(fm, rng);
      }
      return makeBox(rng);
    }
  }
}
