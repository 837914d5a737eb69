/**
 * Cost of the quality metrics and of the image codecs, the two things `bench:quality` runs per
 * scene. `npm run bench -- metrics`. Medians of a few runs on a shared 2-core machine: noisy,
 * compare figures taken in the same run.
 */
import { generateSynthScene } from '../src/synth/synth.ts';
import { metricMetrics, paperMetrics } from '../src/eval/metrics.ts';
import { decodeColorImage, decodeDepthPng, encodeDepthPng, encodePng } from '../src/io/image.ts';
import { composePoses, quatFromRpy } from '../src/model/pose.ts';
import type { Scene } from '../src/model/scene.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function time<T>(runs: number, fn: () => T): { ms: number; last: T } {
  let last = fn(); // warm-up
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = fn();
    ts.push(performance.now() - t0);
  }
  return { ms: median(ts), last };
}

export default function run(): void {
  const { scene: truth, frame } = generateSynthScene({ seed: 1, minObjects: 5, maxObjects: 5, sharedMeshesDir: null });
  // a prediction: every object moved 1 cm and turned 3°
  const pred: Scene = {
    ...truth,
    objects: truth.objects.map((o) => ({ ...o, pose: composePoses({ position: [0.01, 0, 0], orientation: quatFromRpy(0, 0, (3 * Math.PI) / 180) }, o.pose) })),
  };
  const n = truth.objects.length;
  const paper = time(3, () => paperMetrics(pred, truth));
  console.log(
    `paperMetrics, ${n} objects × 20 480 samples, ICP 20 it: ${paper.ms.toFixed(0)} ms  (CD-S ${paper.last.cdS.toExponential(2)}, F-S ${paper.last.fScoreS.toFixed(3)}, IoU-B ${paper.last.iouB.toFixed(3)})`,
  );
  const metric = time(3, () => metricMetrics(pred, truth));
  console.log(`metricMetrics, ${n} objects × 20 480 samples: ${metric.ms.toFixed(0)} ms  (median Chamfer ${metric.last.chamferMm.median.toFixed(1)} mm)`);
  const png = encodePng(frame.color);
  const depthPng = encodeDepthPng(frame.depth!);
  console.log(`encodePng 640×480 rgb8: ${time(5, () => encodePng(frame.color)).ms.toFixed(1)} ms (${png.length} B)`);
  console.log(`decodeColorImage 640×480 PNG: ${time(5, () => decodeColorImage(png)).ms.toFixed(1)} ms`);
  console.log(`encodeDepthPng 640×480: ${time(5, () => encodeDepthPng(frame.depth!)).ms.toFixed(1)} ms (${depthPng.length} B)`);
  console.log(`decodeDepthPng 640×480: ${time(5, () => decodeDepthPng(depthPng)).ms.toFixed(1)} ms`);
}
