/**
 * Recordings as batch inputs and `reconstruct --bag` with --topics / --at / --every: a zstd-chunked
 * MCAP with two RGB-D cameras, each frame rendered from boxes of known size (ground truth per
 * frame and per camera). Batch jobs re-read their frame from the recording inside the pool's
 * worker threads (by stamp and log time), so this also checks that path.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as batch } from '../../src/commands/batch.ts';
import { run as reconstruct } from '../../src/commands/reconstruct.ts';
import type { JobResult } from '../../src/batch/job.ts';
import { sceneFromJson } from '../../src/io/sceneJson.ts';
import { renderFixture, type Solid } from '../stages/fixtures.ts';
import { expectRejection } from '../helpers/errors.ts';
import { frameMessages, serialize, writeMcap, type FixtureMessage } from '../recordings/mcapFixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'r2s-batch-bag-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 100;
const N = 5;
const ns = (t: number) => BigInt(Math.round(t * 1e9));

/** Camera B, frame k: a box 0.06 + 0.01 k tall and a 0.12 m can. Camera A sees one tall box (0.2 m) in every frame. */
const solidsB = (k: number): Solid[] => [
  { kind: 'box', id: 1, label: 'box', centre: [0, 0, (0.06 + 0.01 * k) / 2], size: [0.16, 0.1, 0.06 + 0.01 * k], yaw: 0.3 + 0.2 * k },
  { kind: 'cylinder', id: 2, label: 'can', centre: [0.1, 0.22, 0.06], radius: 0.04, height: 0.12 },
];
const truthB = (k: number) => [0.06 + 0.01 * k, 0.12].sort((a, b) => a - b);
const solidsA: Solid[] = [{ kind: 'box', id: 1, label: 'tall', centre: [0, 0, 0.1], size: [0.12, 0.12, 0.2], yaw: 0.1 }];
const SIZE = { width: 320, height: 240 };

function camera(ns_: string, k: number, solids: Solid[]): FixtureMessage[] {
  const { frame } = renderFixture(solids, SIZE);
  const t = T0 + 0.1 * k;
  const m = frameMessages(frame, t);
  const out: FixtureMessage[] = [
    { topic: `/${ns_}/color/image_raw`, type: 'sensor_msgs/msg/Image', logTimeNs: ns(t + 0.03), cdr: serialize('sensor_msgs/msg/Image', m.image) },
    // depth 4 ms after its colour image (within the node's 20 ms tolerance), logged a little later
    { topic: `/${ns_}/depth/image_raw`, type: 'sensor_msgs/msg/Image', logTimeNs: ns(t + 0.05), cdr: serialize('sensor_msgs/msg/Image', frameMessages(frame, t + 0.004).depth) },
  ];
  if (k === 0) out.push({ topic: `/${ns_}/color/camera_info`, type: 'sensor_msgs/msg/CameraInfo', logTimeNs: ns(T0 - 0.5), cdr: serialize('sensor_msgs/msg/CameraInfo', m.info) });
  return out;
}

const bag = join(dir, 'two_cams.mcap');
const TOPICS_B = '/cam_b/color/image_raw,/cam_b/depth/image_raw,/cam_b/color/camera_info';

beforeAll(async () => {
  const msgs: FixtureMessage[] = [];
  for (let k = 0; k < N; k++) msgs.push(...camera('cam_a', k, solidsA), ...camera('cam_b', k, solidsB(k)));
  msgs.sort((a, b) => (a.logTimeNs < b.logTimeNs ? -1 : a.logTimeNs > b.logTimeNs ? 1 : 0));
  await writeMcap(bag, msgs, { compression: 'zstd', chunkSize: 100_000 });
});

const heightsOf = (bundle: string) =>
  sceneFromJson(readFileSync(join(bundle, 'scene.json'), 'utf8'))
    .objects.map((o) => o.size[2])
    .sort((a, b) => a - b);

describe('recordings in batch and reconstruct --bag', () => {
  it('two cameras: without --topics the choice is refused with the candidates named', async () => {
    await expectRejection(() => batch([bag, '--out', join(dir, 'refused'), '--quiet']), 'BAD_INPUT', /several colour image topics \(\/cam_a\/color\/image_raw, \/cam_b\/color\/image_raw\).*--topics/);
    await expectRejection(() => reconstruct(['--bag', bag, '--out', join(dir, 'refused'), '--quiet']), 'BAD_INPUT', /several colour image topics/);
    await expectRejection(() => batch([bag, '--topics', '/cam_c/color/image_raw', '--out', join(dir, 'refused'), '--quiet']), 'BAD_INPUT', /no such topic/);
  });

  it('batch REC --topics B --every 0.2: one bundle per selected frame of camera B, index rows with bundle, objects, verdict, confidence, time; a second run redoes nothing', async () => {
    const out = join(dir, 'batch');
    // a list file: the recording and nothing else, to show a list can name recordings
    const list = join(dir, 'inputs.txt');
    writeFileSync(list, 'two_cams.mcap\n');
    const code = await batch([list, '--topics', TOPICS_B, '--every', '0.2', '--out', out, '--workers', '2', '--quiet']);
    expect(code).toBe(0);
    const rows = (JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { frames: JobResult[] }).frames;
    // frames at 0, 0.2 and 0.4 s of camera B
    expect(rows.map((r) => r.frame)).toEqual(['frame_100.000000000', 'frame_100.200000000', 'frame_100.400000000']);
    for (const [i, r] of rows.entries()) {
      const k = 2 * i;
      expect(r.bundle).toBe(join(out, 'two_cams', r.frame));
      expect(r.status).toBe('done');
      expect(r.objects, `${r.frame}: ${JSON.stringify(heightsOf(r.bundle))}`).toBe(2);
      expect(['valid', 'repaired']).toContain(r.verdict);
      expect(['high', 'low']).toContain(r.confidence);
      expect(r.timeMs).toBeGreaterThan(0);
      const [lo, hi] = heightsOf(r.bundle);
      expect(lo).toBeCloseTo(truthB(k)[0]!, 1);
      expect(hi).toBeCloseTo(truthB(k)[1]!, 1);
      const scene = sceneFromJson(readFileSync(join(r.bundle, 'scene.json'), 'utf8'));
      expect(scene.physics?.verdict).toBe(r.verdict);
      expect(scene.confidence?.level).toBe(r.confidence);
    }
    expect(readdirSync(join(out, 'two_cams')).sort()).toEqual(rows.map((r) => r.frame));
    const csv = readFileSync(join(out, 'index.csv'), 'utf8').trimEnd().split('\n');
    expect(csv).toHaveLength(4);
    expect(csv[1]!.startsWith(`${bag},frame_100.000000000,${rows[0]!.bundle},done,2,${rows[0]!.verdict},${rows[0]!.confidence},`)).toBe(true);

    const mtimes = rows.map((r) => statSync(join(r.bundle, 'scene.json')).mtimeMs);
    expect(await batch([bag, '--topics', TOPICS_B, '--every', '0.2', '--out', out, '--workers', '2', '--quiet'])).toBe(0);
    const again = (JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { frames: JobResult[] }).frames;
    expect(again.map((r) => r.status)).toEqual(['cached', 'cached', 'cached']);
    expect(again.map((r) => statSync(join(r.bundle, 'scene.json')).mtimeMs)).toEqual(mtimes);
  }, 300_000);

  it("reconstruct --bag REC --topics A --at 0.3: one bundle, camera A's scene at that stamp", async () => {
    const out = join(dir, 'bagA');
    const code = await reconstruct(['--bag', bag, '--topics', '/cam_a/color/image_raw,/cam_a/depth/image_raw,/cam_a/color/camera_info', '--at', '0.3', '--out', out, '--quiet', '--no-validate']);
    expect(code).toBe(0);
    expect(readdirSync(join(out, 'two_cams'))).toEqual(['frame_100.300000000']);
    const h = heightsOf(join(out, 'two_cams', 'frame_100.300000000'));
    expect(h).toHaveLength(1);
    expect(h[0]).toBeCloseTo(0.2, 1);
    expect(existsSync(join(out, 'two_cams', 'frame_100.300000000', 'scene.urdf'))).toBe(true);
  }, 120_000);
});
