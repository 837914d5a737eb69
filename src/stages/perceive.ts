import type { RgbdFrame } from '../model/frame.ts';
import type { LabelImage } from '../model/image.ts';
import { Real2SimError } from '../model/errors.ts';
import { timeStage, type StageReport, type StageResult } from '../model/report.ts';
import type { SegmentationBackend } from './backends.ts';
import type { OrganizedCloud } from './organized.ts';
import { defined, pixelsByLabel } from './util.ts';
import { segmentGeometric } from './segment/geometric.ts';

export { creasePixels, pixelNormals } from './segment/creases.ts';
export { segmentGeometric };

/**
 * Stage 1, perceive: one instance mask per object.
 * - `given`: the frame's label image (or any `SegmentationBackend`, e.g. ONNX or the GPU host);
 * - `geometric`: points standing above the support plane, grouped by connected components on
 *   the depth image; neighbours are cut apart at depth jumps and at concave creases (where two
 *   surfaces meet in a valley, as an object against its neighbour), never at convex edges (a
 *   box's own corners). Needs the ground stage's plane first.
 */
export const PERCEIVE = 'perceive';

export interface PerceiveOptions {
  backend?: 'given' | 'geometric' | SegmentationBackend;
  /** Instances smaller than this are dropped (with a warning naming them). */
  minPixels?: number;
  /** geometric: a point belongs to an object when this far above the support plane, metres. */
  minHeight?: number;
  /** geometric: and no higher than this (walls, people leaning in). */
  maxHeight?: number;
  /** geometric: neighbours split when their depths differ by more than abs + rel·z metres. */
  jumpAbs?: number;
  jumpRel?: number;
  /**
   * geometric: split at concave creases sharper than this (degrees); 0 turns it off. Objects
   * standing on or against objects meet them in a valley; an object's own edges are convex.
   */
  creaseDeg?: number;
  /**
   * geometric: ... comparing normals this many pixels to either side (normals themselves from
   * differences half as far). Kinect-class depth is quantised in millimetre steps: at 3 px the
   * noise makes false creases everywhere below ~50°, and the narrow junction of a box standing
   * on a box was missed; 6 px at 45° finds it (tuned on the frames listed in docs/real-frames.md).
   */
  creaseRadius?: number;
  /** geometric: components smaller than this are not objects. */
  minSegmentPixels?: number;
  /** geometric: segments grow this many pixels into points between `skirtHeight` and `minHeight` above the plane. */
  skirtPixels?: number;
  skirtHeight?: number;
  /** geometric: no-depth holes up to this many pixels across inside one segment are filled. */
  holeSpan?: number;
  /**
   * geometric: pixels within this of the plane count as the visible support surface (the
   * ground stage's RANSAC inlier distance): its largest depth-continuous patch gives the
   * support's extent and its colour.
   */
  supportBand?: number;
  /**
   * geometric: a segment is kept only when at least this fraction of its points, dropped onto
   * the plane, land within the support patch's outline (grown by `extentMargin`): things beyond
   * the table's back edge (a wall, a shelf, people behind it) stand above the infinite plane
   * but not on the table. 0 turns it off.
   */
  minSupported?: number;
  extentMargin?: number;
  /**
   * geometric: pixels lower than this above the plane whose colour matches the support's are
   * support, not object. Smoothed real depth (hole-filled, spatially filtered) ramps from an
   * object's top down to the table over several pixels; those ramps would join neighbours along
   * the table. 0 turns it off.
   */
  tableColorHeight?: number;
  /** geometric: ... colour match = chroma Mahalanobis distance to the support's below this. */
  tableColorSigma?: number;
  /**
   * geometric: once segments are apart, each grows back this many pixels into the
   * support-coloured low pixels it touches (an object's own bottom rim that looked like the table),
   * so masks keep their bottoms and the shape stage's extrusion to the table matches them.
   */
  tableColorRegrow?: number;
  /**
   * geometric: the colour test runs only when the support is one colour: its chroma spread
   * (standard deviation along either axis) below this. A checkerboard or patterned cloth
   * matches half the objects on it (measured 0.04 on uoc_demo's wooden tables, 0.16–0.19 on
   * posecnn_lov_demo's checkerboard).
   */
  tableColorSpread?: number;
  /**
   * geometric: a segment smaller than this that touches a bigger one in the image and lies,
   * dropped onto the plane, mostly (`fragmentInside`) within the bigger one's footprint is part
   * of it: a bowl's lower wall under its overhanging rim, split off by the depth jump at the rim.
   * 0 turns it off.
   */
  fragmentPixels?: number;
  fragmentInside?: number;
  /**
   * geometric: segments grow this many pixels into the no-depth band along their outline: depth
   * sensors lose the last pixels of a silhouette (mixed foreground/background returns, projector
   * shadow), so the measured outline is a few pixels short of the object's (measured on
   * posecnn_lov_demo: most of the reprojected objects' pixels outside their masks had no depth).
   * Off by default: hand-labelled real data (OSD/mOSD) labels only measured pixels, and growing
   * 4 px cost 0.04 overlap F and 0.14 boundary F there (`npm run bench:real`).
   */
  edgeBandPixels?: number;
}

export const PERCEIVE_DEFAULTS: Required<Omit<PerceiveOptions, 'backend'>> & { backend: 'given' | 'geometric' } = {
  backend: 'given',
  minPixels: 20,
  minHeight: 0.008,
  maxHeight: 2.0,
  jumpAbs: 0.004,
  jumpRel: 0.02,
  creaseDeg: 45,
  creaseRadius: 6,
  minSegmentPixels: 150,
  skirtPixels: 6,
  skirtHeight: 0.003,
  holeSpan: 25,
  supportBand: 0.01,
  minSupported: 0.3,
  extentMargin: 0.03,
  tableColorHeight: 0.03,
  tableColorSigma: 1.5,
  tableColorRegrow: 30,
  tableColorSpread: 0.08,
  fragmentPixels: 3000,
  fragmentInside: 0.7,
  edgeBandPixels: 0,
};

export interface Instance {
  /** Instance id in `masks`. */
  id: number;
  label: string;
  /** Pixel indices v·width + u, ascending. */
  pixels: Uint32Array;
  score?: number;
}

export interface PerceiveInput {
  frame: RgbdFrame;
  cloud: OrganizedCloud;
  /** Height above the support plane of an optical-frame point (ground stage); geometric needs it. */
  heightOf?: (x: number, y: number, z: number) => number;
  /** Open-vocabulary prompts for a segmentation backend (what to look for). */
  prompts?: readonly string[];
}

export interface PerceiveOutput {
  masks: LabelImage;
  instances: Instance[];
}

export function perceive(options: PerceiveOptions = {}) {
  const o = { ...PERCEIVE_DEFAULTS, ...defined(options) };
  const backendName = typeof o.backend === 'string' ? o.backend : o.backend.name;
  return (input: PerceiveInput): Promise<StageResult<PerceiveOutput>> =>
    timeStage(PERCEIVE, backendName, async (report) => {
      let masks: LabelImage;
      let scores: Map<number, number> | undefined;
      if (o.backend === 'given') {
        if (!input.frame.masks) {
          throw new Real2SimError('BAD_INPUT', "The 'given' segmentation needs the frame's masks: pass --masks, or use the geometric segmentation.");
        }
        masks = input.frame.masks;
      } else if (o.backend === 'geometric') {
        if (!input.heightOf) throw new Real2SimError('INTERNAL', 'geometric segmentation needs the support plane: run ground first');
        masks = segmentGeometric(input.cloud, input.heightOf, o, input.frame.color);
      } else {
        const res = await o.backend.segment(input.frame, input.prompts);
        masks = res.masks;
        scores = res.scores;
      }
      if (masks.width !== input.cloud.width || masks.height !== input.cloud.height) {
        throw new Real2SimError('SIZE_MISMATCH', `Masks are ${masks.width}×${masks.height} but the depth is ${input.cloud.width}×${input.cloud.height}.`);
      }
      const instances = collectInstances(masks, o.minPixels, report);
      if (scores) {
        for (const inst of instances) {
          const s = scores.get(inst.id);
          if (s !== undefined) inst.score = s;
        }
      }
      report.counts['objects'] = instances.length;
      return { masks, instances };
    });
}

/** Instances of a label image, ascending id; ones under `minPixels` are dropped with a warning. */
export function collectInstances(masks: LabelImage, minPixels: number, report?: StageReport): Instance[] {
  const data = masks.data;
  let maxId = 0;
  for (let i = 0; i < data.length; i++) if (data[i]! > maxId) maxId = data[i]!;
  const lists = pixelsByLabel(data, maxId);
  const ids: number[] = [];
  for (let id = 1; id <= maxId; id++) if (lists[id]!.length > 0) ids.push(id);
  const out: Instance[] = [];
  for (const id of ids) {
    const pixels = lists[id]!;
    if (pixels.length < minPixels) {
      report?.warnings.push(`mask ${id} covers ${pixels.length} pixel${pixels.length === 1 ? '' : 's'} (< ${minPixels}): too small to reconstruct, skipped`);
      continue;
    }
    out.push({ id, label: masks.labels.get(id) ?? 'object', pixels });
  }
  return out;
}
