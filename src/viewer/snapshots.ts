import { renderScene } from '../synth/render.ts';
import { encodePng } from '../io/image.ts';
import { quatFromMat3, type Vec3 } from '../model/pose.ts';
import type { Scene, SceneCamera } from '../model/scene.ts';
import type { TaskRef } from '../stages/tasks.ts';

/**
 * PNG pictures of a scene rendered on the CPU (no browser): from the estimated camera and
 * from straight above. They go into `debug/view_camera.png` and `debug/view_top.png`.
 */
export function topCamera(scene: Scene, width = 640, height = 480): SceneCamera {
  let lo: Vec3 = [Infinity, Infinity, 0];
  let hi: Vec3 = [-Infinity, -Infinity, 0];
  for (const o of scene.objects) {
    const r = Math.hypot(...o.size) / 2;
    lo = [Math.min(lo[0], o.pose.position[0] - r), Math.min(lo[1], o.pose.position[1] - r), 0];
    hi = [Math.max(hi[0], o.pose.position[0] + r), Math.max(hi[1], o.pose.position[1] + r), Math.max(hi[2], o.pose.position[2] + r)];
  }
  if (!Number.isFinite(lo[0])) {
    lo = [-0.5, -0.5, 0];
    hi = [0.5, 0.5, 0];
  }
  const cx = (lo[0] + hi[0]) / 2,
    cy = (lo[1] + hi[1]) / 2;
  // image up = world +x (forward), image right = world −y; optical z looks down (−z)
  const spanRows = (hi[0] - lo[0]) * 1.3 + 0.05,
    spanCols = (hi[1] - lo[1]) * 1.3 + 0.05;
  const f = 525;
  const height_m = Math.max((spanRows * f) / height, (spanCols * f) / width) + hi[2];
  return {
    intrinsics: { width, height, fx: f, fy: f, cx: (width - 1) / 2, cy: (height - 1) / 2 },
    pose: { position: [cx, cy, height_m], orientation: quatFromMat3([0, -1, 0, -1, 0, 0, 0, 0, -1]) },
  };
}

export function sceneSnapshots(scene: Scene): { 'debug/view_camera.png'?: Uint8Array; 'debug/view_top.png': Uint8Array } {
  const top = renderScene(scene, topCamera(scene), { ground: true });
  const out: { 'debug/view_camera.png'?: Uint8Array; 'debug/view_top.png': Uint8Array } = { 'debug/view_top.png': encodePng(top.color, { flat: true }) };
  if (scene.camera) out['debug/view_camera.png'] = encodePng(renderScene(scene, scene.camera, { ground: true }).color, { flat: true });
  return out;
}

/** The snapshots as a task: the bundle job renders them on a worker thread while it encodes the rest. */
export const SNAPSHOTS_TASK: TaskRef<Scene, ReturnType<typeof sceneSnapshots>> = { module: import.meta.url, name: 'sceneSnapshots', fn: sceneSnapshots };
