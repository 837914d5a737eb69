/**
 * The node on a real ROS 2 graph (rcl + Cyclone DDS on loopback): `real2sim ros --transport
 * rclnodejs` as a user runs it, a camera participant publishing real sensor_msgs, the
 * std_srvs/Trigger service called through rcl, and every output checked field by field against
 * the bundle the run wrote and the synthetic scene's ground truth.
 * Skips with a message where no ROS 2 is installed; fails in CI (see ros2.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readBundleScene } from '../../../src/export/bundle.ts';
import { generateSynthScene } from '../../../src/synth/synth.ts';
import { DIAG, MARKER, type DiagnosticArrayMsg, type MarkerArrayMsg, type StringMsg, type TfMessageMsg, type TriggerResponse } from '../../../ros/messages.ts';
import { absoluteMeshUris } from '../../../ros/wiring.ts';
import { freeDomainId, requireRos2OrSkip, startProbe, startReal2simRos, type Probe, type Proc } from './ros2.ts';

const ros2 = requireRos2OrSkip('ROS 2 graph tests');
const env = { ...ros2?.env, ROS_DOMAIN_ID: freeDomainId(10, 24) };
const out = mkdtempSync(join(tmpdir(), 'real2sim-ros2-graph-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Real processes on a shared 2-core machine: far above the suite's default per-test limit. */
const REAL_TEST_TIMEOUT_MS = 180000;
const running: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close();
});

const seed = 7;
const truth = generateSynthScene({ seed, width: 320, height: 240, sharedMeshesDir: null });

async function node(args: string[]): Promise<Proc> {
  const p = startReal2simRos(env, ['--transport', 'rclnodejs', '--output-dir', out, ...args]);
  running.push({ close: () => p.stop('SIGINT', 10_000) });
  await p.waitFor(/ready \(rclnodejs\)/, 60_000);
  return p;
}

async function probe(): Promise<Probe> {
  const p = await startProbe(env);
  running.push(p);
  return p;
}

/** Calls the Trigger service until the node has heard the camera (discovery takes a moment). */
async function reconstruct(p: Probe, service: string, waitingFor = /received yet/): Promise<TriggerResponse & { callMs: number }> {
  const t0 = Date.now();
  for (;;) {
    const ev = await p.ask<{ res: TriggerResponse; callMs: number }>({ op: 'call', service, type: 'std_srvs/srv/Trigger', request: {}, timeoutMs: 90_000 }, 100_000);
    if (ev.res.success || !waitingFor.test(ev.res.message) || Date.now() - t0 > 20_000) return { ...ev.res, callMs: ev.callMs };
    await new Promise((r) => setTimeout(r, 300));
  }
}

const latched = { durability: 'transient_local' };

describe.skipIf(!ros2)('real ROS 2 graph (rclnodejs, Cyclone DDS on loopback)', () => {
  it(
    'seed 7: Trigger answers the bundle path; markers, URDF, SDF, TF and diagnostics arrive field by field; a late subscriber gets the latched scene',
    async () => {
      const watcher = await probe();
      for (const [topic, type, o] of [
        ['/scene/markers', 'visualization_msgs/msg/MarkerArray', latched],
        ['/scene/urdf', 'std_msgs/msg/String', latched],
        ['/scene/sdf', 'std_msgs/msg/String', latched],
        ['/tf_static', 'tf2_msgs/msg/TFMessage', latched],
        ['/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray', {}],
      ] as const) {
        await watcher.ask({ op: 'sub', topic, type, ...o });
      }
      const n = await node(['--camera-frame', 'cam_optical']);
      // Before any frame: the answer names the topic as resolved.
      const early = await watcher.ask<{ res: TriggerResponse }>({ op: 'call', service: '/reconstruct', type: 'std_srvs/srv/Trigger', timeoutMs: 30_000 });
      expect(early.res).toEqual({ success: false, message: 'no colour image received yet on `/image`' });

      const camera = await probe();
      await camera.ask({ op: 'camera', seed, width: 320, height: 240, rate: 4, stamp0: 500, topics: { image: '/image', depth: '/depth', info: '/camera_info' } });
      const res = await reconstruct(watcher, '/reconstruct');
      expect(res.success, res.message + n.output()).toBe(true);
      expect(res.message.startsWith(`${out}/scene_5`)).toBe(true);
      const bundle = res.message;
      const scene = await readBundleScene(bundle);

      // Ground truth: as many objects as the synthetic scene has, at the same distances from
      // each other (the reconstruction's world frame has its own origin on the table).
      expect(scene.objects.length).toBe(truth.scene.objects.length);
      const gaps = (ps: number[][]) => ps.flatMap((a, i) => ps.slice(i + 1).map((b) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!))).sort((x, y) => x - y);
      const found = gaps(scene.objects.map((o) => [...o.pose.position]));
      gaps(truth.scene.objects.map((o) => [...o.pose.position])).forEach((d, k) => expect(Math.abs(found[k]! - d), `gap ${k}`).toBeLessThan(0.03));

      // MarkerArray: DELETEALL, then per object a triangle list at its pose and a label, then the support.
      const markers = (await watcher.waitMessages<MarkerArrayMsg>('/scene/markers', 1))[0]!.msg;
      const m = markers.markers;
      expect(m).toHaveLength(1 + 2 * scene.objects.length + 1);
      expect(m[0]).toMatchObject({ action: MARKER.DELETEALL });
      const stamp = m[1]!.header.stamp;
      expect(stamp.sec).toBeGreaterThan(1_600_000_000); // the node's ROS clock (system time)
      scene.objects.forEach((ob, i) => {
        const mesh = m.find((x) => x.ns === 'objects' && x.id === i)!;
        expect(mesh).toMatchObject({ type: MARKER.TRIANGLE_LIST, action: MARKER.ADD, header: { frame_id: 'world', stamp } });
        expect(mesh.pose.position.x).toBeCloseTo(ob.pose.position[0], 9);
        expect(mesh.pose.position.y).toBeCloseTo(ob.pose.position[1], 9);
        expect(mesh.pose.position.z).toBeCloseTo(ob.pose.position[2], 9);
        [mesh.pose.orientation.x, mesh.pose.orientation.y, mesh.pose.orientation.z, mesh.pose.orientation.w].forEach((v, k) => expect(v).toBeCloseTo(ob.pose.orientation[k]!, 9));
        expect(mesh.points).toHaveLength(ob.mesh.indices.length);
        const v = ob.mesh.indices[ob.mesh.indices.length - 1]! * 3;
        expect(mesh.points.at(-1)!.x).toBeCloseTo(ob.mesh.positions[v]!, 5);
        expect(mesh.points.at(-1)!.z).toBeCloseTo(ob.mesh.positions[v + 2]!, 5);
        const label = m.find((x) => x.ns === 'labels' && x.id === i)!;
        expect(label).toMatchObject({ type: MARKER.TEXT_VIEW_FACING, text: ob.label });
        expect(label.pose.position.z).toBeGreaterThan(ob.pose.position[2]);
      });
      expect(m.at(-1)).toMatchObject({ ns: 'support', type: MARKER.CUBE });

      // URDF and SDF: the bundle's files with absolute mesh URIs.
      const urdf = (await watcher.waitMessages<StringMsg>('/scene/urdf', 1))[0]!.msg;
      const sdf = (await watcher.waitMessages<StringMsg>('/scene/sdf', 1))[0]!.msg;
      expect(urdf.data).toBe(absoluteMeshUris(readFileSync(join(bundle, 'scene.urdf'), 'utf8'), bundle));
      expect(sdf.data).toBe(absoluteMeshUris(readFileSync(join(bundle, 'scene.sdf'), 'utf8'), bundle));
      expect(urdf.data).toContain(`filename="file://${bundle}/meshes/`);

      // TF static: world → each object, world → camera.
      const tf = (await watcher.waitMessages<TfMessageMsg>('/tf_static', 1))[0]!.msg;
      expect(tf.transforms).toHaveLength(scene.objects.length + 1);
      for (const ob of scene.objects) {
        const t = tf.transforms.find((x) => x.child_frame_id === `real2sim/${ob.id}`)!;
        expect(t.header.frame_id).toBe('world');
        expect(t.transform.translation.x).toBeCloseTo(ob.pose.position[0], 9);
        expect(t.transform.translation.z).toBeCloseTo(ob.pose.position[2], 9);
        expect(t.transform.rotation.w).toBeCloseTo(ob.pose.orientation[3], 9);
      }
      const cam = tf.transforms.find((x) => x.child_frame_id === 'cam_optical')!;
      expect(cam.header.frame_id).toBe('world');
      expect(cam.transform.translation.z).toBeCloseTo(scene.camera!.pose.position[2], 9);

      // Diagnostics: every stage, physics, and the run with the bundle and the frame's stamp.
      await watcher.waitMessages<DiagnosticArrayMsg>('/diagnostics', 2);
      const statuses = watcher.messages<DiagnosticArrayMsg>('/diagnostics').flatMap((d) => d.msg.status);
      const run = statuses.find((s) => s.name === 'real2sim: reconstruction' && s.level === DIAG.OK)!;
      expect(run).toMatchObject({ message: bundle, hardware_id: 'real2sim' });
      const values = Object.fromEntries(run.values.map((kv) => [kv.key, kv.value]));
      expect(values['objects']).toBe(String(scene.objects.length));
      expect(values['bundle']).toBe(bundle);
      expect(Number(values['stamp'])).toBeGreaterThanOrEqual(500);
      for (const stage of ['perceive', 'lift', 'ground', 'shape', 'place', 'compose']) {
        expect(
          statuses.some((s) => s.name === `real2sim: stage ${stage}`),
          stage,
        ).toBe(true);
      }
      expect(statuses.find((s) => s.name === 'real2sim: physics')?.values.find((kv) => kv.key === 'verdict')?.value).toMatch(/^(valid|repaired|needs_review|invalid)$/);

      // A subscriber that joins after the run still gets the latched scene (transient local).
      const late = await probe();
      await late.ask({ op: 'sub', topic: '/scene/urdf', type: 'std_msgs/msg/String', ...latched });
      await late.ask({ op: 'sub', topic: '/tf_static', type: 'tf2_msgs/msg/TFMessage', ...latched });
      const lateUrdf = (await late.waitMessages<StringMsg>('/scene/urdf', 1, 15_000))[0]!.msg;
      expect(lateUrdf.data).toBe(urdf.data);
      expect((await late.waitMessages<TfMessageMsg>('/tf_static', 1, 15_000))[0]!.msg.transforms).toHaveLength(tf.transforms.length);

      // Ctrl-C: the node leaves the graph and exits 0.
      expect(await n.stop('SIGINT', 15_000), n.output()).toBe(0);
      const g = await watcher.ask<{ services: { name: string }[] }>({ op: 'graph' });
      expect(g.services.map((s) => s.name)).not.toContain('/reconstruct');
    },
    REAL_TEST_TIMEOUT_MS,
  );

  it(
    'namespace, remaps and parameters through --ros-args; continuous mode uses each new frame once',
    async () => {
      const watcher = await probe();
      await watcher.ask({ op: 'sub', topic: '/robot/diagnostics', type: 'diagnostic_msgs/msg/DiagnosticArray' });
      await watcher.ask({ op: 'sub', topic: '/robot/scene/markers', type: 'visualization_msgs/msg/MarkerArray', ...latched });
      const n = await node([
        '--ros-args',
        '-r',
        '__ns:=/robot',
        '-r',
        'image:=/cam/rgb',
        '-r',
        'depth:=/cam/depth',
        '-r',
        'camera_info:=/cam/info',
        '-p',
        'mode:=continuous',
        '-p',
        'rate_hz:=1',
        '-p',
        'scene_frame:=table',
      ]);
      expect(n.output()).toMatch(/ready \(rclnodejs\): continuous, image \/cam\/rgb, depth \/cam\/depth, camera_info \/cam\/info; service \/robot\/reconstruct/);

      // The parameters as the ROS parameter system holds them (rate_hz given as the integer 1).
      const params = await watcher.ask<{ res: { values: { type: number; double_value: number; string_value: string }[] } }>({
        op: 'call',
        service: '/robot/real2sim/get_parameters',
        type: 'rcl_interfaces/srv/GetParameters',
        request: { names: ['rate_hz', 'mode', 'scene_frame', 'use_depth'] },
        timeoutMs: 20_000,
      });
      expect(params.res.values.map((v) => [v.type, v.type === 3 ? v.double_value : v.string_value])).toEqual([
        [3, 1],
        [4, 'continuous'],
        [4, 'table'],
        [1, ''],
      ]);

      // The remapped topics and namespaced outputs exist on the graph with the node's endpoints.
      const g = await watcher.ask<{ services: { name: string; types: string[] }[]; counts: Record<string, { publishers: number; subscribers: number }> }>({
        op: 'graph',
        count: ['/cam/rgb', '/cam/depth', '/cam/info', '/robot/scene/markers', '/robot/scene/urdf', '/image'],
      });
      expect(g.counts['/cam/rgb']!.subscribers).toBe(1);
      expect(g.counts['/cam/depth']!.subscribers).toBe(1);
      expect(g.counts['/cam/info']!.subscribers).toBe(1);
      expect(g.counts['/image']!.subscribers).toBe(0);
      expect(g.counts['/robot/scene/markers']!.publishers).toBe(1);
      expect(g.services).toContainEqual({ name: '/robot/reconstruct', types: ['std_srvs/srv/Trigger'] });

      // Continuous: a camera at 4 Hz; the node reconstructs about once a second, never the same frame twice.
      const camera = await probe();
      await camera.ask({ op: 'camera', seed, width: 160, height: 120, rate: 4, stamp0: 900, topics: { image: '/cam/rgb', depth: '/cam/depth', info: '/cam/info' } });
      await watcher.waitMessages('/robot/scene/markers', 3, 60_000);
      await camera.ask({ op: 'stop_camera' });
      const runs = watcher
        .messages<DiagnosticArrayMsg>('/robot/diagnostics')
        .flatMap((d) => d.msg.status)
        .filter((s) => s.name === 'real2sim: reconstruction' && s.level === DIAG.OK)
        .map((s) => Number(s.values.find((kv) => kv.key === 'stamp')!.value));
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(new Set(runs).size).toBe(runs.length);
      for (const m of watcher.messages<MarkerArrayMsg>('/robot/scene/markers')) expect(m.msg.markers[1]!.header.frame_id).toBe('table');

      expect(await n.stop('SIGINT', 15_000), n.output()).toBe(0);
      expect(n.output()).toMatch(/shutting down/);
    },
    REAL_TEST_TIMEOUT_MS,
  );

  it(
    'spawn: gz through real ros_gz_interfaces services; the next scene deletes the models first, Entity.id as a uint64',
    async () => {
      const gz = await probe();
      await gz.ask({ op: 'serve', service: '/world/default/create', type: 'ros_gz_interfaces/srv/SpawnEntity', response: { success: true } });
      await gz.ask({ op: 'serve', service: '/world/default/remove', type: 'ros_gz_interfaces/srv/DeleteEntity', response: { success: true } });
      await node(['--spawn', 'gz', '--spawn-invalid', 'true']);
      const camera = await probe();
      await camera.ask({ op: 'camera', seed, width: 160, height: 120, rate: 4, stamp0: 700, topics: { image: '/image', depth: '/depth', info: '/camera_info' } });
      const first = await reconstruct(gz, '/reconstruct');
      expect(first.success, first.message).toBe(true);
      const creates = [...gz.messages<{ entity_factory: { name: string; sdf: string; allow_renaming: boolean } }>('service:/world/default/create')];
      expect(creates.length).toBeGreaterThan(0);
      for (const c of creates)
        expect(c.msg.entity_factory).toMatchObject({ name: expect.stringMatching(/^real2sim_/) as unknown, allow_renaming: false, sdf: expect.stringContaining('<model') as unknown });
      await new Promise((r) => setTimeout(r, 600)); // a newer frame for the second scene
      const second = await reconstruct(gz, '/reconstruct');
      expect(second.success, second.message).toBe(true);
      const removes = gz.messages<{ entity: { id: number; name: string; type: number } }>('service:/world/default/remove');
      expect(removes.map((r) => r.msg.entity.name).sort()).toEqual(creates.map((c) => c.msg.entity_factory.name).sort());
      for (const r of removes) expect(r.msg.entity).toMatchObject({ id: 0, type: 2 }); // MODEL
    },
    REAL_TEST_TIMEOUT_MS,
  );

  it(
    'a parameter rcl cannot take is an error at start that names it',
    async () => {
      const p = startReal2simRos(env, ['--transport', 'rclnodejs', '--ros-args', '-p', 'rate_hz:=fast']);
      running.push({ close: () => p.stop('SIGKILL', 0) });
      expect([1, 2]).toContain(await p.exited);
      expect(p.output()).toMatch(/rate_hz/);
    },
    REAL_TEST_TIMEOUT_MS,
  );
});
