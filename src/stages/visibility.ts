import { invertPose, quatToMat3 } from '../model/pose.ts';
import type { ShapeView } from './backends.ts';

/** What one depth view says about a world point. */
export const Seen = {
  /** Outside the image, behind the camera, or no depth there. */
  Unknown: 0,
  /** The camera saw past it: the point is in observed empty space. */
  Free: 1,
  /** On the observed surface (within tolerance). */
  Surface: 2,
  /** Behind the observed surface: hidden. */
  Hidden: 3,
} as const;
export type Seen = (typeof Seen)[keyof typeof Seen];

/**
 * Visibility queries against one depth view: project a world point into the camera and
 * compare its depth with the observed depth. Tolerance grows with depth like sensor noise.
 */
export class ViewCheck {
  /** |observed − point depth| / tolerance of the last `Surface` answer, in [0, 1]. */
  lastResidual = 0;
  private readonly r: number[];
  private readonly t: [number, number, number];
  constructor(
    readonly view: ShapeView,
    readonly tolAbs = 0.003,
    readonly tolRel = 0.005,
  ) {
    const inv = invertPose(view.cameraPose);
    this.r = quatToMat3(inv.orientation);
    this.t = inv.position;
  }

  /** Rotation (row-major) and translation taking world points into the optical frame. */
  get worldToOptical(): { r: readonly number[]; t: readonly [number, number, number] } {
    return { r: this.r, t: this.t };
  }

  classify(x: number, y: number, z: number, extraTol = 0): Seen {
    const r = this.r;
    return this.classifyOptical(r[0]! * x + r[1]! * y + r[2]! * z + this.t[0], r[3]! * x + r[4]! * y + r[5]! * z + this.t[1], r[6]! * x + r[7]! * y + r[8]! * z + this.t[2], extraTol);
  }

  /** As `classify`, for a point already in the optical frame (hot loops transform once). */
  classifyOptical(qx: number, qy: number, qz: number, extraTol = 0): Seen {
    if (!(qz > 1e-6)) return Seen.Unknown;
    const c = this.view.camera;
    const u = Math.round((c.fx * qx) / qz + c.cx),
      v = Math.round((c.fy * qy) / qz + c.cy);
    if (u < 0 || v < 0 || u >= c.width || v >= c.height) return Seen.Unknown;
    const obs = this.view.depth.data[v * c.width + u]!;
    if (!(obs > 0) || !Number.isFinite(obs)) return Seen.Unknown;
    const tol = this.tolAbs + this.tolRel * qz + extraTol;
    if (obs > qz + tol) return Seen.Free;
    if (obs >= qz - tol) {
      this.lastResidual = Math.abs(obs - qz) / tol;
      return Seen.Surface;
    }
    return Seen.Hidden;
  }
}
