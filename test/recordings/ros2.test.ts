/**
 * A recording from a real ROS 2 graph (ROS 2 Humble in /opt/ros2-full, Cyclone DDS on loopback):
 * an rclpy node publishes colour, depth and CameraInfo of a rendered scene; a second rclpy node
 * subscribes with raw=True and keeps the serialised CDR bytes and receive times. `ros2 bag` is not
 * in that ROS 2 tree, so the MCAP is written here with @mcap/core from those received bytes
 * (zstd-compressed chunks, the message definitions read from the tree's .msg files), then read
 * back like any recording.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Recording } from '../../src/recordings/mcap.ts';
import { detectTopics, recordedFrames } from '../../src/recordings/frames.ts';
import { run as reconstruct } from '../../src/commands/reconstruct.ts';
import { sceneFromJson } from '../../src/io/sceneJson.ts';
import { renderFixture } from '../stages/fixtures.ts';
import { rosDefinitions, writeMcap, type FixtureMessage } from './mcapFixture.ts';

const PREFIX = process.env['REAL2SIM_ROS2_PREFIX'] ?? '/opt/ros2-full';
const missing = !existsSync(join(PREFIX, 'setup.bash'))
  ? `ROS 2 is not installed at ${PREFIX} (unpack ros2-humble.tgz there, see .ci/run)`
  : !existsSync('/usr/bin/python3')
    ? 'Debian python3 is missing'
    : null;
if (missing && process.env['CI'] === 'true') throw new Error(`CI: ${missing}`);

const SHARED_PROFILE = resolve(import.meta.dirname, '../../../shared/ros2/cyclonedds-loopback.xml');
/** The same loopback-only profile as ../shared/ros2/cyclonedds-loopback.xml, inline when that file is absent. */
const CYCLONE = existsSync(SHARED_PROFILE)
  ? `file://${SHARED_PROFILE}`
  : '<CycloneDDS><Domain Id="any"><General><Interfaces><NetworkInterface address="127.0.0.1" multicast="false"/></Interfaces><AllowMulticast>false</AllowMulticast></General><Discovery><ParticipantIndex>auto</ParticipantIndex><MaxAutoParticipantIndex>60</MaxAutoParticipantIndex><Peers><Peer address="127.0.0.1"/></Peers></Discovery></Domain></CycloneDDS>';
const DOMAIN = String(140 + (process.pid % 60));
const SCRIPT = join(import.meta.dirname, 'ros2_graph.py');

function rosProcess(args: string[]): { proc: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const proc = spawn('bash', ['-c', `source "${PREFIX}/setup.bash" && exec /usr/bin/python3 "${SCRIPT}" "$@"`, 'ros2_graph', ...args], {
    // Debian's python3 first: rclpy is built for it
    env: {
      HOME: process.env['HOME'] ?? '/tmp',
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      ROS_DOMAIN_ID: DOMAIN,
      CYCLONEDDS_URI: CYCLONE,
      RMW_IMPLEMENTATION: 'rmw_cyclonedds_cpp',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, out: () => out, exited: new Promise((r) => proc.once('exit', (c) => r(c))) };
}

function parseDump(bytes: Buffer): FixtureMessage[] {
  const out: FixtureMessage[] = [];
  let o = 0;
  while (o < bytes.length) {
    const tl = bytes.readUInt16LE(o);
    const topic = bytes.toString('utf8', o + 2, o + 2 + tl);
    o += 2 + tl;
    const yl = bytes.readUInt16LE(o);
    const type = bytes.toString('utf8', o + 2, o + 2 + yl);
    o += 2 + yl;
    const logTimeNs = bytes.readBigUInt64LE(o);
    const n = bytes.readUInt32LE(o + 8);
    o += 12;
    out.push({ topic, type, logTimeNs, cdr: new Uint8Array(bytes.subarray(o, o + n)) });
    o += n;
  }
  return out.sort((a, b) => (a.logTimeNs < b.logTimeNs ? -1 : a.logTimeNs > b.logTimeNs ? 1 : 0));
}

describe.skipIf(missing !== null)(`recording from a real ROS 2 graph${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'r2s-ros2bag-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const N = 4;
  const { frame } = renderFixture(
    [
      { kind: 'box', id: 1, label: 'box', centre: [0, 0, 0.05], size: [0.2, 0.1, 0.1], yaw: 0.4 },
      { kind: 'cylinder', id: 2, label: 'can', centre: [0.1, 0.22, 0.06], radius: 0.04, height: 0.12 },
    ],
    { width: 320, height: 240 },
  );

  it('publishes on the graph, records the CDR a subscriber received into a zstd MCAP, and reads it back', async () => {
    writeFileSync(join(dir, 'rgb.raw'), frame.color.data);
    const mm = new Uint16Array(frame.depth!.data.length);
    for (let i = 0; i < mm.length; i++) mm[i] = Math.round(frame.depth!.data[i]! * 1000);
    writeFileSync(join(dir, 'depth.raw'), new Uint8Array(mm.buffer));
    writeFileSync(join(dir, 'camera.json'), JSON.stringify(frame.camera));
    writeFileSync(join(dir, 'publishing'), '');
    const dump = join(dir, 'received.bin');
    const recorder = rosProcess(['record', dump, String(N)]);
    const t0 = Date.now();
    while (!recorder.out().includes('recorder ready')) {
      if (recorder.proc.exitCode !== null || Date.now() - t0 > 30_000) throw new Error(`recorder did not start:\n${recorder.out()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const publisher = rosProcess(['publish', dir, String(N)]);
    expect(await recorder.exited, recorder.out()).toBe(0);
    unlinkSync(join(dir, 'publishing'));
    await publisher.exited;
    expect(recorder.out()).toMatch(/recorded .*"\/camera\/color\/image_raw": 4/);

    const messages = parseDump(readFileSync(dump));
    const bag = join(dir, 'camera.mcap');
    await writeMcap(bag, messages, { compression: 'zstd', chunkSize: 300_000, lookup: rosDefinitions(PREFIX) });

    const rec = await Recording.open(bag);
    try {
      const topics = await detectTopics(rec);
      expect(topics).toEqual({ image: '/camera/color/image_raw', depth: '/camera/aligned_depth_to_color/image_raw', cameraInfo: '/camera/color/camera_info' });
      const frames = [];
      for await (const f of recordedFrames(rec, { topics })) frames.push({ f, frame: f.assemble() });
      expect(frames.map((x) => x.f.stampNs)).toEqual(Array.from({ length: N }, (_, k) => 1_700_000_000_000_000_000n + BigInt(k) * 100_000_000n));
      const got = frames[0]!.frame;
      expect(Buffer.from(got.color.data).equals(Buffer.from(frame.color.data))).toBe(true);
      expect(got.camera).toMatchObject({ fx: frame.camera.fx, fy: frame.camera.fy, cx: frame.camera.cx, cy: frame.camera.cy, frameId: 'camera_color_optical_frame' });
      let worst = 0;
      for (let i = 0; i < got.depth!.data.length; i++) worst = Math.max(worst, Math.abs(got.depth!.data[i]! - frame.depth!.data[i]!));
      expect(worst).toBeLessThanOrEqual(0.0005 + 1e-6);
    } finally {
      await rec.close();
    }

    const out = join(dir, 'out');
    expect(await reconstruct(['--bag', bag, '--at', '0.1', '--out', out, '--quiet', '--no-validate'])).toBe(0);
    const scene = sceneFromJson(readFileSync(join(out, 'camera', 'frame_1700000000.100000000', 'scene.json'), 'utf8'));
    const heights = scene.objects.map((o) => o.size[2]).sort((a, b) => a - b);
    expect(heights).toEqual([expect.closeTo(0.1, 1), expect.closeTo(0.12, 1)]);
  }, 120_000);
});
