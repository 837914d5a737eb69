/**
 * Soak of the node in continuous mode (issue 19): `npm run bench -- soak`.
 *
 *   SOAK_SECONDS         phase 1 length (default 120): write_bundle: always, keep_last
 *   SOAK_CHANGE_SECONDS  phase 2 length (default SOAK_SECONDS / 2, at least 30; 0: no phase 2):
 *                        on_change on a static scene, 30 % inconsistent pairs, a client calling
 *                        back to back
 *   SOAK_RATE_HZ         rate_hz (default 1; a tick during a run is skipped, so the node runs
 *                        back to back when the pipeline is slower: its sustainable rate)
 *   SOAK_KEEP_LAST       keep_last (default 5)
 *   SOAK_CAMERA_HZ       camera rate (default 10)
 *   SOAK_NODE_ENV        environment for the node process instead of the launch file's glibc
 *                        malloc settings (NODE_MALLOC_ENV): `NAME=value` words separated by
 *                        spaces; `none`: glibc's defaults (for comparisons)
 *   SOAK_NODE_FLAGS      extra node/V8 flags for the node process, separated by spaces
 *   SOAK_NODE_LOG        write the node's output to this file (phase 2: with .2 appended)
 *
 * On a real ROS 2 graph (node, camera and client as separate processes, Cyclone DDS on
 * loopback) when one is installed; otherwise in-process, said in the output. The camera loops a
 * real 640×480 frame (../shared/data/uoc_demo/000000) when the data is there, else the
 * synthetic scene at 640×480. Reports disk use over time against the keep_last bound, memory
 * after warm-up and its growth — resident size, and apart from it the node's JavaScript heap
 * after a full GC (what a leak shows as), external and ArrayBuffer memory (ros/memory.ts) —,
 * errors, bundles written under on_change, the share of calls that succeed with inconsistent
 * pairs injected, and the 'busy' answers the sequential client got (0 expected: each soak has a
 * ROS_DOMAIN_ID of its own, checked to hold no other node).
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DATA, UOC } from '../test/realframes/frames.ts';
import { findRos2 } from '../test/ros/real/ros2.ts';
import { runSoak, type Growth, type SoakResult } from '../test/ros/real/soak.ts';
import { NODE_MALLOC_ENV } from '../ros/memory.ts';

const env = (name: string, def: number) => (process.env[name] ? Number(process.env[name]) : def);
const mb = (b: number) => (b / 1e6).toFixed(1);

export default async function bench(): Promise<void> {
  const seconds = env('SOAK_SECONDS', 120);
  const changeSeconds = env('SOAK_CHANGE_SECONDS', Math.max(30, seconds / 2));
  const t0 = new Date();
  const rateHz = env('SOAK_RATE_HZ', 1);
  const keepLast = env('SOAK_KEEP_LAST', 5);
  const cameraHz = env('SOAK_CAMERA_HZ', 10);
  const { ros2, why } = findRos2();
  if (!ros2) console.log(`no ROS 2 graph (${why}): running the node in-process on the memory transport instead`);
  const rgb = join(DATA, 'uoc_demo/000000-color.png');
  const real = existsSync(rgb) ? { rgb, depth: join(DATA, 'uoc_demo/000000-depth.png'), camera: UOC, depthScale: 0.001 } : undefined;
  if (!real) console.log(`no ${rgb}: the camera publishes the synthetic scene at 640×480`);
  const camera = { ...(real ? { real } : { seed: 7, width: 640, height: 480 }), rateHz: cameraHz };
  const what = real ? 'uoc_demo/000000 (real, 640×480)' : 'synthetic seed 7 (640×480)';
  const log = (l: string) => console.log(l);
  const given = process.env['SOAK_NODE_ENV'];
  const nodeEnv =
    given === undefined
      ? { ...NODE_MALLOC_ENV }
      : Object.fromEntries(
          given
            .split(/\s+/)
            .filter((w) => w.includes('='))
            .map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]),
        );
  const nodeFlags = (process.env['SOAK_NODE_FLAGS'] ?? '').split(/\s+/).filter(Boolean);
  if (nodeFlags.length > 0) console.log(`node flags: ${nodeFlags.join(' ')}`);
  if (Object.keys(nodeEnv).length > 0)
    console.log(
      `node environment: ${Object.entries(nodeEnv)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );

  console.log(`\nphase 1: continuous, write_bundle: always, keep_last: ${keepLast}, rate_hz: ${rateHz}, camera ${cameraHz} Hz ${what}, ${seconds} s`);
  console.log(`  started ${t0.toISOString()}`);
  const a = await runSoak({
    seconds,
    params: { rate_hz: rateHz, keep_last: keepLast },
    camera,
    nodeEnv,
    nodeFlags,
    ...(process.env['SOAK_NODE_LOG'] ? { nodeLog: process.env['SOAK_NODE_LOG'] } : {}),
    log,
  });
  report(a, keepLast);
  rmSync(a.outDir, { recursive: true, force: true });
  if (changeSeconds <= 0) return;

  console.log(`\nphase 2: continuous, write_bundle: on_change, static scene, 30 % inconsistent pairs, a client calling reconstruct back to back, ${changeSeconds} s`);
  const b = await runSoak({
    seconds: changeSeconds,
    params: { rate_hz: rateHz, keep_last: keepLast, write_bundle: 'on_change' },
    camera: { ...camera, bad: 0.3 },
    calls: true,
    nodeEnv,
    nodeFlags,
    ...(process.env['SOAK_NODE_LOG'] ? { nodeLog: `${process.env['SOAK_NODE_LOG']}.2` } : {}),
    log,
  });
  console.log(
    `  transport ${b.transport}${b.domainId ? ` (ROS_DOMAIN_ID ${b.domainId}, other nodes: ${b.foreignNodes.join(', ') || 'none'})` : ''}, ${b.seconds.toFixed(0)} s; runs ${b.stats.runs} (${b.stats.unchanged} unchanged), failures ${b.stats.failures}, error lines ${b.errorLines.length}`,
  );
  console.log(`  bundles written: ${b.stats.bundlesWritten} (target 1)`);
  console.log(
    `  calls: ${b.calls.ok}/${b.calls.made} succeeded = ${((100 * b.calls.ok) / Math.max(1, b.calls.made)).toFixed(1)} % (target ≥ 99 %; ${b.calls.startup} call(s) before the node had heard the camera, not counted); 'busy' answers to the sequential client: ${b.calls.busy} (target 0); newer inconsistent pairs skipped: ${b.stats.skippedInconsistent}`,
  );
  for (const f of b.calls.failures.slice(0, 3)) console.log(`    failed: ${f}`);
  memoryReport(b);
  rmSync(b.outDir, { recursive: true, force: true });
  console.log(`\nended ${new Date().toISOString()} (started ${t0.toISOString()})`);
}

function memoryReport(r: SoakResult): void {
  const m = r.memory;
  const g = (x: Growth | undefined) =>
    x
      ? `${x.warm.toFixed(1)} → ${x.end.toFixed(1)} MB: growth ${x.growth >= 0 ? '+' : ''}${x.growth.toFixed(1)} MB (trend ${x.perHour >= 0 ? '+' : ''}${x.perHour.toFixed(1)} MB/h), max ${x.max.toFixed(1)} MB`
      : 'not sampled';
  console.log(`  memory after warm-up (medians of the first and last quarter of the samples after warm-up; target growth ≤ 10 MB):`);
  console.log(`    RSS                       ${g(m.rss)}`);
  console.log(
    `      RSS 10th percentile (the floor it saws down to): ${m.rss.lowWarm.toFixed(1)} → ${m.rss.lowEnd.toFixed(1)} MB (${m.rss.lowEnd - m.rss.lowWarm >= 0 ? '+' : ''}${(m.rss.lowEnd - m.rss.lowWarm).toFixed(1)} MB)`,
  );
  console.log(
    `      RSS per window after warm-up (s: median / 10th percentile MB): ${m.rss.windows.map((w) => `${w.from.toFixed(0)}–${w.to.toFixed(0)}: ${w.median.toFixed(0)} / ${w.p10.toFixed(0)}`).join(' | ')}`,
  );
  console.log(`      runs per window after warm-up: ${runsPerWindow(r)}`);
  console.log(`    JS heap used ${!m.heap ? '             ' : m.afterGc ? 'after full GC' : '(no GC!)     '} ${g(m.heap)}`);
  console.log(`    worker threads' heaps     ${g(m.workerHeap)}`);
  console.log(`    external                  ${g(m.external)}`);
  console.log(`    ArrayBuffers              ${g(m.arrayBuffers)}`);
}

/** Runs the node finished in each memory window (RSS moves with the rate: a faster node holds more images in flight). */
function runsPerWindow(r: SoakResult): string {
  return r.memory.rss.windows
    .map((w) => {
      const inW = r.samples.filter((s) => s.t >= w.from && s.t <= w.to);
      return inW.length >= 2 ? `${inW[inW.length - 1]!.runs - inW[0]!.runs}` : '-';
    })
    .join(' | ');
}

function report(r: SoakResult, keepLast: number): void {
  const runs = r.stats.runs - r.stats.failures;
  console.log(
    `  transport ${r.transport}${r.domainId ? ` (ROS_DOMAIN_ID ${r.domainId}, other nodes: ${r.foreignNodes.join(', ') || 'none'})` : ''}, ${r.seconds.toFixed(0)} s, ${runs} runs (${(runs / r.seconds).toFixed(2)} /s), failures ${r.stats.failures}, error lines ${r.errorLines.length}`,
  );
  for (const l of r.errorLines.slice(0, 3)) console.log(`    ${l}`);
  if (r.cameraFrames !== undefined)
    console.log(
      `  camera: ${r.cameraFrames} frames published = ${(r.cameraFrames / r.seconds).toFixed(1)} Hz; colour images the node received: ${r.stats.imagesReceived ?? '?'} = ${((r.stats.imagesReceived ?? NaN) / r.seconds).toFixed(1)} Hz`,
    );
  console.log(`  bundles written ${r.stats.bundlesWritten}, removed ${r.stats.bundlesRemoved}, kept at the end ${r.stats.bundlesKept}`);
  console.log(
    `  on disk: at most ${r.maxBundles} bundle folder(s) (keep_last ${keepLast}), at most ${mb(r.maxBytes)} MB (bound: keep_last × largest bundle ${mb(r.largestBundleBytes)} MB = ${mb(keepLast * r.largestBundleBytes)} MB; room is made before each write)`,
  );
  const step = Math.max(1, Math.floor(r.samples.length / 8));
  console.log(
    `  over time (s: bundles, MB on disk, RSS MB): ${r.samples
      .filter((_, i) => i % step === 0 || i === r.samples.length - 1)
      .map((s) => `${s.t.toFixed(0)}: ${s.bundles}, ${mb(s.bytes)}, ${s.rssMb.toFixed(0)}`)
      .join(' | ')}`,
  );
  const gcd = r.samples.filter((s) => s.mem);
  const gstep = Math.max(1, Math.floor(gcd.length / 8));
  console.log(
    `  after GC over time (s: heap, worker heaps, external, ArrayBuffers MB): ${gcd
      .filter((_, i) => i % gstep === 0 || i === gcd.length - 1)
      .map((s) => `${s.t.toFixed(0)}: ${s.mem!.heapUsedMb.toFixed(1)}, ${s.mem!.workerHeapMb?.toFixed(1) ?? '-'}, ${s.mem!.externalMb.toFixed(1)}, ${s.mem!.arrayBuffersMb.toFixed(1)}`)
      .join(' | ')}`,
  );
  memoryReport(r);
}
