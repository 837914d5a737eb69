/**
 * Test scenes built from primitives (boxes, cylinders, spheres, a lathe mug-like shape), each
 * object resting on z = 0 with exact mass properties. Used until/alongside the synthetic
 * generator; deterministic for a seed.
 */
import type { Mesh } from '../../src/model/geometry.ts';
import type { Scene, SceneObject } from '../../src/model/scene.ts';
import { quatFromYaw, quatFromAxisAngle, quatMultiply, type Quat, type Vec3 } from '../../src/model/pose.ts';
import { boxMesh, cylinderMesh, sphereMesh, latheMesh } from '../../src/geometry/primitives.ts';
import { massProperties } from '../../src/geometry/massProperties.ts';
import { convexHull } from '../../src/geometry/convexHull.ts';
import { createRng } from '../../src/geometry/random.ts';

export function makeObject(id: string, label: string, mesh: Mesh, size: Vec3, position: Vec3, orientation: Quat, density = 500, extra: Partial<SceneObject> = {}): SceneObject {
  const mp = massProperties(mesh, density);
  return {
    id,
    label,
    mesh,
    pose: { position, orientation },
    size,
    mass: mp.mass,
    centerOfMass: mp.centerOfMass,
    inertia: mp.inertia,
    collision: [convexHull(mesh.positions)],
    color: [0.2, 0.5, 0.8],
    ...extra,
  };
}

/** A small fixed scene: a static slab, a box, a can lying on its side, a ball, a cup. */
export function fixedScene(): Scene {
  const lying = quatMultiply(quatFromYaw(0.3), quatFromAxisAngle([1, 0, 0], Math.PI / 2));
  const cup = latheMesh(
    [
      [0.03, -0.04],
      [0.035, 0.04],
    ],
    16,
  );
  return {
    version: 1,
    frameId: 'world',
    objects: [
      makeObject('slab', 'wooden board', boxMesh(0.4, 0.3, 0.02), [0.4, 0.3, 0.02], [0.6, 0, 0.01], [0, 0, 0, 1], 600, { isStatic: true, color: [0.6, 0.4, 0.2] }),
      makeObject('box_1', 'cracker box', boxMesh(0.06, 0.16, 0.21), [0.06, 0.16, 0.21], [0, 0, 0.105], quatFromYaw(0.5), 300),
      makeObject('can_1', 'soup can', cylinderMesh(0.033, 0.1, 24), [0.066, 0.066, 0.1], [0.2, 0.15, 0.033], lying, 1000),
      makeObject('ball', 'tennis ball', sphereMesh(0.033, 16, 8), [0.066, 0.066, 0.066], [-0.15, 0.2, 0.033], [0, 0, 0, 1], 180),
      makeObject('cup', 'Tasse <grün> & "co"', cup, [0.07, 0.07, 0.08], [0.55, 0.05, 0.02 + 0.04], quatFromYaw(-1.2), 900),
    ],
    reports: [],
  };
}

/** Random primitives on the floor, non-overlapping (a grid of cells), seeded. */
export function randomScene(seed: number, count?: number): Scene {
  const rng = createRng(seed);
  const n = count ?? 2 + rng.int(4);
  const objects: SceneObject[] = [];
  const cols = Math.ceil(Math.sqrt(n));
  for (let i = 0; i < n; i++) {
    const cx = (i % cols) * 0.3,
      cy = Math.floor(i / cols) * 0.3;
    const yaw = rng.range(-Math.PI, Math.PI);
    const kind = rng.int(3);
    const id = `obj_${i}`;
    if (kind === 0) {
      const s: Vec3 = [rng.range(0.03, 0.15), rng.range(0.03, 0.15), rng.range(0.02, 0.2)];
      objects.push(makeObject(id, 'box', boxMesh(...s), s, [cx, cy, s[2] / 2], quatFromYaw(yaw), rng.range(200, 900)));
    } else if (kind === 1) {
      const r = rng.range(0.02, 0.06),
        h = rng.range(0.03, 0.2);
      objects.push(makeObject(id, 'cylinder', cylinderMesh(r, h, 20), [2 * r, 2 * r, h], [cx, cy, h / 2], quatFromYaw(yaw), rng.range(200, 900)));
    } else {
      const r = rng.range(0.02, 0.06);
      objects.push(makeObject(id, 'ball', sphereMesh(r, 16, 8), [2 * r, 2 * r, 2 * r], [cx, cy, r], quatFromYaw(yaw), rng.range(200, 900)));
    }
  }
  return { version: 1, frameId: 'world', objects, reports: [], meta: { seed } };
}
