/**
 * Scenes for the physics tests, built from primitives: boxes, stacks, a plate, a bowl and a mug
 * made of convex parts (bottom + wall segments + handle), a ball.
 */
import type { Mesh } from '../../src/model/geometry.ts';
import type { Inertia, Scene, SceneObject } from '../../src/model/scene.ts';
import { SCENE_VERSION } from '../../src/model/scene.ts';
import type { Quat, Vec3 } from '../../src/model/pose.ts';
import { boxMesh, cylinderMesh, mergeMeshes, sphereMesh, translateMesh } from '../../src/geometry/primitives.ts';
import { convexHull } from '../../src/geometry/convexHull.ts';
import { massProperties } from '../../src/geometry/massProperties.ts';

export function scene(objects: SceneObject[]): Scene {
  return { version: SCENE_VERSION, frameId: 'world', objects, reports: [] };
}

/** An object from convex pieces (object frame) of uniform density. */
export function objectFromPieces(id: string, pieces: Mesh[], position: Vec3, density = 500, orientation: Quat = [0, 0, 0, 1]): SceneObject {
  let mass = 0;
  const com: Vec3 = [0, 0, 0];
  const parts = pieces.map((p) => massProperties(p, density));
  for (const mp of parts) {
    mass += mp.mass;
    for (let k = 0; k < 3; k++) com[k]! += mp.mass * mp.centerOfMass[k]!;
  }
  for (let k = 0; k < 3; k++) com[k]! /= mass;
  // parallel-axis sum of the pieces' inertias about the common centre of mass
  const I: Inertia = { ixx: 0, ixy: 0, ixz: 0, iyy: 0, iyz: 0, izz: 0 };
  for (const mp of parts) {
    const d = [mp.centerOfMass[0] - com[0], mp.centerOfMass[1] - com[1], mp.centerOfMass[2] - com[2]] as Vec3;
    const m = mp.mass;
    I.ixx += mp.inertia.ixx + m * (d[1] * d[1] + d[2] * d[2]);
    I.iyy += mp.inertia.iyy + m * (d[0] * d[0] + d[2] * d[2]);
    I.izz += mp.inertia.izz + m * (d[0] * d[0] + d[1] * d[1]);
    I.ixy += mp.inertia.ixy - m * d[0] * d[1];
    I.ixz += mp.inertia.ixz - m * d[0] * d[2];
    I.iyz += mp.inertia.iyz - m * d[1] * d[2];
  }
  const merged = mergeMeshes(pieces);
  const b = bounds(merged);
  return {
    id,
    label: id.replace(/_\d+$/, ''),
    mesh: merged,
    pose: { position, orientation },
    size: [b[3] - b[0], b[4] - b[1], b[5] - b[2]],
    mass,
    centerOfMass: com,
    inertia: I,
    collision: pieces,
  };
}

function bounds(m: Mesh): [number, number, number, number, number, number] {
  const b: [number, number, number, number, number, number] = [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity];
  for (let i = 0; i < m.positions.length; i += 3) {
    for (let k = 0; k < 3; k++) {
      b[k] = Math.min(b[k]!, m.positions[i + k]!);
      b[k + 3] = Math.max(b[k + 3]!, m.positions[i + k]!);
    }
  }
  return b;
}

export function box(id: string, size: Vec3, position: Vec3, density = 500, orientation?: Quat): SceneObject {
  return objectFromPieces(id, [boxMesh(...size)], position, density, orientation);
}

export function ball(id: string, radius: number, position: Vec3, density = 1000): SceneObject {
  const o = objectFromPieces(id, [sphereMesh(radius, 24, 12)], position, density);
  return { ...o, symmetry: 'continuous' };
}

export function plate(id: string, radius: number, height: number, position: Vec3): SceneObject {
  return { ...objectFromPieces(id, [cylinderMesh(radius, height, 32)], position, 2000), symmetry: 'continuous' };
}

/** An upright cylinder (a can, a tin): one convex piece, symmetric about its axis. */
export function can(id: string, radius: number, height: number, position: Vec3, density = 700): SceneObject {
  return { ...objectFromPieces(id, [cylinderMesh(radius, height, 32)], position, density), symmetry: 'continuous' };
}

/**
 * A cup from convex parts, centred on its box: a bottom disc and `segments` wall pieces (each
 * the hull of one wedge of the annulus), plus a handle when asked. Open at the top.
 */
export function cup(
  id: string,
  opts: { radius: number; height: number; wall: number; bottom: number; segments?: number; handle?: boolean; flare?: number },
  position: Vec3,
  orientation?: Quat,
): SceneObject {
  const n = opts.segments ?? 12;
  const h = opts.height,
    r = opts.radius,
    t = opts.wall;
  const flare = opts.flare ?? 0; // extra top radius (a bowl)
  const pieces: Mesh[] = [translateMesh(cylinderMesh(r, opts.bottom, n * 2), 0, 0, -h / 2 + opts.bottom / 2)];
  for (let s = 0; s < n; s++) {
    const a0 = (2 * Math.PI * s) / n,
      a1 = (2 * Math.PI * (s + 1)) / n;
    const pts: number[] = [];
    for (const a of [a0, a1]) {
      for (const [rr, z] of [
        [r, -h / 2 + opts.bottom],
        [r + flare, h / 2],
      ] as const) {
        pts.push(rr * Math.cos(a), rr * Math.sin(a), z, (rr - t) * Math.cos(a), (rr - t) * Math.sin(a), z);
      }
    }
    pieces.push(convexHull(new Float32Array(pts)));
  }
  if (opts.handle) pieces.push(translateMesh(boxMesh(0.03, 0.012, h * 0.6), r + flare / 2 + 0.015, 0, 0));
  const o = objectFromPieces(id, pieces, position, 2000, orientation);
  return o;
}

/** The 5-box tower on the floor: sizes shrinking upwards, each centred on the one below (+ offset). */
export function tower(n: number, offsetX = 0): SceneObject[] {
  const out: SceneObject[] = [];
  let z = 0;
  for (let k = 0; k < n; k++) {
    const s = 0.1 - k * 0.01;
    out.push(box(`box_${k + 1}`, [s, s, s * 0.8], [k * offsetX, 0, z + (s * 0.8) / 2]));
    z += s * 0.8;
  }
  return out;
}
