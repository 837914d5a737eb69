/**
 * From scene objects to engine bodies, after checking that each object can be simulated at all.
 * An object that cannot (no collision pieces, a flat piece, zero or NaN mass, a non-physical
 * inertia, a NaN pose) gets a `bad_object` finding naming the field, and is left out of the
 * simulation instead of crashing an engine or producing NaNs for its neighbours.
 */
import type { PhysicsFinding } from '../src/model/physics.ts';
import type { SceneObject } from '../src/model/scene.ts';
import { isPhysicalInertia, meshVolume } from '../src/geometry/massProperties.ts';
import { isFinitePose, quatNormalize } from '../src/model/pose.ts';
import type { BodySpec } from './engine.ts';

export function inspectObject(o: SceneObject): PhysicsFinding | null {
  const problems: string[] = [];
  if (!isFinitePose(o.pose)) problems.push(`pose is not finite (${JSON.stringify(o.pose)})`);
  if (!Array.isArray(o.collision) || o.collision.length === 0) problems.push('has no collision pieces (run composition to compute convex pieces)');
  else {
    o.collision.forEach((m, k) => {
      const n = m.positions.length / 3;
      if (n < 4) problems.push(`collision piece ${k} has ${n} vertices (a convex piece needs at least 4)`);
      else if (!m.positions.every(Number.isFinite)) problems.push(`collision piece ${k} has non-finite vertices`);
      else if (m.indices.length >= 12 && !(Math.abs(meshVolume(m)) > 1e-12)) problems.push(`collision piece ${k} has no volume (flat)`);
    });
  }
  if (!o.isStatic) {
    if (!(Number.isFinite(o.mass) && o.mass > 0)) problems.push(`mass is ${o.mass} kg (must be a positive number)`);
    if (!o.centerOfMass || !o.centerOfMass.every(Number.isFinite)) problems.push('centre of mass is not finite');
    const I = o.inertia;
    if (!I || ![I.ixx, I.ixy, I.ixz, I.iyy, I.iyz, I.izz].every(Number.isFinite)) problems.push('inertia is not finite');
    else if (!isPhysicalInertia(I, 1e-12)) problems.push('inertia is not physical (not positive definite or breaks the triangle inequality)');
  }
  if (problems.length === 0) return null;
  return {
    kind: 'bad_object',
    severity: 'error',
    objects: [o.id],
    values: {},
    message: `Object '${o.id}' cannot be simulated: ${problems.join('; ')}. It was left out of the physics checks.`,
  };
}

export function bodySpec(o: SceneObject): BodySpec {
  return {
    id: o.id,
    pieces: o.collision.map((m) => m.positions),
    pose: { position: [...o.pose.position], orientation: quatNormalize(o.pose.orientation) },
    mass: o.mass,
    centerOfMass: o.centerOfMass,
    inertia: o.inertia,
    isStatic: o.isStatic,
  };
}
