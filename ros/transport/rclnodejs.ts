/**
 * The node as a native ROS 2 participant through rclnodejs (an optional dependency: it builds
 * only where a ROS 2 distribution is sourced). Loaded lazily, so every other command and the
 * rosbridge transport work without it.
 *
 * rclnodejs API used (1.x / 2.x): `init(context, argv)` (rcl parses `--ros-args`: remaps,
 * `-p`, `--params-file`), `new Node(name, namespace)`, `createSubscription(type, topic,
 * {qos}, cb)` (uint8[] arrives as Uint8Array with typed arrays on, the default),
 * `createPublisher(type, topic, {qos})`, `createService(type, name, {}, cb)` (the callback may
 * return a promise of the response), `createClient` + `waitForService` + `sendRequest`,
 * `declareParameter(Parameter, ParameterDescriptor)`, `getClock().now()`, `spin()`.
 * No ROS 2 runs on the machines this project is developed on: this file is checked by the
 * type checker and by a test of its "not installed" message only.
 */
import { Real2SimError } from '../../src/model/errors.ts';
import type { RosTime } from '../messages.ts';
import type { ParamSpec, ParamValue } from '../params.ts';
import { wallClock, type Closeable, type Logger, type Publisher, type QosProfile, type SubscribeOptions, type Transport } from './types.ts';

export interface RclnodejsOptions {
  nodeName: string;
  namespace: string;
  /** Arguments for rcl, normally `['--ros-args', ...]` from the command line or a launch file. */
  rosArgs?: string[];
  /** Module loader, replaceable in tests. */
  load?: () => Promise<unknown>;
}

export const RCLNODEJS_MISSING =
  'rclnodejs is not available: source your ROS 2 setup.bash (e.g. `source /opt/ros/jazzy/setup.bash`) and `npm install rclnodejs`, ' +
  'or run without ROS 2 here: `real2sim ros --transport rosbridge --url ws://<robot>:9090`';

// Structural types for the part of rclnodejs used here (it ships its own types, but it is optional).
/* eslint-disable @typescript-eslint/no-explicit-any */
type Rcl = any;
type RclNode = any;

async function loadRclnodejs(load?: () => Promise<unknown>): Promise<Rcl> {
  const specifier = 'rclnodejs'; // a variable: the type checker must not require the package
  try {
    const mod = (await (load ? load() : import(specifier))) as { default?: Rcl } & Rcl;
    return mod.default ?? mod;
  } catch (cause) {
    throw new Real2SimError('UNSUPPORTED', `${RCLNODEJS_MISSING}\n(${(cause as Error).message.split('\n')[0]})`, {}, cause);
  }
}

function qosOf(rcl: Rcl, q: QosProfile): unknown {
  const { QoS } = rcl;
  return new QoS(
    QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
    q.depth,
    q.reliability === 'reliable' ? QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE : QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT,
    q.durability === 'transient_local' ? QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL : QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
  );
}

export async function connectRclnodejs(o: RclnodejsOptions): Promise<Transport> {
  const rcl = await loadRclnodejs(o.load);
  try {
    await rcl.init(rcl.Context.defaultContext(), ['real2sim', ...(o.rosArgs ?? [])]);
  } catch (cause) {
    throw new Real2SimError('UNSUPPORTED', `rclnodejs could not start ROS 2 (${(cause as Error).message}); is the ROS 2 environment sourced in this shell?`, {}, cause);
  }
  const node: RclNode = new rcl.Node(o.nodeName, o.namespace);
  const logger = node.getLogger();
  const log: Logger = { info: (m) => logger.info(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) };
  const clients = new Map<string, any>();
  const owned: Closeable[] = [];
  node.spin();

  const now = (): RosTime => {
    try {
      const t = node.getClock().now();
      const { seconds, nanoseconds } = t.secondsAndNanoseconds as { seconds: number | bigint; nanoseconds: number | bigint };
      return { sec: Number(seconds), nanosec: Number(nanoseconds) };
    } catch {
      return wallClock();
    }
  };

  return {
    kind: 'rclnodejs',
    log,
    subscribe(topic: string, type: string, onMessage: (msg: unknown) => void, so: SubscribeOptions): Closeable {
      const sub = node.createSubscription(type, topic, { qos: qosOf(rcl, so.qos), enableTypedArray: true }, onMessage);
      const c = { close: () => node.destroySubscription(sub) };
      owned.push(c);
      return c;
    },
    advertise<T>(topic: string, type: string, ao: { qos: QosProfile }): Publisher<T> {
      const pub = node.createPublisher(type, topic, { qos: qosOf(rcl, ao.qos) });
      const c = { publish: (m: T) => pub.publish(m), close: () => node.destroyPublisher(pub) };
      owned.push(c);
      return c;
    },
    advertiseService(name: string, type: string, handler: (req: unknown) => Promise<unknown>): Closeable {
      // rclnodejs sends the resolved value of the callback's promise as the response.
      const srv = node.createService(type, name, {}, (request: unknown) => handler(request));
      const c = { close: () => node.destroyService(srv) };
      owned.push(c);
      return c;
    },
    async callService(name: string, type: string, request: unknown, co: { timeoutMs: number }): Promise<unknown> {
      let client = clients.get(name);
      if (!client) {
        client = node.createClient(type, name);
        clients.set(name, client);
      }
      const up = await client.waitForService(co.timeoutMs);
      if (!up) throw new Real2SimError('REMOTE', `service ${name} is not available (waited ${co.timeoutMs} ms)`, { service: name });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Real2SimError('TIMEOUT', `service ${name} did not answer within ${co.timeoutMs} ms`, { service: name })), co.timeoutMs);
        client.sendRequest(request, (response: unknown) => {
          clearTimeout(timer);
          resolve(response);
        });
      });
    },
    async declareParameters(specs: readonly ParamSpec[], given: Record<string, ParamValue>) {
      const { Parameter, ParameterDescriptor, ParameterType } = rcl;
      const typeOf = { string: ParameterType.PARAMETER_STRING, double: ParameterType.PARAMETER_DOUBLE, integer: ParameterType.PARAMETER_INTEGER, bool: ParameterType.PARAMETER_BOOL };
      const out: Record<string, unknown> = {};
      for (const s of specs) {
        const value = given[s.name] ?? s.default;
        const t = typeOf[s.type];
        try {
          const p = node.declareParameter(
            new Parameter(s.name, t, s.type === 'integer' ? BigInt(value as number) : value),
            new ParameterDescriptor(s.name, t, s.description),
          );
          const v = p?.value ?? node.getParameter(s.name)?.value;
          out[s.name] = typeof v === 'bigint' ? Number(v) : v;
        } catch (err) {
          log.warn(`parameter ${s.name}: ${(err as Error).message}; using ${JSON.stringify(value)}`);
          out[s.name] = value;
        }
      }
      return out;
    },
    now,
    async close() {
      for (const c of owned.splice(0)) {
        try {
          c.close();
        } catch {
          // already gone with the context
        }
      }
      try {
        node.destroy();
        rcl.shutdown();
      } catch {
        // shutting down twice is harmless
      }
    },
  };
}
