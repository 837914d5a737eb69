/**
 * The node over rosbridge v2 (roslib 2 on a WebSocket), for a machine without ROS 2 — e.g. the
 * GPU host — talking to `rosbridge_server` on the robot.
 *
 * Protocol mapping:
 * - subscribe → `{op: subscribe, compression: 'cbor'}` for images (binary frames: `uint8[]`
 *   arrives as bytes, not base64 text), `queue_length: 1` so the bridge drops stale frames;
 * - advertise → `{op: advertise, latch}`; rosbridge for ROS 2 maps `latch: true` to a
 *   transient-local publisher, which is how the scene topics keep their last message;
 * - services we serve → `advertise_service` / `service_response`; calls → `call_service`.
 * QoS reliability and depth cannot be chosen through the protocol; the bridge picks them.
 *
 * Real servers of both ROS generations (see `rosbridgeWire.ts`): the generation is asked of
 * rosapi at connect (ROS 2 bridges answer `get_ros_version`) and confirmed by the first stamped
 * message; type names, stamps and uint64 fields are written for it. Binary (CBOR) image
 * subscriptions lift the bridge's fragmentation threshold for this client (`fragment_size`):
 * a CBOR message above it makes the bridge raise `'bytes' object has no attribute 'get'` and
 * send nothing (upstream bug), while JSON fragments are reassembled here.
 * Closing waits for the bridge to answer a round trip after the unadvertise ops, so the socket
 * never closes while the bridge still holds this client's service (callers would hang on it).
 * Parameters live in this process (flags / YAML): rosbridge has no per-client parameter server.
 * On a dropped connection roslib re-subscribes and re-advertises topics; services are
 * re-advertised here.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Ros, Service, Topic } from 'roslib';
import { Real2SimError } from '../../src/model/errors.ts';
import type { ParamSpec, ParamValue } from '../params.ts';
import { generationOfMessage, toWire, typeFor, wireTransportFactory, type RosGeneration } from './rosbridgeWire.ts';
import { consoleLogger, wallClock, type Closeable, type Logger, type Publisher, type SubscribeOptions, type Transport } from './types.ts';

export interface RosbridgeOptions {
  /** e.g. `ws://robot.local:9090` */
  url: string;
  /** How images are requested: `cbor` (binary) or `none` (JSON, base64 bytes). */
  compression?: 'cbor' | 'none';
  /** How long the start keeps trying to reach the bridge; 0 = one attempt. */
  connectTimeoutMs?: number;
  /** How long one attempt waits for the bridge to answer the WebSocket handshake. */
  handshakeTimeoutMs?: number;
  /** Wait between reconnection attempts; 0 = do not reconnect. */
  reconnectMs?: number;
  /** Stops the start's wait for the bridge (then it rejects with code ABORTED): Ctrl-C while waiting. */
  signal?: AbortSignal;
  /** The ROS generation behind the bridge; default: ask rosapi, then the first stamped message. */
  rosVersion?: RosGeneration;
  log?: Logger;
}

// A node started by the same launch file as the bridge may come up first: the start keeps
// trying (the bridge refuses TCP until it listens) instead of exiting. One attempt's WebSocket
// handshake waits for the bridge's Python event loop; on a loaded machine, right after another
// client left, a real bridge sat on a handshake for over 15 s, and a fresh attempt is what
// gets through, so each attempt gives up after `handshakeTimeoutMs` and the next one starts.
export const ROSBRIDGE_DEFAULTS = { compression: 'cbor', connectTimeoutMs: 40000, handshakeTimeoutMs: 8000, reconnectMs: 2000 } as const;
/** Pause between connection attempts at the start. */
const CONNECT_RETRY_MS = 1000;

/** Fragmentation threshold asked for on binary subscriptions: no fragments (see the top). */
export const NO_FRAGMENTS = 2 ** 31 - 1;
/** How long `close` waits for the bridge to confirm it processed the unadvertise ops. */
const CLOSE_BARRIER_MS = 2000;
/** A service that exists nowhere: the bridge's "does not exist" answer is the round trip. */
const BARRIER_SERVICE = '/real2sim_bridge_barrier';

/** Asks the bridge a question it always answers, for generation detection and the close barrier. */
function callRaw(ros: Ros, service: string, type: string, timeoutMs: number): Promise<{ ok: boolean; values: unknown } | null> {
  return new Promise((resolve) => {
    const s = new Service<Record<string, never>, unknown>({ ros, name: service, serviceType: type });
    const timer = setTimeout(() => resolve(null), timeoutMs);
    s.callService(
      {},
      (values) => (clearTimeout(timer), resolve({ ok: true, values })),
      (err) => (clearTimeout(timer), resolve({ ok: false, values: err })),
      timeoutMs / 1000,
    );
  });
}

/** Why one connection attempt failed: the bridge refused or was unreachable, or the handshake hung. */
interface AttemptFailure {
  kind: 'unreachable' | 'handshake';
  reason: string;
}

/** One WebSocket attempt: resolves null once open, or why it closed without opening (an abort closes it). */
function connectOnce(ros: Ros, url: string, signal: AbortSignal | undefined): Promise<AttemptFailure | null> {
  return new Promise((resolve) => {
    let reason = 'the connection closed before the handshake finished';
    const abort = () => ros.close();
    signal?.addEventListener('abort', abort);
    const done = (failure: AttemptFailure | null) => {
      signal?.removeEventListener('abort', abort);
      ros.off('connection', onOpen);
      ros.off('error', onError);
      ros.off('close', onClose);
      resolve(failure);
    };
    const onOpen = () => done(null);
    const onError = (e: unknown) => {
      const message = (e as { message?: unknown } | null)?.message;
      if (typeof message === 'string' && message) reason = message;
    };
    // `ws` reports an error and then closes; waiting for the close leaves roslib free to connect again.
    const onClose = () => done({ kind: /handshake has timed out/i.test(reason) ? 'handshake' : 'unreachable', reason });
    ros.on('connection', onOpen);
    ros.on('error', onError);
    ros.on('close', onClose);
    ros.connect(url).catch((cause: unknown) => done({ kind: 'unreachable', reason: (cause as Error).message }));
  });
}

/** Connects, retrying until `connectTimeoutMs` has passed; the error says what the last attempt met. */
async function connectWithRetries(ros: Ros, url: string, o: { connectTimeoutMs: number; handshakeTimeoutMs: number; signal?: AbortSignal | undefined }, log: Logger): Promise<void> {
  const t0 = Date.now();
  const stopped = () => new Real2SimError('ABORTED', `stopped while waiting for rosbridge at ${url}`, { url });
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw stopped();
    const failure = await connectOnce(ros, url, o.signal);
    if (o.signal?.aborted) {
      ros.close();
      throw stopped();
    }
    if (failure === null) {
      if (attempt > 1) log.info(`rosbridge at ${url}: connected on attempt ${attempt}, ${((Date.now() - t0) / 1000).toFixed(1)} s after the first`);
      return;
    }
    const left = t0 + o.connectTimeoutMs - Date.now();
    if (left <= 0) {
      const tried = `${attempt} attempt${attempt === 1 ? '' : 's'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`;
      if (failure.kind === 'handshake') {
        throw new Real2SimError(
          'TIMEOUT',
          `rosbridge at ${url} did not answer the WebSocket handshake within ${o.handshakeTimeoutMs} ms (${tried}): check that it is a rosbridge server and not overloaded, or allow longer with --connect-timeout`,
          { url },
        );
      }
      throw new Real2SimError(
        'REMOTE',
        `cannot reach rosbridge at ${url}: start it on the robot (ros2 launch rosbridge_server rosbridge_websocket_launch.xml) and check the URL and port (${tried}; last: ${failure.reason})`,
        { url },
      );
    }
    if (attempt === 1) log.warn(`rosbridge at ${url}: ${failure.reason}; trying again every ${CONNECT_RETRY_MS / 1000} s for up to ${Math.round(o.connectTimeoutMs / 1000)} s`);
    // an abort ends the pause early (it rejects); the loop's next check reports it
    await sleep(Math.min(CONNECT_RETRY_MS, left), undefined, o.signal ? { signal: o.signal } : {}).catch(() => undefined);
  }
}

export async function connectRosbridge(options: RosbridgeOptions): Promise<Transport> {
  const o = { ...ROSBRIDGE_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Required<RosbridgeOptions>;
  const log = o.log ?? consoleLogger('real2sim');
  if (!/^wss?:\/\//.test(o.url)) throw new Real2SimError('BAD_INPUT', `rosbridge URL must start with ws:// or wss://, got '${o.url}'`, { url: o.url });
  // a URL that cannot be parsed fails now, not after the start's retries
  if (!URL.canParse(o.url)) throw new Real2SimError('BAD_INPUT', `rosbridge URL '${o.url}' is not a valid URL: use ws://HOST:PORT, e.g. ws://robot.local:9090`, { url: o.url });
  // The generation the wire speaks: set by rosapi, a stamped message, or the option.
  let generation: RosGeneration = o.rosVersion ?? 2;
  let generationKnown = o.rosVersion !== undefined;
  // Topics advertised latched: their publish ops carry `latch: true` too. roslib leaves it out,
  // and a bridge then registers a second, non-latched publisher and logs two warnings per message.
  const latchedTopics = new Set<string>();
  const rewrite = (op: Record<string, unknown>): Record<string, unknown> => {
    const out = { ...op };
    const topic = typeof op['topic'] === 'string' ? op['topic'] : '';
    if (op['op'] === 'advertise') {
      if (op['latch'] === true) latchedTopics.add(topic);
      else latchedTopics.delete(topic);
    } else if (op['op'] === 'unadvertise') latchedTopics.delete(topic);
    else if (op['op'] === 'publish' && latchedTopics.has(topic)) out['latch'] = true;
    if (typeof out['type'] === 'string') out['type'] = typeFor(out['type'], generation);
    if (op['op'] === 'publish') out['msg'] = toWire(op['msg'], generation);
    else if (op['op'] === 'service_response') out['values'] = toWire(op['values'], generation);
    else if (op['op'] === 'call_service') out['args'] = toWire(op['args'], generation);
    else if (op['op'] === 'subscribe' && op['compression'] === 'cbor') out['fragment_size'] = NO_FRAGMENTS;
    return out;
  };
  const ros = new Ros({ transportFactory: wireTransportFactory(rewrite, { handshakeTimeoutMs: o.handshakeTimeoutMs }) });
  await connectWithRetries(ros, o.url, o, log);

  if (!generationKnown) {
    // ROS 2 bridges run rosapi, which answers get_ros_version; the ROS 1 bridge (0.11) has no
    // such service. The first stamped message confirms or corrects this guess.
    const v = await callRaw(ros, '/rosapi/get_ros_version', 'rosapi/GetROSVersion', 2000);
    const version = v?.ok ? (v.values as { version?: unknown } | null)?.version : undefined;
    if (version === 1 || version === 2) {
      generation = version;
      generationKnown = true;
    } else {
      generation = 1;
    }
  }
  log.info(`rosbridge at ${o.url}: ROS ${generation}${generationKnown ? '' : ' (guessed: no rosapi answer; the first stamped message decides)'}`);
  const learn = (msg: unknown) => {
    if (generationKnown) return;
    const g = generationOfMessage(msg);
    if (g === null) return;
    generationKnown = true;
    if (g !== generation) log.info(`rosbridge at ${o.url}: messages carry ROS ${g} stamps; writing ROS ${g} from now on`);
    generation = g;
  };

  const owned = new Set<Closeable>();
  const services = new Map<string, { service: Service<unknown, unknown>; handler: (req: unknown) => Promise<unknown> }>();
  let closing = false;
  let reconnectTimer: NodeJS.Timeout | undefined;

  ros.on('close', () => {
    if (closing || o.reconnectMs <= 0) return;
    log.error(`rosbridge connection to ${o.url} closed; reconnecting every ${o.reconnectMs} ms`);
    const retry = () => {
      reconnectTimer = setTimeout(() => {
        if (closing) return;
        ros.connect(o.url).catch(() => retry());
      }, o.reconnectMs);
    };
    retry();
  });
  ros.on('connection', () => {
    // roslib re-subscribes topics itself; services need advertising again.
    for (const { service, handler } of services.values()) void service.advertiseAsync(handler);
  });
  ros.on('error', (e) => {
    if (!closing) log.warn(`rosbridge: ${(e as Error)?.message ?? String(e)}`);
  });

  const track = <T extends Closeable>(c: T): T => {
    owned.add(c);
    return c;
  };

  return {
    kind: 'rosbridge',
    log,
    subscribe(topic: string, type: string, onMessage: (msg: unknown) => void, so: SubscribeOptions): Closeable {
      const t = new Topic<unknown>({
        ros,
        name: topic,
        messageType: type,
        compression: so.binary && o.compression === 'cbor' ? 'cbor' : 'none',
        queue_length: 1,
      });
      const cb = (m: unknown) => {
        learn(m);
        onMessage(m);
      };
      t.subscribe(cb);
      return track({ close: () => t.unsubscribe(cb) });
    },
    advertise<T>(topic: string, type: string, ao: { qos: SubscribeOptions['qos'] }): Publisher<T> {
      const t = new Topic<T>({ ros, name: topic, messageType: type, latch: ao.qos.durability === 'transient_local', queue_size: Math.max(1, ao.qos.depth) });
      t.advertise();
      return track({ publish: (m: T) => t.publish(m), close: () => t.unadvertise() });
    },
    advertiseService(name: string, type: string, handler: (req: unknown) => Promise<unknown>): Closeable {
      const service = new Service<unknown, unknown>({ ros, name, serviceType: type });
      services.set(name, { service, handler });
      void service.advertiseAsync(handler);
      return track({
        close: () => {
          services.delete(name);
          void service.unadvertise().catch(() => undefined);
        },
      });
    },
    callService(name: string, type: string, request: unknown, co: { timeoutMs: number }): Promise<unknown> {
      const service = new Service<unknown, unknown>({ ros, name, serviceType: type });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Real2SimError('TIMEOUT', `service ${name} did not answer within ${co.timeoutMs} ms`, { service: name })), co.timeoutMs);
        service.callService(
          request,
          (res) => {
            clearTimeout(timer);
            resolve(res);
          },
          (err) => {
            clearTimeout(timer);
            reject(new Real2SimError('REMOTE', `service ${name} failed: ${err}`, { service: name }));
          },
          co.timeoutMs / 1000,
        );
      });
    },
    declareParameters(_specs: readonly ParamSpec[], given: Record<string, ParamValue>) {
      return Promise.resolve({ ...given });
    },
    now: wallClock,
    async close() {
      closing = true;
      clearTimeout(reconnectTimer);
      for (const c of [...owned]) {
        try {
          c.close();
        } catch {
          // the socket may already be gone
        }
      }
      owned.clear();
      // The bridge handles one client's ops in order: its answer to this call means every
      // unadvertise before it was processed (closing right after them can leave a zombie service).
      if (ros.isConnected) await callRaw(ros, BARRIER_SERVICE, 'std_srvs/Trigger', CLOSE_BARRIER_MS);
      ros.close();
    },
  };
}
