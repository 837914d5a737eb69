/** Small hand-built scenes for io and metrics tests. */
import { boxMesh, cylinderMesh } from '../../src/geometry/primitives.ts';
import { massProperties } from '../../src/geometry/massProperties.ts';
import { quatFromRpy, type Vec3 } from '../../src/model/pose.ts';
import { emptyScene, type Scene, type SceneObject, type Symmetry } from '../../src/model/scene.ts';
import type { Mesh } from '../../src/model/geometry.ts';

export interface ObjSpec {
  id: string;
  shape?: 'box' | 'cylinder';
  size: Vec3;
  position: Vec3;
  yaw?: number;
  symmetry?: Symmetry;
  instanceId?: number;
  label?: string;
}

export function makeObject(spec: ObjSpec): SceneObject {
  const [sx, sy, sz] = spec.size;
  const mesh: Mesh = spec.shape === 'cylinder' ? cylinderMesh(sx / 2, sz, 24) : boxMesh(sx, sy, sz);
  const mp = massProperties(mesh, 500);
  return {
    id: spec.id,
    label: spec.label ?? spec.shape ?? 'box',
    mesh,
    pose: { position: [...spec.position], orientation: quatFromRpy(0, 0, spec.yaw ?? 0) },
    size: [sx, sy, sz],
    mass: mp.mass,
    centerOfMass: mp.centerOfMass,
    inertia: mp.inertia,
    collision: [mesh],
    ...(spec.symmetry ? { symmetry: spec.symmetry } : {}),
    ...(spec.instanceId !== undefined ? { instanceId: spec.instanceId } : {}),
  };
}

export function makeScene(specs: ObjSpec[]): Scene {
  const s = emptyScene();
  s.objects = specs.map(makeObject);
  s.support = { normal: [0, 0, 1], d: 0 };
  return s;
}
