/**
 * A ROS 2 participant for the real-graph tests, run as a child process in a sourced ROS 2
 * environment (the test runner itself never imports rclnodejs): a camera publishing real
 * `sensor_msgs` frames, subscribers that echo what they receive, service calls and graph
 * queries. Commands arrive as JSON lines on stdin; events leave as JSON lines on stdout
 * (typed arrays as plain arrays, BigInts as numbers).
 *
 *   {"id":1,"op":"sub","topic":"/scene/markers","type":"visualization_msgs/msg/MarkerArray","durability":"transient_local"}
 *   {"id":2,"op":"camera","seed":7,"width":320,"height":240,"rate":4,"stamp0":500,"topics":{"image":"/image","depth":"/depth","info":"/camera_info"}}
 *     camera options: "real":{"rgb":PATH,"depth":PATH,"camera":{intrinsics},"depthScale":0.001} publishes a
 *     real frame instead of the synthetic one (looped); "bad":0.3 makes that share of the frames
 *     inconsistent (depth at half the colour size), spread evenly.
 *   {"id":3,"op":"call","service":"/reconstruct","type":"std_srvs/srv/Trigger","request":{},"timeoutMs":60000}
 *   {"id":4,"op":"graph"}   {"id":5,"op":"stop_camera"}
 */
import { createInterface } from 'node:readline';
import type * as Rcl from 'rclnodejs';
import { frameMessages } from '../../../ros/encode.ts';
import { timeFromSeconds } from '../../../ros/messages.ts';
import { cameraFrame, halfDepth, isBadFrame, type CameraSpec } from './cameraFrames.ts';

type Json = Record<string, unknown>;

function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

const emit = (o: Json): void => void process.stdout.write(`${JSON.stringify(plain(o))}\n`);

const rclnodejs = ((await import('rclnodejs')) as unknown as { default: typeof Rcl }).default;
await rclnodejs.init();
rclnodejs.removeSignalHandlers();
const node = new rclnodejs.Node(`probe_${process.pid}`);
node.spin();
const { QoS } = rclnodejs;
const qos = (durability: string, reliability = 'reliable') =>
  new QoS(
    QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
    5,
    reliability === 'reliable' ? QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE : QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT,
    durability === 'transient_local' ? QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL : QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
  );

let camera: NodeJS.Timeout | undefined;
let frames = 0;

async function handle(c: Json): Promise<void> {
  const id = c['id'];
  switch (c['op']) {
    case 'sub': {
      const topic = c['topic'] as string;
      node.createSubscription(c['type'] as Rcl.MessageTypeClassName, topic, { qos: qos((c['durability'] as string | undefined) ?? 'volatile') }, (msg: unknown) =>
        emit({ ev: 'msg', topic, t: Date.now(), msg }),
      );
      return emit({ id, ev: 'ok' });
    }
    case 'camera': {
      const topics = c['topics'] as { image: string; depth: string; info: string };
      const frame = cameraFrame({
        ...(c['real'] ? { real: c['real'] as CameraSpec['real'] } : {}),
        seed: Number(c['seed'] ?? 7),
        width: Number(c['width'] ?? 320),
        height: Number(c['height'] ?? 240),
      });
      const bad = Number(c['bad'] ?? 0);
      // Encoded once; each frame only gets its stamp (a 640×480 frame at 10 Hz and more).
      const good = frameMessages(frame, 0);
      const badDepth = bad > 0 ? frameMessages({ ...frame, depth: halfDepth(frame.depth!) }, 0).depth : undefined;
      const q = qos('volatile', (c['reliability'] as string | undefined) ?? 'reliable');
      const pubs = {
        image: node.createPublisher('sensor_msgs/msg/Image', topics.image, { qos: q }),
        depth: node.createPublisher('sensor_msgs/msg/Image', topics.depth, { qos: q }),
        info: node.createPublisher('sensor_msgs/msg/CameraInfo', topics.info, { qos: q }),
      };
      const stamp0 = Number(c['stamp0'] ?? 100);
      const period = Number(c['rate'] ?? 4) >= 10 ? 0.1 : 1;
      const send = () => {
        const k = frames++;
        // Stamps advance by the real period (≥ 10 Hz: 0.1 s) so that a frame is never synced with
        // its neighbours' depth; the first frames are never the bad ones.
        const stamp = stamp0 + k * period;
        const isBad = badDepth !== undefined && isBadFrame(k, bad);
        const t = timeFromSeconds(stamp);
        const depth = isBad ? badDepth : good.depth!;
        for (const m of [good.info, depth, good.image] as { header: { stamp: unknown } }[]) m.header.stamp = t;
        pubs.info.publish(good.info as never);
        pubs.depth.publish(depth as never);
        pubs.image.publish(good.image as never);
        if (!c['quiet']) emit({ ev: 'frame', stamp, bad: isBad });
      };
      clearInterval(camera);
      camera = setInterval(send, 1000 / Number(c['rate'] ?? 4));
      send();
      return emit({ id, ev: 'ok' });
    }
    case 'serve': {
      // A service answering every request with `response`; each request is echoed.
      const service = c['service'] as string;
      node.createService(c['type'] as Rcl.ServiceTypeClassName, service, (request: unknown, response: { send(r: never): void }) => {
        emit({ ev: 'request', service, t: Date.now(), request });
        response.send(c['response'] as never);
      });
      return emit({ id, ev: 'ok' });
    }
    case 'stop_camera':
      clearInterval(camera);
      return emit({ id, ev: 'ok', frames });
    case 'call': {
      const client = node.createClient(c['type'] as Rcl.ServiceTypeClassName, c['service'] as string);
      const timeoutMs = Number(c['timeoutMs'] ?? 30_000);
      const t0 = Date.now();
      if (!(await client.waitForService(timeoutMs))) return emit({ id, ev: 'error', error: `service ${String(c['service'])} not available` });
      const t1 = Date.now();
      try {
        const res = await client.sendRequestAsync(c['request'] ?? {}, { timeout: timeoutMs });
        emit({ id, ev: 'reply', res, waitMs: t1 - t0, callMs: Date.now() - t1, sentAt: t1 });
      } catch (err) {
        emit({ id, ev: 'error', error: (err as Error).message });
      } finally {
        node.destroyClient(client);
      }
      return;
    }
    case 'graph':
      return emit({
        id,
        ev: 'graph',
        topics: node.getTopicNamesAndTypes(),
        services: node.getServiceNamesAndTypes(),
        nodes: node.getNodeNames(),
        // Services a node serves (servers only: the plain list also names services that
        // merely have a client somewhere, like this probe's own).
        servedBy: Object.fromEntries(((c['servedBy'] as string[] | undefined) ?? []).map((n) => [n, node.getServiceNamesAndTypesByNode(n, '/').map((x) => x.name)])),
        counts: Object.fromEntries(((c['count'] as string[] | undefined) ?? []).map((t) => [t, { publishers: node.countPublishers(t), subscribers: node.countSubscribers(t) }])),
      });
    default:
      return emit({ id, ev: 'error', error: `unknown op ${String(c['op'])}` });
  }
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let c: Json;
  try {
    c = JSON.parse(line) as Json;
  } catch {
    return emit({ ev: 'error', error: `not JSON: ${line.slice(0, 80)}` });
  }
  handle(c).catch((err: unknown) => emit({ id: c['id'], ev: 'error', error: (err as Error).message }));
});
rl.on('close', () => {
  clearInterval(camera);
  node.destroy();
  rclnodejs.shutdown();
  process.exit(0);
});
emit({ ev: 'ready' });
