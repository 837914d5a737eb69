import type { Pose } from '../../model/pose.ts';
import { transformPositions } from '../../model/pose.ts';
import type { ExcludedSegment } from '../../model/report.ts';
import type { OrganizedCloud } from '../organized.ts';
import { kthSmallest } from '../util.ts';

/**
 * Where objects can be. A robot arm, a bin wall or the room behind the table stands above the
 * support plane as much as an object does; the user says where objects may be (a box in the
 * support frame, a region of interest in the image) and how large one can plausibly be.
 * Segments outside are excluded (and reported), never emitted as objects.
 */
export interface ScopeOptions {
  /** Axis-aligned box in the support (world) frame, metres: [xmin, ymin, zmin, xmax, ymax, zmax]. */
  workspace?: readonly [number, number, number, number, number, number];
  /** Region of interest, one byte per pixel (row-major, the frame's size): non-zero = objects may be here. */
  roi?: Uint8Array;
  /** Largest plausible object, metres (longest side of its box, or its height). */
  maxObjectSize?: number;
  /** A segment is in the workspace / ROI when at least this share of its points / pixels are. */
  minInside?: number;
}

export const SCOPE_DEFAULTS = { maxObjectSize: 0.5, minInside: 0.5 };

export interface ScopeInput<T extends { id: number; pixels: Uint32Array }> {
  instances: T[];
  cloud: OrganizedCloud;
  /** Camera optical frame → support (world) frame. */
  cameraPose: Pose;
}

export function scopeInstances<T extends { id: number; pixels: Uint32Array }>(input: ScopeInput<T>, options: ScopeOptions = {}): { kept: T[]; excluded: ExcludedSegment[] } {
  const maxSize = options.maxObjectSize ?? SCOPE_DEFAULTS.maxObjectSize;
  const minInside = options.minInside ?? SCOPE_DEFAULTS.minInside;
  const { cloud, cameraPose } = input;
  const kept: T[] = [];
  const excluded: ExcludedSegment[] = [];
  for (const inst of input.instances) {
    const world = worldPoints(inst.pixels, cloud, cameraPose);
    const sizeM = robustSize(world);
    const exclude = (reason: ExcludedSegment['reason']) => excluded.push({ id: inst.id, reason, sizeM, pixels: inst.pixels.length });
    if (options.roi) {
      let inside = 0;
      for (const i of inst.pixels) if (options.roi[i]) inside++;
      if (inside < minInside * inst.pixels.length) {
        exclude('outside_roi');
        continue;
      }
    }
    if (options.workspace && world.length > 0) {
      const [x0, y0, z0, x1, y1, z1] = options.workspace;
      let inside = 0;
      for (let k = 0; k < world.length; k += 3) {
        const x = world[k]!,
          y = world[k + 1]!,
          z = world[k + 2]!;
        if (x >= x0 && x <= x1 && y >= y0 && y <= y1 && z >= z0 && z <= z1) inside++;
      }
      if (inside < minInside * (world.length / 3)) {
        exclude('outside_workspace');
        continue;
      }
    }
    if (maxSize > 0 && sizeM > maxSize) {
      exclude('too_large');
      continue;
    }
    kept.push(inst);
  }
  return { kept, excluded };
}

function worldPoints(pixels: Uint32Array, cloud: OrganizedCloud, pose: Pose): Float32Array {
  const step = Math.max(1, Math.floor(pixels.length / 4000));
  const pts: number[] = [];
  for (let k = 0; k < pixels.length; k += step) {
    const i = pixels[k]!;
    if (!cloud.valid[i]) continue;
    pts.push(cloud.positions[i * 3]!, cloud.positions[i * 3 + 1]!, cloud.positions[i * 3 + 2]!);
  }
  return transformPositions(pose, Float32Array.from(pts));
}

/**
 * Size of a segment in the support frame, robust to stray pixels: the 2nd–98th percentile
 * extents along the principal directions of its footprint, and its 98th-percentile height;
 * the largest of the three.
 */
export function robustSize(world: Float32Array): number {
  const n = world.length / 3;
  if (n < 3) return 0;
  let mx = 0,
    my = 0;
  for (let k = 0; k < n; k++) {
    mx += world[k * 3]! / n;
    my += world[k * 3 + 1]! / n;
  }
  let sxx = 0,
    sxy = 0,
    syy = 0;
  for (let k = 0; k < n; k++) {
    const dx = world[k * 3]! - mx,
      dy = world[k * 3 + 1]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const theta = 0.5 * Math.atan2(2 * sxy, sxx - syy);
  const c = Math.cos(theta),
    s = Math.sin(theta);
  const a = new Float64Array(n),
    b = new Float64Array(n),
    z = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const dx = world[k * 3]! - mx,
      dy = world[k * 3 + 1]! - my;
    a[k] = c * dx + s * dy;
    b[k] = -s * dx + c * dy;
    z[k] = world[k * 3 + 2]!;
  }
  // the order statistics a sort would put there, by selection (three sorts of up to 4000 before)
  const q = (v: Float64Array, p: number) => kthSmallest(v, Math.min(v.length - 1, Math.floor(p * v.length)));
  const span = (v: Float64Array) => {
    const hi = q(v, 0.98);
    return hi - q(v, 0.02);
  };
  return Math.max(span(a), span(b), Math.max(0, q(z, 0.98)));
}
