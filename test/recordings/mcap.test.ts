/**
 * ROS 2 recordings in (no ROS needed): MCAP files written with @mcap/core from messages
 * serialised with @foxglove/rosmsg2-serialization, frames rendered with known ground truth.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open } from 'node:fs/promises';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { Recording } from '../../src/recordings/mcap.ts';
import { detectTopics, frameFolderName, recordedFrames, type BagTopics } from '../../src/recordings/frames.ts';
import { run as reconstruct } from '../../src/commands/reconstruct.ts';
import { encodePng } from '../../src/io/image.ts';
import { sceneFromJson } from '../../src/io/sceneJson.ts';
import { renderFixture } from '../stages/fixtures.ts';
import { expectRejection } from '../helpers/errors.ts';
import { frameMessages, serialize, writeMcap, type FixtureMessage } from './mcapFixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'r2s-mcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { frame } = renderFixture(
  [
    { kind: 'box', id: 1, label: 'box', centre: [0, 0, 0.05], size: [0.2, 0.1, 0.1], yaw: 0.4 },
    { kind: 'cylinder', id: 2, label: 'can', centre: [0.1, 0.22, 0.06], radius: 0.04, height: 0.12 },
  ],
  { width: 320, height: 240 },
);

const T0 = 100;
const IMAGE = '/camera/color/image_raw';
const DEPTH = '/camera/aligned_depth_to_color/image_raw';
const INFO = '/camera/color/camera_info';
const ns = (t: number) => BigInt(Math.round(t * 1e9));

/**
 * Five colour images 0.1 s apart; depth 5 ms later (within the 20 ms tolerance) except for the
 * last, 50 ms off (no partner); one CameraInfo first (latched); a chatter topic in between.
 * Log times trail the stamps by 30 ms, depth arriving after the next colour image sometimes.
 */
function recordingMessages(o: Parameters<typeof frameMessages>[2] = {}): FixtureMessage[] {
  const out: FixtureMessage[] = [];
  const first = frameMessages(frame, T0, o);
  out.push({ topic: INFO, type: 'sensor_msgs/msg/CameraInfo', logTimeNs: ns(T0 - 0.5), cdr: serialize('sensor_msgs/msg/CameraInfo', first.info) });
  for (let k = 0; k < 5; k++) {
    const t = T0 + 0.1 * k;
    const m = frameMessages(frame, t, o);
    out.push({ topic: IMAGE, type: 'sensor_msgs/msg/Image', logTimeNs: ns(t + 0.03), cdr: serialize('sensor_msgs/msg/Image', m.image) });
    out.push({ topic: '/chatter', type: 'std_msgs/msg/String', logTimeNs: ns(t + 0.031), cdr: serialize('std_msgs/msg/String', { data: `hello ${k}` }) });
    const td = t + (k === 4 ? 0.05 : 0.005);
    const d = frameMessages(frame, td, o).depth!;
    out.push({ topic: DEPTH, type: 'sensor_msgs/msg/Image', logTimeNs: ns(td + 0.06), cdr: serialize('sensor_msgs/msg/Image', d) });
  }
  return out.sort((a, b) => (a.logTimeNs < b.logTimeNs ? -1 : 1));
}

const files = {
  plain: join(dir, 'plain.mcap'),
  zstd: join(dir, 'zstd.mcap'),
  lz4: join(dir, 'lz4.mcap'),
  unindexed: join(dir, 'unindexed.mcap'),
  bgr32f: join(dir, 'bgr32f.mcap'),
  bagDir: join(dir, 'rosbag2_demo'),
};

beforeAll(async () => {
  await writeMcap(files.plain, recordingMessages());
  await writeMcap(files.zstd, recordingMessages(), { compression: 'zstd', chunkSize: 200_000 });
  await writeMcap(files.lz4, recordingMessages(), { compression: 'lz4', chunkSize: 200_000 });
  await writeMcap(files.unindexed, recordingMessages(), { index: false });
  await writeMcap(files.bgr32f, recordingMessages({ colorEncoding: 'bgr8', depthEncoding: '32FC1' }));
  mkdirSync(files.bagDir);
  await writeMcap(join(files.bagDir, 'rosbag2_demo_0.mcap'), recordingMessages(), { compression: 'zstd' });
  writeFileSync(
    join(files.bagDir, 'metadata.yaml'),
    `rosbag2_bagfile_information:\n  version: 5\n  storage_identifier: mcap\n  relative_file_paths:\n    - rosbag2_demo_0.mcap\n  message_count: 16\n`,
  );
});

async function frames(path: string, select: Parameters<typeof recordedFrames>[1]['select'] = {}) {
  const rec = await Recording.open(path);
  try {
    const topics = await detectTopics(rec);
    const out = [];
    for await (const f of recordedFrames(rec, { topics, select })) out.push({ f, frame: f.assemble() });
    return { topics, out };
  } finally {
    await rec.close();
  }
}

describe('MCAP recordings', () => {
  it('finds colour, depth and CameraInfo topics from the message types and encodings', async () => {
    const rec = await Recording.open(files.plain);
    try {
      expect(rec.topics().map((t) => [t.topic, t.schemaName, t.messageCount])).toEqual(
        [
          [DEPTH, 'sensor_msgs/msg/Image', 5],
          [IMAGE, 'sensor_msgs/msg/Image', 5],
          [INFO, 'sensor_msgs/msg/CameraInfo', 1],
          ['/chatter', 'std_msgs/msg/String', 5],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      expect(await detectTopics(rec)).toEqual({ image: IMAGE, depth: DEPTH, cameraInfo: INFO } satisfies BagTopics);
    } finally {
      await rec.close();
    }
  });

  for (const kind of ['plain', 'zstd', 'lz4', 'unindexed', 'bagDir'] as const) {
    it(`syncs colour with depth like the node (${kind}): 4 of 5 frames, pixels and intrinsics as recorded`, async () => {
      const { out } = await frames(files[kind]);
      expect(out.map((o) => o.f.stamp)).toEqual([0, 1, 2, 3].map((k) => expect.closeTo(T0 + 0.1 * k, 9) as unknown));
      const { frame: f } = out[0]!;
      expect(f.camera).toMatchObject({ width: 320, height: 240, fx: frame.camera.fx, cy: frame.camera.cy });
      expect(Buffer.from(f.color.data).equals(Buffer.from(frame.color.data))).toBe(true);
      let worst = 0;
      for (let i = 0; i < f.depth!.data.length; i++) worst = Math.max(worst, Math.abs(f.depth!.data[i]! - frame.depth!.data[i]!));
      expect(worst).toBeLessThanOrEqual(0.0005 + 1e-6); // 16UC1 millimetres
    });
  }

  it('the compressed fixtures hold several chunks in their compression (what the readers above decompressed)', async () => {
    for (const [path, compression] of [
      [files.zstd, 'zstd'],
      [files.lz4, 'lz4'],
    ] as const) {
      const fh = await open(path, 'r');
      try {
        const r = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(fh) });
        expect(r.chunkIndexes.length).toBeGreaterThan(1);
        expect(new Set(r.chunkIndexes.map((c) => c.compression))).toEqual(new Set([compression]));
      } finally {
        await fh.close();
      }
    }
  });

  it('reads bgr8 colour and 32FC1 depth', async () => {
    const { out } = await frames(files.bgr32f);
    expect(out).toHaveLength(4);
    const f = out[0]!.frame;
    // bgr8 stays bgr8 in the model frame; its channels are the rendered RGB reversed
    expect(f.color.encoding).toBe('bgr8');
    expect([f.color.data[0], f.color.data[2]]).toEqual([frame.color.data[2], frame.color.data[0]]);
    expect(Array.from(f.depth!.data.subarray(0, 1000))).toEqual(Array.from(frame.depth!.data.subarray(0, 1000)));
  });

  it('reads colour from a CompressedImage (PNG) topic', async () => {
    const path = join(dir, 'compressed.mcap');
    const png = encodePng(frame.color);
    const msgs = recordingMessages().map((m) => {
      if (m.topic !== IMAGE) return m;
      const t = Number(m.logTimeNs) / 1e9 - 0.03;
      const header = { stamp: { sec: Math.floor(t), nanosec: Math.round((t - Math.floor(t)) * 1e9) }, frame_id: 'camera_color_optical_frame' };
      return {
        ...m,
        topic: '/camera/color/image_raw/compressed',
        type: 'sensor_msgs/msg/CompressedImage',
        cdr: serialize('sensor_msgs/msg/CompressedImage', { header, format: 'rgb8; png compressed bgr8', data: png }),
      };
    });
    await writeMcap(path, msgs);
    const { topics, out } = await frames(path);
    expect(topics.image).toBe('/camera/color/image_raw/compressed');
    expect(out).toHaveLength(4);
    expect(Buffer.from(out[0]!.frame.color.data).equals(Buffer.from(frame.color.data))).toBe(true);
  });

  it('selects --every S seconds and --at T (nearest synced frame), and one exact stamp', async () => {
    expect((await frames(files.plain, { every: 0.25 })).out.map((o) => o.f.stamp)).toEqual([expect.closeTo(100, 9), expect.closeTo(100.3, 9)]);
    expect((await frames(files.plain, { at: 0.17 })).out.map((o) => o.f.stamp)).toEqual([expect.closeTo(100.2, 9)]);
    // the nearest colour image to 0.42 s has no depth partner: the nearest synced one is used
    expect((await frames(files.plain, { at: 0.42 })).out.map((o) => o.f.stamp)).toEqual([expect.closeTo(100.3, 9)]);
    // below 1e9 a time counts from the first colour image: 100.1 s after it is past the end
    expect((await frames(files.plain, { at: 100.1 })).out.map((o) => o.f.stamp)).toEqual([expect.closeTo(100.3, 9)]);
    expect((await frames(files.plain, { stampNs: ns(100.2) })).out.map((o) => o.f.stampNs)).toEqual([ns(100.2)]);
  });

  it('names a frame by its exact stamp and hashes its content (same pixels, same hash)', async () => {
    const { out } = await frames(files.plain);
    expect(frameFolderName(out[1]!.f.stampNs)).toBe('frame_100.100000000');
    const { out: z } = await frames(files.zstd);
    expect(z.map((o) => o.f.contentHash)).toEqual(out.map((o) => o.f.contentHash));
    // stamps differ, pixels do not: the header is part of the payload, so hashes differ per frame
    expect(new Set(out.map((o) => o.f.contentHash)).size).toBe(4);
  });

  it('coded errors: missing file, not an MCAP, no image topic, unsupported encoding, sqlite3 bag', async () => {
    await expectRejection(() => Recording.open(join(dir, 'nope.mcap')), 'BAD_FILE', /no such file/);
    writeFileSync(join(dir, 'text.mcap'), 'not a recording at all');
    await expectRejection(() => Recording.open(join(dir, 'text.mcap')), 'BAD_FILE', /not an MCAP file/);
    const chatter = join(dir, 'chatter.mcap');
    await writeMcap(chatter, [{ topic: '/chatter', type: 'std_msgs/msg/String', logTimeNs: 1n, cdr: serialize('std_msgs/msg/String', { data: 'x' }) }]);
    const rec = await Recording.open(chatter);
    await expectRejection(() => detectTopics(rec), 'BAD_INPUT', /no image topic.*\/chatter \[std_msgs\/msg\/String\]/);
    await rec.close();
    const yuv = join(dir, 'yuv.mcap');
    const msgs = recordingMessages().map((m) => {
      if (m.topic !== IMAGE) return m;
      const img = frameMessages(frame, 100, {}).image;
      return { ...m, cdr: serialize('sensor_msgs/msg/Image', { ...img, encoding: 'yuv422', step: 640, data: new Uint8Array(640 * 240) }) };
    });
    await writeMcap(yuv, msgs);
    const r2 = await Recording.open(yuv);
    await expectRejection(
      async () => {
        for await (const f of recordedFrames(r2, { topics: { image: IMAGE, depth: DEPTH, cameraInfo: INFO } })) f.assemble();
      },
      'UNSUPPORTED',
      /image\.encoding unknown encoding 'yuv422'/,
    );
    await expectRejection(() => detectTopics(r2), 'BAD_INPUT', /no colour image topic/);
    await r2.close();
    const sq = join(dir, 'sqlite_bag');
    mkdirSync(sq);
    writeFileSync(join(sq, 'metadata.yaml'), 'rosbag2_bagfile_information:\n  storage_identifier: sqlite3\n  relative_file_paths: [a.db3]\n');
    await expectRejection(() => Recording.open(sq), 'UNSUPPORTED', /sqlite3.*ros2 bag convert/);
  });

  it('reads a real rosbag2 recording written by `ros2 bag record` (public rosbag2 test data, fixtures/rosbag2_talker)', async () => {
    const bag = join(import.meta.dirname, 'fixtures', 'rosbag2_talker');
    const rec = await Recording.open(bag);
    try {
      // what the recorder's own metadata.yaml says the file holds
      expect(rec.topics()).toEqual([
        { topic: '/parameter_events', schemaName: 'rcl_interfaces/msg/ParameterEvent' },
        { topic: '/rosout', schemaName: 'rcl_interfaces/msg/Log', messageCount: 10 },
        { topic: '/topic', schemaName: 'std_msgs/msg/String', messageCount: 10 },
      ]);
      const said: string[] = [];
      const times: bigint[] = [];
      for await (const m of rec.messages(['/topic'])) {
        said.push(String(rec.decode(m)['data']));
        times.push(m.logTime);
      }
      expect(said).toEqual(Array.from({ length: 10 }, (_, k) => `Hello, world! ${k}`));
      // metadata.yaml: starting_time 1585866235112411371 ns, duration 4531096768 ns
      expect(times[0]! >= 1585866235112411371n).toBe(true);
      expect(times[9]! <= 1585866235112411371n + 4531096768n).toBe(true);
      const log = [];
      for await (const m of rec.messages(['/rosout'])) log.push(rec.decode(m));
      expect(log.map((l) => l['msg'])).toEqual(said.map((s) => `Publishing: '${s}'`));
      await expectRejection(() => detectTopics(rec), 'BAD_INPUT', /no image topic.*\/topic \[std_msgs\/msg\/String\]/);
    } finally {
      await rec.close();
    }
    await expectRejection(() => reconstruct(['--bag', bag, '--out', join(dir, 'talker_out'), '--quiet']), 'BAD_INPUT', /no image topic/);
    expect(existsSync(join(dir, 'talker_out'))).toBe(false);
  });

  it('real2sim reconstruct --bag writes one bundle per selected frame, with the scene of the rendered ground truth', async () => {
    const out = join(dir, 'out');
    const code = await reconstruct(['--bag', files.zstd, '--every', '0.25', '--out', out, '--quiet', '--no-validate']);
    expect(code).toBe(0);
    for (const name of ['frame_100.000000000', 'frame_100.300000000']) {
      const scene = sceneFromJson(readFileSync(join(out, 'zstd', name, 'scene.json'), 'utf8'));
      expect(scene.objects.length).toBe(2);
      const heights = scene.objects.map((o) => o.size[2]).sort();
      expect(heights[0]).toBeCloseTo(0.1, 1);
      expect(heights[1]).toBeCloseTo(0.12, 1);
      expect(scene.meta?.['stamp']).toBeCloseTo(name.includes('.3') ? 100.3 : 100, 6);
    }
    expect(existsSync(join(out, 'zstd', 'frame_100.100000000'))).toBe(false);
    await expectRejection(() => reconstruct(['--bag', files.zstd, '--rgb', 'x.png', '--out', out]), 'BAD_INPUT', /drop --rgb/);
    await expectRejection(() => reconstruct(['--bag', files.zstd, '--at', '1', '--every', '1', '--out', out]), 'BAD_INPUT', /exclude each other/);
  }, 180_000);
});
