import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/commands/demo.ts';
import type { Scene } from '../../src/model/scene.ts';
import { transformPoint, invertPose } from '../../src/model/pose.ts';
import { bundleViewModel } from '../../src/viewer/bundleView.ts';
import { reportHtml } from '../../src/viewer/report.ts';
import { startViewerServer, type ViewerServer } from '../../src/viewer/server.ts';
import { launchChromium, requireChromiumOrSkip, waitReady, watchPage } from './browserHarness.ts';

/** Screenshots of the demo scene land here (git-ignored) for people to look at. */
const OUTPUT = resolve('test-output/viewer');
// The panel is 380 px wide: a 1020×480 viewport leaves a 640×480 canvas, the demo camera's size.
const VIEWPORT = { width: 1020, height: 480 };
const BACKGROUND = [0xf2, 0xf3, 0xf5];

const haveChromium = requireChromiumOrSkip();

function pixelStats(png: Buffer): { variance: number; image: PNG } {
  const image = PNG.sync.read(png);
  let sum = 0,
    sum2 = 0;
  const n = image.width * image.height;
  for (let i = 0; i < n; i++) {
    const g = (image.data[i * 4]! + image.data[i * 4 + 1]! + image.data[i * 4 + 2]!) / 3;
    sum += g;
    sum2 += g * g;
  }
  const mean = sum / n;
  return { variance: sum2 / n - mean * mean, image };
}

/** True when some pixel within `r` of (x, y) clearly differs from the page background. */
function objectPixelNear(image: PNG, x: number, y: number, r = 2): boolean {
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      const px = Math.round(x + dx),
        py = Math.round(y + dy);
      if (px < 0 || py < 0 || px >= image.width || py >= image.height) continue;
      const i = (py * image.width + px) * 4;
      const diff = Math.abs(image.data[i]! - BACKGROUND[0]!) + Math.abs(image.data[i + 1]! - BACKGROUND[1]!) + Math.abs(image.data[i + 2]! - BACKGROUND[2]!);
      if (diff > 40) return true;
    }
  }
  return false;
}

/** Where the estimated camera's pinhole model puts a world point, in canvas pixels. */
function projectWithSceneCamera(scene: Scene, p: [number, number, number]): { x: number; y: number } | null {
  const cam = scene.camera!;
  const q = transformPoint(invertPose(cam.pose), p);
  if (q[2] <= 0) return null;
  const k = cam.intrinsics;
  return { x: k.fx * (q[0] / q[2]) + k.cx, y: k.fy * (q[1] / q[2]) + k.cy };
}

describe.skipIf(!haveChromium)('viewer in headless Chromium (demo bundle)', () => {
  let browser: Browser;
  let server: ViewerServer;
  let work: string;
  let bundle: string;
  let scene: Scene;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'real2sim-viewer-'));
    bundle = join(work, 'demo');
    ({ scene } = await runDemo({ outDir: bundle, quiet: true }));
    server = await startViewerServer({ bundleDir: bundle, port: 0 });
    browser = await launchChromium();
    mkdirSync(OUTPUT, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function openViewer(): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: VIEWPORT });
    const { problems } = watchPage(page);
    await page.goto(server.url);
    await waitReady(page);
    return { page, problems };
  }

  it('loads with no console errors or failed requests and holds one mesh per object', async () => {
    const { page, problems } = await openViewer();
    expect(scene.objects.length).toBeGreaterThan(0);
    expect(await page.evaluate(() => window.__real2sim!.objectCount())).toBe(scene.objects.length);
    expect(await page.evaluate(() => window.__real2sim!.visibleMeshCount())).toBe(scene.objects.length);
    const rows = await page.locator('[data-object-row]').count();
    expect(rows).toBe(scene.objects.length);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('draws the objects where the estimated camera sees them, and the picture is not blank', async () => {
    const { page, problems } = await openViewer();
    await page.screenshot({ path: join(OUTPUT, 'demo_page.png') });
    // only the objects: whatever else is drawn could pass for an object pixel
    await page.evaluate(() => {
      for (const t of ['plane', 'cloud', 'frustum', 'grid'] as const) window.__real2sim!.setToggle(t, false);
    });
    const shot = await page.locator('#view canvas').screenshot();
    writeFileSync(join(OUTPUT, 'demo_camera_view_objects_only.png'), shot);
    const { variance, image } = pixelStats(shot);
    expect(image.width).toBe(640);
    expect(image.height).toBe(480);
    expect(variance).toBeGreaterThan(50);
    let checked = 0;
    for (const o of scene.objects) {
      const p = projectWithSceneCamera(scene, o.pose.position);
      if (!p || p.x < 0 || p.y < 0 || p.x >= 640 || p.y >= 480) continue;
      checked++;
      expect(objectPixelNear(image, p.x, p.y), `object ${o.id} should be drawn near (${p.x.toFixed(0)}, ${p.y.toFixed(0)})`).toBe(true);
    }
    expect(checked).toBeGreaterThan(0);
    // and the background really is background where no object is: the top-left corner
    expect(objectPixelNear(image, 2, 2, 1)).toBe(false);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('toggling collision pieces changes what is drawn', async () => {
    const { page, problems } = await openViewer();
    const before = await page.evaluate(() => ({ calls: window.__real2sim!.drawCalls(), pieces: window.__real2sim!.visibleCollisionPieces() }));
    expect(before.pieces).toBe(0);
    await page.locator('input[data-toggle="collision"]').check();
    const after = await page.evaluate(() => ({ calls: window.__real2sim!.drawCalls(), pieces: window.__real2sim!.visibleCollisionPieces() }));
    const pieces = scene.objects.reduce((n, o) => n + o.collision.length, 0);
    expect(after.pieces).toBe(pieces);
    expect(after.calls).toBeGreaterThan(before.calls);
    await page.locator('#view canvas').screenshot({ path: join(OUTPUT, 'demo_collision.png') });
    await page.locator('input[data-toggle="collision"]').uncheck();
    expect(await page.evaluate(() => window.__real2sim!.drawCalls())).toBe(before.calls);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('selecting in the table highlights in the view and clicking in the view selects in the table', async () => {
    const { page } = await openViewer();
    const id = scene.objects[0]!.id;
    await page.locator(`[data-object-row="${id}"]`).click();
    expect(await page.evaluate(() => window.__real2sim!.selected())).toBe(id);
    await expect.poll(() => page.locator(`[data-object-row="${id}"].selected`).count()).toBe(1);
    await page.evaluate(() => window.__real2sim!.select(null));
    const at = await page.evaluate((oid) => window.__real2sim!.project(oid), id);
    expect(at).not.toBeNull();
    await page.mouse.click(at!.x, at!.y);
    const picked = await page.evaluate(() => window.__real2sim!.selected());
    expect(picked).not.toBeNull();
    await expect.poll(() => page.locator(`[data-object-row="${picked}"].selected`).count()).toBe(1);
    await page.close();
  });

  it('a scene pushed over the WebSocket changes the object count', async () => {
    const { page, problems } = await openViewer();
    await expect.poll(() => server.clients()).toBeGreaterThan(0);
    const model = await bundleViewModel(bundle);
    const fewer = { ...model, objects: model.objects.slice(0, 1) };
    server.push(fewer);
    await page.waitForFunction(() => window.__real2sim!.objectCount() === 1, undefined, { timeout: 10_000 });
    expect(await page.locator('[data-object-row]').count()).toBe(1);
    server.push(model);
    await page.waitForFunction((n) => window.__real2sim!.objectCount() === n, model.objects.length, { timeout: 10_000 });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('report.html opens from file:// with the network disabled', async () => {
    const file = join(work, 'report.html');
    await writeFile(file, await reportHtml(await bundleViewModel(bundle)));
    const context = await browser.newContext({ viewport: VIEWPORT, offline: true });
    const page = await context.newPage();
    const { problems } = watchPage(page);
    const outside: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(file).href);
    await waitReady(page);
    expect(await page.evaluate(() => window.__real2sim!.objectCount())).toBe(scene.objects.length);
    const { variance } = pixelStats(await page.locator('#view canvas').screenshot({ path: join(OUTPUT, 'report_camera_view.png') }));
    expect(variance).toBeGreaterThan(50);
    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
