import { describe, expect, it } from 'vitest';
import { renderScene } from '../../src/synth/render.ts';
import { boxMesh } from '../../src/geometry/primitives.ts';
import { invertPose, quatFromMat3, quatFromYaw, transformPoint, type Pose, type Vec3 } from '../../src/model/pose.ts';
import { SCENE_VERSION, type Scene, type SceneCamera, type SceneObject } from '../../src/model/scene.ts';
import { createRng } from '../../src/geometry/random.ts';

const K = { width: 640, height: 480, fx: 525, fy: 525, cx: 319.5, cy: 239.5 };

function lookAtPose(eye: Vec3, target: Vec3): Pose {
  const f = [target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]];
  const l = Math.hypot(...f);
  const z = f.map((v) => v / l) as Vec3;
  const xl = Math.hypot(z[1], z[0]);
  const x: Vec3 = [z[1] / xl, -z[0] / xl, 0];
  const y: Vec3 = [z[1] * x[2] - z[2] * x[1], z[2] * x[0] - z[0] * x[2], z[0] * x[1] - z[1] * x[0]];
  return { position: eye, orientation: quatFromMat3([x[0], y[0], z[0], x[1], y[1], z[1], x[2], y[2], z[2]]) };
}

function boxObject(size: Vec3, pose: Pose): SceneObject {
  return {
    id: 'box_1',
    label: 'box',
    mesh: boxMesh(...size),
    pose,
    size,
    mass: 1,
    centerOfMass: [0, 0, 0],
    inertia: { ixx: 1, ixy: 0, ixz: 0, iyy: 1, iyz: 0, izz: 1 },
    collision: [],
    instanceId: 7,
    color: [0.8, 0.2, 0.1],
  };
}

function sceneOf(objects: SceneObject[], camera: SceneCamera): Scene {
  return { version: SCENE_VERSION, frameId: 'world', objects, reports: [], camera };
}

/** Back-projects pixel (u, v) with depth z into the world. */
function backProject(cam: SceneCamera, u: number, v: number, z: number): Vec3 {
  return transformPoint(cam.pose, [((u - K.cx) / K.fx) * z, ((v - K.cy) / K.fy) * z, z]);
}

describe('renderScene', () => {
  for (const seed of [1, 2, 3]) {
    it(`back-projected depth of a box lies on its faces within 0.1 mm (seed ${seed})`, () => {
      const rng = createRng(seed);
      const size: Vec3 = [rng.range(0.05, 0.4), rng.range(0.05, 0.4), rng.range(0.05, 0.4)];
      const pose: Pose = { position: [rng.range(-0.1, 0.1), rng.range(-0.1, 0.1), size[2] / 2], orientation: quatFromYaw(rng.range(-3, 3)) };
      const az = rng.range(-Math.PI, Math.PI),
        pitch = rng.range(0.45, 1.1),
        d = rng.range(0.5, 1.5);
      const eye: Vec3 = [-d * Math.cos(pitch) * Math.cos(az), -d * Math.cos(pitch) * Math.sin(az), d * Math.sin(pitch)];
      const camera: SceneCamera = { intrinsics: K, pose: lookAtPose(eye, [0, 0, 0.05]) };
      const out = renderScene(sceneOf([boxObject(size, pose)], camera), camera, { ground: true });
      const inv = invertPose(pose);
      let boxPixels = 0,
        groundPixels = 0,
        worst = 0,
        worstGround = 0;
      for (let v = 0; v < K.height; v++) {
        for (let u = 0; u < K.width; u++) {
          const i = v * K.width + u;
          const z = out.depth.data[i]!;
          if (!(z > 0)) continue;
          const w = backProject(camera, u, v, z);
          if (out.labels.data[i] === 7) {
            boxPixels++;
            const p = transformPoint(inv, w);
            // signed distance-like measure to the box surface: 0 on a face
            const s = Math.max(Math.abs(p[0]) - size[0] / 2, Math.abs(p[1]) - size[1] / 2, Math.abs(p[2]) - size[2] / 2);
            worst = Math.max(worst, Math.abs(s));
          } else {
            groundPixels++;
            worstGround = Math.max(worstGround, Math.abs(w[2]));
          }
        }
      }
      expect(boxPixels).toBeGreaterThan(500);
      expect(groundPixels).toBeGreaterThan(1000);
      expect(worst).toBeLessThan(1e-4);
      expect(worstGround).toBeLessThan(1e-4);
      expect(out.labels.labels.get(7)).toBe('box');
    });
  }

  it('draws the nearer of two overlapping objects and leaves the sky without depth', () => {
    const camera: SceneCamera = { intrinsics: K, pose: lookAtPose([-1, 0, 0.1], [0, 0, 0.1]) };
    const near = { ...boxObject([0.1, 0.1, 0.1], { position: [-0.3, 0, 0.1], orientation: [0, 0, 0, 1] }), instanceId: 1 };
    const far = { ...boxObject([0.3, 0.3, 0.3], { position: [0.2, 0, 0.1], orientation: [0, 0, 0, 1] }), instanceId: 2 };
    const out = renderScene(sceneOf([far, near], camera), camera, { ground: false });
    const centre = 239 * K.width + 319;
    expect(out.labels.data[centre]).toBe(1);
    // front face of the near box is at x = -0.35, i.e. 0.65 m from the camera
    expect(out.depth.data[centre]).toBeCloseTo(0.65, 6);
    expect(out.depth.data[0]).toBe(0);
    expect(out.labels.data[0]).toBe(0);
  });

  it('rejects a camera with fx <= 0 and a zero-sized render', () => {
    const camera: SceneCamera = { intrinsics: { ...K, fx: 0 }, pose: lookAtPose([-1, 0, 0.5], [0, 0, 0]) };
    expect(() => renderScene(sceneOf([], camera), camera)).toThrow(/fx/);
    const ok: SceneCamera = { intrinsics: K, pose: camera.pose };
    expect(() => renderScene(sceneOf([], ok), ok, { width: 0 })).toThrow(/size/);
  });

  it('scales intrinsics when asked for a smaller image', () => {
    const camera: SceneCamera = { intrinsics: K, pose: lookAtPose([-1, 0, 0.1], [0, 0, 0.1]) };
    const scene = sceneOf([boxObject([0.2, 0.2, 0.2], { position: [0, 0, 0.1], orientation: [0, 0, 0, 1] })], camera);
    const small = renderScene(scene, camera, { width: 320, height: 240, ground: false });
    expect(small.depth.width).toBe(320);
    expect(small.depth.data[119 * 320 + 159]).toBeCloseTo(0.9, 5);
  });
});
