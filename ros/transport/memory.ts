/**
 * An in-process ROS graph: participants publish, subscribe and serve through shared topic and
 * service tables with ROS 2 semantics that matter to the node — QoS recorded per endpoint,
 * transient-local history for late subscribers that ask for it, typed topics (a type mismatch
 * is an error, as DDS would refuse to match), services that may be missing.
 * Used by the tests and the bench to drive the node exactly as a ROS graph would.
 */
import { Real2SimError } from '../../src/model/errors.ts';
import type { RosTime } from '../messages.ts';
import type { ParamSpec, ParamValue } from '../params.ts';
import { wallClock, type Closeable, type Logger, type Publisher, type QosProfile, type SubscribeOptions, type Transport } from './types.ts';

interface Endpoint {
  participant: string;
  qos: QosProfile;
}

interface TopicState {
  type: string;
  publishers: (Endpoint & { history: unknown[] })[];
  subscribers: (Endpoint & { deliver: (msg: unknown) => void })[];
}

export interface LogLine {
  participant: string;
  level: 'info' | 'warn' | 'error';
  msg: string;
}

export class MemoryGraph {
  readonly topics = new Map<string, TopicState>();
  readonly services = new Map<string, { type: string; participant: string; handler: (req: unknown) => Promise<unknown> }>();
  readonly logs: LogLine[] = [];
  /** Replaceable clock (tests set a fixed time). */
  clock: () => RosTime = wallClock;

  private topic(name: string, type: string): TopicState {
    let t = this.topics.get(name);
    if (!t) {
      t = { type, publishers: [], subscribers: [] };
      this.topics.set(name, t);
    } else if (t.type !== type) {
      throw new Real2SimError('BAD_INPUT', `topic ${name} carries ${t.type}; cannot use it as ${type}`, { topic: name });
    }
    return t;
  }

  participant(name: string, opts: { quiet?: boolean } = {}): Transport {
    // The transport below is an object literal whose methods have their own `this`: `graph` names
    // the graph they all act on.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const graph = this;
    const owned: Closeable[] = [];
    const log: Logger = {
      info: (msg) => graph.logs.push({ participant: name, level: 'info', msg }),
      warn: (msg) => {
        graph.logs.push({ participant: name, level: 'warn', msg });
        if (!opts.quiet) console.warn(`[${name}] ${msg}`);
      },
      error: (msg) => {
        graph.logs.push({ participant: name, level: 'error', msg });
        if (!opts.quiet) console.error(`[${name}] ${msg}`);
      },
    };
    const track = <T extends Closeable>(c: T): T => {
      owned.push(c);
      return c;
    };
    return {
      kind: 'memory',
      log,
      subscribe(topic: string, type: string, onMessage: (msg: unknown) => void, o: SubscribeOptions): Closeable {
        const t = graph.topic(topic, type);
        const sub = { participant: name, qos: o.qos, deliver: onMessage };
        t.subscribers.push(sub);
        if (o.qos.durability === 'transient_local') {
          for (const p of t.publishers) if (p.qos.durability === 'transient_local') for (const m of p.history) onMessage(m);
        }
        return track({ close: () => void t.subscribers.splice(t.subscribers.indexOf(sub) >>> 0, 1) });
      },
      advertise<T>(topic: string, type: string, o: { qos: QosProfile }): Publisher<T> {
        const t = graph.topic(topic, type);
        const pub = { participant: name, qos: o.qos, history: [] as unknown[] };
        t.publishers.push(pub);
        return track({
          publish(msg: T) {
            if (o.qos.durability === 'transient_local') {
              pub.history.push(msg);
              if (pub.history.length > o.qos.depth) pub.history.shift();
            }
            for (const s of [...t.subscribers]) {
              // Best-effort publishers do not reach reliable subscribers (ROS 2 QoS matching).
              if (o.qos.reliability === 'best_effort' && s.qos.reliability === 'reliable') continue;
              s.deliver(msg);
            }
          },
          close: () => void t.publishers.splice(t.publishers.indexOf(pub) >>> 0, 1),
        });
      },
      advertiseService(service: string, type: string, handler: (req: unknown) => Promise<unknown>): Closeable {
        if (graph.services.has(service)) throw new Real2SimError('BAD_INPUT', `service ${service} is already served`, { service });
        graph.services.set(service, { type, participant: name, handler });
        return track({ close: () => void graph.services.delete(service) });
      },
      async callService(service: string, type: string, request: unknown, o: { timeoutMs: number }): Promise<unknown> {
        const s = graph.services.get(service);
        if (!s) throw new Real2SimError('REMOTE', `service ${service} is not available`, { service });
        if (s.type !== type) throw new Real2SimError('REMOTE', `service ${service} is ${s.type}, not ${type}`, { service });
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Real2SimError('TIMEOUT', `service ${service} did not answer within ${o.timeoutMs} ms`, { service })), o.timeoutMs);
        });
        try {
          return await Promise.race([s.handler(request), timeout]);
        } finally {
          clearTimeout(timer);
        }
      },
      declareParameters(_specs: readonly ParamSpec[], given: Record<string, ParamValue>) {
        return Promise.resolve({ ...given });
      },
      now: () => graph.clock(),
      close() {
        for (const c of owned.splice(0)) c.close();
        return Promise.resolve();
      },
    };
  }

  /** QoS of each publisher on a topic (for assertions). */
  publisherQos(topic: string): QosProfile[] {
    return this.topics.get(topic)?.publishers.map((p) => p.qos) ?? [];
  }
}
