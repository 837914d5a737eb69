import { describe, expect, it } from 'vitest';
import { renderScene } from '../../src/synth/render.ts';
import { SCENE_VERSION, type Scene, type SceneCamera, type SceneObject } from '../../src/model/scene.ts';
import type { Vec3 } from '../../src/model/pose.ts';

/**
 * Which pixels a triangle covers, against an independent ray–triangle intersection
 * (Möller–Trumbore) per pixel centre: the renderer scans only part of each row of a wide
 * bounding box, and must still draw every pixel whose ray hits the triangle and no other.
 */
const K = { width: 320, height: 240, fx: 260, fy: 250, cx: 159.5, cy: 119.5 };
// camera at the origin looking along +z (optical frame = world frame)
const camera: SceneCamera = { intrinsics: K, pose: { position: [0, 0, 0], orientation: [0, 0, 0, 1] } };

function triangleScene(a: Vec3, b: Vec3, c: Vec3): Scene {
  const object: SceneObject = {
    id: 'tri_1',
    label: 'tri',
    mesh: { positions: Float32Array.from([...a, ...b, ...c]), indices: Uint32Array.from([0, 1, 2]) },
    pose: { position: [0, 0, 0], orientation: [0, 0, 0, 1] },
    size: [1, 1, 1],
    mass: 1,
    centerOfMass: [0, 0, 0],
    inertia: { ixx: 1, ixy: 0, ixz: 0, iyy: 1, iyz: 0, izz: 1 },
    collision: [],
    instanceId: 5,
    color: [0.5, 0.5, 0.5],
  };
  return { version: SCENE_VERSION, frameId: 'world', objects: [object], reports: [], camera };
}

/** Ray from the origin along d against triangle (a, b, c): barycentrics and distance along d. */
function hit(d: Vec3, a: Vec3, b: Vec3, c: Vec3): { u: number; v: number; t: number } {
  const e1 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const e2 = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
  const p = [d[1] * e2[2]! - d[2] * e2[1]!, d[2] * e2[0]! - d[0] * e2[2]!, d[0] * e2[1]! - d[1] * e2[0]!];
  const det = e1[0]! * p[0]! + e1[1]! * p[1]! + e1[2]! * p[2]!;
  const s = [-a[0], -a[1], -a[2]];
  const u = (s[0]! * p[0]! + s[1]! * p[1]! + s[2]! * p[2]!) / det;
  const q = [s[1]! * e1[2]! - s[2]! * e1[1]!, s[2]! * e1[0]! - s[0]! * e1[2]!, s[0]! * e1[1]! - s[1]! * e1[0]!];
  const v = (d[0] * q[0]! + d[1] * q[1]! + d[2] * q[2]!) / det;
  const t = (e2[0]! * q[0]! + e2[1]! * q[1]! + e2[2]! * q[2]!) / det;
  return { u, v, t };
}

const cases: [string, Vec3, Vec3, Vec3][] = [
  ['a wide triangle facing the camera', [-0.5, -0.4, 1], [0.55, -0.1, 1], [0.1, 0.45, 1]],
  ['a long sliver a pixel or two wide', [-0.6, -0.45, 1], [0.6, 0.42, 1], [0.59, 0.44, 1]],
  ['a steep triangle, nearly edge-on', [-0.5, 0.2, 0.6], [0.5, 0.21, 2.5], [0.2, -0.3, 1.5]],
  ['a triangle with one vertex behind the camera', [-0.3, -0.2, 1], [0.4, -0.1, 1.2], [0.05, 0.3, -0.5]],
];

describe('renderScene coverage', () => {
  for (const [name, a, b, c] of cases) {
    it(`draws exactly the pixels whose ray hits ${name}`, () => {
      const out = renderScene(triangleScene(a, b, c), camera, { ground: false });
      let inside = 0,
        outside = 0;
      const wrong: string[] = [];
      const margin = 1e-6; // pixel centres this close to an edge may go either way
      for (let y = 0; y < K.height; y++) {
        for (let x = 0; x < K.width; x++) {
          const d: Vec3 = [(x - K.cx) / K.fx, (y - K.cy) / K.fy, 1];
          const h = hit(d, a, b, c);
          const i = y * K.width + x;
          const isIn = h.u > margin && h.v > margin && h.u + h.v < 1 - margin && h.t > 1e-3 + margin;
          const isOut = h.u < -margin || h.v < -margin || h.u + h.v > 1 + margin || h.t < 1e-3 - margin;
          if (isIn) {
            inside++;
            // d has z = 1, so t is the depth along the optical axis
            if (out.labels.data[i] !== 5 || !(Math.abs(out.depth.data[i]! - h.t) < 1e-6 * h.t)) wrong.push(`${x},${y} missed or at the wrong depth`);
          } else if (isOut) {
            outside++;
            if (out.labels.data[i] !== 0) wrong.push(`${x},${y} drawn outside`);
          }
        }
      }
      expect(wrong.slice(0, 10)).toEqual([]);
      // the cases are chosen so both sets are large: a renderer that drew nothing or everything fails
      expect(inside).toBeGreaterThan(150);
      expect(outside).toBeGreaterThan(10_000);
    });
  }
});
