/**
 * ROS 2 recordings in MCAP (ROS 2's default storage since Iron): one `.mcap` file, or a rosbag2
 * folder (`metadata.yaml` + its `.mcap` files). Messages are CDR; they are decoded with the
 * message definitions the file itself stores in its schemas (`ros2msg` encoding), so no ROS
 * installation is needed.
 *
 * Indexed files (what `ros2 bag record` writes when it closes cleanly) are read through their
 * index: topics and time windows are read without scanning the rest. A file without a summary
 * (a recorder killed mid-write) is read front to back instead.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { hasMcapPrefix, McapIndexedReader, McapStreamReader, type DecompressHandlers, type McapTypes } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { parse as parseMessageDefinition } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { parse as parseYaml } from 'yaml';
import { Real2SimError } from '../model/errors.ts';

/** One topic of a recording. */
export interface RecordingTopic {
  topic: string;
  /** e.g. `sensor_msgs/msg/Image` */
  schemaName: string;
  messageCount?: number;
}

/** One message with its payload still CDR-encoded (decode with `Recording.decode`). */
export interface RawMessage {
  topic: string;
  schemaName: string;
  /** Receive time in the recording, nanoseconds. */
  logTime: bigint;
  data: Uint8Array;
}

let handlers: Promise<DecompressHandlers> | undefined;
/** zstd / lz4 / bz2 decompressors (WebAssembly), loaded once per process on first use. */
const decompressHandlers = (): Promise<DecompressHandlers> => (handlers ??= loadDecompressHandlers());

interface Part {
  path: string;
  indexed?: McapIndexedReader;
  close: () => Promise<void>;
  channels: Map<number, McapTypes.Channel>;
  schemas: Map<number, McapTypes.Schema>;
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isFile() ?? false;
}

/** The `.mcap` files of a recording path, in recording order, with the name the outputs use. */
export async function recordingFiles(path: string): Promise<{ name: string; files: string[] }> {
  const abs = resolve(path);
  const st = await stat(abs).catch((e: NodeJS.ErrnoException) => {
    throw new Real2SimError(
      'BAD_FILE',
      `Cannot read the recording '${path}': ${e.code === 'ENOENT' ? 'no such file or folder' : e.message}. Give an .mcap file or a rosbag2 folder (with metadata.yaml).`,
      { path },
    );
  });
  if (st.isFile()) return { name: basename(abs).replace(/\.mcap$/i, ''), files: [abs] };
  const meta = join(abs, 'metadata.yaml');
  if (!(await isFile(meta))) {
    throw new Real2SimError('BAD_FILE', `'${path}' is a folder without metadata.yaml, so not a rosbag2 recording. Give an .mcap file or the folder \`ros2 bag record\` wrote.`, { path });
  }
  let info: Record<string, unknown>;
  try {
    const doc = parseYaml(await readFile(meta, 'utf8')) as { rosbag2_bagfile_information?: Record<string, unknown> } | null;
    info = doc?.rosbag2_bagfile_information ?? {};
  } catch (cause) {
    throw new Real2SimError('BAD_FILE', `'${meta}' is not valid YAML: ${(cause as Error).message}.`, { path: meta }, cause);
  }
  const storage = info['storage_identifier'];
  if (storage !== undefined && storage !== 'mcap') {
    throw new Real2SimError(
      'UNSUPPORTED',
      `The rosbag2 recording '${path}' is stored as '${typeof storage === 'string' ? storage : JSON.stringify(storage)}'; only MCAP is read. Convert it with \`ros2 bag convert\` (output storage_id: mcap).`,
      { path, storage },
    );
  }
  const rel = Array.isArray(info['relative_file_paths']) ? (info['relative_file_paths'] as unknown[]).filter((p): p is string => typeof p === 'string') : [];
  const files = rel.map((r) => join(abs, r));
  if (files.length === 0) throw new Real2SimError('BAD_FILE', `'${meta}' lists no recording files (relative_file_paths).`, { path: meta });
  for (const f of files) {
    if (!(await isFile(f))) throw new Real2SimError('BAD_FILE', `The rosbag2 recording '${path}' lists '${basename(f)}' but the file is missing.`, { path: f });
  }
  return { name: basename(abs), files };
}

async function openPart(path: string): Promise<Part> {
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new Real2SimError('BAD_FILE', `Cannot open the recording '${path}': ${e.code === 'ENOENT' ? 'no such file' : e.message}.`, { path });
  });
  try {
    const head = new Uint8Array(8);
    await fh.read(head, 0, 8, 0);
    if (!hasMcapPrefix(new DataView(head.buffer))) {
      throw new Real2SimError('BAD_FILE', `'${path}' is not an MCAP file (no MCAP magic bytes). Record with \`ros2 bag record -s mcap\` or convert with \`ros2 bag convert\`.`, { path });
    }
    const decompress = await decompressHandlers();
    try {
      const indexed = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(fh), decompressHandlers: decompress });
      // a summary without chunk indexes cannot find messages: fall through to the scan
      if (indexed.chunkIndexes.length === 0) throw new Error('no chunk index');
      return { path, indexed, close: () => fh.close(), channels: new Map(indexed.channelsById), schemas: new Map(indexed.schemasById) };
    } catch {
      // No usable summary (an unfinished recording): scan it front to back.
      const part: Part = { path, close: () => fh.close(), channels: new Map(), schemas: new Map() };
      for await (const rec of streamRecords(fh, decompress, path)) {
        if (rec.type === 'Schema') part.schemas.set(rec.id, rec);
        else if (rec.type === 'Channel') part.channels.set(rec.id, rec);
      }
      return part;
    }
  } catch (e) {
    await fh.close();
    throw e;
  }
}

async function* streamRecords(fh: import('node:fs/promises').FileHandle, decompress: DecompressHandlers, path: string): AsyncGenerator<McapTypes.TypedMcapRecord> {
  const reader = new McapStreamReader({ decompressHandlers: decompress, validateCrcs: true });
  const buf = new Uint8Array(1 << 20);
  let pos = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    reader.append(buf.slice(0, bytesRead));
    let rec: McapTypes.TypedMcapRecord | undefined;
    try {
      while ((rec = reader.nextRecord())) yield rec;
    } catch (cause) {
      throw new Real2SimError('BAD_FILE', `'${path}' is a corrupt MCAP file: ${(cause as Error).message}.`, { path }, cause);
    }
  }
}

/** An open recording: its topics, messages in time order, and CDR decoding by schema. */
export class Recording {
  private readonly readers = new Map<number, MessageReader>();

  private constructor(
    readonly name: string,
    readonly files: string[],
    private readonly parts: Part[],
  ) {}

  static async open(path: string): Promise<Recording> {
    const { name, files } = await recordingFiles(path);
    const parts: Part[] = [];
    try {
      for (const f of files) parts.push(await openPart(f));
    } catch (e) {
      await Promise.all(parts.map((p) => p.close()));
      throw e;
    }
    return new Recording(name, files, parts);
  }

  async close(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.close()));
  }

  /** Topics with their message types (and counts where the file's statistics give them). */
  topics(): RecordingTopic[] {
    const byTopic = new Map<string, RecordingTopic>();
    for (const p of this.parts) {
      for (const ch of p.channels.values()) {
        const schemaName = p.schemas.get(ch.schemaId)?.name ?? '';
        const count = p.indexed?.statistics?.channelMessageCounts.get(ch.id);
        const t = byTopic.get(ch.topic) ?? { topic: ch.topic, schemaName };
        if (count !== undefined) t.messageCount = (t.messageCount ?? 0) + Number(count);
        byTopic.set(ch.topic, t);
      }
    }
    return [...byTopic.values()].sort((a, b) => a.topic.localeCompare(b.topic));
  }

  /**
   * Messages on `topics` in log-time order, optionally within [start, end] ns. CDR payloads
   * are returned as they are; only channels whose schema is `ros2msg` are accepted.
   */
  async *messages(topics: readonly string[], window: { start?: bigint; end?: bigint } = {}): AsyncGenerator<RawMessage> {
    const wanted = new Set(topics);
    for (const part of this.parts) {
      const schemaOf = (channelId: number): { topic: string; schemaName: string } | null => {
        const ch = part.channels.get(channelId);
        if (!ch || !wanted.has(ch.topic)) return null;
        return { topic: ch.topic, schemaName: part.schemas.get(ch.schemaId)?.name ?? '' };
      };
      if (part.indexed) {
        const args = { topics: [...wanted], ...(window.start !== undefined ? { startTime: window.start } : {}), ...(window.end !== undefined ? { endTime: window.end } : {}) };
        try {
          for await (const m of part.indexed.readMessages(args)) {
            const s = schemaOf(m.channelId);
            if (s) yield { ...s, logTime: m.logTime, data: m.data };
          }
        } catch (cause) {
          if (cause instanceof Real2SimError) throw cause;
          throw new Real2SimError('BAD_FILE', `Cannot read messages from '${part.path}': ${(cause as Error).message}.`, { path: part.path }, cause);
        }
      } else {
        const fh = await open(part.path, 'r');
        try {
          for await (const rec of streamRecords(fh, await decompressHandlers(), part.path)) {
            if (rec.type !== 'Message') continue;
            if ((window.start !== undefined && rec.logTime < window.start) || (window.end !== undefined && rec.logTime > window.end)) continue;
            const s = schemaOf(rec.channelId);
            if (s) yield { ...s, logTime: rec.logTime, data: rec.data };
          }
        } finally {
          await fh.close();
        }
      }
    }
  }

  /** Decodes a message's CDR payload with the definitions stored in the recording. */
  decode(msg: RawMessage): Record<string, unknown> {
    const key = this.parts.findIndex((p) => [...p.channels.values()].some((c) => c.topic === msg.topic));
    const part = this.parts[key];
    const ch = part && [...part.channels.values()].find((c) => c.topic === msg.topic);
    const schema = ch ? part.schemas.get(ch.schemaId) : undefined;
    if (!part || !ch || !schema) throw new Real2SimError('BAD_FILE', `Topic '${msg.topic}' has no schema in the recording.`, { topic: msg.topic });
    const id = key * 1_000_000 + ch.id;
    let reader = this.readers.get(id);
    if (!reader) {
      if (ch.messageEncoding !== 'cdr' || schema.encoding !== 'ros2msg') {
        throw new Real2SimError(
          'UNSUPPORTED',
          `Topic '${msg.topic}' is encoded as '${ch.messageEncoding}' with a '${schema.encoding}' schema; only ROS 2 CDR messages with ros2msg definitions are read.`,
          { topic: msg.topic, messageEncoding: ch.messageEncoding, schemaEncoding: schema.encoding },
        );
      }
      try {
        reader = new MessageReader(parseMessageDefinition(new TextDecoder().decode(schema.data), { ros2: true }));
      } catch (cause) {
        throw new Real2SimError('BAD_FILE', `The recording's definition of '${schema.name}' does not parse: ${(cause as Error).message}.`, { topic: msg.topic }, cause);
      }
      this.readers.set(id, reader);
    }
    try {
      return reader.readMessage<Record<string, unknown>>(msg.data);
    } catch (cause) {
      throw new Real2SimError('BAD_FILE', `A '${schema.name}' message on '${msg.topic}' does not decode: ${(cause as Error).message}.`, { topic: msg.topic }, cause);
    }
  }
}
