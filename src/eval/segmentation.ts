import { hungarian } from './metrics/hungarian.ts';

/**
 * Instance segmentation scored as in the unseen-object-segmentation literature (OSD/OCID
 * evaluation of UOIS-Net, UCN, MSMFormer):
 * - overlap: every (true, predicted) pair gets the F-measure of its pixel overlap; the Hungarian
 *   method matches true and predicted masks for the largest total F; precision = matched overlap
 *   pixels / all predicted object pixels, recall = matched overlap pixels / all true object
 *   pixels.
 * - boundary: the same matching; a mask's boundary pixels (the DAVIS `seg2bmap` rule) count as
 *   found when a boundary pixel of the matched mask lies within `boundaryPixels` (a disk; the
 *   protocol's 0.003 × image diagonal, rounded up: 3 px at 640 × 480).
 * - detected: true objects whose matched F reaches `detectF` (0.75).
 * Label images: 0 = background, any other value = one instance.
 */
export interface SegmentationScore {
  overlapP: number;
  overlapR: number;
  overlapF: number;
  boundaryP: number;
  boundaryR: number;
  boundaryF: number;
  /** True objects, predicted objects, true objects matched with F ≥ `detectF`. */
  trueObjects: number;
  predictedObjects: number;
  detected: number;
  /** detected / trueObjects (1 when both are empty). */
  detectedShare: number;
  /** Per true object (ascending id): its id, the matched predicted id (0 = none) and the pair's F. */
  perObject: { trueId: number; predictedId: number; f: number }[];
}

export interface ScoreOptions {
  /** Boundary tolerance in pixels; default ceil(0.003 · image diagonal). */
  boundaryPixels?: number;
  /** F a matched pair needs for its true object to count as detected. */
  detectF?: number;
}

export function scoreSegmentation(pred: Uint16Array | Uint8Array, truth: Uint16Array | Uint8Array, width: number, height: number, options: ScoreOptions = {}): SegmentationScore {
  if (pred.length !== width * height || truth.length !== width * height) {
    throw new RangeError(`label images must both be ${width}×${height} (${width * height} pixels); got ${pred.length} and ${truth.length}`);
  }
  const detectF = options.detectF ?? 0.75;
  const tol = options.boundaryPixels ?? Math.ceil(0.003 * Math.hypot(width, height));
  const tIds = idsOf(truth),
    pIds = idsOf(pred);
  const T = tIds.length,
    Pn = pIds.length;
  const base = { trueObjects: T, predictedObjects: Pn };
  // the protocol's edge cases: nothing predicted, nothing true, both empty
  if (T === 0 || Pn === 0) {
    const both = T === 0 && Pn === 0;
    return {
      overlapP: both || Pn === 0 ? 1 : 0,
      overlapR: both || T === 0 ? 1 : 0,
      overlapF: both ? 1 : 0,
      boundaryP: both || Pn === 0 ? 1 : 0,
      boundaryR: both || T === 0 ? 1 : 0,
      boundaryF: both ? 1 : 0,
      ...base,
      detected: 0,
      detectedShare: both ? 1 : 0,
      perObject: tIds.map((id) => ({ trueId: id, predictedId: 0, f: 0 })),
    };
  }
  const tIndex = new Map(tIds.map((id, k) => [id, k])),
    pIndex = new Map(pIds.map((id, k) => [id, k]));
  const tCount = new Float64Array(T),
    pCount = new Float64Array(Pn);
  const inter = Array.from({ length: T }, () => new Float64Array(Pn));
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!,
      p = pred[i]!;
    const ti = t ? tIndex.get(t)! : -1,
      pi = p ? pIndex.get(p)! : -1;
    if (ti >= 0) tCount[ti]!++;
    if (pi >= 0) pCount[pi]!++;
    if (ti >= 0 && pi >= 0) inter[ti]![pi]!++;
  }
  const F = inter.map((row, ti) =>
    Array.from(row, (x, pi) => {
      const prec = x / pCount[pi]!,
        rec = x / tCount[ti]!;
      return prec + rec > 0 ? (2 * prec * rec) / (prec + rec) : 0;
    }),
  );
  const assign = hungarian(F.map((row) => row.map((f) => -f)));
  const tBound = tIds.map((id) => boundaryMap(truth, id, width, height));
  const pBound = pIds.map((id) => boundaryMap(pred, id, width, height));
  let overlap = 0,
    bTpP = 0,
    bTpR = 0,
    detected = 0;
  const perObject: SegmentationScore['perObject'] = [];
  for (let ti = 0; ti < T; ti++) {
    const pi = assign[ti]!;
    // a zero-F pair is no match (the protocol's sums get nothing from it either)
    if (pi < 0 || F[ti]![pi]! <= 0) {
      perObject.push({ trueId: tIds[ti]!, predictedId: 0, f: 0 });
      continue;
    }
    overlap += inter[ti]![pi]!;
    const [fp, fr] = boundaryMatches(pBound[pi]!, tBound[ti]!, width, height, tol);
    bTpP += fp;
    bTpR += fr;
    const f = F[ti]![pi]!;
    if (f >= detectF) detected++;
    perObject.push({ trueId: tIds[ti]!, predictedId: pIds[pi]!, f });
  }
  const sum = (a: Float64Array) => a.reduce((s, x) => s + x, 0);
  const bPDen = pBound.reduce((s, b) => s + b.count, 0),
    bRDen = tBound.reduce((s, b) => s + b.count, 0);
  const overlapP = overlap / sum(pCount),
    overlapR = overlap / sum(tCount);
  const boundaryP = bPDen ? bTpP / bPDen : 0,
    boundaryR = bRDen ? bTpR / bRDen : 0;
  return {
    overlapP,
    overlapR,
    overlapF: fMeasure(overlapP, overlapR),
    boundaryP,
    boundaryR,
    boundaryF: fMeasure(boundaryP, boundaryR),
    ...base,
    detected,
    detectedShare: detected / T,
    perObject,
  };
}

function fMeasure(p: number, r: number): number {
  return p + r > 0 ? (2 * p * r) / (p + r) : 0;
}

function idsOf(labels: Uint16Array | Uint8Array): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < labels.length; i++) if (labels[i]) seen.add(labels[i]!);
  return [...seen].sort((a, b) => a - b);
}

interface BoundaryMap {
  /** 1 on boundary pixels. */
  map: Uint8Array;
  count: number;
}

/**
 * Boundary pixels of one instance, the DAVIS `seg2bmap` rule the protocol uses: a pixel whose
 * membership differs from its right, lower or lower-right neighbour (last row: right only; last
 * column: lower only; the last pixel never).
 */
export function boundaryMap(labels: Uint16Array | Uint8Array, id: number, width: number, height: number): BoundaryMap {
  const map = new Uint8Array(width * height);
  let count = 0;
  const at = (u: number, v: number) => labels[v * width + u] === id;
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const s = at(u, v);
      let b: boolean;
      if (v === height - 1 && u === width - 1) b = false;
      else if (v === height - 1) b = s !== at(u + 1, v);
      else if (u === width - 1) b = s !== at(u, v + 1);
      else b = s !== at(u + 1, v) || s !== at(u, v + 1) || s !== at(u + 1, v + 1);
      if (b) {
        map[v * width + u] = 1;
        count++;
      }
    }
  }
  return { map, count };
}

/** [predicted boundary pixels near the true boundary, true boundary pixels near the predicted one]. */
function boundaryMatches(pb: BoundaryMap, tb: BoundaryMap, width: number, height: number, tol: number): [number, number] {
  const near = (from: BoundaryMap, to: BoundaryMap): number => {
    const dil = dilateDisk(to.map, width, height, tol);
    let c = 0;
    for (let i = 0; i < from.map.length; i++) if (from.map[i] && dil[i]) c++;
    return c;
  };
  return [near(pb, tb), near(tb, pb)];
}

/** Binary dilation by a disk of radius r (offsets with du² + dv² ≤ r², skimage's `disk`). */
function dilateDisk(map: Uint8Array, width: number, height: number, r: number): Uint8Array {
  const out = new Uint8Array(map.length);
  const offs: [number, number][] = [];
  for (let dv = -r; dv <= r; dv++) for (let du = -r; du <= r; du++) if (du * du + dv * dv <= r * r) offs.push([du, dv]);
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      if (!map[v * width + u]) continue;
      for (const [du, dv] of offs) {
        const x = u + du,
          y = v + dv;
        if (x >= 0 && y >= 0 && x < width && y < height) out[y * width + x] = 1;
      }
    }
  }
  return out;
}

/** Mean of each figure over frames (the literature's overall numbers), plus pooled object counts. */
export function summariseScores(scores: SegmentationScore[]): SegmentationScore & { frames: number } {
  const n = scores.length;
  const mean = (k: keyof Pick<SegmentationScore, 'overlapP' | 'overlapR' | 'overlapF' | 'boundaryP' | 'boundaryR' | 'boundaryF'>) => (n ? scores.reduce((s, x) => s + x[k], 0) / n : 0);
  const trueObjects = scores.reduce((s, x) => s + x.trueObjects, 0);
  const detected = scores.reduce((s, x) => s + x.detected, 0);
  return {
    frames: n,
    overlapP: mean('overlapP'),
    overlapR: mean('overlapR'),
    overlapF: mean('overlapF'),
    boundaryP: mean('boundaryP'),
    boundaryR: mean('boundaryR'),
    boundaryF: mean('boundaryF'),
    trueObjects,
    predictedObjects: scores.reduce((s, x) => s + x.predictedObjects, 0),
    detected,
    detectedShare: trueObjects ? detected / trueObjects : 1,
    perObject: [],
  };
}

/** A fixed-width text table: one row per named score (overlap, boundary, objects detected). */
export function formatScoreTable(rows: { name: string; score: SegmentationScore }[]): string {
  const w = Math.max(5, ...rows.map((r) => r.name.length));
  const f = (x: number) => x.toFixed(3).padStart(6);
  const head = `${'frame'.padEnd(w)} | ${'ovl P'.padStart(6)} ${'ovl R'.padStart(6)} ${'ovl F'.padStart(6)} | ${'bnd P'.padStart(6)} ${'bnd R'.padStart(6)} ${'bnd F'.padStart(6)} | objects F≥0.75 | true pred`;
  const lines = rows.map(
    ({ name, score: s }) =>
      `${name.padEnd(w)} | ${f(s.overlapP)} ${f(s.overlapR)} ${f(s.overlapF)} | ${f(s.boundaryP)} ${f(s.boundaryR)} ${f(s.boundaryF)} | ${`${s.detected}/${s.trueObjects}`.padStart(5)} ${`${(100 * s.detectedShare).toFixed(0)} %`.padStart(6)}   | ${String(s.trueObjects).padStart(4)} ${String(s.predictedObjects).padStart(4)}`,
  );
  return [head, '-'.repeat(head.length), ...lines].join('\n');
}
