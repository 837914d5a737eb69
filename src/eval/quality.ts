import type { RgbdFrame } from '../model/frame.ts';
import { composePoses, invertPose, type Pose } from '../model/pose.ts';
import type { Scene } from '../model/scene.ts';
import { Real2SimError } from '../model/errors.ts';
import { generateSynthScene, type SynthObjectInfo } from '../synth/synth.ts';
import { matchObjects, metricMetrics, paperMetrics, type MetricRow, type PaperMetrics } from './metrics.ts';

/**
 * The `bench:quality` harness: a fixed, seeded set of synthetic scenes, each frame handed to
 * scene estimators through one stable interface, each prediction scored against the truth with
 * both metric protocols (`metrics.ts`), per condition (given masks / noise / geometric
 * segmentation) and per shape kind.
 *
 * Frames: an estimator returns its scene in its own world frame (its own ground plane) with
 * `camera` set; the harness maps it into the truth's world through the one thing both share,
 * the camera: T = T_truth_camera ∘ T_pred_camera⁻¹. Nothing of the truth reaches the estimator
 * except through `ctx` (which an honest estimator ignores).
 */
export type SceneEstimator = (frame: RgbdFrame, ctx: { truth: Scene; masksGiven: boolean }) => Promise<Scene>;

export interface QualityCondition {
  name: string;
  noise: boolean;
  masksGiven: boolean;
}

export const QUALITY_CONDITIONS: readonly QualityCondition[] = [
  { name: 'given masks, noiseless depth', noise: false, masksGiven: true },
  { name: 'given masks, sensor noise', noise: true, masksGiven: true },
  { name: 'geometric segmentation, noiseless depth', noise: false, masksGiven: false },
];

export interface QualityOptions {
  seeds: readonly number[];
  conditions?: readonly QualityCondition[];
  /** Name → estimator; `needsMasks` estimators are skipped where masks are not given. */
  estimators: Record<string, { estimate: SceneEstimator; needsMasks?: boolean }>;
  /** Surface samples per object for both protocols (the papers use 20 480). */
  samples?: number;
  sharedMeshesDir?: string | null;
  /** Objects with more visible pixels than this count for the found fraction. */
  minVisiblePixels?: number;
  /** Centre distance gate (m) for matching when masks are not given. */
  matchGate?: number;
  onProgress?: (done: number, total: number, what: string) => void;
}

export interface Stat {
  median: number;
  mean: number;
  n: number;
}

export interface ShapeRow {
  shape: string;
  n: number;
  iouB: Stat;
  cdO: Stat;
  fScoreO: Stat;
  centreErrorMm: Stat;
  sizeErrorPct: Stat;
  yawErrorDeg: Stat;
  /** Yaw error over the matched objects that are not rotationally symmetric (truth symmetry other than 'continuous'). */
  yawErrorAsymDeg: Stat;
  /** Matched truth objects with continuous symmetry / those the prediction reports as 'continuous'. */
  roundObjects: number;
  roundReportedRound: number;
  /** Matched objects that are not continuous / those the prediction also reports as not continuous. */
  otherObjects: number;
  otherReportedOther: number;
  chamferMm: Stat;
  chamferSampledMm: Stat;
}

export interface EstimatorResult {
  /** Per scene, then summarised over scenes. */
  paper: Record<'cdS' | 'fScoreS' | 'iouB' | 'cdO' | 'fScoreO' | 'volumeIoU', Stat>;
  /** Over all matched objects of all scenes. */
  metric: Record<'centreErrorMm' | 'sizeErrorPct' | 'yawErrorDeg' | 'yawErrorAsymDeg' | 'chamferMm' | 'chamferSampledMm', Stat>;
  /** How the reported symmetry agrees with the truth's: continuous (round) objects reported continuous, others reported as not. */
  symmetry: { round: number; roundReportedRound: number; other: number; otherReportedOther: number };
  perShape: ShapeRow[];
  /** Truth objects with > minVisiblePixels: how many were matched; predictions matched to nothing. */
  segmentation: { visibleObjects: number; found: number; foundFraction: number; predicted: number; spurious: number; spuriousFraction: number };
  timeMs: Stat;
  failures: { seed: number; error: string }[];
}

export interface QualityResult {
  seeds: number[];
  samples: number;
  conditions: { condition: QualityCondition; estimators: Record<string, EstimatorResult> }[];
}

export function stat(values: readonly number[]): Stat {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { median: NaN, mean: NaN, n: 0 };
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, mean: s.reduce((a, b) => a + b, 0) / s.length, n: s.length };
}

/** Moves a prediction into the truth's world through the two camera poses (see header). */
export function alignToTruthCamera(pred: Scene, truth: Scene): Scene {
  if (!pred.camera || !truth.camera) return pred;
  const T: Pose = composePoses(truth.camera.pose, invertPose(pred.camera.pose));
  return {
    ...pred,
    objects: pred.objects.map((o) => ({ ...o, pose: composePoses(T, o.pose) })),
    camera: { ...pred.camera, pose: truth.camera.pose },
  };
}

/** Visible pixel count per instance id of a label image. */
function visiblePixels(frame: RgbdFrame): Map<number, number> {
  const out = new Map<number, number>();
  const d = frame.masks?.data;
  if (!d) return out;
  for (let i = 0; i < d.length; i++) {
    const id = d[i]!;
    if (id) out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

interface Acc {
  paper: Record<string, number[]>;
  rows: (MetricRow & { kind: string })[];
  objs: { kind: string; iouB: number; cd: number; fScore: number }[];
  visible: number;
  found: number;
  predicted: number;
  spurious: number;
  times: number[];
  failures: { seed: number; error: string }[];
}

export async function runQuality(options: QualityOptions): Promise<QualityResult> {
  const conditions = options.conditions ?? QUALITY_CONDITIONS;
  const samples = options.samples ?? 20480;
  const minVisible = options.minVisiblePixels ?? 500;
  const gate = options.matchGate ?? 0.1;
  const names = Object.keys(options.estimators);
  if (names.length === 0) throw new Real2SimError('BAD_INPUT', 'runQuality needs at least one estimator');
  const result: QualityResult = { seeds: [...options.seeds], samples, conditions: [] };
  const total = conditions.length * options.seeds.length;
  let done = 0;
  // seeds outside, conditions inside: each (seed, noise) scene is generated once and shared by
  // the conditions that use it
  const accs = conditions.map(() => {
    const acc = new Map<string, Acc>();
    for (const n of names) {
      acc.set(n, { paper: {}, rows: [], objs: [], visible: 0, found: 0, predicted: 0, spurious: 0, times: [], failures: [] });
    }
    return acc;
  });
  for (const seed of options.seeds) {
    const scenes = new Map<boolean, ReturnType<typeof generateSynthScene>>();
    for (let ci = 0; ci < conditions.length; ci++) {
      const condition = conditions[ci]!;
      const acc = accs[ci]!;
      let synth = scenes.get(condition.noise);
      if (!synth) {
        synth = generateSynthScene(options.sharedMeshesDir === undefined ? { seed, noise: condition.noise } : { seed, noise: condition.noise, sharedMeshesDir: options.sharedMeshesDir });
        scenes.set(condition.noise, synth);
      }
      const truth = synth.scene;
      const kinds = new Map((truth.meta?.['objects'] as SynthObjectInfo[] | undefined)?.map((o) => [o.id, o.kind]) ?? []);
      const kindOf = (id: string) => kinds.get(id) ?? 'unknown';
      const visible = visiblePixels(synth.frame);
      const frame: RgbdFrame = { ...synth.frame };
      if (!condition.masksGiven) delete frame.masks;
      for (const name of names) {
        const est = options.estimators[name]!;
        if (est.needsMasks && !condition.masksGiven) continue;
        const a = acc.get(name)!;
        let pred: Scene;
        const t0 = performance.now();
        try {
          pred = await est.estimate(frame, { truth, masksGiven: condition.masksGiven });
        } catch (err) {
          a.failures.push({ seed, error: (err as Error).message.split('\n')[0]! });
          pred = { ...truth, objects: [], camera: truth.camera! };
        }
        a.times.push(performance.now() - t0);
        pred = alignToTruthCamera(pred, truth);
        if (!condition.masksGiven) {
          // ids from a segmentation are not the truth's: match by position only
          pred = {
            ...pred,
            objects: pred.objects.map((o) => {
              const copy = { ...o };
              delete copy.instanceId;
              return copy;
            }),
          };
        }
        const matches = matchObjects(pred, truth, condition.masksGiven ? {} : { maxCentreDistance: gate });
        const pm: PaperMetrics = paperMetrics(pred, truth, { samples, matches });
        const mm = metricMetrics(pred, truth, { samples, matches });
        for (const k of ['cdS', 'fScoreS', 'iouB', 'cdO', 'fScoreO', 'volumeIoU'] as const) (a.paper[k] ??= []).push(pm[k]);
        for (const o of pm.objects) a.objs.push({ kind: kindOf(truth.objects[o.truthIndex]!.id), iouB: o.iouB, cd: o.cd, fScore: o.fScore });
        // missed objects count as IoU-B 0 in the per-shape table too
        const matchedT = new Set(matches.map((m) => m[1]));
        truth.objects.forEach((t, ti) => {
          if (!matchedT.has(ti)) a.objs.push({ kind: kindOf(t.id), iouB: 0, cd: NaN, fScore: NaN });
        });
        for (const r of mm.rows) a.rows.push({ ...r, kind: kindOf(r.truthId) });
        truth.objects.forEach((t, ti) => {
          if ((visible.get(t.instanceId ?? -1) ?? 0) <= minVisible) return;
          a.visible++;
          if (matchedT.has(ti)) a.found++;
        });
        a.predicted += pred.objects.length;
        a.spurious += pred.objects.length - matches.length;
      }
      options.onProgress?.(++done, total, `${condition.name} seed ${seed}`);
    }
  }
  for (let ci = 0; ci < conditions.length; ci++) {
    const condition = conditions[ci]!;
    const acc = accs[ci]!;
    const estimators: Record<string, EstimatorResult> = {};
    for (const name of names) {
      const a = acc.get(name)!;
      if (a.times.length === 0) continue;
      const byKind = new Map<string, { objs: Acc['objs']; rows: Acc['rows'] }>();
      for (const o of a.objs) {
        if (!byKind.has(o.kind)) byKind.set(o.kind, { objs: [], rows: [] });
        byKind.get(o.kind)!.objs.push(o);
      }
      for (const r of a.rows) {
        if (!byKind.has(r.kind)) byKind.set(r.kind, { objs: [], rows: [] });
        byKind.get(r.kind)!.rows.push(r);
      }
      estimators[name] = {
        paper: {
          cdS: stat(a.paper['cdS'] ?? []),
          fScoreS: stat(a.paper['fScoreS'] ?? []),
          iouB: stat(a.paper['iouB'] ?? []),
          cdO: stat(a.paper['cdO'] ?? []),
          fScoreO: stat(a.paper['fScoreO'] ?? []),
          volumeIoU: stat(a.paper['volumeIoU'] ?? []),
        },
        metric: {
          centreErrorMm: stat(a.rows.map((r) => r.centreErrorM * 1000)),
          sizeErrorPct: stat(a.rows.map((r) => r.sizeErrorPct)),
          yawErrorDeg: stat(a.rows.map((r) => r.yawErrorDeg)),
          yawErrorAsymDeg: stat(a.rows.filter((r) => r.symmetry !== 'continuous').map((r) => r.yawErrorDeg)),
          chamferMm: stat(a.rows.map((r) => r.chamferMm)),
          chamferSampledMm: stat(a.rows.map((r) => r.chamferSampledMm)),
        },
        symmetry: symmetryAgreement(a.rows),
        perShape: [...byKind.entries()]
          .sort((x, y) => x[0].localeCompare(y[0]))
          .map(([shape, g]) => ({
            shape,
            n: g.objs.length,
            iouB: stat(g.objs.map((o) => o.iouB)),
            cdO: stat(g.objs.map((o) => o.cd)),
            fScoreO: stat(g.objs.map((o) => o.fScore)),
            centreErrorMm: stat(g.rows.map((r) => r.centreErrorM * 1000)),
            sizeErrorPct: stat(g.rows.map((r) => r.sizeErrorPct)),
            yawErrorDeg: stat(g.rows.map((r) => r.yawErrorDeg)),
            yawErrorAsymDeg: stat(g.rows.filter((r) => r.symmetry !== 'continuous').map((r) => r.yawErrorDeg)),
            ...(({ round, roundReportedRound, other, otherReportedOther }) => ({ roundObjects: round, roundReportedRound, otherObjects: other, otherReportedOther }))(symmetryAgreement(g.rows)),
            chamferMm: stat(g.rows.map((r) => r.chamferMm)),
            chamferSampledMm: stat(g.rows.map((r) => r.chamferSampledMm)),
          })),
        segmentation: {
          visibleObjects: a.visible,
          found: a.found,
          foundFraction: a.visible > 0 ? a.found / a.visible : NaN,
          predicted: a.predicted,
          spurious: a.spurious,
          spuriousFraction: a.predicted > 0 ? a.spurious / a.predicted : 0,
        },
        timeMs: stat(a.times),
        failures: a.failures,
      };
    }
    result.conditions.push({ condition, estimators });
  }
  return result;
}

/** Round truth objects (continuous symmetry) reported continuous; the others reported as not continuous. */
function symmetryAgreement(rows: readonly MetricRow[]): EstimatorResult['symmetry'] {
  const round = rows.filter((r) => r.symmetry === 'continuous');
  const other = rows.filter((r) => r.symmetry !== 'continuous');
  return {
    round: round.length,
    roundReportedRound: round.filter((r) => r.predictedSymmetry === 'continuous').length,
    other: other.length,
    otherReportedOther: other.filter((r) => r.predictedSymmetry !== undefined && r.predictedSymmetry !== 'continuous').length,
  };
}

// ---------------------------------------------------------------------------------------------
// Tables

const f = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const line = (r: string[]) => r.map((c, k) => (k === 0 ? c.padEnd(w[k]!) : c.padStart(w[k]!))).join('  ');
  return [line(header), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)].join('\n');
}

/** Both protocols' tables (median and mean), estimators side by side, per condition. */
export function formatQuality(r: QualityResult): string {
  const out: string[] = [];
  for (const { condition, estimators } of r.conditions) {
    const names = Object.keys(estimators);
    if (names.length === 0) {
      out.push(`\n## ${condition.name}: no estimator applies (the baseline needs masks)`);
      continue;
    }
    out.push(`\n## ${condition.name} — ${r.seeds.length} scenes, ${r.samples} surface samples per object`);
    const paperRows: [string, keyof EstimatorResult['paper'], number][] = [
      ['CD-S', 'cdS', 4],
      ['F-Score-S', 'fScoreS', 3],
      ['IoU-B', 'iouB', 3],
      ['CD-O', 'cdO', 4],
      ['F-Score-O', 'fScoreO', 3],
      ['volume IoU', 'volumeIoU', 3],
    ];
    const header = ['paper protocol (per scene)', ...names.flatMap((n) => [`${n} median`, `${n} mean`])];
    out.push(
      table(
        header,
        paperRows.map(([label, k, d]) => [label, ...names.flatMap((n) => [f(estimators[n]!.paper[k].median, d), f(estimators[n]!.paper[k].mean, d)])]),
      ),
    );
    const metricRows: [string, keyof EstimatorResult['metric'], number][] = [
      ['centre error (mm)', 'centreErrorMm', 1],
      ['size error (%)', 'sizeErrorPct', 1],
      ['yaw error (deg)', 'yawErrorDeg', 1],
      // round objects' yaw error is 0 by definition: the pose target is on the others
      ['yaw error, not round (deg)', 'yawErrorAsymDeg', 1],
      ['Chamfer (mm)', 'chamferMm', 2],
      // the papers' sample-to-sample Chamfer, floor and all, beside the point-to-surface one
      ['Chamfer, sampled (mm)', 'chamferSampledMm', 2],
    ];
    out.push('');
    out.push(
      table(
        ['metric protocol (per object)', ...names.flatMap((n) => [`${n} median`, `${n} mean`])],
        metricRows.map(([label, k, d]) => [label, ...names.flatMap((n) => [f(estimators[n]!.metric[k].median, d), f(estimators[n]!.metric[k].mean, d)])]),
      ),
    );
    out.push('');
    out.push(
      table(
        ['segmentation / timing', ...names],
        [
          [
            'objects > 500 px found',
            ...names.map((n) => {
              const s = estimators[n]!.segmentation;
              return `${s.found}/${s.visibleObjects} (${f(100 * s.foundFraction, 1)} %)`;
            }),
          ],
          [
            'spurious predictions',
            ...names.map((n) => {
              const s = estimators[n]!.segmentation;
              return `${s.spurious}/${s.predicted} (${f(100 * s.spuriousFraction, 1)} %)`;
            }),
          ],
          ['time per frame (ms, median)', ...names.map((n) => f(estimators[n]!.timeMs.median, 0))],
          ['failures', ...names.map((n) => String(estimators[n]!.failures.length))],
          [
            'round objects reported round',
            ...names.map((n) => {
              const s = estimators[n]!.symmetry;
              return `${s.roundReportedRound}/${s.round}`;
            }),
          ],
          [
            'other objects reported not round',
            ...names.map((n) => {
              const s = estimators[n]!.symmetry;
              return `${s.otherReportedOther}/${s.other}`;
            }),
          ],
        ],
      ),
    );
    for (const n of names) {
      out.push(`\nper shape — ${n} (IoU-B/CD-O/F-O: mean over truth objects, missed = IoU 0; metric: median over matched)`);
      out.push(
        table(
          ['shape', 'n', 'IoU-B', 'CD-O', 'F-O', 'centre mm', 'size %', 'yaw °', 'yaw ° not round', 'sym. reported', 'Chamfer mm', 'Chamfer smp mm'],
          estimators[n]!.perShape.map((s) => [
            s.shape,
            String(s.n),
            f(s.iouB.mean, 3),
            f(s.cdO.mean, 4),
            f(s.fScoreO.mean, 3),
            f(s.centreErrorMm.median, 1),
            f(s.sizeErrorPct.median, 1),
            f(s.yawErrorDeg.median, 1),
            f(s.yawErrorAsymDeg.median, 1),
            `${s.roundReportedRound + s.otherReportedOther}/${s.roundObjects + s.otherObjects}`,
            f(s.chamferMm.median, 2),
            f(s.chamferSampledMm.median, 2),
          ]),
        ),
      );
      for (const fl of estimators[n]!.failures.slice(0, 5)) out.push(`  failure seed ${fl.seed}: ${fl.error}`);
    }
  }
  return out.join('\n');
}
