/**
 * The node over the rosbridge transport, end to end against a rosbridge v2 protocol server
 * on 127.0.0.1 (no ROS 2 graph exists on these machines: this checks the wire protocol).
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/net.ts';
import { Real2SimError } from '../../src/model/errors.ts';
import { DIAG, type DiagnosticArrayMsg, type MarkerArrayMsg, type StringMsg, type TfMessageMsg } from '../../ros/messages.ts';
import { startSceneNode, type PipelineFn, type SceneNode } from '../../ros/node.ts';
import { connectRosbridge } from '../../ros/transport/rosbridge.ts';
import { QOS_DEFAULT, type Transport } from '../../ros/transport/types.ts';
import type { ParamValue } from '../../ros/params.ts';
import { frameMessages, imageMsg } from './fixtures.ts';
import { RosbridgeTestServer, type Op } from './rosbridgeServer.ts';
import { synth, truthPipeline } from './scenes.ts';

const truth = synth(21);
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function setup(o: { compression?: 'cbor' | 'none'; params?: Record<string, ParamValue>; pipeline?: PipelineFn; reconnectMs?: number } = {}) {
  const server = await RosbridgeTestServer.start();
  cleanup.push(() => server.close());
  const transport = await connectRosbridge({ url: server.url, compression: o.compression ?? 'cbor', log: quiet, reconnectMs: o.reconnectMs ?? 0 });
  cleanup.push(() => transport.close());
  const node = await startSceneNode({ transport, pipeline: o.pipeline ?? truthPipeline(truth), params: o.params ?? {}, reportIntervalMs: 0 });
  cleanup.push(() => node.close());
  await server.waitFor((op) => op.op === 'advertise_service' && op['service'] === '/reconstruct');
  await server.waitFor((op) => op.op === 'subscribe' && op['topic'] === '/image');
  await server.waitFor((op) => op.op === 'subscribe' && op['topic'] === '/camera_info');
  return { server, transport, node };
}

async function until(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function sendFrame(server: RosbridgeTestServer, node: SceneNode, stamp: number, o: { typedArrayTags?: boolean } = {}) {
  const m = frameMessages(truth.frame, stamp);
  const before = node.stats.received['/image'] ?? 0;
  server.publish('/camera_info', m.info);
  server.publish('/depth', m.depth, o);
  server.publish('/image', m.image, o);
  return until(() => (node.stats.received['/image'] ?? 0) > before, 'the image to arrive');
}

const published = <T>(server: RosbridgeTestServer, topic: string) => (server.published.get(topic) ?? []) as T[];

describe('rosbridge transport', () => {
  it('subscribes with CBOR for images, advertises latched scene topics and the Trigger service', async () => {
    const { server } = await setup();
    const sub = (t: string) => server.received.find((op) => op.op === 'subscribe' && op['topic'] === t)!;
    expect(sub('/image')).toMatchObject({ type: 'sensor_msgs/msg/Image', compression: 'cbor', queue_length: 1 });
    expect(sub('/depth')).toMatchObject({ type: 'sensor_msgs/msg/Image', compression: 'cbor' });
    expect(sub('/camera_info')).toMatchObject({ type: 'sensor_msgs/msg/CameraInfo', compression: 'none' });
    const adv = (t: string) => server.advertised.get(t)!;
    expect(adv('/scene/urdf')).toMatchObject({ type: 'std_msgs/msg/String', latch: true });
    expect(adv('/scene/sdf')).toMatchObject({ type: 'std_msgs/msg/String', latch: true });
    expect(adv('/tf_static')).toMatchObject({ type: 'tf2_msgs/msg/TFMessage', latch: true });
    expect(adv('/scene/markers')).toMatchObject({ type: 'visualization_msgs/msg/MarkerArray', latch: true });
    expect(adv('/diagnostics')).toMatchObject({ type: 'diagnostic_msgs/msg/DiagnosticArray', latch: false });
    expect(server.clientServices.get('/reconstruct')!.type).toBe('std_srvs/srv/Trigger');
  });

  for (const compression of ['cbor', 'none'] as const) {
    it(`reconstructs a frame received as ${compression === 'cbor' ? 'CBOR binary frames' : 'JSON with base64 bytes'} and answers the Trigger call`, async () => {
      const pipeline = truthPipeline(truth);
      const { server, node } = await setup({ compression, pipeline });
      await sendFrame(server, node, 50);
      // image + depth went as binary CBOR frames (camera_info always JSON), or all as JSON text.
      expect([server.sentBinary, server.sentText]).toEqual(compression === 'cbor' ? [2, 1] : [0, 3]);
      const res = await server.callClientService('/reconstruct', {});
      const bundleDir = (await pipeline(truth.frame)).bundleDir;
      expect(res).toMatchObject({ op: 'service_response', service: '/reconstruct', result: true, values: { success: true, message: bundleDir } });
      const seen = pipeline.calls[0]!;
      expect(Buffer.from(seen.color.data).equals(Buffer.from(truth.frame.color.data))).toBe(true);
      const i = truth.frame.depth!.data.findIndex((d) => d > 0);
      expect(seen.depth!.data[i]).toBeCloseTo(truth.frame.depth!.data[i]!, 3);

      await server.waitFor((op) => op.op === 'publish' && op['topic'] === '/diagnostics');
      expect(published<StringMsg>(server, '/scene/urdf')[0]!.data).toMatch(/<robot/);
      expect(published<StringMsg>(server, '/scene/sdf')[0]!.data).toMatch(/<world/);
      const markers = published<MarkerArrayMsg>(server, '/scene/markers')[0]!.markers;
      const objects = markers.filter((m) => m.ns === 'objects');
      expect(objects.map((m) => m.points.length)).toEqual(truth.scene.objects.map((ob) => ob.mesh.indices.length));
      const tf = published<TfMessageMsg>(server, '/tf_static')[0]!;
      expect(tf.transforms.map((t) => [t.header.frame_id, t.child_frame_id])).toEqual([...truth.scene.objects.map((ob) => ['world', `real2sim/${ob.id}`]), ['world', 'camera_color_optical_frame']]);
      const diag = published<DiagnosticArrayMsg>(server, '/diagnostics').flatMap((d) => d.status);
      expect(diag.find((s) => s.name === 'real2sim: reconstruction')).toMatchObject({ level: DIAG.OK, message: bundleDir });
    });
  }

  it('publishes latched topics with latch: true on every publish op (a bridge warns twice per message otherwise)', async () => {
    const { server, node } = await setup();
    await sendFrame(server, node, 4);
    expect((await server.callClientService('/reconstruct', {}))['values']).toMatchObject({ success: true });
    const pubs = (topic: string) => server.received.filter((o) => o.op === 'publish' && o['topic'] === topic);
    for (const t of ['/scene/markers', '/scene/urdf', '/scene/sdf', '/tf_static']) {
      expect(pubs(t).length, t).toBeGreaterThan(0);
      for (const op of pubs(t)) expect(op['latch'], t).toBe(true);
    }
    expect(pubs('/diagnostics').length).toBeGreaterThan(0);
    for (const op of pubs('/diagnostics')) expect(op['latch']).toBeUndefined();
  });

  it('reads CBOR image bytes sent with RFC 8746 typed-array tags (tag 64) too', async () => {
    const pipeline = truthPipeline(truth);
    const { server, node } = await setup({ pipeline });
    await sendFrame(server, node, 60, { typedArrayTags: true });
    expect(node.stats.dropped['/image'] ?? 0).toBe(0);
    const res = await server.callClientService('/reconstruct', {});
    expect(res['values']).toMatchObject({ success: true });
    expect(Buffer.from(pipeline.calls[0]!.color.data).equals(Buffer.from(truth.frame.color.data))).toBe(true);
  });

  it('answers a failed run with success = false and the error text', async () => {
    const pipeline = truthPipeline(truth, { fail: new Real2SimError('NO_OBJECTS', 'nothing stands on the table') });
    const { server, node } = await setup({ pipeline });
    await sendFrame(server, node, 1);
    const res = await server.callClientService('/reconstruct', {});
    expect(res).toMatchObject({ result: true, values: { success: false, message: '[NO_OBJECTS] nothing stands on the table' } });
  });

  it('drops a malformed image, reports it on /diagnostics, keeps the connection', async () => {
    const { server, node } = await setup();
    const bad = { ...imageMsg({ width: 4, height: 2, encoding: 'bgr8', samples: new Uint8Array(24) }), data: new Uint8Array(5) };
    server.publish('/image', bad);
    await until(() => node.stats.dropped['/image'] === 1, 'the drop');
    const op = await server.waitFor((o) => o.op === 'publish' && o['topic'] === '/diagnostics');
    const st = (op['msg'] as DiagnosticArrayMsg).status[0]!;
    expect(st).toMatchObject({ level: DIAG.ERROR, name: 'real2sim: input /image', message: expect.stringMatching(/holds 5 bytes but step × height = 12 × 2 = 24/) as unknown });
    await sendFrame(server, node, 2);
    const res = await server.callClientService('/reconstruct', {});
    expect(res['values']).toMatchObject({ success: true });
  });

  it('spawns in Gazebo (gz) through call_service on /world/<world>/create', async () => {
    const { server, node } = await setup({ params: { spawn: 'gz', world: 'lab' } });
    const calls: unknown[] = [];
    server.rosServices.set('/world/lab/create', (args) => (calls.push(args), { success: true }));
    await sendFrame(server, node, 3);
    await server.callClientService('/reconstruct', {});
    expect(calls).toHaveLength(truth.scene.objects.length);
    const call = server.received.find((o) => o.op === 'call_service' && o['service'] === '/world/lab/create') as Op;
    expect(call['args']).toMatchObject({ entity_factory: { name: `real2sim_${truth.scene.objects[0]!.id}`, relative_to: 'world', sdf: expect.stringMatching(/<model/) as unknown } });
  });

  it('a missing service answers a failed call_service, reported as a spawn error', async () => {
    const { server, node } = await setup({ params: { spawn: 'classic' } });
    await sendFrame(server, node, 3);
    const res = await server.callClientService('/reconstruct', {});
    expect(res['values']).toMatchObject({ success: true });
    const diag = published<DiagnosticArrayMsg>(server, '/diagnostics').flatMap((d) => d.status);
    expect(diag.find((s) => s.name === 'real2sim: spawn')).toMatchObject({
      level: DIAG.ERROR,
      values: expect.arrayContaining([expect.objectContaining({ value: expect.stringMatching(/Service \/spawn_entity does not exist/) as unknown })]) as unknown,
    });
  });

  it('reconnects after the bridge drops the connection and serves again', async () => {
    const { server, node } = await setup({ reconnectMs: 30 });
    const subscribes = () => server.received.filter((o) => o.op === 'subscribe' && o['topic'] === '/image').length;
    const services = () => server.received.filter((o) => o.op === 'advertise_service').length;
    expect(subscribes()).toBe(1);
    server.dropClients();
    await until(() => subscribes() === 2 && services() === 2, 're-subscription and re-advertisement');
    await sendFrame(server, node, 9);
    const res = await server.callClientService('/reconstruct', {});
    expect(res['values']).toMatchObject({ success: true });
  });

  it('a bridge that is not there is a clear REMOTE error', async () => {
    const server = await RosbridgeTestServer.start();
    const url = server.url;
    await server.close();
    let transport: Transport | undefined;
    const err = await connectRosbridge({ url, log: quiet, connectTimeoutMs: 2000 }).then(
      (t) => ((transport = t), null),
      (e: unknown) => e,
    );
    await transport?.close();
    expect(err).toBeInstanceOf(Real2SimError);
    expect((err as Real2SimError).code).toBe('REMOTE');
    expect((err as Error).message).toMatch(/cannot reach rosbridge at ws:\/\/127\.0\.0\.1:\d+: start it on the robot/);
    await expect(connectRosbridge({ url: 'http://x', log: quiet })).rejects.toThrow(/must start with ws:\/\//);
    await expect(connectRosbridge({ url: 'ws://robot local:9090', log: quiet })).rejects.toThrow(/'ws:\/\/robot local:9090' is not a valid URL: use ws:\/\/HOST:PORT/);
  });

  it('a bridge that comes up after the node (same launch): the start keeps trying and connects', async () => {
    const port = await freePort();
    const warnings: string[] = [];
    const connecting = connectRosbridge({ url: `ws://127.0.0.1:${port}`, log: { ...quiet, warn: (m: string) => void warnings.push(m) }, connectTimeoutMs: 20_000, reconnectMs: 0 });
    await new Promise((r) => setTimeout(r, 1500));
    const server = await RosbridgeTestServer.start(port);
    cleanup.push(() => server.close());
    const transport = await connecting;
    cleanup.push(() => transport.close());
    expect(warnings.join('\n')).toMatch(/ECONNREFUSED.*trying again every 1 s for up to 20 s/);
    transport.advertise('/late', 'std_msgs/msg/String', { qos: QOS_DEFAULT });
    await server.waitFor((op) => op.op === 'advertise' && op['topic'] === '/late');
  });

  it('a handshake the bridge sits on is given up after handshakeTimeoutMs and a fresh attempt gets through; one that never ends is a TIMEOUT', async () => {
    const server = await RosbridgeTestServer.start();
    cleanup.push(() => server.close());
    // The first connection is accepted and never answered (a bridge whose event loop is busy);
    // later ones reach the bridge.
    let seen = 0;
    const held: Socket[] = [];
    const stuck = new Set<number>([1]);
    const proxy = createServer((socket) => {
      seen++;
      if (stuck.has(seen) || stuck.has(0)) {
        held.push(socket);
        return;
      }
      const upstream = connect(Number(new URL(server.url).port), '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    cleanup.push(async () => {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
    });
    const url = `ws://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const transport = await connectRosbridge({ url, log: quiet, handshakeTimeoutMs: 400, connectTimeoutMs: 10_000, reconnectMs: 0 });
    cleanup.push(() => transport.close());
    expect(seen).toBeGreaterThanOrEqual(2);

    stuck.add(0);
    const t0 = Date.now();
    const err = await connectRosbridge({ url, log: quiet, handshakeTimeoutMs: 400, connectTimeoutMs: 1500, reconnectMs: 0 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Real2SimError);
    expect((err as Real2SimError).code).toBe('TIMEOUT');
    expect((err as Error).message).toMatch(/did not answer the WebSocket handshake within 400 ms \(\d+ attempts in \d+ s\).*--connect-timeout/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);

    // stopped (Ctrl-C) in the middle of a held handshake: ABORTED at once, not after the timeouts
    const stop = new AbortController();
    const t1 = Date.now();
    setTimeout(() => stop.abort(), 300);
    const stoppedErr = await connectRosbridge({ url, log: quiet, handshakeTimeoutMs: 5000, connectTimeoutMs: 10_000, reconnectMs: 0, signal: stop.signal }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((stoppedErr as Real2SimError).code).toBe('ABORTED');
    expect(Date.now() - t1).toBeLessThan(2000);
  });
});
