import type { ExcludedSegment } from '../model/report.ts';
import type { SceneConfidence } from '../model/scene.ts';
import type { OrganizedCloud } from './organized.ts';

/**
 * Whether the frame is a tabletop the pipeline can explain. A room, a corridor or a desk seen
 * from across the room also has a largest plane and things standing on it; what gives them away:
 * - the support plane holds little of the view (measured: tabletop frames 0.26–0.91 of the
 *   sampled points; the TUM desk 0.12, the SUN corridor 0.14);
 * - much of what stands above the plane is in no object (dropped: walls, chairs, shelves beyond
 *   the table; tabletops ≤ 0.05 of the valid pixels, the synthetic living room 0.21, TUM 0.47);
 * - segments implausibly large for an object were excluded (a desk, a wall, a robot arm).
 * Each failed check is a reason; any reason makes the confidence low. The score is the weakest
 * check's margin: 1 well inside every check, 0.5 at a threshold, 0 far outside.
 */
export interface ConfidenceInput {
  cloud: OrganizedCloud;
  heightOf: (x: number, y: number, z: number) => number;
  /** 1 on pixels of the emitted objects. */
  objectPixels: Uint8Array;
  /** Share of the sampled depth points on the support plane (ground stage). */
  inlierRatio: number;
  excluded: ExcludedSegment[];
  objects: number;
  /** Support-plane band, metres (the ground stage's inlier distance). */
  band?: number;
}

export const CONFIDENCE_LIMITS = {
  /** Below this share of the view on the support plane, the frame is not a tabletop. */
  minSupportShare: 0.2,
  /** Above this share of valid pixels standing above the plane in no object, too much was dropped. */
  maxDroppedShare: 0.12,
  /** Above this share of valid pixels in segments excluded as too large, objects are implausible. */
  maxTooLargeShare: 0.05,
};

export function sceneConfidence(input: ConfidenceInput): SceneConfidence {
  const { cloud, heightOf, objectPixels } = input;
  const band = input.band ?? 0.01;
  const P = cloud.positions;
  let valid = 0,
    dropped = 0;
  for (let i = 0; i < cloud.valid.length; i++) {
    if (!cloud.valid[i]) continue;
    valid++;
    if (objectPixels[i]) continue;
    if (heightOf(P[i * 3]!, P[i * 3 + 1]!, P[i * 3 + 2]!) > band) dropped++;
  }
  const droppedShare = valid ? dropped / valid : 1;
  const tooLarge = input.excluded.filter((e) => e.reason === 'too_large');
  const tooLargeShare = valid ? tooLarge.reduce((s, e) => s + e.pixels, 0) / valid : 0;
  const reasons: string[] = [];
  const L = CONFIDENCE_LIMITS;
  if (input.inlierRatio < L.minSupportShare) {
    reasons.push(
      `the support plane holds only ${pct(input.inlierRatio)} of the depth points (a tabletop view has over ${pct(L.minSupportShare)}): this does not look like objects on a table or floor`,
    );
  }
  if (droppedShare > L.maxDroppedShare) {
    reasons.push(`${pct(droppedShare)} of the depth pixels stand above the support in no object (walls, furniture, things beyond the table; limit ${pct(L.maxDroppedShare)})`);
  }
  if (tooLargeShare > L.maxTooLargeShare) {
    const big = Math.max(...tooLarge.map((e) => e.sizeM));
    reasons.push(`${tooLarge.length} segment${tooLarge.length === 1 ? '' : 's'} (${pct(tooLargeShare)} of the depth pixels, up to ${big.toFixed(2)} m) too large to be an object were left out`);
  }
  if (input.objects === 0) reasons.push('no object was found on the support');
  // margins: 1 at the good end, 0.5 at the limit, 0 at twice as bad
  const margin = (x: number, limit: number, higherIsBetter: boolean) => Math.max(0, Math.min(1, higherIsBetter ? x / (2 * limit) : 1 - x / (2 * limit)));
  const score = Math.min(
    margin(input.inlierRatio, L.minSupportShare, true),
    margin(droppedShare, L.maxDroppedShare, false),
    margin(tooLargeShare, L.maxTooLargeShare, false),
    input.objects === 0 ? 0.5 : 1,
  );
  return { level: reasons.length ? 'low' : 'high', score: Math.round(score * 1000) / 1000, reasons };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(0)} %`;
}
