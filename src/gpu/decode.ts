/**
 * Model outputs → scene-model values: class scores → instance label image, occupancy grid →
 * closed mesh in the protocol's canonical frame. Pure functions over typed arrays.
 */
import { boundsOf, type Mesh } from '../model/geometry.ts';
import { Real2SimError } from '../model/errors.ts';

export interface Instances {
  /** Instance ids per pixel, 0 = background; `width·height`. */
  labels: Uint16Array;
  instances: { id: number; label: string; score: number }[];
}

/**
 * Per-pixel argmax over `[C, H, W]` scores (channel 0 = background) and the softmax
 * probability of the winning class.
 */
export function logitsToInstances(logits: Float32Array, C: number, H: number, W: number): { classes: Uint16Array; prob: Float32Array } {
  const n = H * W;
  const classes = new Uint16Array(n);
  const prob = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0,
      bv = logits[i]!;
    for (let c = 1; c < C; c++) {
      const v = logits[c * n + i]!;
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[c * n + i]! - bv);
    classes[i] = best;
    prob[i] = 1 / sum;
  }
  return { classes, prob };
}

/**
 * 4-connected components per class of a class map: each component of at least `minPixels`
 * (and, with prompts, whose class name matches one) becomes an instance, ids in raster order
 * of first pixel. Score = mean probability of the component's pixels.
 */
export function classesToInstances(classes: Uint16Array, prob: Float32Array | undefined, W: number, H: number, names: readonly string[], minPixels = 1, prompts?: readonly string[]): Instances {
  const n = W * H;
  const labels = new Uint16Array(n);
  const visited = new Uint8Array(n);
  const stack = new Int32Array(n);
  const instances: Instances['instances'] = [];
  const wanted = (name: string) => !prompts || prompts.length === 0 || prompts.some((p) => name.toLowerCase().includes(p.toLowerCase()) || p.toLowerCase().includes(name.toLowerCase()));
  let next = 1;
  const members: number[] = [];
  for (let s = 0; s < n; s++) {
    const cls = classes[s]!;
    if (cls === 0 || visited[s]) continue;
    members.length = 0;
    let top = 0;
    stack[top++] = s;
    visited[s] = 1;
    while (top > 0) {
      const i = stack[--top]!;
      members.push(i);
      const x = i % W,
        y = (i - x) / W;
      if (x > 0 && !visited[i - 1] && classes[i - 1] === cls) {
        visited[i - 1] = 1;
        stack[top++] = i - 1;
      }
      if (x < W - 1 && !visited[i + 1] && classes[i + 1] === cls) {
        visited[i + 1] = 1;
        stack[top++] = i + 1;
      }
      if (y > 0 && !visited[i - W] && classes[i - W] === cls) {
        visited[i - W] = 1;
        stack[top++] = i - W;
      }
      if (y < H - 1 && !visited[i + W] && classes[i + W] === cls) {
        visited[i + W] = 1;
        stack[top++] = i + W;
      }
    }
    const name = names[cls] ?? `class_${cls}`;
    if (members.length < minPixels || !wanted(name)) continue;
    if (next > 65535) throw new Real2SimError('TOO_LARGE', 'More than 65535 instances: raise minPixels in the segment model manifest.');
    const id = next++;
    let ps = 0;
    for (const i of members) {
      labels[i] = id;
      ps += prob ? prob[i]! : 1;
    }
    instances.push({ id, label: name, score: ps / members.length });
  }
  return { labels, instances };
}

/**
 * Occupancy grid `[D, H, W]` (axes z, y, x; cell centres spread evenly over `min..max`) → the
 * closed surface of the occupied cells: one quad per face between an occupied and an empty cell,
 * corners shared, counter-clockwise from outside. Exact (no smoothing) so tests can predict it.
 */
export function occupancyToMesh(occ: Float32Array, D: number, H: number, W: number, min: readonly [number, number, number], max: readonly [number, number, number], threshold: number): Mesh {
  const filled = (i: number, j: number, k: number) => i >= 0 && j >= 0 && k >= 0 && i < W && j < H && k < D && occ[(k * H + j) * W + i]! > threshold;
  const sx = (max[0] - min[0]) / W,
    sy = (max[1] - min[1]) / H,
    sz = (max[2] - min[2]) / D;
  const corner = new Map<number, number>();
  const pos: number[] = [];
  const idx: number[] = [];
  const v = (i: number, j: number, k: number) => {
    const key = i + (W + 1) * (j + (H + 1) * k);
    let id = corner.get(key);
    if (id === undefined) {
      id = pos.length / 3;
      corner.set(key, id);
      pos.push(min[0] + i * sx, min[1] + j * sy, min[2] + k * sz);
    }
    return id;
  };
  // quad a-b-c-d counter-clockwise seen from outside
  const quad = (a: number, b: number, c: number, d: number) => idx.push(a, b, c, a, c, d);
  for (let k = 0; k < D; k++)
    for (let j = 0; j < H; j++)
      for (let i = 0; i < W; i++) {
        if (!filled(i, j, k)) continue;
        if (!filled(i - 1, j, k)) quad(v(i, j, k), v(i, j, k + 1), v(i, j + 1, k + 1), v(i, j + 1, k));
        if (!filled(i + 1, j, k)) quad(v(i + 1, j, k), v(i + 1, j + 1, k), v(i + 1, j + 1, k + 1), v(i + 1, j, k + 1));
        if (!filled(i, j - 1, k)) quad(v(i, j, k), v(i + 1, j, k), v(i + 1, j, k + 1), v(i, j, k + 1));
        if (!filled(i, j + 1, k)) quad(v(i, j + 1, k), v(i, j + 1, k + 1), v(i + 1, j + 1, k + 1), v(i + 1, j + 1, k));
        if (!filled(i, j, k - 1)) quad(v(i, j, k), v(i, j + 1, k), v(i + 1, j + 1, k), v(i + 1, j, k));
        if (!filled(i, j, k + 1)) quad(v(i, j, k + 1), v(i + 1, j, k + 1), v(i + 1, j + 1, k + 1), v(i, j + 1, k + 1));
      }
  if (idx.length === 0) throw new Real2SimError('BAD_MESH', `The shape model's occupancy grid has no cell above ${threshold}: no object surface to extract.`);
  return { positions: new Float32Array(pos), indices: new Uint32Array(idx) };
}

/**
 * Puts a mesh into the protocol's canonical frame: z up (a y-up mesh is turned by +90° about x:
 * (x, y, z) → (x, −z, y)), centred on its box, largest box extent 1. Returns a new mesh.
 */
export function canonicalise(mesh: Mesh, upAxis: 'y' | 'z'): Mesh {
  const p = new Float32Array(mesh.positions.length);
  for (let i = 0; i < p.length; i += 3) {
    const x = mesh.positions[i]!,
      y = mesh.positions[i + 1]!,
      z = mesh.positions[i + 2]!;
    if (upAxis === 'y') {
      p[i] = x;
      p[i + 1] = -z;
      p[i + 2] = y;
    } else {
      p[i] = x;
      p[i + 1] = y;
      p[i + 2] = z;
    }
  }
  const { min, max } = boundsOf(p);
  const ext = Math.max(max[0] - min[0], max[1] - min[1], max[2] - min[2]);
  if (!(ext > 0)) throw new Real2SimError('BAD_MESH', 'The generated mesh has zero extent.');
  const c = [(min[0] + max[0]) / 2, (min[1] + max[1]) / 2, (min[2] + max[2]) / 2];
  for (let i = 0; i < p.length; i += 3) for (let k = 0; k < 3; k++) p[i + k] = (p[i + k]! - c[k]!) / ext;
  return { positions: p, indices: mesh.indices.slice() };
}
