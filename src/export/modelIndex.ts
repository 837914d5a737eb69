/**
 * `models/index.json`: where each standalone model goes, for loaders that place one file per
 * object (PyBullet `loadURDF`, Isaac Sim's URDF importer, Gazebo spawn). Format version 1:
 * `{ version, frame, support, objects: [{ id, name, label, urdf, sdf, position, orientation,
 * static }] }`; position in metres in the world frame (z up), orientation a quaternion
 * (x, y, z, w) — PyBullet's order; files relative to `models/`.
 */
import type { PreparedScene } from './prepare.ts';

export interface ModelIndexEntry {
  id: string;
  name: string;
  label: string;
  urdf: string;
  sdf: string;
  position: [number, number, number];
  orientation: [number, number, number, number];
  static: boolean;
}

export interface ModelIndex {
  version: 1;
  frame: string;
  /** Support plane n·p + d = 0 (the floor a loader should add). */
  support: { normal: [number, number, number]; d: number };
  objects: ModelIndexEntry[];
}

export function modelIndex(prep: PreparedScene): string {
  const index: ModelIndex = {
    version: 1,
    frame: prep.scene.frameId,
    support: { normal: [...prep.support.normal], d: prep.support.d },
    objects: prep.objects.map((ob) => ({
      id: ob.source.id,
      name: ob.name,
      label: ob.source.label,
      urdf: `${ob.name}/model.urdf`,
      sdf: `${ob.name}/model.sdf`,
      position: [...ob.pose.position],
      orientation: [...ob.pose.orientation],
      static: ob.isStatic,
    })),
  };
  return `${JSON.stringify(index, null, 2)}\n`;
}
