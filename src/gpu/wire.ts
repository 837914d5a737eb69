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
import { Encoder } from 'cbor-x';
import { Real2SimError } from '../model/errors.ts';

const encoder = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: true, variableMapSize: true });

/** A byte string view of any typed array without copying (cbor-x writes Buffers as plain byte strings). */
export function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

export function encodeCbor(value: unknown): Buffer {
  return encoder.encode(value);
}

export function decodeCbor(bytes: Uint8Array): unknown {
  try {
    return encoder.decode(bytes);
  } catch (cause) {
    throw new Real2SimError('BAD_INPUT', `Body is not valid CBOR: ${(cause as Error).message}`, {}, cause);
  }
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
