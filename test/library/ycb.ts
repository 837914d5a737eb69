import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DATA, HAVE_DATA } from '../realframes/frames.ts';
import type { LibraryConfig } from '../../src/library/index.ts';

export { DATA, HAVE_DATA };

/**
 * The YCB meshes of ../shared/data as one library folder (symbolic links, so nothing is written
 * into the shared data): YCB_sim's MuJoCo meshes, ycb_graspa's objects (visual mesh where there
 * is one, else the collision approximation) and the BOP cracker box of happypose (millimetres:
 * detected). Symmetries from looking at the meshes (../shared/data has none).
 */
export const YCB_CONFIG: LibraryConfig = {
  items: {
    'sim/002_master_chef_can.msh': { symmetry: 'cylinder', density: 1000 },
    'sim/005_tomato_soup_can.msh': { symmetry: 'cylinder', density: 1000 },
    'sim/007_tuna_fish_can.msh': { symmetry: 'cylinder', density: 1000 },
    'sim/003_cracker_box.msh': { symmetry: 'box', density: 250 },
    'sim/004_sugar_box.msh': { symmetry: 'box', density: 500 },
    'sim/008_pudding_box.msh': { symmetry: 'box' },
    'sim/009_gelatin_box.msh': { symmetry: 'box' },
    'graspa/YcbMasterChefCan/collision_vhacd.obj': { symmetry: 'cylinder', density: 1000 },
    'graspa/YcbTomatoSoupCan/collision_vhacd.obj': { symmetry: 'cylinder', density: 1000 },
    'graspa/YcbChipsCan/collision_vhacd.obj': { symmetry: 'cylinder' },
    'graspa/YcbCrackerBox/collision_vhacd.obj': { symmetry: 'box', density: 250 },
    'graspa/YcbFoamBrick/textured_simple_reoriented.obj': { symmetry: 'box', density: 60 },
    'graspa/YcbGelatinBox/textured_simple_reoriented.obj': { symmetry: 'box' },
    'graspa/YcbTennisBall/collision_vhacd.obj': { symmetry: 'cylinder' },
    'bop/obj_000002.ply': { name: 'bop_cracker_box', symmetry: 'box', density: 250 },
  },
};

/** A fresh folder linking the YCB meshes, with library.json; null without ../shared/data. */
export function ycbLibraryDir(config: LibraryConfig = YCB_CONFIG): string | null {
  if (!HAVE_DATA) return null;
  const dir = mkdtempSync(join(tmpdir(), 'r2s-ycb-lib-'));
  const link = (target: string, name: string) => {
    if (existsSync(resolve(DATA, target))) symlinkSync(resolve(DATA, target), join(dir, name));
  };
  link('YCB_sim/meshes', 'sim');
  link('ycb_graspa/ycb_objects', 'graspa');
  mkdirSync(join(dir, 'bop'));
  symlinkSync(resolve(DATA, 'happypose_crackers/models/obj_000002.ply'), join(dir, 'bop/obj_000002.ply'));
  writeFileSync(join(dir, 'library.json'), JSON.stringify(config, null, 1));
  return dir;
}
