/**
 * ROS node speed and memory:
 * 1. normalising one 640×480 `rgb8` + `16UC1` pair (check both messages, pair, convert to the
 *    model frame) — target < 5 ms, for each field layout the transports deliver;
 * 2. a burst of 1000 frames arriving while a reconstruction is in progress (plus a Trigger call
 *    every 10 frames, answered busy) — target: memory grows < 50 MB;
 * 3. Trigger → MarkerArray on real graphs (rclnodejs, rosbridge on ROS 2 and ROS 1) beside the
 *    in-process transport, and the bridge's robustness (`rosGraph.ts`).
 * Timings on shared machines drift; the figures are medians.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { generateSynthScene } from '../src/synth/synth.ts';
import { TYPES, type TriggerResponse } from '../ros/messages.ts';
import { startSceneNode, type PipelineResult } from '../ros/node.ts';
import { checkImage, COLOR_ENCODINGS, DEPTH_ENCODINGS } from '../ros/normalise.ts';
import { assembleFrame } from '../ros/sync.ts';
import { checkCameraInfo } from '../ros/normalise.ts';
import { MemoryGraph } from '../ros/transport/memory.ts';
import { QOS_SENSOR } from '../ros/transport/types.ts';
import { frameMessages } from '../ros/encode.ts';
import { rosGraphBench } from './rosGraph.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function memoryMb(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  // arrayBuffers are counted inside external.
  return (m.heapUsed + m.external) / 2 ** 20;
}

export default async function bench(): Promise<void> {
  const { scene: _scene, frame } = generateSynthScene({ seed: 1, width: 640, height: 480, sharedMeshesDir: null });
  void _scene;
  const info = checkCameraInfo(frameMessages(frame, 1).info);
  if (!info.ok) throw new Error('camera info');

  // --- 1. normalisation ---------------------------------------------------------------------
  const cases = [
    { name: 'typed arrays (rclnodejs, rosbridge CBOR)', o: { layout: 'typed' as const } },
    { name: 'base64 strings (rosbridge JSON)', o: { layout: 'base64' as const } },
    { name: 'typed, 64 B row padding, big-endian depth', o: { layout: 'typed' as const, pad: 64, bigEndian: true } },
  ];
  console.log('normalise 640×480 rgb8 + 16UC1 pair (check + pair + convert), median of 60:');
  for (const c of cases) {
    const msgs = frameMessages(frame, 1, c.o);
    const times: number[] = [];
    for (let k = 0; k < 60; k++) {
      const t0 = performance.now();
      const color = checkImage(msgs.image, 'image', COLOR_ENCODINGS);
      const depth = checkImage(msgs.depth, 'depth', DEPTH_ENCODINGS);
      if (!color.ok || !depth.ok) throw new Error('bench input rejected');
      const f = assembleFrame({ color: color.value, depth: depth.value, info: info.value, stamp: 1 }, 0.001);
      if (!f.ok) throw new Error('bench frame rejected');
      times.push(performance.now() - t0);
    }
    const ms = median(times);
    console.log(`  ${c.name.padEnd(44)} ${ms.toFixed(2)} ms  (${ms < 5 ? 'ok' : 'OVER'} < 5 ms target)`);
  }

  // --- 2. burst during a reconstruction -----------------------------------------------------
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const pipeline = async (): Promise<PipelineResult> => {
    await gate;
    return { scene: { version: 1, frameId: 'world', objects: [], reports: [] }, bundleDir: '/tmp/none', urdf: '<robot/>', sdf: '<sdf/>' };
  };
  const graph = new MemoryGraph();
  const node = await startSceneNode({ transport: graph.participant('real2sim', { quiet: true }), pipeline });
  const cam = graph.participant('camera');
  const pubs = {
    image: cam.advertise('/image', TYPES.image, { qos: QOS_SENSOR }),
    depth: cam.advertise('/depth', TYPES.image, { qos: QOS_SENSOR }),
    info: cam.advertise('/camera_info', TYPES.cameraInfo, { qos: QOS_SENSOR }),
  };
  const base = frameMessages(frame, 1);
  const send = (k: number) => {
    // Fresh buffers per frame, as a transport delivers them.
    const stamp = { sec: 10 + Math.floor(k / 30), nanosec: (k % 30) * 33_000_000 };
    pubs.info.publish({ ...base.info, header: { stamp, frame_id: 'cam' } });
    pubs.depth.publish({ ...base.depth, header: { stamp, frame_id: 'cam' }, data: new Uint8Array(base.depth!['data'] as Uint8Array) });
    pubs.image.publish({ ...base.image, header: { stamp, frame_id: 'cam' }, data: new Uint8Array(base.image['data'] as Uint8Array) });
  };
  send(0);
  const running = cam.callService('/reconstruct', TYPES.trigger, {}, { timeoutMs: 600_000 }) as Promise<TriggerResponse>;
  await new Promise((r) => setTimeout(r, 10));
  const before = memoryMb();
  const t0 = performance.now();
  const busy: Promise<unknown>[] = [];
  let peak = before;
  for (let k = 1; k <= 1000; k++) {
    send(k);
    if (k % 10 === 0) busy.push(cam.callService('/reconstruct', TYPES.trigger, {}, { timeoutMs: 1000 }));
    if (k % 100 === 0) {
      await new Promise((r) => setImmediate(r));
      peak = Math.max(peak, memoryMb());
    }
  }
  const elapsed = performance.now() - t0;
  const after = memoryMb();
  const answers = (await Promise.all(busy)) as TriggerResponse[];
  release();
  const first = await running;
  await node.close();
  const growth = after - before;
  console.log(`burst of 1000 640×480 rgb8 + 16UC1 frames during a reconstruction: ${(elapsed / 1000).toFixed(2)} s (${(elapsed / 1000).toFixed(2)} ms/frame)`);
  console.log(`  memory (heap + external, after GC): before ${before.toFixed(1)} MB, after ${after.toFixed(1)} MB, peak ${peak.toFixed(1)} MB`);
  console.log(`  growth ${growth.toFixed(1)} MB (${growth < 50 ? 'ok' : 'OVER'} < 50 MB target); peak growth ${(peak - before).toFixed(1)} MB`);
  console.log(`  ${answers.filter((a) => a.message.startsWith('busy')).length}/${answers.length} requests during the run answered busy; the run itself: success = ${first.success}`);
  console.log(`  received ${node.stats.received['/image']} images, dropped ${node.stats.dropped['/image'] ?? 0}`);

  // --- 3. real graphs -------------------------------------------------------------------------
  await rosGraphBench();
}

if (import.meta.url === `file://${process.argv[1]}`) await bench();
