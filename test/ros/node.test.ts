import { afterEach, describe, expect, it } from 'vitest';
import { Real2SimError } from '../../src/model/errors.ts';
import { rotateVec } from '../../src/model/pose.ts';
import {
  DIAG,
  MARKER,
  TYPES,
  type DiagnosticArrayMsg,
  type GzSpawnRequest,
  type ClassicSpawnRequest,
  type MarkerArrayMsg,
  type StringMsg,
  type TfMessageMsg,
  type TriggerResponse,
} from '../../ros/messages.ts';
import { startSceneNode, type SceneNode } from '../../ros/node.ts';
import { MemoryGraph } from '../../ros/transport/memory.ts';
import { QOS_DEFAULT, QOS_LATCHED, QOS_SENSOR, type Transport } from '../../ros/transport/types.ts';
import type { ParamValue } from '../../ros/params.ts';
import { frameMessages, imageMsg } from './fixtures.ts';
import { synth, truthPipeline, type TruthPipeline } from './scenes.ts';

const truth = synth(7);
const open: SceneNode[] = [];
afterEach(async () => {
  for (const n of open.splice(0)) await n.close();
});

interface Rig {
  graph: MemoryGraph;
  node: SceneNode;
  camera: Transport;
  pipeline: TruthPipeline;
  publishFrame(stamp: number, o?: { depthStamp?: number; skip?: ('image' | 'depth' | 'info' | 'masks')[] }): void;
  call(): Promise<TriggerResponse>;
  collect<T>(topic: string, type: string, durability?: 'volatile' | 'transient_local'): T[];
}

async function rig(params: Record<string, ParamValue> = {}, pipeline = truthPipeline(truth), extra: { namespace?: string; remaps?: [string, string][] } = {}): Promise<Rig> {
  const graph = new MemoryGraph();
  graph.clock = () => ({ sec: 1000, nanosec: 5 });
  const node = await startSceneNode({ transport: graph.participant('real2sim', { quiet: true }), pipeline, params, reportIntervalMs: 0, ...extra });
  open.push(node);
  const camera = graph.participant('camera');
  const ns = extra.namespace ?? '';
  const pubs = {
    image: camera.advertise(node.names.image, TYPES.image, { qos: QOS_SENSOR }),
    depth: camera.advertise(node.names.depth, TYPES.image, { qos: QOS_SENSOR }),
    info: camera.advertise(node.names.cameraInfo, TYPES.cameraInfo, { qos: QOS_SENSOR }),
    masks: camera.advertise(`${ns}/masks`, TYPES.image, { qos: QOS_SENSOR }),
  };
  const msgs = frameMessages(truth.frame, 0);
  return {
    graph,
    node,
    camera,
    pipeline,
    publishFrame(stamp, o = {}) {
      const m = frameMessages(truth.frame, stamp);
      const skip = new Set(o.skip ?? []);
      if (!skip.has('info')) pubs.info.publish(m.info);
      if (!skip.has('depth')) pubs.depth.publish(o.depthStamp === undefined ? m.depth : frameMessages(truth.frame, o.depthStamp).depth);
      if (!skip.has('masks')) pubs.masks.publish(m.masks);
      if (!skip.has('image')) pubs.image.publish(m.image);
      void msgs;
    },
    call: async () => (await camera.callService(node.names.reconstruct, TYPES.trigger, {}, { timeoutMs: 20_000 })) as TriggerResponse,
    collect<T>(topic: string, type: string, durability: 'volatile' | 'transient_local' = 'volatile') {
      const got: T[] = [];
      camera.subscribe(topic, type, (m) => got.push(m as T), { qos: { ...QOS_DEFAULT, durability } });
      return got;
    },
  };
}

const diagStatus = (arrays: DiagnosticArrayMsg[], name: string) => arrays.flatMap((a) => a.status).filter((s) => s.name === name);

describe('reconstruct service (on_demand)', () => {
  it('answers with the bundle path and publishes markers, URDF/SDF, TF and diagnostics', async () => {
    const r = await rig();
    const diags = r.collect<DiagnosticArrayMsg>('/diagnostics', TYPES.diagnostics);
    const markers = r.collect<MarkerArrayMsg>('/scene/markers', TYPES.markerArray);
    r.publishFrame(100);
    const res = await r.call();
    expect(res.success).toBe(true);
    const result = await r.pipeline(truth.frame); // same answer as the node got
    expect(res.message).toBe(result.bundleDir);

    // The frame the pipeline saw is the synth frame, decoded back from ROS messages.
    const seen = r.pipeline.calls[0]!;
    expect(seen.camera).toMatchObject({ width: 160, height: 120, fx: truth.frame.camera.fx, frameId: 'camera_color_optical_frame' });
    expect(Buffer.from(seen.color.data).equals(Buffer.from(truth.frame.color.data))).toBe(true);
    const i = truth.frame.depth!.data.findIndex((d) => d > 0);
    expect(seen.depth!.data[i]).toBeCloseTo(truth.frame.depth!.data[i]!, 3);
    expect(seen.stamp).toBe(100);

    // MarkerArray: DELETEALL, then per object a triangle list + a label, then the support plane.
    expect(markers).toHaveLength(1);
    const ms = markers[0]!.markers;
    expect(ms[0]).toMatchObject({ action: MARKER.DELETEALL });
    const objects = ms.filter((m) => m.ns === 'objects');
    const labels = ms.filter((m) => m.ns === 'labels');
    expect(objects).toHaveLength(truth.scene.objects.length);
    truth.scene.objects.forEach((ob, k) => {
      const m = objects[k]!;
      expect(m).toMatchObject({ type: MARKER.TRIANGLE_LIST, action: MARKER.ADD, id: k, header: { frame_id: 'world', stamp: { sec: 1000, nanosec: 5 } } });
      expect(m.points).toHaveLength(ob.mesh.indices.length);
      const v = ob.mesh.indices[0]! * 3;
      expect(m.points[0]).toEqual({ x: ob.mesh.positions[v], y: ob.mesh.positions[v + 1], z: ob.mesh.positions[v + 2] });
      expect(m.pose.position).toEqual({ x: ob.pose.position[0], y: ob.pose.position[1], z: ob.pose.position[2] });
      expect(m.pose.orientation.w).toBe(ob.pose.orientation[3]);
      expect(m.scale).toEqual({ x: 1, y: 1, z: 1 });
      expect(m.color).toEqual({ r: ob.color![0], g: ob.color![1], b: ob.color![2], a: 1 });
      expect(labels[k]).toMatchObject({ type: MARKER.TEXT_VIEW_FACING, text: ob.label });
      expect(labels[k]!.pose.position.z).toBeGreaterThan(ob.pose.position[2]);
    });
    const support = ms.find((m) => m.ns === 'support')!;
    expect(support).toMatchObject({ type: MARKER.CUBE, scale: { z: 0.002 } });
    expect(support.pose.position.z).toBeCloseTo(-0.001, 6); // slab top on z = 0

    // Scene topics: transient-local, so a subscriber that joins now still gets the scene.
    expect(r.graph.publisherQos('/scene/urdf')).toEqual([QOS_LATCHED]);
    expect(r.graph.publisherQos('/scene/sdf')).toEqual([QOS_LATCHED]);
    expect(r.graph.publisherQos('/tf_static')).toEqual([QOS_LATCHED]);
    const lateUrdf = r.collect<StringMsg>('/scene/urdf', TYPES.string, 'transient_local');
    const lateSdf = r.collect<StringMsg>('/scene/sdf', TYPES.string, 'transient_local');
    const volatileUrdf = r.collect<StringMsg>('/scene/urdf', TYPES.string, 'volatile');
    expect(lateUrdf).toEqual([{ data: result.urdf }]);
    expect(lateUrdf[0]!.data).toMatch(/<robot/);
    expect(lateSdf[0]!.data).toMatch(/<world/);
    expect(volatileUrdf).toEqual([]);

    // TF: one static frame per object under scene_frame, plus the camera optical frame.
    const tf = r.collect<TfMessageMsg>('/tf_static', TYPES.tf, 'transient_local')[0]!;
    expect(tf.transforms).toHaveLength(truth.scene.objects.length + 1);
    truth.scene.objects.forEach((ob, k) => {
      const t = tf.transforms[k]!;
      expect(t.header.frame_id).toBe('world');
      expect(t.child_frame_id).toBe(`real2sim/${ob.id}`);
      expect(t.transform.translation).toEqual({ x: ob.pose.position[0], y: ob.pose.position[1], z: ob.pose.position[2] });
    });
    const cam = tf.transforms.at(-1)!;
    expect(cam).toMatchObject({ header: { frame_id: 'world' }, child_frame_id: 'camera_color_optical_frame' });
    // REP 103/105: the optical z axis (forward) points down towards the objects in the z-up world.
    const q = cam.transform.rotation;
    const forward = rotateVec([q.x, q.y, q.z, q.w], [0, 0, 1]);
    expect(forward[2]).toBeLessThan(-0.3);
    expect(cam.transform.translation.z).toBeGreaterThan(0.2);

    // Diagnostics: stage reports, physics verdict, run summary.
    expect(diagStatus(diags, 'real2sim: stage perceive')[0]).toMatchObject({ level: DIAG.OK, hardware_id: 'real2sim' });
    expect(diagStatus(diags, 'real2sim: physics')[0]).toMatchObject({ level: DIAG.OK, message: 'valid as reconstructed' });
    const run = diagStatus(diags, 'real2sim: reconstruction')[0]!;
    expect(run).toMatchObject({ level: DIAG.OK, message: result.bundleDir });
    expect(run.values).toContainEqual({ key: 'objects', value: String(truth.scene.objects.length) });
  });

  it('marker_mesh: mesh_resource points each object marker at its mesh file', async () => {
    const base = truthPipeline(truth);
    const files = Object.fromEntries(truth.scene.objects.map((ob) => [ob.id, `/data/bundle/meshes/${ob.id}_visual.obj`]));
    const r = await rig(
      { marker_mesh: 'mesh_resource' },
      Object.assign(async (f: Parameters<typeof base>[0]) => ({ ...(await base(f)), meshFiles: files }), { calls: base.calls }),
    );
    const markers = r.collect<MarkerArrayMsg>('/scene/markers', TYPES.markerArray);
    r.publishFrame(1);
    await r.call();
    const objects = markers[0]!.markers.filter((m) => m.ns === 'objects');
    expect(objects.map((m) => [m.type, m.mesh_resource, m.points.length])).toEqual(truth.scene.objects.map((ob) => [MARKER.MESH_RESOURCE, `file:///data/bundle/meshes/${ob.id}_visual.obj`, 0]));
  });

  it('answers with the error when the pipeline fails', async () => {
    const r = await rig({}, truthPipeline(truth, { fail: new Real2SimError('NO_PLANE', 'no support plane found: point the camera at the table') }));
    const diags = r.collect<DiagnosticArrayMsg>('/diagnostics', TYPES.diagnostics);
    r.publishFrame(5);
    const res = await r.call();
    expect(res).toEqual({ success: false, message: '[NO_PLANE] no support plane found: point the camera at the table' });
    expect(diagStatus(diags, 'real2sim: reconstruction')[0]).toMatchObject({ level: DIAG.ERROR, message: res.message });
    expect(r.collect<StringMsg>('/scene/urdf', TYPES.string, 'transient_local')).toEqual([]);
  });

  it('says what is missing before any frame arrived', async () => {
    const r = await rig();
    expect(await r.call()).toEqual({ success: false, message: 'no colour image received yet on `/image`' });
    r.publishFrame(1, { skip: ['depth'] });
    expect((await r.call()).message).toBe('no depth image received yet on `/depth`');
    expect(r.pipeline.calls).toHaveLength(0);
  });

  it('a newer inconsistent pair does not hide the newest consistent one; the answer, the log and the counters say so', async () => {
    const r = await rig();
    const diags = r.collect<DiagnosticArrayMsg>('/diagnostics', TYPES.diagnostics);
    r.publishFrame(10);
    // Stamp 11: each image valid on its own, but the depth is 80×60 under a 160×120 colour image.
    const small = frameMessages(synth(7, 80, 60).frame, 11);
    r.camera.advertise('/depth', TYPES.image, { qos: QOS_SENSOR }).publish(small.depth);
    r.publishFrame(11, { skip: ['depth'] });
    const res = await r.call();
    expect(res.success).toBe(true);
    expect(res.message).toMatch(/ \(skipped 1 newer inconsistent frame\(s\), the newest at stamp 11\.000: depth: is 80×60 but the colour image is 160×120; depth must be aligned/);
    expect(r.pipeline.calls.map((f) => f.stamp)).toEqual([10]);
    expect(r.graph.logs.some((l) => l.level === 'warn' && /reconstructing the frame at stamp 10\.000 \(skipped 1/.test(l.msg))).toBe(true);
    const counters = diagStatus(diags, 'real2sim: counters').at(-1)!;
    const v = Object.fromEntries(counters.values.map((kv) => [kv.key, kv.value]));
    expect(v).toMatchObject({ 'received /image': '2', 'received /depth': '2', synced: '1', used: '1', skipped_inconsistent: '1', reconstructions: '1', failures: '0' });
    expect(Number(v['mean_time_ms'])).toBeGreaterThanOrEqual(0);
    // Only inconsistent pairs held: the call fails and says why, nothing is reconstructed.
    const only = await rig();
    only.camera.advertise('/depth', TYPES.image, { qos: QOS_SENSOR }).publish(small.depth);
    only.publishFrame(11, { skip: ['depth'] });
    const bad = await only.call();
    expect(bad).toEqual({ success: false, message: expect.stringMatching(/^the synced frame is inconsistent: depth: is 80×60 but the colour image is 160×120/) as unknown });
    expect(only.pipeline.calls).toHaveLength(0);
  });

  it('with 30 % inconsistent pairs injected, every call reconstructs a consistent frame', async () => {
    const r = await rig();
    const small = synth(7, 80, 60).frame;
    const depthPub = r.camera.advertise('/depth', TYPES.image, { qos: QOS_SENSOR });
    let ok = 0;
    for (let k = 0; k < 20; k++) {
      const stamp = 100 + k;
      if (k % 10 === 3 || k % 10 === 6 || k % 10 === 9) {
        depthPub.publish(frameMessages(small, stamp).depth);
        r.publishFrame(stamp, { skip: ['depth'] });
      } else r.publishFrame(stamp);
      if (k < 1) continue;
      const res = await r.call();
      if (res.success) ok++;
    }
    expect(ok).toBe(19);
    for (const f of r.pipeline.calls) expect(f.depth!.width).toBe(160);
    expect(r.node.stats.skippedInconsistent).toBe(6);
  });

  it('a run of inconsistent pairs longer than the rings still leaves the newest consistent frame (checked as pairs form)', async () => {
    const r = await rig();
    const small = synth(7, 80, 60).frame;
    const depthPub = r.camera.advertise('/depth', TYPES.image, { qos: QOS_SENSOR });
    r.publishFrame(200);
    r.publishFrame(201);
    // 8 inconsistent pairs: twice the rings' 4 slots, so no consistent pair is left in them
    for (let stamp = 202; stamp < 210; stamp++) {
      depthPub.publish(frameMessages(small, stamp).depth);
      r.publishFrame(stamp, { skip: ['depth'] });
    }
    const res = await r.call();
    expect(res.success, res.message).toBe(true);
    expect(res.message).toMatch(/skipped 4 newer inconsistent frame\(s\), the newest at stamp 209\.000: depth: is 80×60 but the colour image is 160×120/);
    expect(r.pipeline.calls.map((f) => f.stamp)).toEqual([201]);
    expect(r.pipeline.calls[0]!.depth!.width).toBe(160);
  });

  it('pairs colour and depth only within sync_tolerance_s', async () => {
    const strict = await rig({ sync_tolerance_s: 0.02 });
    strict.publishFrame(10, { depthStamp: 10.05 });
    const res = await strict.call();
    expect(res.success).toBe(false);
    expect(res.message).toMatch(/within sync_tolerance_s = 0.02 s \(closest: 0.0500 s\)/);
    const loose = await rig({ sync_tolerance_s: 0.1 });
    loose.publishFrame(10, { depthStamp: 10.05 });
    expect((await loose.call()).success).toBe(true);
  });

  it('uses the newest colour image that has a depth partner', async () => {
    const r = await rig();
    r.publishFrame(20);
    r.publishFrame(21, { skip: ['depth'] }); // newest colour, but its depth never came
    expect((await r.call()).success).toBe(true);
    expect(r.pipeline.calls[0]!.stamp).toBe(20);
  });
});

describe('busy handling', () => {
  function gated() {
    const waiting: (() => void)[] = [];
    const gate = () => new Promise<void>((res) => waiting.push(res));
    const open = async () => {
      while (waiting.length === 0) await new Promise((r) => setTimeout(r, 1));
      waiting.shift()!();
    };
    return { gate, open };
  }

  it('answers busy while a run is in progress', async () => {
    const g = gated();
    const r = await rig({}, truthPipeline(truth, { gate: g.gate }));
    r.publishFrame(1);
    const first = r.call();
    await new Promise((res) => setTimeout(res, 5));
    expect(r.node.busy).toBe(true);
    expect(await r.call()).toEqual({ success: false, message: 'busy: a reconstruction is running; call again when it finishes' });
    await g.open();
    expect((await first).success).toBe(true);
    expect(r.node.stats.busy).toBe(1);
    expect(r.pipeline.calls).toHaveLength(1);
  });

  it('with queue_when_busy, queues exactly one request and runs it on the newest frame', async () => {
    const g = gated();
    const r = await rig({ queue_when_busy: true }, truthPipeline(truth, { gate: g.gate }));
    r.publishFrame(1);
    const first = r.call();
    await new Promise((res) => setTimeout(res, 5));
    const second = r.call();
    const third = await r.call();
    expect(third.message).toMatch(/busy: a reconstruction is running and one is queued/);
    r.publishFrame(2); // arrives while the first run is in progress: the queued run takes it
    await g.open();
    expect((await first).success).toBe(true);
    await g.open();
    expect((await second).success).toBe(true);
    expect(r.pipeline.calls.map((f) => f.stamp)).toEqual([1, 2]);
  });
});

describe('malformed input is reported and dropped', () => {
  it('a wrong data length never throws through the publisher and shows up in diagnostics', async () => {
    const r = await rig();
    const diags = r.collect<DiagnosticArrayMsg>('/diagnostics', TYPES.diagnostics);
    const pub = r.camera.advertise('/image', TYPES.image, { qos: QOS_SENSOR });
    const bad = { ...imageMsg({ width: 4, height: 4, encoding: 'rgb8', samples: new Uint8Array(48) }), data: new Uint8Array(47) };
    expect(() => pub.publish(bad)).not.toThrow();
    expect(() => pub.publish(null)).not.toThrow();
    expect(() => pub.publish({ ...bad, encoding: 'yuv422', data: new Uint8Array(48) })).not.toThrow();
    expect(r.node.stats.dropped['/image']).toBe(3);
    const st = diagStatus(diags, 'real2sim: input /image');
    expect(st[0]).toMatchObject({ level: DIAG.ERROR, message: expect.stringMatching(/\/image\.data: holds 47 bytes/) as unknown });
    expect(st[2]!.message).toMatch(/unknown encoding 'yuv422'/);
    expect(r.graph.logs.some((l) => l.level === 'warn' && /dropped a message on \/image/.test(l.msg))).toBe(true);
    // The node still works afterwards.
    r.publishFrame(3);
    expect((await r.call()).success).toBe(true);
  });

  it('a depth image of another size fails the run with a diagnostic naming depth', async () => {
    const r = await rig();
    const diags = r.collect<DiagnosticArrayMsg>('/diagnostics', TYPES.diagnostics);
    r.publishFrame(4, { skip: ['depth'] });
    r.camera.advertise('/depth', TYPES.image, { qos: QOS_SENSOR }).publish(imageMsg({ width: 80, height: 60, encoding: '16UC1', samples: new Array(4800).fill(900), stamp: 4 }));
    const res = await r.call();
    expect(res.success).toBe(false);
    expect(res.message).toMatch(/depth: is 80×60 but the colour image is 160×120/);
    expect(diagStatus(diags, 'real2sim: input /depth')[0]!.level).toBe(DIAG.ERROR);
  });

  it('rate-limits reports per topic but counts every drop', async () => {
    const graph = new MemoryGraph();
    const node = await startSceneNode({ transport: graph.participant('real2sim', { quiet: true }), pipeline: truthPipeline(truth), reportIntervalMs: 60_000 });
    open.push(node);
    const cam = graph.participant('cam');
    const diags: unknown[] = [];
    cam.subscribe('/diagnostics', TYPES.diagnostics, (m) => diags.push(m), { qos: QOS_DEFAULT });
    const pub = cam.advertise('/camera_info', TYPES.cameraInfo, { qos: QOS_SENSOR });
    for (let k = 0; k < 50; k++) pub.publish({ width: 'x' });
    expect(node.stats.dropped['/camera_info']).toBe(50);
    expect(diags).toHaveLength(1);
  });
});

describe('continuous mode', () => {
  it('reconstructs each new synced frame at rate_hz, never twice the same frame', async () => {
    const r = await rig({ mode: 'continuous', rate_hz: 50 });
    r.publishFrame(1);
    await new Promise((res) => setTimeout(res, 150));
    expect(r.pipeline.calls.map((f) => f.stamp)).toEqual([1]);
    r.publishFrame(2);
    await new Promise((res) => setTimeout(res, 150));
    expect(r.pipeline.calls.map((f) => f.stamp)).toEqual([1, 2]);
  });

  it('a run longer than the period is followed at once by the next, not at the next tick', async () => {
    // runs of 250 ms at rate_hz 5 (ticks every 200 ms): waiting for the tick after a run's end
    // would leave a gap of about 150 ms
    const starts: number[] = [];
    const ends: number[] = [];
    const inner = truthPipeline(truth, {
      gate: async () => {
        starts.push(performance.now());
        await new Promise((res) => setTimeout(res, 250));
        ends.push(performance.now());
      },
    });
    const r = await rig({ mode: 'continuous', rate_hz: 5 }, inner);
    let stamp = 0;
    const camera = setInterval(() => r.publishFrame(++stamp), 20);
    try {
      await new Promise((res) => setTimeout(res, 1000));
    } finally {
      clearInterval(camera);
    }
    expect(starts.length).toBeGreaterThanOrEqual(3);
    for (let k = 1; k < starts.length; k++) expect(starts[k]! - ends[k - 1]!).toBeLessThan(60);
  });
});

describe('continuous mode, unusable frames', () => {
  it('tries a frame without a depth partner once, not on every tick', async () => {
    const r = await rig({ mode: 'continuous', rate_hz: 100 });
    const diags = r.collect<DiagnosticArrayMsg>('/diagnostics', TYPES.diagnostics);
    r.publishFrame(1, { depthStamp: 1.5 }); // a depth image, but none within sync_tolerance_s
    await new Promise((res) => setTimeout(res, 120));
    expect(diagStatus(diags, 'real2sim: reconstruction')).toHaveLength(1);
    r.publishFrame(2);
    await new Promise((res) => setTimeout(res, 120));
    expect(r.pipeline.calls.map((f) => f.stamp)).toEqual([2]);
  });

  it('a stream that has not started yet (CameraInfo at start-up) is waited for, not a failed run', async () => {
    const r = await rig({ mode: 'continuous', rate_hz: 100 });
    const diags = r.collect<DiagnosticArrayMsg>('/diagnostics', TYPES.diagnostics);
    r.publishFrame(1, { skip: ['info'] });
    r.publishFrame(2, { skip: ['info'] });
    await new Promise((res) => setTimeout(res, 120));
    expect(diagStatus(diags, 'real2sim: reconstruction')).toHaveLength(0);
    expect(r.node.stats).toMatchObject({ runs: 0, failures: 0 });
    r.publishFrame(3);
    await new Promise((res) => setTimeout(res, 120));
    expect(r.pipeline.calls.map((f) => f.stamp)).toEqual([3]);
    expect(r.node.stats).toMatchObject({ runs: 1, failures: 0 });
  });
});

describe('colour only', () => {
  it('use_depth: false subscribes to no depth and hands the pipeline a frame without one', async () => {
    const r = await rig({ use_depth: false });
    expect(r.graph.topics.get('/depth')?.subscribers ?? []).toHaveLength(0);
    r.publishFrame(1, { skip: ['depth'] });
    expect((await r.call()).success).toBe(true);
    expect(r.pipeline.calls[0]!.depth).toBeUndefined();
  });
});

describe('Gazebo spawn', () => {
  async function spawnRig(params: Record<string, ParamValue>, verdict: 'valid' | 'invalid') {
    const r = await rig(params, truthPipeline(truth, { verdict }));
    const requests: unknown[] = [];
    const gz = r.graph.participant('gz');
    gz.advertiseService('/world/shop/create', TYPES.gzSpawn, (req) => {
      requests.push(req);
      return Promise.resolve({ success: true });
    });
    gz.advertiseService('/spawn_entity', TYPES.classicSpawn, (req) => {
      requests.push(req);
      return Promise.resolve({ success: true, status_message: 'ok' });
    });
    const diags = r.collect<DiagnosticArrayMsg>('/diagnostics', TYPES.diagnostics);
    r.publishFrame(1);
    const res = await r.call();
    return { res, requests, diags };
  }

  it('gz: one ros_gz SpawnEntity request per object on /world/<world>/create', async () => {
    const { res, requests, diags } = await spawnRig({ spawn: 'gz', world: 'shop' }, 'valid');
    expect(res.success).toBe(true);
    expect(requests).toHaveLength(truth.scene.objects.length);
    const first = requests[0] as GzSpawnRequest;
    const ob = truth.scene.objects[0]!;
    expect(first.entity_factory).toMatchObject({ name: `real2sim_${ob.id}`, relative_to: 'world', pose: { position: { x: ob.pose.position[0] } } });
    expect(first.entity_factory.sdf).toMatch(/<model/);
    expect(diagStatus(diags, 'real2sim: spawn')[0]).toMatchObject({ level: DIAG.OK, message: expect.stringMatching(/through \/world\/shop\/create/) as unknown });
  });

  it('a new scene deletes the models of the previous one first (gz /remove, classic /delete_entity)', async () => {
    for (const target of ['gz', 'classic'] as const) {
      const r = await rig({ spawn: target, world: 'shop' });
      const calls: string[] = [];
      const gz = r.graph.participant('gz');
      const ok = (what: string) => (req: unknown) => {
        calls.push(`${what} ${JSON.stringify(req, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)).match(/"name":"([^"]+)"/)![1]}`);
        return Promise.resolve({ success: true, status_message: '' });
      };
      if (target === 'gz') {
        gz.advertiseService('/world/shop/create', TYPES.gzSpawn, ok('create'));
        gz.advertiseService('/world/shop/remove', TYPES.gzDelete, ok('remove'));
      } else {
        gz.advertiseService('/spawn_entity', TYPES.classicSpawn, ok('create'));
        gz.advertiseService('/delete_entity', TYPES.classicDelete, ok('remove'));
      }
      r.publishFrame(1);
      await r.call();
      r.publishFrame(2);
      await r.call();
      const names = truth.scene.objects.map((ob) => `real2sim_${ob.id}`);
      expect(calls).toEqual([...names.map((n) => `create ${n}`), ...names.map((n) => `remove ${n}`), ...names.map((n) => `create ${n}`)]);
    }
  });

  it('classic: gazebo_msgs SpawnEntity on /spawn_entity', async () => {
    const { requests } = await spawnRig({ spawn: 'classic' }, 'valid');
    const first = requests[0] as ClassicSpawnRequest;
    expect(first).toMatchObject({ name: `real2sim_${truth.scene.objects[0]!.id}`, reference_frame: 'world' });
    expect(first.xml).toMatch(/<model/);
  });

  it('does not spawn a scene whose physics failed, unless spawn_invalid', async () => {
    const refused = await spawnRig({ spawn: 'gz', world: 'shop' }, 'invalid');
    expect(refused.requests).toHaveLength(0);
    expect(diagStatus(refused.diags, 'real2sim: spawn')[0]).toMatchObject({ level: DIAG.WARN, message: expect.stringMatching(/physics verdict is invalid/) as unknown });
    expect(diagStatus(refused.diags, 'real2sim: physics')[0]!.level).toBe(DIAG.ERROR);
    const allowed = await spawnRig({ spawn: 'gz', world: 'shop', spawn_invalid: true }, 'invalid');
    expect(allowed.requests).toHaveLength(truth.scene.objects.length);
  });

  it('a scene without a physics verdict (validation crashed) is not spawned; the warning is reported', async () => {
    const r = await rig({ spawn: 'gz' }, truthPipeline(truth, { verdict: 'none', warnings: ['physics validation failed: engine error'] }));
    const diags = r.collect<DiagnosticArrayMsg>('/diagnostics', TYPES.diagnostics);
    r.publishFrame(1);
    expect((await r.call()).success).toBe(true);
    expect(diagStatus(diags, 'real2sim: physics')[0]).toMatchObject({ level: DIAG.WARN, message: 'not checked' });
    expect(diagStatus(diags, 'real2sim: spawn')[0]!.message).toMatch(/not spawned: the scene was not physics-checked/);
    expect(diagStatus(diags, 'real2sim: reconstruction')[0]!.values).toContainEqual({ key: 'warning_0', value: 'physics validation failed: engine error' });
  });

  it('a missing spawn service is a diagnostic, not a failed reconstruction', async () => {
    const { res, diags } = await spawnRig({ spawn: 'gz', world: 'nowhere', spawn_timeout_s: 0.1 }, 'valid');
    expect(res.success).toBe(true);
    expect(diagStatus(diags, 'real2sim: spawn')[0]).toMatchObject({ level: DIAG.ERROR, message: expect.stringMatching(/failed through \/world\/nowhere\/create/) as unknown });
  });
});

describe('names and parameters', () => {
  it('relative names follow the namespace; remaps win', async () => {
    const r = await rig({}, truthPipeline(truth), {
      namespace: '/robot',
      remaps: [
        ['image', '/camera/color/image_raw'],
        ['reconstruct', '~/reconstruct'],
      ],
    });
    expect(r.node.names).toMatchObject({
      image: '/camera/color/image_raw',
      depth: '/robot/depth',
      cameraInfo: '/robot/camera_info',
      markers: '/robot/scene/markers',
      tfStatic: '/tf_static',
      reconstruct: '/robot/real2sim/reconstruct',
    });
    expect(r.graph.topics.has('/camera/color/image_raw')).toBe(true);
    r.publishFrame(1);
    expect((await r.call()).success).toBe(true);
  });

  it('uses masks when asked, and needs them', async () => {
    const r = await rig({ use_masks: true });
    r.publishFrame(1, { skip: ['masks'] });
    expect((await r.call()).message).toMatch(/no mask image/);
    r.publishFrame(2);
    expect((await r.call()).success).toBe(true);
    const masks = r.pipeline.calls[0]!.masks!;
    expect(Array.from(masks.data)).toEqual(Array.from(truth.frame.masks!.data));
  });

  it('rejects unknown parameters and bad values, all at once', async () => {
    const graph = new MemoryGraph();
    await expect(startSceneNode({ transport: graph.participant('n'), pipeline: truthPipeline(truth), params: { moed: 'x', rate_hz: -1, spawn: 'ignition' } })).rejects.toThrow(
      /moed: unknown parameter[\s\S]*rate_hz: must be ≥ 0.001[\s\S]*spawn: must be one of none, gz, classic/,
    );
  });
});
