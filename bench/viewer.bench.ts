/**
 * Viewer load time: a 50-object scene in headless Chromium, from navigation to the first
 * frame drawn (`window.__real2sim.ready`). Target: under 2 s.
 */
import { performance } from 'node:perf_hooks';
import { convexHull } from '../src/geometry/convexHull.ts';
import { massProperties } from '../src/geometry/massProperties.ts';
import { boxMesh, capsuleMesh, cylinderMesh, sphereMesh } from '../src/geometry/primitives.ts';
import { quatFromYaw } from '../src/model/pose.ts';
import type { Scene, SceneObject } from '../src/model/scene.ts';
import { startViewerServer } from '../src/viewer/server.ts';
import { toViewModel } from '../src/viewer/viewModel.ts';
import { chromiumAvailable, launchChromium, waitReady } from '../test/viewer/browserHarness.ts';

function fiftyObjects(): Scene {
  const makers = [() => boxMesh(0.1, 0.07, 0.12), () => cylinderMesh(0.04, 0.12, 48), () => sphereMesh(0.05, 48, 24), () => capsuleMesh(0.03, 0.14, 48, 12)];
  const objects: SceneObject[] = [];
  for (let i = 0; i < 50; i++) {
    const mesh = makers[i % makers.length]!();
    const mp = massProperties(mesh, 500);
    const h = mesh.positions.reduce((m, v, k) => (k % 3 === 2 ? Math.max(m, v) : m), 0);
    objects.push({
      id: `object_${i}`,
      label: ['box', 'can', 'ball', 'capsule'][i % 4]!,
      mesh,
      pose: { position: [(i % 10) * 0.15 - 0.7, Math.floor(i / 10) * 0.15 - 0.3, h], orientation: quatFromYaw(i * 0.4) },
      size: [0.1, 0.1, 2 * h],
      mass: mp.mass,
      centerOfMass: mp.centerOfMass,
      inertia: mp.inertia,
      collision: [convexHull(mesh.positions)],
    });
  }
  return { version: 1, frameId: 'world', objects, reports: [] };
}

export default async function viewerBench(): Promise<void> {
  if (!chromiumAvailable()) {
    console.log('viewer: skipped — /usr/bin/chromium not found (apt-get install chromium)');
    return;
  }
  const model = toViewModel(fiftyObjects(), { title: '50 objects' });
  const server = await startViewerServer({ model });
  const browser = await launchChromium();
  const times: number[] = [];
  try {
    for (let run = 0; run < 4; run++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      const t0 = performance.now();
      await page.goto(server.url);
      await waitReady(page, 30_000);
      times.push(performance.now() - t0);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const warm = times.slice(1).sort((a, b) => a - b);
  const median = warm[Math.floor(warm.length / 2)]!;
  const bytes = JSON.stringify(model).length;
  console.log(`viewer: 50 objects (${(bytes / 1e6).toFixed(2)} MB view model), load → first frame in headless Chromium`);
  console.log(
    `  first load ${times[0]!.toFixed(0)} ms; then median ${median.toFixed(0)} ms (runs: ${times.map((t) => t.toFixed(0)).join(', ')}); target < 2000 ms → ${median < 2000 ? 'PASS' : 'FAIL'}`,
  );
}
