/**
 * Frames out of a recording: which topics carry colour, depth and intrinsics (found from the
 * message types and encodings when not given), which colour images to use (`every` seconds,
 * one `at` a time, or all), and the depth partner of each by the ROS node's own approximate
 * time sync (`FrameSync` in ros/sync.ts: nearest depth within the tolerance, latest CameraInfo).
 *
 * Messages stream through in log-time order and only a short window of depth images is kept,
 * so a long recording costs no more memory than a few frames.
 */
import { createHash } from 'node:crypto';
import { decodeColorImage } from '../io/image.ts';
import type { CameraIntrinsics } from '../model/camera.ts';
import { Real2SimError } from '../model/errors.ts';
import type { RgbdFrame } from '../model/frame.ts';
import { assembleFrame, FrameSync, type SyncMatch } from '../../ros/sync.ts';
import { checkCameraInfo, checkImage, COLOR_ENCODINGS, DEPTH_ENCODINGS, ENCODING_BYTES, formatProblems, type RawImage } from '../../ros/normalise.ts';
import type { RawMessage, Recording, RecordingTopic } from './mcap.ts';

export const IMAGE_TYPE = 'sensor_msgs/msg/Image';
export const COMPRESSED_TYPE = 'sensor_msgs/msg/CompressedImage';
export const CAMERA_INFO_TYPE = 'sensor_msgs/msg/CameraInfo';

export interface BagTopics {
  image: string;
  depth?: string;
  cameraInfo: string;
}

/** Which colour images become frames. Times are seconds (header stamps). */
export interface FrameSelection {
  /** One frame: the synced colour image nearest this time. Below 1e9 it counts from the first colour image; above, it is an absolute stamp. */
  at?: number;
  /** A frame, then the next one at least this many seconds later. */
  every?: number;
  /** Exactly this colour stamp (ns), e.g. a job re-reading its frame. */
  stampNs?: bigint;
}

export interface RecordedFrame {
  /** Colour header stamp, seconds. */
  stamp: number;
  /** Colour header stamp, nanoseconds (exact; names the frame). */
  stampNs: bigint;
  /** Log time of the colour message, ns (where a reader seeks to find it again). */
  logTime: bigint;
  camera: CameraIntrinsics;
  /** sha256 of the colour and depth payloads and the intrinsics: the frame's content. */
  contentHash: string;
  /** Pixels converted (model frame); call only for frames you reconstruct. */
  assemble(): RgbdFrame;
}

export interface RecordedFrameOptions {
  topics: BagTopics;
  select?: FrameSelection;
  /** Approximate time sync tolerance, seconds (the node's `sync_tolerance_s` default). */
  tolerance?: number;
  /** Metres per unit of 16UC1 depth (the node's `depth_scale` default). */
  depthScale?: number;
  /** Read only this log-time window (ns). */
  window?: { start?: bigint; end?: bigint };
  /** Intrinsics in effect when the window starts after the recording's CameraInfo. */
  cameraInfo?: CameraIntrinsics;
}

const DEPTH_NAME = /depth/i;
const COLOR_NAME = /(colou?r|rgb)/i;

function peekEncoding(rec: Recording, topic: string): Promise<string | undefined> {
  return (async () => {
    for await (const m of rec.messages([topic])) {
      const enc = rec.decode(m)['encoding'];
      return typeof enc === 'string' ? enc : undefined;
    }
    return undefined;
  })();
}

function pickOne(candidates: RecordingTopic[], prefer: RegExp | null, what: string, flag: string, all: RecordingTopic[]): RecordingTopic | undefined {
  if (candidates.length <= 1) return candidates[0];
  const preferred = prefer ? candidates.filter((c) => prefer.test(c.topic)) : [];
  if (preferred.length === 1) return preferred[0];
  throw new Real2SimError(
    'BAD_INPUT',
    `The recording has several ${what} topics (${candidates.map((c) => c.topic).join(', ')}); choose with --topics ${flag}. Topics: ${all.map((t) => `${t.topic} [${t.schemaName}]`).join(', ')}`,
    { candidates: candidates.map((c) => c.topic) },
  );
}

/** Parses `--topics image,depth,camera_info` (depth may be empty: `/rgb,,/info`). */
export function parseTopicsFlag(v: string): Partial<BagTopics> {
  const [image, depth, cameraInfo, ...rest] = v.split(',').map((s) => s.trim());
  if (rest.length > 0 || !image) throw new Real2SimError('BAD_INPUT', `--topics takes IMAGE[,DEPTH[,CAMERA_INFO]] (comma-separated topic names), got '${v}'`);
  return { image, ...(depth ? { depth } : {}), ...(cameraInfo ? { cameraInfo } : {}) };
}

/**
 * The colour, depth and CameraInfo topics: the given ones checked against the recording, the
 * rest found by type (Image / CompressedImage / CameraInfo) and, among images, by the first
 * message's encoding (16UC1 / mono16 / 32FC1 is depth).
 */
export async function detectTopics(rec: Recording, given: Partial<BagTopics> = {}): Promise<BagTopics> {
  const all = rec.topics();
  const byName = new Map(all.map((t) => [t.topic, t]));
  for (const [k, t] of Object.entries(given)) {
    if (t && !byName.has(t)) {
      throw new Real2SimError('BAD_INPUT', `--topics names '${t}' (${k}) but the recording has no such topic. Topics: ${all.map((x) => `${x.topic} [${x.schemaName}]`).join(', ') || 'none'}`, {
        topic: t,
      });
    }
  }
  const images = all.filter((t) => t.schemaName === IMAGE_TYPE || t.schemaName === COMPRESSED_TYPE);
  if (images.length === 0) {
    throw new Real2SimError(
      'BAD_INPUT',
      `The recording has no image topic (sensor_msgs/msg/Image or CompressedImage). Topics: ${all.map((t) => `${t.topic} [${t.schemaName}]`).join(', ') || 'none'}`,
      { topics: all.map((t) => t.topic) },
    );
  }
  const colour: RecordingTopic[] = [];
  const depth: RecordingTopic[] = [];
  for (const t of images) {
    if (t.topic === given.image) continue;
    if (t.schemaName === COMPRESSED_TYPE) {
      // compressedDepth carries a depth header before the PNG: not a colour image
      if (!/compressedDepth/i.test(t.topic)) colour.push(t);
      continue;
    }
    const enc = await peekEncoding(rec, t.topic);
    if (enc && (DEPTH_ENCODINGS as readonly string[]).includes(enc)) depth.push(t);
    else if (enc && (COLOR_ENCODINGS as readonly string[]).includes(enc)) colour.push(t);
  }
  const image = given.image ? byName.get(given.image) : pickOne(colour, COLOR_NAME, 'colour image', 'IMAGE,DEPTH,CAMERA_INFO', all);
  if (!image) throw new Real2SimError('BAD_INPUT', `The recording has no colour image topic (rgb8, bgr8, rgba8, bgra8, mono8 or CompressedImage). Topics: ${images.map((t) => t.topic).join(', ')}`);
  if (image.schemaName !== IMAGE_TYPE && image.schemaName !== COMPRESSED_TYPE) {
    throw new Real2SimError('BAD_INPUT', `'${image.topic}' is a ${image.schemaName}, not an image topic.`, { topic: image.topic });
  }
  const depthTopic = given.depth ? byName.get(given.depth) : pickOne(depth, DEPTH_NAME, 'depth image', 'IMAGE,DEPTH,CAMERA_INFO', all);
  if (depthTopic && depthTopic.schemaName !== IMAGE_TYPE) {
    throw new Real2SimError('BAD_INPUT', `'${depthTopic.topic}' is a ${depthTopic.schemaName}; depth must be a sensor_msgs/msg/Image (16UC1, mono16 or 32FC1).`, { topic: depthTopic.topic });
  }
  const infos = all.filter((t) => t.schemaName === CAMERA_INFO_TYPE);
  // the CameraInfo beside the colour image (…/color/image_raw → …/color/camera_info) wins
  const ns = image.topic.slice(0, image.topic.lastIndexOf('/') + 1);
  const sibling = infos.filter((t) => t.topic.startsWith(ns));
  const info = given.cameraInfo ? byName.get(given.cameraInfo) : sibling.length === 1 ? sibling[0] : pickOne(infos, COLOR_NAME, 'CameraInfo', 'IMAGE,DEPTH,CAMERA_INFO', all);
  if (!info) {
    throw new Real2SimError('BAD_INPUT', `The recording has no sensor_msgs/msg/CameraInfo topic: the intrinsics are needed. Record the camera's camera_info topic too.`, {
      topics: all.map((t) => t.topic),
    });
  }
  if (info.schemaName !== CAMERA_INFO_TYPE) throw new Real2SimError('BAD_INPUT', `'${info.topic}' is a ${info.schemaName}, not a CameraInfo.`, { topic: info.topic });
  return { image: image.topic, ...(depthTopic ? { depth: depthTopic.topic } : {}), cameraInfo: info.topic };
}

function stampNsOf(msg: Record<string, unknown>): bigint {
  const s = (msg['header'] as { stamp?: { sec?: number; nanosec?: number } } | undefined)?.stamp;
  return BigInt(s?.sec ?? 0) * 1_000_000_000n + BigInt(s?.nanosec ?? 0);
}

function badMessage(topic: string, what: string, problems: { path: string; message: string }[]): Real2SimError {
  const unsupported = problems.find((p) => p.path.endsWith('.encoding'));
  if (unsupported) {
    return new Real2SimError('UNSUPPORTED', `${what} on '${topic}': ${unsupported.path} ${unsupported.message}.`, { topic, problems });
  }
  return new Real2SimError('BAD_IMAGE', `A ${what} on '${topic}' is invalid: ${formatProblems(problems)}.`, { topic, problems });
}

interface Pending {
  raw: RawImage;
  stampNs: bigint;
  logTime: bigint;
  payload: Uint8Array;
  /** Set for CompressedImage: pixels decoded only when the frame is used. */
  compressed?: Uint8Array;
}

/** A CompressedImage as a RawImage placeholder: sizes come from the decoded image later. */
function compressedRaw(msg: Record<string, unknown>, topic: string): { raw: RawImage; data: Uint8Array } {
  // a format that is not text names no known codec: it is refused just below
  const format = typeof msg['format'] === 'string' ? msg['format'] : '';
  const data = msg['data'];
  if (!(data instanceof Uint8Array)) throw new Real2SimError('BAD_IMAGE', `A CompressedImage on '${topic}' has no data.`, { topic });
  if (!/(jpeg|jpg|png)/i.test(format)) {
    throw new Real2SimError('UNSUPPORTED', `CompressedImage on '${topic}' has format '${format}'; only jpeg and png colour images are read.`, { topic, format });
  }
  const header = msg['header'] as { stamp: { sec: number; nanosec: number }; frame_id?: string };
  const raw: RawImage = {
    width: 0,
    height: 0,
    encoding: 'rgb8',
    bigEndian: false,
    step: 0,
    data: new Uint8Array(0),
    stamp: header.stamp.sec + header.stamp.nanosec * 1e-9,
    frameId: header.frame_id ?? '',
  };
  return { raw, data };
}

function decodeCompressed(p: Pending, topic: string): RawImage {
  if (!p.compressed) return p.raw;
  const img = decodeColorImage(p.compressed, `CompressedImage on '${topic}'`);
  const bpp = ENCODING_BYTES[img.encoding]!;
  return { ...p.raw, width: img.width, height: img.height, encoding: img.encoding, step: img.width * bpp, data: img.data };
}

/**
 * The selected frames of a recording, in time order. Each colour image is matched once every
 * message up to its stamp + tolerance has been read (or the recording ended), with a fresh
 * `FrameSync` holding it, the buffered depth images and the latest CameraInfo: the node's rule
 * applied to the one colour image.
 */
export async function* recordedFrames(rec: Recording, o: RecordedFrameOptions): AsyncGenerator<RecordedFrame> {
  const tolerance = o.tolerance ?? 0.02;
  const depthScale = o.depthScale ?? 0.001;
  const { topics, select = {} } = o;
  if (select.every !== undefined && !(select.every > 0)) throw new Real2SimError('BAD_INPUT', `--every must be a positive number of seconds, got ${select.every}`);
  const tolNs = BigInt(Math.round(tolerance * 1e9));
  let info: (CameraIntrinsics & { stamp: number }) | null = o.cameraInfo ? { ...o.cameraInfo, stamp: 0 } : null;
  const depths: { raw: RawImage; payload: Uint8Array }[] = [];
  const pending: Pending[] = [];
  let firstColour: number | undefined;
  let lastEmitted = -Infinity;
  let best: { frame: RecordedFrame; dt: number } | null = null;
  let newestNs = -1n;
  let done = false;

  const selectable = (stamp: number): boolean => {
    if (select.every !== undefined && stamp < lastEmitted + select.every - 1e-9) return false;
    return true;
  };

  const resolveOne = (p: Pending): RecordedFrame | null => {
    if (!info) return null;
    const colour = decodeCompressed(p, topics.image);
    const sync = new FrameSync({ tolerance, useDepth: topics.depth !== undefined, useMasks: false, capacity: depths.length + 1 });
    sync.pushColor(colour);
    for (const d of depths) sync.pushDepth(d.raw);
    sync.setCameraInfo(info);
    const m = sync.match();
    if (!m.ok || m.value.color !== colour) return null;
    const match: SyncMatch = m.value;
    const depthPayload = match.depth ? depths.find((d) => d.raw === match.depth)?.payload : undefined;
    const camera: CameraIntrinsics = { width: match.info.width, height: match.info.height, fx: match.info.fx, fy: match.info.fy, cx: match.info.cx, cy: match.info.cy };
    const h = createHash('sha256').update(p.compressed ?? p.payload);
    if (depthPayload) h.update(depthPayload);
    h.update(JSON.stringify([camera, depthScale]));
    return {
      stamp: colour.stamp,
      stampNs: p.stampNs,
      logTime: p.logTime,
      camera,
      contentHash: h.digest('hex'),
      assemble() {
        const f = assembleFrame(match, depthScale);
        if (!f.ok) throw new Real2SimError('SIZE_MISMATCH', `The synced frame at ${colour.stamp.toFixed(3)} s is inconsistent: ${formatProblems(f.problems)}.`, { stamp: colour.stamp });
        return f.value;
      },
    };
  };

  /** Matches pending colour images whose partners can no longer improve; returns frames to emit. */
  const drain = (all: boolean): RecordedFrame[] => {
    const out: RecordedFrame[] = [];
    while (pending.length > 0 && (all || pending[0]!.stampNs + tolNs < newestNs)) {
      const p = pending.shift()!;
      if (!selectable(p.raw.stamp)) continue;
      const f = resolveOne(p);
      if (!f) continue;
      if (select.at !== undefined) {
        const target = select.at >= 1e9 ? select.at : (firstColour ?? 0) + select.at;
        const dt = Math.abs(f.stamp - target);
        if (!best || dt < best.dt) best = { frame: f, dt };
        else if (f.stamp > target) done = true; // stamps only grow: nothing nearer follows
        continue;
      }
      lastEmitted = f.stamp;
      out.push(f);
    }
    // keep depth images that a pending (or the next) colour image may still pair with
    const horizon = Number((pending[0]?.stampNs ?? newestNs) - tolNs) * 1e-9 - 1;
    while (depths.length > 64 || (depths.length > 0 && depths[0]!.raw.stamp < horizon)) depths.shift();
    return out;
  };

  const wanted = [topics.image, topics.cameraInfo, ...(topics.depth ? [topics.depth] : [])];
  for await (const m of rec.messages(wanted, o.window)) {
    const msg = rec.decode(m);
    const stampNs = stampNsOf(msg);
    if (m.topic === topics.cameraInfo) {
      const r = checkCameraInfo(msg, 'camera_info');
      if (!r.ok) throw new Real2SimError('BAD_CAMERA', `A CameraInfo on '${m.topic}' is invalid: ${formatProblems(r.problems)}.`, { topic: m.topic });
      info = r.value;
      continue;
    }
    if (stampNs > newestNs) newestNs = stampNs;
    if (m.topic === topics.depth) {
      const r = checkImage(msg, 'depth', DEPTH_ENCODINGS);
      if (!r.ok) throw badMessage(m.topic, 'depth image', r.problems);
      depths.push({ raw: r.value, payload: m.data });
    } else if (m.topic === topics.image) {
      if (select.stampNs !== undefined && stampNs !== select.stampNs) continue;
      let p: Pending;
      if (m.schemaName === COMPRESSED_TYPE) {
        const c = compressedRaw(msg, m.topic);
        p = { raw: c.raw, stampNs, logTime: m.logTime, payload: m.data, compressed: c.data };
      } else {
        const r = checkImage(msg, 'image', COLOR_ENCODINGS);
        if (!r.ok) throw badMessage(m.topic, 'colour image', r.problems);
        p = { raw: r.value, stampNs, logTime: m.logTime, payload: m.data };
      }
      firstColour ??= p.raw.stamp;
      pending.push(p);
    }
    for (const f of drain(false)) yield f;
    if (done) break;
  }
  if (!done) for (const f of drain(true)) yield f;
  if (best) yield (best as { frame: RecordedFrame }).frame;
}

/** `frame_<sec>.<nanosec>`: the folder name of a recorded frame's bundle (sorts by time). */
export function frameFolderName(stampNs: bigint): string {
  const sec = stampNs / 1_000_000_000n;
  const ns = stampNs % 1_000_000_000n;
  return `frame_${sec}.${ns.toString().padStart(9, '0')}`;
}

export type { RawMessage };
