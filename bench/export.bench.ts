/**
 * Export speed: a scene of 100 objects (boxes, 32-segment cylinders, 32×16 spheres, each
 * with its convex hull as collision) written as a full bundle (scene.json, URDF, SDF world +
 * 100 standalone models, MJCF, GLB, OBJ meshes) into a new folder, median of 5 runs.
 * Target: < 1 s. Replacing an existing bundle also removes the old one: timed separately.
 * Also the writers alone (strings/bytes, no disk). Timings on shared machines drift.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBundle } from '../src/export/bundle.ts';
import { prepareScene } from '../src/export/prepare.ts';
import { toUrdf } from '../src/export/urdf.ts';
import { toSdfWorld } from '../src/export/sdf.ts';
import { toMjcf } from '../src/export/mjcf.ts';
import { toGlb } from '../src/export/glb.ts';
import { boxMesh, cylinderMesh, sphereMesh } from '../src/geometry/primitives.ts';
import { massProperties } from '../src/geometry/massProperties.ts';
import { convexHull } from '../src/geometry/convexHull.ts';
import { quatFromYaw } from '../src/model/pose.ts';
import type { Scene, SceneObject } from '../src/model/scene.ts';
import type { Mesh } from '../src/model/geometry.ts';

function scene100(): Scene {
  const objects: SceneObject[] = [];
  for (let i = 0; i < 100; i++) {
    const kind = i % 3;
    const mesh: Mesh = kind === 0 ? boxMesh(0.05, 0.08, 0.12) : kind === 1 ? cylinderMesh(0.03, 0.1, 32) : sphereMesh(0.04, 32, 16);
    const size: [number, number, number] = kind === 0 ? [0.05, 0.08, 0.12] : kind === 1 ? [0.06, 0.06, 0.1] : [0.08, 0.08, 0.08];
    const mp = massProperties(mesh, 500);
    objects.push({
      id: `object_${i}`,
      label: ['box', 'can', 'ball'][kind]!,
      mesh,
      pose: { position: [(i % 10) * 0.2, Math.floor(i / 10) * 0.2, size[2] / 2], orientation: quatFromYaw(i) },
      size,
      mass: mp.mass,
      centerOfMass: mp.centerOfMass,
      inertia: mp.inertia,
      collision: [convexHull(mesh.positions)],
    });
  }
  return { version: 1, frameId: 'world', objects, reports: [] };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export default async function bench(): Promise<void> {
  const scene = scene100();
  const parent = mkdtempSync(join(tmpdir(), 'r2s-export-bench-'));
  try {
    const bundle: number[] = [];
    const replace: number[] = [];
    const cpu: number[] = [];
    const writers: Record<string, number[]> = { prepare: [], urdf: [], sdf: [], mjcf: [], glb: [] };
    let files = 0,
      bytes = 0;
    for (let run = 0; run < 5; run++) {
      rmSync(join(parent, 'bundle'), { recursive: true, force: true });
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const m = await writeBundle(join(parent, 'bundle'), scene);
      bundle.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
      const t1 = performance.now();
      await writeBundle(join(parent, 'bundle'), scene);
      replace.push(performance.now() - t1);
      files = m.files.length;
      bytes = m.bytes;
      let t = performance.now();
      const prep = prepareScene(scene);
      const lap = (k: string) => {
        const now = performance.now();
        writers[k]!.push(now - t);
        t = now;
      };
      lap('prepare');
      toUrdf(prep);
      lap('urdf');
      toSdfWorld(prep);
      lap('sdf');
      toMjcf(prep);
      lap('mjcf');
      await toGlb(prep);
      lap('glb');
    }
    const ms = median(bundle);
    console.log(`writeBundle, 100 objects: ${ms.toFixed(0)} ms median of 5 (${files} files, ${(bytes / 1e6).toFixed(1)} MB) — target < 1000 ms: ${ms < 1000 ? 'PASS' : 'FAIL'}`);
    console.log(`  CPU time of this process for it (less sensitive to other load): ${median(cpu).toFixed(0)} ms`);
    console.log(`  replacing an existing bundle (write + remove the old one): ${median(replace).toFixed(0)} ms`);
    console.log(
      `  writers alone (median ms): ${Object.entries(writers)
        .map(([k, v]) => `${k} ${median(v).toFixed(1)}`)
        .join(', ')}`,
    );
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}
