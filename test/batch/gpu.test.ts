/**
 * `batch --gpu-host`: the frames' segmentation goes to a pool of GPU hosts from the batch's
 * worker threads. The hosts are real `serve` servers (tiny ONNX models) on loopback; the first
 * URL has nothing listening, so every request must fail over to the live one.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as batch } from '../../src/commands/batch.ts';
import type { JobResult } from '../../src/batch/job.ts';
import { expandInputs } from '../../src/batch/inputs.ts';
import { sceneFromJson } from '../../src/io/sceneJson.ts';
import { expectRejection } from '../helpers/errors.ts';
import { startTinyHost, type TinyHost } from '../gpu/fixtures.ts';
import { solidsFor, writeFrames } from './helpers.ts';
import { run as reconstruct } from '../../src/commands/reconstruct.ts';
import { renderFixture } from '../stages/fixtures.ts';
import { frameMessages, serialize, writeMcap, type FixtureMessage } from '../recordings/mcapFixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'r2s-batch-gpu-'));
let host: TinyHost;
const requests: string[] = [];
let dead: string;
beforeAll(async () => {
  writeFrames(join(dir, 'frames'), 2, { width: 320, height: 240 });
  host = await startTinyHost({ onRequest: (e) => requests.push(`${e.method} ${e.path} ${e.status}`) });
  dead = await new Promise<string>((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(`http://127.0.0.1:${port}`));
    });
  });
}, 120_000);
afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('batch --gpu-host and reconstruct --bag --gpu-host', () => {
  it('every frame is segmented on the live host of the pool (the dead one fails over), once per frame', async () => {
    const out = join(dir, 'out');
    const code = await batch([join(dir, 'frames'), '--out', out, '--gpu-host', `${dead},${host.server.url}`, '--workers', '2', '--no-validate', '--quiet']);
    const rows = (JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { frames: JobResult[] }).frames;
    // whatever the tiny model finds in these frames, each job ran and asked the host exactly once
    expect(rows.map((r) => r.frame)).toEqual(['f0', 'f1']);
    expect(requests.filter((r) => /segment/.test(r) && / 200$/.test(r))).toHaveLength(2);
    for (const r of rows.filter((x) => x.status !== 'failed')) {
      expect(sceneFromJson(readFileSync(join(r.bundle, 'scene.json'), 'utf8')).meta?.['gpuHost']).toBe(`${dead},${host.server.url}`);
    }
    expect([0, 2]).toContain(code);
  }, 180_000);

  it('reconstruct --bag --gpu-host DEAD,LIVE: every frame of the recording is segmented on the live host', async () => {
    const msgs: FixtureMessage[] = [];
    for (const k of [0, 1]) {
      const { frame } = renderFixture(solidsFor(k), { width: 320, height: 240 });
      const t = 100 + 0.5 * k;
      const m = frameMessages(frame, t);
      if (k === 0) msgs.push({ topic: '/cam/color/camera_info', type: 'sensor_msgs/msg/CameraInfo', logTimeNs: 99_000_000_000n, cdr: serialize('sensor_msgs/msg/CameraInfo', m.info) });
      msgs.push({ topic: '/cam/color/image_raw', type: 'sensor_msgs/msg/Image', logTimeNs: BigInt(Math.round(t * 1e9)) + 1_000_000n, cdr: serialize('sensor_msgs/msg/Image', m.image) });
      msgs.push({ topic: '/cam/depth/image_raw', type: 'sensor_msgs/msg/Image', logTimeNs: BigInt(Math.round(t * 1e9)) + 2_000_000n, cdr: serialize('sensor_msgs/msg/Image', m.depth) });
    }
    const bag = join(dir, 'cam.mcap');
    await writeMcap(bag, msgs, { compression: 'lz4' });
    const before = requests.filter((r) => /segment/.test(r) && / 200$/.test(r)).length;
    const out = join(dir, 'bag-out');
    expect(await reconstruct(['--bag', bag, '--gpu-host', dead, '--gpu-host', host.server.url, '--out', out, '--quiet', '--no-validate'])).toBe(0);
    expect(requests.filter((r) => /segment/.test(r) && / 200$/.test(r)).length - before).toBe(2);
    const frames = readdirSync(join(out, 'cam')).sort();
    expect(frames).toEqual(['frame_100.000000000', 'frame_100.500000000']);
    for (const f of frames) expect(sceneFromJson(readFileSync(join(out, 'cam', f, 'scene.json'), 'utf8')).meta?.['gpuHost']).toBe(`${dead},${host.server.url}`);
    await expectRejection(() => reconstruct(['--bag', bag, '--gpu-token', 'x', '--out', join(dir, 'y'), '--quiet']), 'BAD_INPUT', /only apply with --gpu-host/);
    await expectRejection(() => reconstruct(['--bag', bag, '--gpu-host', host.server.url, '--segmentation', 'geometric', '--out', join(dir, 'y'), '--quiet']), 'BAD_INPUT', /drop --segmentation/);
  }, 120_000);

  it('the job key says that a GPU host segments, not which addresses; --segmentation and bad URLs are refused', async () => {
    const o = { validate: false, segmentation: 'auto' as const };
    const key = async (gpuHosts?: string[]) => (await expandInputs([join(dir, 'frames', 'f0')], { out: join(dir, 'k'), options: { ...o, ...(gpuHosts ? { gpuHosts } : {}) } }))[0]!.key;
    const cpu = await key();
    const a = await key(['http://a:1']);
    expect(a).not.toBe(cpu);
    expect(await key(['http://b:2', 'http://c:3'])).toBe(a);
    await expectRejection(() => batch([join(dir, 'frames'), '--out', join(dir, 'x'), '--gpu-host', 'gpu-box', '--quiet']), 'BAD_INPUT', /not an http\(s\) URL/);
    await expectRejection(() => batch([join(dir, 'frames'), '--out', join(dir, 'x'), '--gpu-host', host.server.url, '--segmentation', 'geometric', '--quiet']), 'BAD_INPUT', /drop --segmentation/);
  });
});
