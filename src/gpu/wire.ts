/**
 * Bytes on the wire of the GPU-host protocol: CBOR (RFC 8949) maps whose large arrays are CBOR
 * byte strings (major type 2), never base64 and never typed-array tags, so any CBOR library
 * (Python `cbor2`, Rust `ciborium`, …) reads them as plain `bytes`.
 *
 * Layout of the binary fields (all little-endian, tightly packed, row-major, top-left origin):
 * - colour image `data`: `width·height·channels` uint8 (rgb8 = 3, rgba8/bgra8 = 4, mono8 = 1);
 * - depth `data`: `width·height` float32 metres (`32FC1`), 0 or NaN = no data;
 * - label `data`: `width·height` uint16 instance ids (`mono16`), 0 = background;
 * - points `positions`: `count·3` float32 xyz metres;
 * - mesh `data`: a binary glTF 2.0 file (GLB).
 */
import { decode, encode } from 'cbor2';
import { Real2SimError } from '../model/errors.ts';

/** A byte string view of any typed array without copying. */
export function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * cbor2 (the CBOR library roslib uses too) writes a Node `Buffer` through its `toJSON`, so
 * buffers become plain `Uint8Array` views (byte strings) first; `undefined` map values are
 * left out, as in `encodeCborParts`.
 */
function plainBytes(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof Uint8Array || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plainBytes);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = plainBytes(x);
  return out;
}

export function encodeCbor(value: unknown): Buffer {
  const bytes = encode(plainBytes(value));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * CBOR encoding as a list of chunks whose large byte strings are the caller's own buffers (no
 * copy): a 640×480 image goes to the socket straight from its typed array. Hand-written because
 * a CBOR library copies into one output buffer, which costs ~1 ms per megabyte on this path.
 * Supports what the protocol uses: maps with string keys, arrays, strings, numbers, booleans,
 * null and byte strings (`Uint8Array`); `undefined` map values are left out.
 */
export function encodeCborParts(value: unknown): Buffer[] {
  const parts: Buffer[] = [];
  let small: number[] = [];
  const flush = () => {
    if (small.length > 0) parts.push(Buffer.from(small));
    small = [];
  };
  const head = (major: number, n: number) => {
    const m = major << 5;
    if (n < 24) small.push(m | n);
    else if (n < 0x100) small.push(m | 24, n);
    else if (n < 0x10000) small.push(m | 25, n >> 8, n & 0xff);
    else if (n < 0x100000000) small.push(m | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
    else {
      const hi = Math.floor(n / 0x100000000),
        lo = n >>> 0;
      small.push(m | 27, (hi >>> 24) & 0xff, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, (lo >>> 24) & 0xff, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff);
    }
  };
  const f64 = Buffer.alloc(8);
  const walk = (v: unknown): void => {
    if (v === null || v === undefined) small.push(0xf6);
    else if (v === true) small.push(0xf5);
    else if (v === false) small.push(0xf4);
    else if (typeof v === 'number') {
      if (Number.isInteger(v) && Math.abs(v) < 0x100000000) {
        if (v >= 0) head(0, v);
        else head(1, -1 - v);
      } else {
        f64.writeDoubleBE(v, 0);
        small.push(0xfb, ...f64);
      }
    } else if (typeof v === 'string') {
      const b = Buffer.from(v, 'utf8');
      head(3, b.length);
      for (const x of b) small.push(x);
    } else if (v instanceof Uint8Array) {
      head(2, v.byteLength);
      if (v.byteLength < 1024) for (const x of v) small.push(x);
      else {
        flush();
        parts.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      }
    } else if (Array.isArray(v)) {
      head(4, v.length);
      for (const x of v) walk(x);
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      head(5, entries.length);
      for (const [k, x] of entries) {
        walk(k);
        walk(x);
      }
    } else throw new Real2SimError('INTERNAL', `Cannot encode a ${typeof v} as CBOR`);
  };
  walk(value);
  flush();
  return parts;
}

export function decodeCbor(bytes: Uint8Array): unknown {
  try {
    return decode(bytes);
  } catch (cause) {
    throw new Real2SimError('BAD_INPUT', `Body is not valid CBOR (RFC 8949): ${describeCborError(cause)}. Send one CBOR map as the body (see docs/gpu-host-protocol.md).`, {}, cause);
  }
}

/**
 * The decoder's complaint in words a client can act on. Its own errors say what was wrong
 * ("Unexpected end of stream …"); errors from the JavaScript runtime underneath (a DataView
 * read past the end, a BigInt mixed with a number, a text decoder) would say nothing useful to
 * a client and expose internals, so they are named by what they mean.
 */
export function describeCborError(cause: unknown): string {
  const msg = cause instanceof Error ? cause.message : String(cause);
  if (cause instanceof RangeError || /outside the bounds|Unexpected end of stream/i.test(msg)) return 'the data ends before the item it started (truncated body?)';
  if (/not valid for encoding utf/i.test(msg)) return 'a text string is not valid UTF-8';
  if (/BigInt/i.test(msg)) return 'an integer is too large for this protocol (more than 2^53)';
  if (/Extra data/i.test(msg)) return 'there are bytes after the first complete item (send exactly one map)';
  if (/Unexpected BREAK|indefinite/i.test(msg)) return 'an indefinite-length item is malformed';
  if (/Additional info not implemented|simple encoding|Unmatched major type/i.test(msg)) return 'an item header is malformed (reserved additional info or a wrong major type)';
  if (/^Expected /.test(msg)) return 'a tagged item does not hold the type its tag requires';
  return 'it could not be decoded';
}

/** Copies into a fresh, aligned buffer when the source is misaligned for the element size. */
function aligned(bytes: Uint8Array, elementSize: number): ArrayBuffer | SharedArrayBuffer {
  if (bytes.byteOffset % elementSize === 0) return bytes.buffer;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

export function float32From(bytes: Uint8Array): Float32Array {
  const buf = aligned(bytes, 4);
  const off = buf === bytes.buffer ? bytes.byteOffset : 0;
  return new Float32Array(buf, off, bytes.byteLength >> 2);
}

export function uint16From(bytes: Uint8Array): Uint16Array {
  const buf = aligned(bytes, 2);
  const off = buf === bytes.buffer ? bytes.byteOffset : 0;
  return new Uint16Array(buf, off, bytes.byteLength >> 1);
}
