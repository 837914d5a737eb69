import type { ColorImage, LabelImage } from '../model/image.ts';
import type { PointCloud } from '../model/geometry.ts';
import { transformPositions, type Pose } from '../model/pose.ts';
import { timeStage, type StageResult } from '../model/report.ts';
import { statisticalOutliers } from '../geometry/outliers.ts';
import type { OrganizedCloud } from './organized.ts';
import type { Instance } from './perceive.ts';
import { defined } from './util.ts';
import { inThread, type TaskRef, type TaskRunner } from './tasks.ts';

/**
 * Stage 2, lift: each instance's pixels → a partial point cloud in the camera optical frame
 * (and in the world frame once the ground stage has run). Removed on the way:
 * - flying pixels: depth strictly between a much nearer and a much farther neighbour (mixed
 *   returns at depth discontinuities);
 * - mask edge pixels whose depth disagrees with the mask's interior next to them (a mask
 *   that spills over onto the background or a neighbour), instead of blindly eroding: on a
 *   clean frame the silhouette pixels are good data and keep the object's full width;
 * - points below or on the support plane (mask bleeding onto the table);
 * - statistical outliers (k nearest neighbours).
 */
export const LIFT = 'lift';

export interface LiftOptions {
  /** A neighbour is "much" nearer/farther beyond abs + rel·z metres. */
  jumpAbs?: number;
  jumpRel?: number;
  /** Points this close above the support plane (metres) count as the plane, not the object. */
  minHeight?: number;
  /** Statistical outlier removal: neighbours and σ multiple; k = 0 turns it off. */
  outlierK?: number;
  outlierStd?: number;
  /** At most this many points per object (an even subsample of its pixels). */
  maxPoints?: number;
  /** An object keeps at least this many points after filtering, or is dropped with a warning. */
  minPoints?: number;
  /**
   * false: every pixel with depth is kept, none of the filters above runs (no subsample either).
   * For depth a model estimated (the single-image path): its points are whatever the model says,
   * with no sensor artefacts to remove, and a pose model reads all of them. Default true.
   */
  filter?: boolean;
  /** Runs the per-object outlier search (default: in this thread); same result either way. */
  runner?: TaskRunner;
}

/** Statistical outlier removal of one object's points as a task: 1 = keep. */
export function outlierTask(t: { positions: Float32Array; k: number; std: number }): Uint8Array {
  return statisticalOutliers(t.positions, t.k, t.std);
}
export const OUTLIER_TASK: TaskRef<{ positions: Float32Array; k: number; std: number }, Uint8Array> = { module: import.meta.url, name: 'outlierTask', fn: outlierTask };

export const LIFT_DEFAULTS: Required<Omit<LiftOptions, 'runner'>> = {
  filter: true,
  jumpAbs: 0.004,
  jumpRel: 0.015,
  minHeight: 0.003,
  outlierK: 12,
  outlierStd: 2.5,
  maxPoints: 8000,
  minPoints: 12,
};

export interface LiftedObject {
  id: number;
  label: string;
  /** Pixels whose points were kept, ascending. */
  pixels: Uint32Array;
  /** Optical frame, with colours when the frame has them. */
  cloud: PointCloud;
  /** The same points in the world frame (when a camera pose was given), xyz interleaved. */
  world?: Float32Array;
  /** Pixels of the instance before filtering (mask area). */
  maskPixels: number;
}

export interface LiftInput {
  cloud: OrganizedCloud;
  masks: LabelImage;
  instances: Instance[];
  color?: ColorImage;
  cameraPose?: Pose;
  heightOf?: (x: number, y: number, z: number) => number;
}

export interface LiftOutput {
  objects: LiftedObject[];
}

export function lift(options: LiftOptions = {}) {
  const o = { ...LIFT_DEFAULTS, ...defined(options) };
  return (input: LiftInput): Promise<StageResult<LiftOutput>> =>
    timeStage(LIFT, 'depth', async (report) => {
      const { cloud, masks, instances, color } = input;
      const { width: w, height: h, positions: P, valid } = cloud;
      const rgb = color && color.encoding === 'rgb8' && color.width === w && color.height === h ? color.data : undefined;
      const objects: LiftedObject[] = [];
      let flying = 0,
        edges = 0,
        plane = 0,
        outliers = 0,
        noDepth = 0;
      // in-mask neighbours' depths of the pixel at hand (at most 8), without a growing array
      const near = new Float64Array(8);
      // pass 1, here: each instance's pixels that survive the image-space filters
      const staged: { inst: Instance; pix: Uint32Array; pos: Float32Array }[] = [];
      for (const inst of instances) {
        // the kept pixel ids (at most all of the instance's), in a typed buffer: no growing array
        const kept = new Uint32Array(inst.pixels.length);
        let nKept = 0;
        for (let k = 0; k < inst.pixels.length; k++) {
          const i = inst.pixels[k]!;
          if (!valid[i]) {
            noDepth++;
            continue;
          }
          if (!o.filter) {
            kept[nKept++] = i;
            continue;
          }
          const z = P[i * 3 + 2]!;
          const jump = o.jumpAbs + o.jumpRel * z;
          const u = i % w,
            v = (i - u) / w;
          let nearer = false,
            farther = false,
            boundary = false;
          let nNear = 0;
          for (let dv = -1; dv <= 1; dv++) {
            for (let du = -1; du <= 1; du++) {
              if (du === 0 && dv === 0) continue;
              const uu = u + du,
                vv = v + dv;
              if (uu < 0 || vv < 0 || uu >= w || vv >= h) continue;
              const j = vv * w + uu;
              const inMask = masks.data[j] === inst.id;
              if (!inMask) boundary = true;
              if (!valid[j]) continue;
              const zj = P[j * 3 + 2]!;
              if (zj < z - jump) nearer = true;
              else if (zj > z + jump) farther = true;
              if (inMask) near[nNear++] = zj;
            }
          }
          if (nearer && farther) {
            flying++;
            continue;
          }
          if (boundary) {
            // compare with the in-mask neighbours: a spilled pixel sits on another surface
            if (nNear === 0) {
              edges++;
              continue;
            }
            // insertion sort of the few depths (the same order as sorting them ascending)
            for (let a = 1; a < nNear; a++) {
              const x = near[a]!;
              let b = a - 1;
              for (; b >= 0 && near[b]! > x; b--) near[b + 1] = near[b]!;
              near[b + 1] = x;
            }
            const med = near[nNear >> 1]!;
            if (Math.abs(z - med) > jump) {
              edges++;
              continue;
            }
          }
          if (input.heightOf && input.heightOf(P[i * 3]!, P[i * 3 + 1]!, z) < o.minHeight) {
            plane++;
            continue;
          }
          kept[nKept++] = i;
        }
        // an even subsample bounds the cost of what follows (outlier search, completion)
        let pix: Uint32Array;
        if (o.filter && nKept > o.maxPoints) {
          const step = nKept / o.maxPoints;
          pix = new Uint32Array(Math.ceil(o.maxPoints));
          for (let k = 0; k < o.maxPoints; k++) pix[k] = kept[Math.floor(k * step)]!;
        } else pix = kept.slice(0, nKept);
        const pos = new Float32Array(pix.length * 3);
        // element copies: a subarray view per point costs more than the copy
        for (let k = 0; k < pix.length; k++) {
          const q = pix[k]! * 3;
          pos[k * 3] = P[q]!;
          pos[k * 3 + 1] = P[q + 1]!;
          pos[k * 3 + 2] = P[q + 2]!;
        }
        staged.push({ inst, pix, pos });
      }
      // pass 2, per object (worker threads when a runner is given): statistical outliers
      const searched = staged.filter((x) => o.filter && o.outlierK > 0 && x.pix.length > o.outlierK * 2);
      const keeps = await (options.runner ?? inThread)(
        OUTLIER_TASK,
        searched.map((x) => ({ positions: x.pos, k: o.outlierK, std: o.outlierStd })),
      );
      const keepOf = new Map(searched.map((x, k) => [x, keeps[k]!]));
      for (const x of staged) {
        const inst = x.inst;
        let pix = x.pix,
          pos = x.pos;
        const keep = keepOf.get(x);
        if (keep) {
          const sel: number[] = [];
          for (let k = 0; k < keep.length; k++) if (keep[k]) sel.push(k);
          outliers += pix.length - sel.length;
          if (sel.length < pix.length) {
            const np = new Float32Array(sel.length * 3);
            for (let k = 0; k < sel.length; k++) {
              const q = sel[k]! * 3;
              np[k * 3] = pos[q]!;
              np[k * 3 + 1] = pos[q + 1]!;
              np[k * 3 + 2] = pos[q + 2]!;
            }
            const sp = new Uint32Array(sel.length);
            for (let k = 0; k < sel.length; k++) sp[k] = pix[sel[k]!]!;
            pix = sp;
            pos = np;
          }
        }
        if (pix.length < o.minPoints) {
          report.warnings.push(
            `object ${inst.id} (${inst.label}): ${pix.length} usable depth points of ${inst.pixels.length} mask pixels (< ${o.minPoints}): no depth to reconstruct it from, skipped`,
          );
          continue;
        }
        const colors = rgb ? new Uint8Array(pix.length * 3) : undefined;
        if (colors && rgb) {
          for (let k = 0; k < pix.length; k++) {
            const q = pix[k]! * 3;
            colors[k * 3] = rgb[q]!;
            colors[k * 3 + 1] = rgb[q + 1]!;
            colors[k * 3 + 2] = rgb[q + 2]!;
          }
        }
        objects.push({
          id: inst.id,
          label: inst.label,
          pixels: pix,
          cloud: colors ? { positions: pos, colors } : { positions: pos },
          ...(input.cameraPose ? { world: transformPositions(input.cameraPose, pos) } : {}),
          maskPixels: inst.pixels.length,
        });
      }
      Object.assign(report.counts, { objects: objects.length, flyingPixels: flying, edgePixels: edges, planePixels: plane, outliers, noDepthPixels: noDepth });
      return { objects };
    });
}
