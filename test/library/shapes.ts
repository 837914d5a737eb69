import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boxMesh, cylinderMesh, latheMesh, mergeMeshes, translateMesh } from '../../src/geometry/primitives.ts';
import { encodeObj } from '../../src/io/mesh.ts';
import type { Mesh } from '../../src/model/geometry.ts';
import type { LibraryConfig } from '../../src/library/index.ts';

/** Known objects made here (no data needed): boxes, cans, a mug with a handle, an L bracket, a bottle. */
export const SHAPES: Record<string, { mesh: () => Mesh; config: LibraryConfig['items'] extends infer T ? (T extends Record<string, infer C> ? C : never) : never }> = {
  'cereal_box.obj': { mesh: () => boxMesh(0.19, 0.07, 0.26), config: { symmetry: 'box', density: 200 } },
  'tea_box.obj': { mesh: () => boxMesh(0.12, 0.08, 0.05), config: { symmetry: 'box' } },
  'soup_can.obj': { mesh: () => cylinderMesh(0.033, 0.1, 48), config: { symmetry: 'cylinder', density: 1000 } },
  'paint_can.obj': { mesh: () => cylinderMesh(0.06, 0.13, 48), config: { symmetry: 'cylinder' } },
  'mug.obj': {
    // an open cup (inner wall, floor 6 mm thick) with its handle high up: no symmetry
    mesh: () =>
      mergeMeshes([
        latheMesh(
          [
            [0, 0],
            [0.04, 0],
            [0.04, 0.095],
            [0.035, 0.095],
            [0.035, 0.006],
            [0, 0.006],
          ],
          48,
        ),
        translateMesh(boxMesh(0.03, 0.012, 0.05), 0.052, 0, 0.06),
      ]),
    config: { density: 900 },
  },
  'bracket.obj': { mesh: () => mergeMeshes([boxMesh(0.15, 0.05, 0.02), translateMesh(boxMesh(0.02, 0.05, 0.1), 0.065, 0, 0.05)]), config: {} },
  'bottle.obj': {
    mesh: () =>
      latheMesh(
        [
          [0, 0],
          [0.035, 0],
          [0.035, 0.14],
          [0.015, 0.19],
          [0.015, 0.21],
          [0, 0.21],
        ],
        48,
      ),
    config: { symmetry: 'cylinder' },
  },
};

/** A library folder of SHAPES (those not in `leaveOut`). */
export function shapesLibraryDir(leaveOut: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'r2s-shapes-lib-'));
  const items: NonNullable<LibraryConfig['items']> = {};
  for (const [file, s] of Object.entries(SHAPES)) {
    if (leaveOut.includes(file)) continue;
    writeFileSync(join(dir, file), encodeObj(s.mesh()));
    items[file] = s.config;
  }
  writeFileSync(join(dir, 'library.json'), JSON.stringify({ units: 'm', items } satisfies LibraryConfig));
  return dir;
}
