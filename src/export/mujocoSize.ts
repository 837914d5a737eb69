import type { PreparedScene } from './prepare.ts';

/** MuJoCo step of scene.xml and of scene.urdf's <mujoco> block, seconds. */
export const MJCF_DEFAULTS_TIMESTEP = 0.001;

/**
 * `<size nconmax njmax>` for a scene, accepted by MuJoCo 2.2 and 3.x alike (3.x's `memory` is
 * rejected by 2.x, and 2.x's defaults of 100 contacts / 500 rows overflow on real scenes: the
 * objects then fall through the floor). Measured on a real 10-object scene (137 geoms): at most
 * 116 contacts and 696 constraint rows (6 per contact: condim 4, pyramidal cone) in 2 s. Sized
 * for twice that: 4 contacts and 12 rows per collision geom, with floors; capped, because
 * memory grows with njmax² (2.2: ~12·njmax² bytes, a fixed dense buffer; 3.x: ~52·njmax²
 * bytes of arena): njmax 4000 is ~0.2 GB in 2.2 and ~0.8 GB in 3.x.
 */
export function mjcfSize(prep: PreparedScene): { nconmax: number; njmax: number } {
  let geoms = 0;
  for (const ob of prep.objects) geoms += ob.primitive ? 1 : ob.collision.length;
  const roundUp = (x: number) => Math.ceil(x / 100) * 100;
  const nconmax = Math.min(2000, Math.max(200, roundUp(4 * geoms)));
  const njmax = Math.min(4000, Math.max(1000, roundUp(12 * geoms)));
  return { nconmax, njmax };
}
