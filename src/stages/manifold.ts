import Module from 'manifold-3d';
import type { Mesh } from '../model/geometry.ts';
import { weldRemap } from '../geometry/weld.ts';
import type { TaskRef } from './tasks.ts';

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
  try {
    if (raw.isEmpty()) return null;
    // the level set is dense (every grid crossing is a vertex): merge what lies within the
    // tolerance of flat. Simplifying can pinch two sheets onto one position (still manifold
    // by index, not by position, which welding exporters would break): keep the dense one then.
    if (simplifyTolerance > 0) {
      const simple = raw.simplify(simplifyTolerance);
      try {
        const m = toMesh(simple);
        if (!hasCoincidentVertices(m)) return m;
      } finally {
        simple.delete();
      }
    }
    return toMesh(raw);
  } finally {
    raw.delete();
  }
}

function toMesh(m: { getMesh(): { numProp: number; vertProperties: Float32Array; triVerts: Uint32Array } }): Mesh {
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
}

function hasCoincidentVertices(m: Mesh): boolean {
  return weldRemap(m.positions).keep.length < m.positions.length / 3;
}

/**
 * The part of a closed mesh on the side of the plane {p : n·p ≥ offset} (`n` a unit normal), or
 * null when nothing is left or the mesh is not a manifold manifold-3d accepts.
 */
export async function trimMesh(mesh: Mesh, normal: [number, number, number], offset: number): Promise<Mesh | null> {
  const wasm = await manifoldModule();
  let solid: InstanceType<typeof wasm.Manifold> | null = null,
    cut: InstanceType<typeof wasm.Manifold> | null = null;
  try {
    solid = closedSolid(wasm, mesh);
    if (!solid) return null;
    cut = solid.trimByPlane(normal, offset);
    return cut.isEmpty() ? null : toMesh(cut);
  } catch {
    return null;
  } finally {
    cut?.delete();
    solid?.delete();
  }
}

/** `trimMesh` as a task (the shape stage's neighbour cuts, several at once on the runner's threads). */
export function trimMeshTask(input: { mesh: Mesh; normal: [number, number, number]; offset: number }): Promise<Mesh | null> {
  return trimMesh(input.mesh, input.normal, input.offset);
}

export const TRIM_TASK: TaskRef<{ mesh: Mesh; normal: [number, number, number]; offset: number }, Mesh | null> = { module: import.meta.url, name: 'trimMeshTask', fn: trimMeshTask };

/**
 * The manifold of a closed mesh, or null. Meshes closed by index (every edge met once each way:
 * the level set's, the hull's, an earlier trim's) are taken as they are: `merge` would find no
 * open edge and change nothing, after a search over every edge. Only a mesh manifold-3d refuses
 * that way is merged (open edges joined where their vertices coincide) and tried again.
 */
function closedSolid(wasm: ManifoldModule, mesh: Mesh): InstanceType<ManifoldModule['Manifold']> | null {
  const input = () => new wasm.Mesh({ numProp: 3, vertProperties: Float32Array.from(mesh.positions), triVerts: Uint32Array.from(mesh.indices) });
  try {
    return new wasm.Manifold(input());
  } catch {
    const merged = input();
    merged.merge();
    try {
      return new wasm.Manifold(merged);
    } catch {
      return null;
    }
  }
}
