/**
 * A rosbridge v2 protocol server on 127.0.0.1 for the tests — the robot side of the bridge,
 * as `rosbridge_server` speaks it (see ROSBRIDGE_PROTOCOL.md of rosbridge_suite):
 * advertise / unadvertise / publish / subscribe / unsubscribe / advertise_service /
 * unadvertise_service / call_service / service_response, JSON text frames, and CBOR binary
 * frames for subscriptions that ask for `compression: "cbor"` (uint8[] as a CBOR byte string,
 * as rosbridge's cbor_conversion does; base64 text in JSON mode).
 */
import { encode, Tag } from 'cbor2';
import { WebSocketServer, type WebSocket } from 'ws';

export interface Op {
  op: string;
  [k: string]: unknown;
}

interface Sub {
  ws: WebSocket;
  id: string | undefined;
  compression: string;
  type: string | undefined;
}

/**
 * uint8[] as a plain CBOR byte string, or wrapped in the RFC 8746 typed-array tag 64: the two
 * forms a CBOR bridge may use. Buffers are made plain views first (cbor2 writes a Buffer via toJSON).
 */
function cborWith(tagged: boolean, value: unknown): Uint8Array {
  const walk = (v: unknown): unknown => {
    if (v instanceof Uint8Array) {
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      return tagged ? new Tag(64, bytes) : bytes;
    }
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(walk);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = walk(x);
    return out;
  };
  return encode(walk(value));
}

/** rosbridge's JSON form of a message: uint8[] → base64, other typed arrays → lists. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
    return v;
  });
}

export class RosbridgeTestServer {
  /** Every op received from clients, in order. */
  readonly received: Op[] = [];
  /** Last message published by a client on each topic. */
  readonly published = new Map<string, unknown[]>();
  readonly advertised = new Map<string, Op>();
  readonly subscriptions = new Map<string, Sub[]>();
  readonly clientServices = new Map<string, { ws: WebSocket; type: string }>();
  /** Services the "ROS side" offers to clients (e.g. a Gazebo spawn service). */
  readonly rosServices = new Map<string, (args: unknown) => unknown>();
  /** Frames sent to clients as CBOR (binary) and as JSON (text). */
  sentBinary = 0;
  sentText = 0;
  private readonly pending = new Map<string, (op: Op) => void>();
  private readonly waiters: { pred: (op: Op) => boolean; resolve: (op: Op) => void }[] = [];
  private seq = 0;

  private constructor(
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        if (isBinary) return this.status(ws, 'error', 'this test server takes JSON requests');
        let op: Op;
        try {
          // ws hands a text frame over as one Buffer (its default binaryType, nodebuffer)
          op = JSON.parse((data as Buffer).toString('utf8')) as Op;
        } catch {
          return this.status(ws, 'error', 'invalid JSON');
        }
        this.handle(ws, op);
      });
      ws.on('close', () => {
        for (const subs of this.subscriptions.values()) for (let i = subs.length - 1; i >= 0; i--) if (subs[i]!.ws === ws) subs.splice(i, 1);
      });
    });
  }

  /** Listens on `port` (default: any free one). */
  static async start(port = 0): Promise<RosbridgeTestServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port });
    await new Promise<void>((res, rej) => (wss.once('listening', res), wss.once('error', rej)));
    const addr = wss.address();
    if (typeof addr === 'string' || addr === null) throw new Error('no port');
    const server = new RosbridgeTestServer(wss, `ws://127.0.0.1:${addr.port}`);
    // rosapi as a ROS 2 bridge runs it: clients ask it which ROS is behind the bridge.
    server.rosServices.set('/rosapi/get_ros_version', () => ({ version: 2, distro: 'humble' }));
    return server;
  }

  private status(ws: WebSocket, level: string, msg: string, id?: string) {
    ws.send(JSON.stringify({ op: 'status', level, msg, ...(id ? { id } : {}) }));
  }

  private handle(ws: WebSocket, op: Op) {
    this.received.push(op);
    const topic = op['topic'] as string;
    const service = op['service'] as string;
    switch (op.op) {
      case 'advertise':
        this.advertised.set(topic, op);
        break;
      case 'unadvertise':
        this.advertised.delete(topic);
        break;
      case 'publish': {
        if (!this.advertised.has(topic)) this.status(ws, 'warning', `publish on ${topic} without advertise`);
        const list = this.published.get(topic) ?? [];
        list.push(op['msg']);
        this.published.set(topic, list);
        break;
      }
      case 'subscribe': {
        const subs = this.subscriptions.get(topic) ?? [];
        subs.push({ ws, id: op['id'] as string | undefined, compression: (op['compression'] as string) ?? 'none', type: op['type'] as string | undefined });
        this.subscriptions.set(topic, subs);
        break;
      }
      case 'unsubscribe': {
        const subs = this.subscriptions.get(topic) ?? [];
        this.subscriptions.set(
          topic,
          subs.filter((s) => s.ws !== ws),
        );
        break;
      }
      case 'advertise_service':
        this.clientServices.set(service, { ws, type: op['type'] as string });
        break;
      case 'unadvertise_service':
        this.clientServices.delete(service);
        break;
      case 'service_response': {
        const resolve = this.pending.get(op['id'] as string);
        this.pending.delete(op['id'] as string);
        resolve?.(op);
        break;
      }
      case 'call_service': {
        const handler = this.rosServices.get(service);
        const id = op['id'] as string;
        if (!handler) {
          ws.send(JSON.stringify({ op: 'service_response', id, service, values: `Service ${service} does not exist`, result: false }));
        } else {
          Promise.resolve()
            .then(() => handler(op['args']))
            .then(
              (values) => ws.send(toJson({ op: 'service_response', id, service, values, result: true })),
              (err: Error) => ws.send(JSON.stringify({ op: 'service_response', id, service, values: err.message, result: false })),
            );
        }
        break;
      }
      default:
        this.status(ws, 'error', `unknown op ${op.op}`);
    }
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.pred(op)) {
        this.waiters.splice(i, 1);
        w.resolve(op);
      }
    }
  }

  /** Resolves with the first op (already received or future) that matches. */
  waitFor(pred: (op: Op) => boolean, timeoutMs = 5000): Promise<Op> {
    const seen = this.received.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`timed out waiting for an op; received: ${this.received.map((o) => `${o.op} ${[o['topic'], o['service']].find((v): v is string => typeof v === 'string') ?? ''}`).join(', ')}`),
          ),
        timeoutMs,
      );
      this.waiters.push({ pred, resolve: (op) => (clearTimeout(timer), resolve(op)) });
    });
  }

  /** Publishes from the ROS side to every client subscribed to `topic`, in each one's encoding. */
  publish(topic: string, msg: unknown, o: { typedArrayTags?: boolean } = {}): number {
    const subs = this.subscriptions.get(topic) ?? [];
    for (const s of subs) {
      const op = { op: 'publish', topic, msg, ...(s.id ? { id: s.id } : {}) };
      if (s.compression === 'cbor') {
        s.ws.send(cborWith(o.typedArrayTags === true, op), { binary: true });
        this.sentBinary++;
      } else {
        s.ws.send(toJson(op));
        this.sentText++;
      }
    }
    return subs.length;
  }

  /** Calls a service the client advertised, as a ROS node would through the bridge. */
  callClientService(service: string, args: unknown, timeoutMs = 10_000): Promise<Op> {
    const s = this.clientServices.get(service);
    if (!s) return Promise.reject(new Error(`no client serves ${service}`));
    const id = `call_service:${service}:${++this.seq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => (this.pending.delete(id), reject(new Error(`${service} did not answer`))), timeoutMs);
      this.pending.set(id, (op) => (clearTimeout(timer), resolve(op)));
      s.ws.send(JSON.stringify({ op: 'call_service', id, service, args }));
    });
  }

  clientCount(): number {
    return this.wss.clients.size;
  }

  /** Drops every client connection (the bridge restarting). */
  dropClients(): void {
    for (const ws of this.wss.clients) ws.terminate();
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((res) => this.wss.close(() => res()));
  }
}
