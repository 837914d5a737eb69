/**
 * The RGB-D pipeline (`reconstruct`) with a remote segmentation backend whose host is down:
 * with a fallback the frame's own masks are used and a warning is recorded; without one the
 * error names the host and the stage. Synthetic frame, seed 5.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from 'vitest';
import { GpuHostClient } from '../../src/gpu/client.ts';
import { remoteBackends, withFallback } from '../../src/gpu/backends.ts';
import { generateSynthScene } from '../../src/synth/synth.ts';
import { reconstruct } from '../../src/pipeline.ts';
import type { SegmentationBackend } from '../../src/stages/backends.ts';

async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  await new Promise<void>((r) => s.close(() => r()));
  return url;
}

const given: SegmentationBackend = {
  name: 'given',
  segment(frame) {
    return Promise.resolve({ masks: frame.masks! });
  },
};

test("host down + RGB-D frame (seed 5): reconstruct falls back to the frame's masks with a warning; without fallback it fails naming host and stage", async () => {
  const { scene: truth, frame } = generateSynthScene({ seed: 5, sharedMeshesDir: null, width: 160, height: 120, minObjects: 2, maxObjects: 2, shapes: ['box'] });
  const url = await deadUrl();
  const client = new GpuHostClient({ url, retries: 1, backoffMs: 1 });
  const b = withFallback(remoteBackends(client), { fallback: { segmentation: given } });
  const scene = await reconstruct(frame, { segmentation: b.segmentation });
  expect(scene.objects.length).toBe(truth.objects.length);
  expect(b.warnings).toHaveLength(1);
  expect(b.warnings[0]!.stage).toBe('perceive');
  expect(b.warnings[0]!.message).toContain(`GPU host ${url} is unreachable for stage "perceive"`);

  await expect(reconstruct(frame, { segmentation: remoteBackends(client).segmentation })).rejects.toMatchObject({ code: 'REMOTE', context: { kind: 'unreachable', stage: 'perceive', host: url } });
  client.close();
}, 60_000);
