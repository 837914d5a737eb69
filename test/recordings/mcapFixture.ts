/**
 * Writes ROS 2 MCAP recordings for the tests, with @mcap/core (the writer rosbag2's MCAP
 * plugin's format follows: `ros2msg` schemas holding the concatenated message definitions,
 * `cdr` channels). Payloads are either serialised here with @foxglove/rosmsg2-serialization
 * (pure-Node fixtures) or CDR bytes a real ROS 2 subscriber received (test/recordings/ros2.test.ts).
 */
import { open } from 'node:fs/promises';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { McapWriter } from '@mcap/core';
import { FileHandleWritable } from '@mcap/nodejs';
import { parse } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import * as zstd from '@foxglove/wasm-zstd';
import type { RgbdFrame } from '../../src/model/frame.ts';

/** The ROS 2 Humble definitions of the messages the fixtures use, comments stripped. */
export const DEFINITIONS: Record<string, string> = {
  'builtin_interfaces/Time': 'int32 sec\nuint32 nanosec',
  'std_msgs/Header': 'builtin_interfaces/Time stamp\nstring frame_id',
  'sensor_msgs/Image': 'std_msgs/Header header\nuint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\nuint8[] data',
  'sensor_msgs/CompressedImage': 'std_msgs/Header header\nstring format\nuint8[] data',
  'sensor_msgs/RegionOfInterest': 'uint32 x_offset\nuint32 y_offset\nuint32 height\nuint32 width\nbool do_rectify',
  'sensor_msgs/CameraInfo':
    'std_msgs/Header header\nuint32 height\nuint32 width\nstring distortion_model\nfloat64[] d\nfloat64[9] k\nfloat64[9] r\nfloat64[12] p\nuint32 binning_x\nuint32 binning_y\nsensor_msgs/RegionOfInterest roi',
  'std_msgs/String': 'string data',
};

const SEP = '='.repeat(80);

/** Definitions from .msg files of a ROS 2 install (`<prefix>/share/<pkg>/msg/<Name>.msg`). */
export function rosDefinitions(prefix: string): (name: string) => string {
  return (name) => {
    const [pkg, type] = name.split('/');
    const f = join(prefix, 'share', pkg!, 'msg', `${type}.msg`);
    if (!existsSync(f)) throw new Error(`no definition ${f}`);
    return readFileSync(f, 'utf8');
  };
}

/** rosbag2's schema text: the type's definition, then `MSG: pkg/Type` sections for every dependency. */
export function schemaText(type: string, lookup: (name: string) => string = (n) => DEFINITIONS[n]!): string {
  const pkgOf = (t: string) => t.split('/')[0]!;
  const seen = new Set<string>();
  const sections: string[] = [];
  const visit = (name: string, top: boolean) => {
    if (seen.has(name)) return;
    seen.add(name);
    const text = lookup(name);
    if (!top) sections.push(`${SEP}\nMSG: ${name}\n${text}`);
    else sections.unshift(text);
    for (const line of text.split('\n')) {
      const t = line.replace(/#.*/, '').trim().split(/\s+/)[0];
      if (!t || !/^[A-Za-z]/.test(t)) continue;
      const base = t.replace(/\[.*$/, '');
      if (!base.includes('/') && !/^[A-Z]/.test(base)) continue; // primitive
      const full = base === 'Header' ? 'std_msgs/Header' : base.includes('/') ? base : `${pkgOf(name)}/${base}`;
      visit(full, false);
    }
  };
  visit(type, true);
  return sections.join('\n');
}

export interface FixtureMessage {
  topic: string;
  /** `sensor_msgs/msg/Image` */
  type: string;
  logTimeNs: bigint;
  /** CDR bytes (with the 4-byte encapsulation header). */
  cdr: Uint8Array;
}

const writers = new Map<string, MessageWriter>();
/** CDR of a message object, serialised with the fixture definitions. */
export function serialize(type: string, msg: unknown): Uint8Array {
  const short = type.replace('/msg/', '/');
  let w = writers.get(short);
  if (!w) {
    w = new MessageWriter(parse(schemaText(short), { ros2: true }));
    writers.set(short, w);
  }
  return w.writeMessage(msg);
}

/** xxHash32 (seed 0) of a few bytes: the LZ4 frame header checksum. */
function xxh32Short(b: Uint8Array): number {
  const P1 = 2654435761,
    P2 = 2246822519,
    P3 = 3266489917,
    P4 = 668265263,
    P5 = 374761393;
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  let h = (P5 + b.length) >>> 0;
  let i = 0;
  for (; i + 4 <= b.length; i += 4) h = Math.imul(rotl((h + Math.imul(b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24), P3)) >>> 0, 17), P4) >>> 0;
  for (; i < b.length; i++) h = Math.imul(rotl((h + Math.imul(b[i]!, P5)) >>> 0, 11), P1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), P2) >>> 0;
  h = Math.imul(h ^ (h >>> 13), P3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * An LZ4 frame whose blocks are stored uncompressed (the format allows it; no LZ4 compressor is
 * on npm without native code here), so the reader's lz4 path is exercised by a real frame.
 */
export function lz4StoredFrame(data: Uint8Array): Uint8Array {
  const FLG = 0x60; // version 01, independent blocks, no checksums, no content size
  const BD = 0x70; // 4 MB blocks
  const hc = (xxh32Short(new Uint8Array([FLG, BD])) >>> 8) & 0xff;
  const parts: Uint8Array[] = [new Uint8Array([0x04, 0x22, 0x4d, 0x18, FLG, BD, hc])];
  for (let o = 0; o < data.length; o += 4 << 20) {
    const block = data.subarray(o, Math.min(data.length, o + (4 << 20)));
    const size = new Uint8Array(4);
    new DataView(size.buffer).setUint32(0, (block.length | 0x80000000) >>> 0, true); // high bit: stored
    parts.push(size, block);
  }
  parts.push(new Uint8Array(4)); // end mark
  return new Uint8Array(Buffer.concat(parts));
}

export async function writeMcap(
  path: string,
  messages: FixtureMessage[],
  opts: { compression?: 'zstd' | 'lz4' | 'none'; chunkSize?: number; lookup?: (name: string) => string; index?: boolean } = {},
): Promise<void> {
  await zstd.isLoaded;
  const fh = await open(path, 'w');
  const writer = new McapWriter({
    writable: new FileHandleWritable(fh),
    useChunks: true,
    ...(opts.index === false ? { useStatistics: false, useSummaryOffsets: false, useChunkIndex: false, useMessageIndex: false } : {}),
    chunkSize: opts.chunkSize ?? 256 * 1024,
    ...(opts.compression === 'zstd' ? { compressChunk: (data: Uint8Array) => ({ compression: 'zstd', compressedData: zstd.compress(data, 3) }) } : {}),
    ...(opts.compression === 'lz4' ? { compressChunk: (data: Uint8Array) => ({ compression: 'lz4', compressedData: lz4StoredFrame(data) }) } : {}),
  });
  await writer.start({ profile: 'ros2', library: 'real2sim tests' });
  const channels = new Map<string, number>();
  let seq = 0;
  for (const m of messages) {
    let ch = channels.get(m.topic);
    if (ch === undefined) {
      const schemaId = await writer.registerSchema({ name: m.type, encoding: 'ros2msg', data: new TextEncoder().encode(schemaText(m.type.replace('/msg/', '/'), opts.lookup)) });
      ch = await writer.registerChannel({ topic: m.topic, schemaId, messageEncoding: 'cdr', metadata: new Map() });
      channels.set(m.topic, ch);
    }
    await writer.addMessage({ channelId: ch, sequence: seq++, logTime: m.logTimeNs, publishTime: m.logTimeNs, data: m.cdr });
  }
  await writer.end();
  // a recorder killed before closing leaves no valid footer: cut the closing magic bytes
  if (opts.index === false) await fh.truncate((await fh.stat()).size - 8);
  await fh.close();
}

const stampOf = (t: number) => ({ sec: Math.floor(t), nanosec: Math.round((t - Math.floor(t)) * 1e9) });

/** sensor_msgs Image / CameraInfo objects for a model frame at time `t` (seconds). */
export function frameMessages(frame: RgbdFrame, t: number, o: { depthEncoding?: '16UC1' | '32FC1'; colorEncoding?: 'rgb8' | 'bgr8'; frameId?: string } = {}) {
  const { color, depth, camera } = frame;
  const header = { stamp: stampOf(t), frame_id: o.frameId ?? 'camera_color_optical_frame' };
  let rgb = color.data;
  if (o.colorEncoding === 'bgr8') {
    rgb = new Uint8Array(color.data);
    for (let i = 0; i < rgb.length; i += 3) [rgb[i], rgb[i + 2]] = [rgb[i + 2]!, rgb[i]!];
  }
  const image = { header, height: color.height, width: color.width, encoding: o.colorEncoding ?? 'rgb8', is_bigendian: 0, step: color.width * 3, data: rgb };
  let depthMsg: Record<string, unknown> | undefined;
  if (depth) {
    if (o.depthEncoding === '32FC1') {
      depthMsg = { header, height: depth.height, width: depth.width, encoding: '32FC1', is_bigendian: 0, step: depth.width * 4, data: new Uint8Array(depth.data.buffer.slice(0)) };
    } else {
      const mm = new Uint16Array(depth.data.length);
      for (let i = 0; i < mm.length; i++) mm[i] = Math.round(depth.data[i]! * 1000);
      depthMsg = { header, height: depth.height, width: depth.width, encoding: '16UC1', is_bigendian: 0, step: depth.width * 2, data: new Uint8Array(mm.buffer) };
    }
  }
  const info = {
    header,
    height: camera.height,
    width: camera.width,
    distortion_model: 'plumb_bob',
    d: [0, 0, 0, 0, 0],
    k: [camera.fx, 0, camera.cx, 0, camera.fy, camera.cy, 0, 0, 1],
    r: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    p: [camera.fx, 0, camera.cx, 0, 0, camera.fy, camera.cy, 0, 0, 0, 1, 0],
    binning_x: 0,
    binning_y: 0,
    roi: { x_offset: 0, y_offset: 0, height: 0, width: 0, do_rectify: false },
  };
  return { image, depth: depthMsg, info };
}
