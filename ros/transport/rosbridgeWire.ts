/**
 * What real rosbridge servers need on the wire beyond roslib, in one place:
 *
 * - Two generations. rosbridge_suite 0.11 (ROS 1) accepts only two-part type names
 *   (`sensor_msgs/Image`) and speaks ROS 1 stamps (`{secs, nsecs}`); anything else is dropped
 *   with a log line on the server and nothing on the socket. rosbridge 2.x (ROS 2) accepts both
 *   spellings of a type and wants `{sec, nanosec}`. The generation comes from rosapi's
 *   `get_ros_version` (ROS 2 bridges) or from the stamps of the first incoming message.
 * - Fragments. A bridge with a message-size limit splits larger JSON messages into
 *   `{op: 'fragment', id, num, total, data}`; ROS bridges send id 0 for every publish and a
 *   fractional `total` (`(len - 1) / size + 1`), which roslib drops. They are reassembled here
 *   in arrival order (fragments of one message are sent back to back).
 * - Outgoing size. A ROS 2 bridge closes the socket on a client frame over its
 *   `max_message_size` (10 MB by default), which a scene's MarkerArray can exceed. Larger ops
 *   leave as fragments the bridge's defragmentation reassembles (both generations have it),
 *   so latched topics still carry one whole message.
 * - uint64 fields are BigInts in the node's messages (rclnodejs needs them); JSON has no BigInt.
 */
import { AbstractTransport, type ITransportFactory } from 'roslib';
import { WebSocket } from 'ws';

export type RosGeneration = 1 | 2;

/** `pkg/msg/Name` → `pkg/Name` for ROS 1; ROS 2 bridges take the full name. */
export function typeFor(type: string, generation: RosGeneration): string {
  return generation === 1 ? type.replace(/^([^/]+)\/(?:msg|srv|action)\/([^/]+)$/, '$1/$2') : type;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !Array.isArray(v);

/**
 * A message with ROS 2 time fields (`{sec, nanosec}`, in stamps and durations) rewritten for
 * `generation`, and BigInts as numbers. Copies only the objects on the way to a change;
 * typed arrays and strings are passed by reference (images and meshes are not walked twice).
 */
export function toWire(value: unknown, generation: RosGeneration): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) {
    // Arrays of numbers (mesh points are objects; K, D, ... numbers) need no walk.
    if (value.length > 0 && typeof value[0] === 'number') return value;
    return value.map((v) => toWire(v, generation));
  }
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value);
  if (generation === 1 && keys.length === 2 && 'sec' in value && 'nanosec' in value) {
    return { secs: toWire(value['sec'], generation), nsecs: toWire(value['nanosec'], generation) };
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = toWire(value[k], generation);
  return out;
}

/** The generation a message's stamp is written for, or null when it has none. */
export function generationOfMessage(msg: unknown): RosGeneration | null {
  if (!isPlainObject(msg)) return null;
  const stamp = isPlainObject(msg['header']) ? msg['header']['stamp'] : undefined;
  if (!isPlainObject(stamp)) return null;
  if ('secs' in stamp) return 1;
  if ('sec' in stamp) return 2;
  return null;
}

const FRAGMENT_PREFIX = /^\{\s*"op"\s*:\s*"fragment"/;

interface FragmentOp {
  op: 'fragment';
  id?: unknown;
  num: number;
  total: number;
  data: string;
}

/**
 * Reassembles fragment ops. Fragments of one message arrive back to back (the bridge sends
 * them in one loop), so a `num: 0` starts a new message and anything out of order drops it.
 */
export class FragmentAssembler {
  private parts: string[] = [];
  private expected = 0;
  private key: string | null = null;
  /** Messages given up because their fragments did not arrive in order. */
  dropped = 0;

  /** The whole message's JSON text once its last fragment is in, else null. */
  push(f: FragmentOp): string | null {
    const total = Math.floor(f.total);
    const key = `${String(f.id)}/${total}`;
    if (f.num === 0) {
      if (this.parts.length > 0) this.dropped++;
      this.parts = [];
      this.key = key;
      this.expected = total;
    } else if (this.key !== key || f.num !== this.parts.length) {
      if (this.parts.length > 0) this.dropped++;
      this.parts = [];
      this.key = null;
      return null;
    }
    this.parts.push(f.data);
    if (this.parts.length < this.expected) return null;
    const text = this.parts.join('');
    this.parts = [];
    this.key = null;
    return text;
  }
}

/** JSON text with BigInts as numbers (uint64 ids; JSON.stringify throws on BigInt). */
export function jsonWire(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
}

/** Ops up to this many bytes go whole; larger ones in fragments of FRAGMENT_CHARS characters. */
export const MAX_WHOLE_BYTES = 9_000_000;
/** ≤ 3 bytes per character in UTF-8: every fragment stays under a 10 MB frame limit. */
export const FRAGMENT_CHARS = 3_000_000;

/** The frames one op leaves as: itself, or fragment ops of its JSON text. */
export function outgoingFrames(text: string, id: string, o: { maxWholeBytes?: number; fragmentChars?: number } = {}): string[] {
  const maxWhole = o.maxWholeBytes ?? MAX_WHOLE_BYTES;
  const size = o.fragmentChars ?? FRAGMENT_CHARS;
  if (text.length <= maxWhole / 3 || Buffer.byteLength(text) <= maxWhole) return [text];
  const total = Math.ceil(text.length / size);
  const frames: string[] = [];
  for (let num = 0; num < total; num++) frames.push(JSON.stringify({ op: 'fragment', id, num, total, data: text.slice(num * size, (num + 1) * size) }));
  return frames;
}

/** roslib transport over `ws` that reassembles fragments and writes BigInt-safe JSON. */
class WireTransport extends AbstractTransport {
  private readonly assembler = new FragmentAssembler();
  private fragmentSeq = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly rewrite: (op: Record<string, unknown>) => Record<string, unknown>,
  ) {
    super();
    socket.binaryType = 'arraybuffer';
    socket.onopen = (e) => void this.emit('open', e);
    socket.onclose = (e) => void this.emit('close', e);
    socket.onerror = (e) => void this.emit('error', e);
    socket.onmessage = (e) => {
      const data = e.data;
      if (typeof data === 'string' && FRAGMENT_PREFIX.test(data.slice(0, 40))) {
        let f: FragmentOp;
        try {
          f = JSON.parse(data) as FragmentOp;
        } catch {
          return;
        }
        const whole = this.assembler.push(f);
        if (whole !== null) this.handleRawMessage(whole);
        return;
      }
      this.handleRawMessage(data);
    };
  }
  send(message: object): void {
    const text = jsonWire(this.rewrite(message as Record<string, unknown>));
    for (const frame of outgoingFrames(text, `real2sim_fragment_${++this.fragmentSeq}`)) this.socket.send(frame);
  }
  close(): void {
    this.socket.close();
  }
  isConnecting(): boolean {
    return this.socket.readyState === WebSocket.CONNECTING;
  }
  isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }
  isClosing(): boolean {
    return this.socket.readyState === WebSocket.CLOSING;
  }
  isClosed(): boolean {
    return this.socket.readyState === WebSocket.CLOSED;
  }
}

/**
 * A roslib transport factory whose outgoing ops pass through `rewrite` first. A handshake the
 * server does not finish within `handshakeTimeoutMs` fails the attempt (error, then close).
 */
export function wireTransportFactory(rewrite: (op: Record<string, unknown>) => Record<string, unknown>, o: { handshakeTimeoutMs?: number } = {}): ITransportFactory {
  const options = o.handshakeTimeoutMs ? { handshakeTimeout: o.handshakeTimeoutMs } : {};
  return (url: string) => Promise.resolve(new WireTransport(new WebSocket(url, options), rewrite));
}
