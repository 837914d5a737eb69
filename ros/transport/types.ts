/**
 * What the node needs from a ROS connection, and nothing more: subscriptions, publishers,
 * a service server, service calls, parameter access and a clock. The node speaks only to this
 * interface, so the same logic runs on rclnodejs (a real ROS 2 participant), on rosbridge
 * (a WebSocket to a bridge elsewhere) and on the in-process `MemoryGraph` (tests, embedding).
 *
 * Names given to a transport are already resolved (absolute, remapped: see `names.ts`).
 */
import type { RosTime } from '../messages.ts';
import type { ParamSpec, ParamValue } from '../params.ts';

export interface QosProfile {
  reliability: 'reliable' | 'best_effort';
  /** transient_local: late subscribers that ask for it get the last `depth` messages. */
  durability: 'volatile' | 'transient_local';
  depth: number;
}

export const QOS_SENSOR: QosProfile = { reliability: 'best_effort', durability: 'volatile', depth: 5 };
export const QOS_DEFAULT: QosProfile = { reliability: 'reliable', durability: 'volatile', depth: 10 };
/** For the scene topics and `/tf_static`: late subscribers get the last scene. */
export const QOS_LATCHED: QosProfile = { reliability: 'reliable', durability: 'transient_local', depth: 1 };

export interface Closeable {
  close(): void;
}

export interface Publisher<T> extends Closeable {
  publish(msg: T): void;
}

export interface SubscribeOptions {
  qos: QosProfile;
  /** Large binary payload (images): rosbridge asks for CBOR so bytes are not base64 text. */
  binary?: boolean;
}

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface Transport {
  /** 'rclnodejs' | 'rosbridge' | 'memory' */
  readonly kind: string;
  readonly log: Logger;
  subscribe(topic: string, type: string, onMessage: (msg: unknown) => void, opts: SubscribeOptions): Closeable;
  advertise<T>(topic: string, type: string, opts: { qos: QosProfile }): Publisher<T>;
  /** The handler's promise is the response; a rejection becomes a failed call. */
  advertiseService(name: string, type: string, handler: (request: unknown) => Promise<unknown>): Closeable;
  /** Rejects with a `REMOTE` / `TIMEOUT` error when the service is missing or does not answer. */
  callService(name: string, type: string, request: unknown, opts: { timeoutMs: number }): Promise<unknown>;
  /**
   * Declares the node's parameters with `given` as their values where set; returns what the
   * parameter system holds (rclnodejs: `--ros-args -p` / params files override `given`).
   */
  declareParameters(specs: readonly ParamSpec[], given: Record<string, ParamValue>): Promise<Record<string, unknown>>;
  now(): RosTime;
  close(): Promise<void>;
}

export const consoleLogger = (prefix: string): Logger => ({
  info: (m) => console.log(`[${prefix}] ${m}`),
  warn: (m) => console.warn(`[${prefix}] WARN ${m}`),
  error: (m) => console.error(`[${prefix}] ERROR ${m}`),
});

export function wallClock(): RosTime {
  const ms = Date.now();
  return { sec: Math.floor(ms / 1000), nanosec: (ms % 1000) * 1e6 };
}
