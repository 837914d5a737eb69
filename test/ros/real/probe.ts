/**
 * A ROS 2 participant for the real-graph tests, run as a child process in a sourced ROS 2
 * environment (the test runner itself never imports rclnodejs): a camera publishing real
 * `sensor_msgs` frames, subscribers that echo what they receive, service calls and graph
 * queries. Commands arrive as JSON lines on stdin; events leave as JSON lines on stdout
 * (typed arrays as plain arrays, BigInts as numbers).
 *
 *   {"id":1,"op":"sub","topic":"/scene/markers","type":"visualization_msgs/msg/MarkerArray","durability":"transient_local"}
 *   {"id":2,"op":"camera","seed":7,"width":320,"height":240,"rate":4,"stamp0":500,"topics":{"image":"/image","depth":"/depth","info":"/camera_info"}}
 *   {"id":3,"op":"call","service":"/reconstruct","type":"std_srvs/srv/Trigger","request":{},"timeoutMs":60000}
 *   {"id":4,"op":"graph"}   {"id":5,"op":"stop_camera"}
 */
import { createInterface } from 'node:readline';
import type * as Rcl from 'rclnodejs';
import { generateSynthScene } from '../../../src/synth/synth.ts';
import { frameMessages } from '../../../ros/encode.ts';

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
      node.createSubscription(c['type'] as Rcl.MessageTypeClassName, topic, { qos: qos(typeof c['durability'] === 'string' ? c['durability'] : 'volatile') }, (msg: unknown) =>
        emit({ ev: 'msg', topic, t: Date.now(), msg }),
      );
      return emit({ id, ev: 'ok' });
    }
    case 'camera': {
      const topics = c['topics'] as { image: string; depth: string; info: string };
      const { frame } = generateSynthScene({ seed: Number(c['seed'] ?? 7), width: Number(c['width'] ?? 320), height: Number(c['height'] ?? 240), sharedMeshesDir: null });
      const q = qos('volatile', typeof c['reliability'] === 'string' ? c['reliability'] : 'reliable');
      const pubs = {
        image: node.createPublisher('sensor_msgs/msg/Image', topics.image, { qos: q }),
        depth: node.createPublisher('sensor_msgs/msg/Image', topics.depth, { qos: q }),
        info: node.createPublisher('sensor_msgs/msg/CameraInfo', topics.info, { qos: q }),
      };
      const stamp0 = Number(c['stamp0'] ?? 100);
      const send = () => {
        const stamp = stamp0 + frames++;
        const m = frameMessages(frame, stamp);
        pubs.info.publish(m.info as never);
        pubs.depth.publish(m.depth as never);
        pubs.image.publish(m.image as never);
        emit({ ev: 'frame', stamp });
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
      if (!(await client.waitForService(timeoutMs))) return emit({ id, ev: 'error', error: `service ${c['service'] as string} not available` });
      const t1 = Date.now();
      try {
        const res = await client.sendRequestAsync((c['request'] ?? {}), { timeout: timeoutMs });
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
