/**
 * The node as a native ROS 2 participant through rclnodejs (an optional dependency: it builds
 * only against a sourced ROS 2). Loaded lazily, so every other command and the rosbridge
 * transport work without it.
 *
 * Typed against rclnodejs's own declarations (`types/` of the package, including the message
 * interfaces it generates from the sourced ROS 2 at install time). Where rclnodejs is not
 * installed, the type checker reads `rclnodejs-absent.d.ts` instead (tsconfig `paths`).
 *
 * rclnodejs is imported only when the ROS 2 environment is sourced: importing it while its
 * native library cannot load makes it run its own rebuild, whose first step deletes the
 * compiled addon — a working install broken by one run in the wrong shell.
 */
import type * as Rclnodejs from 'rclnodejs';
import { readFileSync } from 'node:fs';
import { Real2SimError } from '../../src/model/errors.ts';
import type { RosTime } from '../messages.ts';
import { paramsFromYaml, type ParamSpec, type ParamValue } from '../params.ts';
import { wallClock, type Closeable, type Logger, type Publisher, type QosProfile, type SubscribeOptions, type Transport } from './types.ts';

type Rcl = typeof Rclnodejs;
type MessageName = Rclnodejs.MessageTypeClassName;
type ServiceName = Rclnodejs.ServiceTypeClassName;

export interface RclnodejsOptions {
  nodeName: string;
  namespace: string;
  /** Arguments for rcl, normally `['--ros-args', ...]` from the command line or a launch file. */
  rosArgs?: string[];
  /** The environment checked before importing rclnodejs (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Module loader, replaceable in tests. */
  load?: () => Promise<unknown>;
}

export const RCLNODEJS_MISSING =
  'rclnodejs is not available: source your ROS 2 setup.bash (e.g. `source /opt/ros/jazzy/setup.bash`) and `npm install rclnodejs`, ' +
  'or run without ROS 2 here: `real2sim ros --transport rosbridge --url ws://<robot>:9090`';

/** Why this environment cannot run rclnodejs, or null when a ROS 2 distribution is sourced. */
export function rosEnvironmentProblem(env: NodeJS.ProcessEnv = process.env): string | null {
  if (!env['AMENT_PREFIX_PATH']) return 'no ROS 2 environment is sourced in this shell (AMENT_PREFIX_PATH is empty)';
  if (env['ROS_VERSION'] && env['ROS_VERSION'] !== '2') return `the sourced ROS is ROS ${env['ROS_VERSION']}, not ROS 2`;
  if (!env['ROS_DISTRO']) return 'ROS_DISTRO is not set: source the setup.bash of a ROS 2 distribution';
  return null;
}

async function loadRclnodejs(o: Pick<RclnodejsOptions, 'env' | 'load'>): Promise<Rcl> {
  const problem = rosEnvironmentProblem(o.env);
  if (problem) throw new Real2SimError('UNSUPPORTED', `${RCLNODEJS_MISSING}\n(${problem})`);
  const specifier = 'rclnodejs'; // a variable: bundlers and the type checker must not pull it in
  try {
    const mod = (await (o.load ? o.load() : import(specifier))) as Rcl & { default?: Rcl };
    return mod.default ?? mod;
  } catch (cause) {
    throw new Real2SimError('UNSUPPORTED', `${RCLNODEJS_MISSING}\n(${(cause as Error).message.split('\n')[0]})`, {}, cause);
  }
}

function qosOf(rcl: Rcl, q: QosProfile): Rclnodejs.QoS {
  const { QoS } = rcl;
  return new QoS(
    QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
    q.depth,
    q.reliability === 'reliable' ? QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE : QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT,
    q.durability === 'transient_local' ? QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL : QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
  );
}

/**
 * `rcl_interfaces/msg/ParameterType` values (fixed by the ROS 2 interface). rclnodejs declares
 * them as an ambient const enum, which isolated modules cannot read; the casts name its type.
 */
const PARAM_TYPE = {
  bool: 1 as Rclnodejs.ParameterType,
  integer: 2 as Rclnodejs.ParameterType,
  double: 3 as Rclnodejs.ParameterType,
  string: 4 as Rclnodejs.ParameterType,
} as const;

/**
 * A value as rcl's parameter of `spec.type` wants it: integers as BigInt; an integral number
 * for a double is a double (`-p rate_hz:=1` means 1.0, as YAML's `1` does for a person).
 */
function rclValue(spec: ParamSpec, value: ParamValue): ParamValue | bigint {
  if (spec.type === 'integer') return BigInt(value);
  if (spec.type === 'double') return Number(value);
  return value;
}

const plainValue = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v);

export async function connectRclnodejs(o: RclnodejsOptions): Promise<Transport> {
  const rcl = await loadRclnodejs(o);
  const rosArgs = o.rosArgs ?? [];
  try {
    await rcl.init(rcl.Context.defaultContext(), ['real2sim', ...rosArgs]);
  } catch (cause) {
    throw new Real2SimError('UNSUPPORTED', `rclnodejs could not start ROS 2 (${(cause as Error).message}); is the ROS 2 environment sourced in this shell?`, {}, cause);
  }
  // The command owns SIGINT/SIGTERM (it closes the node, then exits 0); rclnodejs' own handlers
  // would shut the context down underneath it.
  rcl.removeSignalHandlers();
  const node = new rcl.Node(o.nodeName, o.namespace);
  const logger = node.getLogger();
  const log: Logger = { info: (m) => void logger.info(m), warn: (m) => void logger.warn(m), error: (m) => void logger.error(m) };
  const clients = new Map<string, Rclnodejs.Client<ServiceName>>();
  const owned: Closeable[] = [];
  node.spin();

  const now = (): RosTime => {
    try {
      const { seconds, nanoseconds } = node.getClock().now().secondsAndNanoseconds;
      return { sec: Number(seconds), nanosec: Number(nanoseconds) };
    } catch {
      return wallClock();
    }
  };

  return {
    kind: 'rclnodejs',
    log,
    subscribe(topic: string, type: string, onMessage: (msg: unknown) => void, so: SubscribeOptions): Closeable {
      const sub = node.createSubscription(type as MessageName, topic, { qos: qosOf(rcl, so.qos), enableTypedArray: true }, (m: unknown) => onMessage(m));
      const c = { close: () => node.destroySubscription(sub) };
      owned.push(c);
      return c;
    },
    advertise<T>(topic: string, type: string, ao: { qos: QosProfile }): Publisher<T> {
      const pub = node.createPublisher(type as MessageName, topic, { qos: qosOf(rcl, ao.qos) });
      // The node builds messages to the interface's field layout (messages.ts); rclnodejs
      // checks every field again when it serialises.
      const c = { publish: (m: T) => pub.publish(m as unknown as Rclnodejs.MessageType<MessageName>), close: () => node.destroyPublisher(pub) };
      owned.push(c);
      return c;
    },
    advertiseService(name: string, type: string, handler: (req: unknown) => Promise<unknown>): Closeable {
      // rclnodejs' handler type returns nothing: the answer goes through `response.send`. A
      // handler that fails still answers (a Trigger-shaped failure), so no caller is left waiting.
      const srv = node.createService(type as ServiceName, name, (request, response) => {
        handler(request).then(
          (res) => response.send(res as Rclnodejs.ServiceResponseMessage<ServiceName>),
          (err: unknown) => {
            log.error(`service ${name}: ${(err as Error).message}`);
            response.send({ success: false, message: (err as Error).message });
          },
        );
      });
      const c = { close: () => node.destroyService(srv) };
      owned.push(c);
      return c;
    },
    async callService(name: string, type: string, request: unknown, co: { timeoutMs: number }): Promise<unknown> {
      let client = clients.get(name);
      if (!client) {
        client = node.createClient(type as ServiceName, name);
        clients.set(name, client);
      }
      const t0 = Date.now();
      const up = await client.waitForService(co.timeoutMs);
      if (!up) throw new Real2SimError('REMOTE', `service ${name} is not available (waited ${co.timeoutMs} ms)`, { service: name });
      // sendRequestAsync drops the pending callback itself when the timeout fires.
      const left = Math.max(1, co.timeoutMs - (Date.now() - t0));
      try {
        return await client.sendRequestAsync(request as Rclnodejs.ServiceRequestMessage<ServiceName>, { timeout: left });
      } catch (err) {
        const e = err as Error;
        if (e.name === 'TimeoutError' || e.name === 'AbortError' || /timeout|timed out/i.test(e.message)) {
          throw new Real2SimError('TIMEOUT', `service ${name} did not answer within ${co.timeoutMs} ms`, { service: name }, err);
        }
        throw new Real2SimError('REMOTE', `service ${name} failed: ${e.message}`, { service: name }, err);
      }
    },
    // async although nothing is awaited: rcl refuses a parameter by throwing synchronously, and
    // the Transport contract hands that to the caller as a rejected promise.
    // eslint-disable-next-line @typescript-eslint/require-await
    async declareParameters(specs: readonly ParamSpec[], given: Record<string, ParamValue>) {
      const { Parameter, ParameterDescriptor } = rcl;
      const overrides = rosParamOverrides(rosArgs, o.nodeName);
      const out: Record<string, unknown> = {};
      for (const s of specs) {
        const t = PARAM_TYPE[s.type];
        // An override rcl would refuse for its type (an integer for a double) is applied here.
        const raw = overrides[s.name];
        const intForDouble = raw !== undefined && s.type === 'double' && /^[-+]?\d+$/.test(raw.trim());
        const value = intForDouble ? Number(raw) : (given[s.name] ?? s.default);
        try {
          const p = node.declareParameter(new Parameter(s.name, t, rclValue(s, value)), new ParameterDescriptor(s.name, t, s.description), intForDouble);
          out[s.name] = plainValue(p.value);
        } catch (err) {
          // rcl refused the override for its type: that is a bad parameter, not a warning.
          throw new Real2SimError('BAD_INPUT', `parameter ${s.name}: ${(err as Error).message}`, { parameter: s.name }, err);
        }
      }
      return out;
    },
    now,
    close() {
      for (const c of owned.splice(0)) {
        try {
          c.close();
        } catch {
          // already gone with the context
        }
      }
      for (const c of clients.values()) {
        try {
          node.destroyClient(c);
        } catch {
          // already gone
        }
      }
      clients.clear();
      try {
        node.destroy();
        rcl.shutdown();
      } catch {
        // shutting down twice is harmless
      }
      return Promise.resolve();
    },
  };
}

/**
 * Parameter overrides among rcl arguments (after `--ros-args`) as text: `--params-file` values
 * for `nodeName` first, then `-p name:=value` (rcl's order: later wins).
 */
export function rosParamOverrides(rosArgs: readonly string[], nodeName = 'real2sim'): Record<string, string> {
  const out: Record<string, string> = {};
  let inRos = false;
  for (let i = 0; i < rosArgs.length; i++) {
    const a = rosArgs[i]!;
    if (a === '--ros-args') inRos = true;
    else if (a === '--') inRos = false;
    else if (inRos && (a === '-p' || a === '--param') && rosArgs[i + 1] !== undefined) {
      const kv = rosArgs[++i]!;
      const k = kv.indexOf(':=');
      if (k > 0) out[kv.slice(0, k)] = kv.slice(k + 2);
    } else if (inRos && a === '--params-file' && rosArgs[i + 1] !== undefined) {
      let text: string;
      try {
        text = readFileSync(rosArgs[++i]!, 'utf8');
      } catch {
        continue; // rcl reports an unreadable file itself
      }
      for (const [k, v] of Object.entries(paramsFromYaml(text, nodeName))) out[k] = typeof v === 'number' && Number.isInteger(v) ? String(v) : `${JSON.stringify(v)}`;
    }
  }
  return out;
}
