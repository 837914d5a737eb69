/**
 * The node's inputs: one subscription per stream (image, depth, masks, camera_info). Each message
 * is checked (`normalise.ts`) and pushed into the `FrameSync`, or reported (log + diagnostics,
 * rate-limited per topic) and dropped; nothing a message contains can throw through the
 * transport's executor.
 */
import type { ValidationProblem } from '../src/model/errors.ts';
import type { DiagnosticStatusMsg } from './messages.ts';
import { TYPES } from './messages.ts';
import { checkCameraInfo, checkImage, COLOR_ENCODINGS, DEPTH_ENCODINGS, formatProblems, LABEL_ENCODINGS, type RawImage } from './normalise.ts';
import { inputStatus, type NodeStats } from './outputs.ts';
import type { NodeParams } from './params.ts';
import type { FrameSync } from './sync.ts';
import type { NodeNames } from './nodeTypes.ts';
import type { Closeable, QosProfile, Transport } from './transport/types.ts';

export interface NodeInputsOptions {
  transport: Transport;
  params: NodeParams;
  names: NodeNames;
  stats: NodeStats;
  sync: FrameSync;
  /** Publishes diagnostics (an input problem's status). */
  diagnostics: (statuses: DiagnosticStatusMsg[]) => void;
  /** The subscriptions are added here (closed with the node). */
  entities: Closeable[];
  /** Minimum time between two input-problem reports for one topic (ms). */
  reportIntervalMs?: number;
}

/** Subscribes every input stream the parameters ask for. */
export function subscribeInputs(o: NodeInputsOptions): void {
  const { transport, params, names, stats, sync, entities } = o;
  const log = transport.log;
  const lastReport = new Map<string, number>();
  const reportInterval = o.reportIntervalMs ?? 1000;
  const reject = (topic: string, problems: ValidationProblem[]) => {
    stats.dropped[topic] = (stats.dropped[topic] ?? 0) + 1;
    const text = formatProblems(problems);
    stats.dropReasons[topic] = text;
    const now = Date.now();
    if (now - (lastReport.get(topic) ?? -Infinity) < reportInterval) return;
    lastReport.set(topic, now);
    log.warn(`dropped a message on ${topic} (${stats.dropped[topic]} so far): ${text}`);
    o.diagnostics([inputStatus(topic, text, stats.dropped[topic])]);
  };
  const guard = (topic: string, handle: (msg: unknown) => ValidationProblem[] | null) => (msg: unknown) => {
    stats.received[topic] = (stats.received[topic] ?? 0) + 1;
    try {
      const problems = handle(msg);
      if (problems) reject(topic, problems);
    } catch (err) {
      reject(topic, [{ path: topic, message: `could not be read: ${(err as Error).message}` }]);
    }
  };
  const imageInput = (topic: string, allowed: readonly string[], push: (img: RawImage) => void) =>
    guard(topic, (msg) => {
      const r = checkImage(msg, topic, allowed);
      if (!r.ok) return r.problems;
      push(r.value);
      return null;
    });
  const inputQos: QosProfile = { reliability: params.input_reliability, durability: 'volatile', depth: 5 };
  const sub = (topic: string, type: string, cb: (msg: unknown) => void, binary: boolean) => entities.push(transport.subscribe(topic, type, cb, { qos: inputQos, binary }));

  sub(
    names.image,
    TYPES.image,
    imageInput(names.image, COLOR_ENCODINGS, (i) => sync.pushColor(i)),
    true,
  );
  if (params.use_depth)
    sub(
      names.depth,
      TYPES.image,
      imageInput(names.depth, DEPTH_ENCODINGS, (i) => sync.pushDepth(i)),
      true,
    );
  if (params.use_masks)
    sub(
      names.masks,
      TYPES.image,
      imageInput(names.masks, LABEL_ENCODINGS, (i) => sync.pushMasks(i)),
      true,
    );
  const infoWarned = new Set<string>();
  sub(
    names.cameraInfo,
    TYPES.cameraInfo,
    guard(names.cameraInfo, (msg) => {
      const r = checkCameraInfo(msg, names.cameraInfo);
      if (!r.ok) return r.problems;
      for (const w of r.warnings) {
        if (infoWarned.has(w)) continue;
        infoWarned.add(w);
        log.warn(w);
      }
      sync.setCameraInfo(r.value);
      return null;
    }),
    false,
  );
}
