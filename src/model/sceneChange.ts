/**
 * Whether a scene differs from a previous one enough to be a new scene: objects added or
 * removed, or one that moved or turned beyond a tolerance. Objects are paired by label, each to
 * the nearest unpaired object of the previous scene (ids may be renumbered between runs).
 */
import { quatAngle, type Vec3 } from './pose.ts';
import type { Scene } from './scene.ts';

export interface ChangeTolerance {
  /** Metres. */
  translation: number;
  /** Radians. */
  rotation: number;
}

export interface SceneChange {
  changed: boolean;
  /** What changed (the first difference found), or how close the scenes are. */
  reason: string;
}

const dist = (a: Vec3, b: Vec3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

export function sceneChange(prev: Pick<Scene, 'objects'>, next: Pick<Scene, 'objects'>, tol: ChangeTolerance): SceneChange {
  if (prev.objects.length !== next.objects.length) {
    return { changed: true, reason: `${prev.objects.length} → ${next.objects.length} objects` };
  }
  const unpaired = new Set(prev.objects.map((_, i) => i));
  let maxMove = 0;
  let maxTurn = 0;
  for (const ob of next.objects) {
    let best = -1;
    let bestD = Infinity;
    for (const i of unpaired) {
      const p = prev.objects[i]!;
      if (p.label !== ob.label) continue;
      const d = dist(p.pose.position, ob.pose.position);
      if (d < bestD) {
        best = i;
        bestD = d;
      }
    }
    if (best < 0) return { changed: true, reason: `new object '${ob.label}' (${ob.id})` };
    unpaired.delete(best);
    const turn = quatAngle(prev.objects[best]!.pose.orientation, ob.pose.orientation);
    if (bestD > tol.translation) return { changed: true, reason: `'${ob.id}' moved ${(bestD * 1000).toFixed(1)} mm` };
    if (turn > tol.rotation) return { changed: true, reason: `'${ob.id}' turned ${((turn * 180) / Math.PI).toFixed(1)}°` };
    maxMove = Math.max(maxMove, bestD);
    maxTurn = Math.max(maxTurn, turn);
  }
  return { changed: false, reason: `same ${next.objects.length} objects, largest move ${(maxMove * 1000).toFixed(1)} mm / ${((maxTurn * 180) / Math.PI).toFixed(1)}°` };
}
