/** Shared fixtures of the GPU-host tests: tiny models on disk, a real server, a test image. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColorImage } from '../../src/model/image.ts';
import { loadModelDir } from '../../src/gpu/manifest.ts';
import { ModelRuntime } from '../../src/gpu/runtime.ts';
import { startGpuServer, type GpuServer, type GpuServerOptions } from '../../src/gpu/server.ts';
import { buildTinyModels, focalFromFov, TINY, tinyPlaneDepth } from '../../src/gpu/tinyModels.ts';

export const W = 320;
export const H = 240;

/** Rectangles of the test image, aligned to the segment model's 5-px cells (320/64). */
export const RECTS = [
  { label: 'red box', rgb: [200, 30, 30], x0: 40, y0: 100, x1: 90, y1: 140 },
  { label: 'green box', rgb: [30, 200, 30], x0: 140, y0: 150, x1: 180, y1: 190 },
  { label: 'blue box', rgb: [30, 30, 200], x0: 230, y0: 95, x1: 280, y1: 135 },
] as const;

export function testImage(): ColorImage {
  const data = new Uint8Array(W * H * 3).fill(128);
  for (const r of RECTS) for (let y = r.y0; y < r.y1; y++) for (let x = r.x0; x < r.x1; x++) data.set(r.rgb, (y * W + x) * 3);
  return { width: W, height: H, encoding: 'rgb8', data };
}

export interface TinyHost {
  dir: string;
  runtime: ModelRuntime;
  server: GpuServer;
  close(): Promise<void>;
}

export async function tinyModelDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'r2s-tiny-'));
  await buildTinyModels(dir, { imageWidth: W, imageHeight: H });
  return dir;
}

export async function startTinyHost(opts: GpuServerOptions = {}): Promise<TinyHost> {
  const dir = await tinyModelDir();
  const runtime = await ModelRuntime.create(await loadModelDir(dir), { intraOpThreads: 1 });
  const server = await startGpuServer(runtime, { port: 0, ...opts });
  return {
    dir,
    runtime,
    server,
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** World point of pixel (u, v) on the tiny depth plane, in the frame `worldFromPlane` builds
 * (what the single-image path and `reconstruct --gpu-host` must place objects at). */
export function tinyPlaneWorld(u: number, v: number): [number, number, number] {
  const f = focalFromFov(W, TINY.depth.fovDeg);
  const z = tinyPlaneDepth(u, v, W, H);
  const p = [((u - (W - 1) / 2) / f) * z, ((v - (H - 1) / 2) / f) * z, z] as const;
  const th = (TINY.depth.pitchDeg * Math.PI) / 180;
  const up = [0, -Math.cos(th), -Math.sin(th)];
  const fwd = [0, -Math.sin(th), Math.cos(th)];
  const dot = (a: readonly number[], b: readonly number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
  return [dot(p, fwd), -p[0], dot(p, up) + TINY.depth.height];
}

/** Where the box labelled `label` must be centred: above the mean ground point of its rectangle,
 * raised by half the pose model's height. */
export function tinyBoxCentre(label: string): [number, number, number] {
  const rect = RECTS.find((r) => r.label === label)!;
  let sx = 0,
    sy = 0,
    sz = 0,
    n = 0;
  for (let v = rect.y0; v < rect.y1; v++)
    for (let u = rect.x0; u < rect.x1; u++) {
      const w = tinyPlaneWorld(u, v);
      sx += w[0];
      sy += w[1];
      sz += w[2];
      n++;
    }
  return [sx / n, sy / n, sz / n + TINY.pose.size[2] / 2];
}
