import Module from 'manifold-3d';
import type { Mesh } from '../model/geometry.ts';

/**
 * manifold-3d (WASM) loaded once, on first use: it turns voxel occupancy into a guaranteed
 * closed, outward, manifold triangle surface (`levelSet`), which a hand-written marching
 * cubes cannot promise in every corner case.
 */
type ManifoldModule = Awaited<ReturnType<typeof Module>>;
let loading: Promise<ManifoldModule> | null = null;

export function manifoldModule(): Promise<ManifoldModule> {
  loading ??= Module().then((m) => {
    m.setup();
    return m;
  });
  return loading;
}

/**
 * Closed surface of the level `0` of `f` (positive inside) sampled inside the box; edge length
 * sets the grid. Returns null when the surface is empty.
 */
export async function levelSetMesh(
  f: (x: number, y: number, z: number) => number,
  min: [number, number, number],
  max: [number, number, number],
  edgeLength: number,
  simplifyTolerance = 0,
): Promise<Mesh | null> {
  const wasm = await manifoldModule();
  const raw = wasm.Manifold.levelSet((p) => f(p[0], p[1], p[2]), { min, max }, edgeLength);
  // the level set is dense (every grid crossing is a vertex): merge what lies within the
  // tolerance of flat; manifold keeps it closed and manifold while it simplifies
  const m = simplifyTolerance > 0 ? raw.simplify(simplifyTolerance) : raw;
  if (m !== raw) raw.delete();
  try {
    if (m.isEmpty()) return null;
    const g = m.getMesh();
    const np = g.numProp;
    const n = g.vertProperties.length / np;
    const positions = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      positions[i * 3] = g.vertProperties[i * np]!;
      positions[i * 3 + 1] = g.vertProperties[i * np + 1]!;
      positions[i * 3 + 2] = g.vertProperties[i * np + 2]!;
    }
    return { positions, indices: new Uint32Array(g.triVerts) };
  } finally {
    m.delete();
  }
}
