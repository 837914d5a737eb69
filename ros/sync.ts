/**
 * Approximate time sync of colour, depth, masks and the latest CameraInfo.
 *
 * Each stream keeps only its last `capacity` checked messages (a fixed ring: a burst of
 * thousands of frames during a long reconstruction costs no memory growth). A match is the
 * newest colour image that has a depth (and masks, when used) within `tolerance` seconds and
 * forms a consistent frame with them and the CameraInfo (same sizes): each image may be valid on
 * its own while the pair is not, and such a pair must not hide an older good one. The match
 * says which newer pair it skipped and why. Pairs are also checked as they form (each push):
 * the newest consistent one is held beyond the rings, so a run of inconsistent frames longer
 * than the rings (a misconfigured publisher sending every other depth at another size) still
 * leaves the call a consistent frame. Pixels are converted only for the matched frame
 * (`assembleFrame`).
 */
import type { CameraIntrinsics } from '../src/model/camera.ts';
import type { ValidationProblem } from '../src/model/errors.ts';
import type { RgbdFrame } from '../src/model/frame.ts';
import { toColorImage, toDepthImage, toLabelImage, type RawImage, type Result } from './normalise.ts';

export interface SyncOptions {
  tolerance: number;
  useDepth: boolean;
  useMasks: boolean;
  /** Messages kept per stream. */
  capacity?: number;
  /** Resolved topic names (after namespace and remaps), for the messages that name them. */
  topics?: { image: string; depth: string; cameraInfo: string; masks: string };
}

export interface SyncMatch {
  color: RawImage;
  depth?: RawImage;
  masks?: RawImage;
  info: CameraIntrinsics & { stamp: number };
  stamp: number;
  /** The newest pair passed over for this one because it was inconsistent. */
  skipped?: { stamp: number; reason: string; count: number };
}

/** Why colour, depth, masks and CameraInfo cannot form one frame (sizes), or [] when they can. */
export function pairProblems(m: Pick<SyncMatch, 'color' | 'depth' | 'masks' | 'info'>): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const { color, depth, masks, info } = m;
  if (info.width !== color.width || info.height !== color.height) {
    problems.push({ path: 'camera_info', message: `is for ${info.width}×${info.height} but the colour image is ${color.width}×${color.height}; use the CameraInfo of this stream` });
  }
  if (depth && (depth.width !== color.width || depth.height !== color.height)) {
    problems.push({ path: 'depth', message: `is ${depth.width}×${depth.height} but the colour image is ${color.width}×${color.height}; depth must be aligned (registered) to the colour camera` });
  }
  if (masks && (masks.width !== color.width || masks.height !== color.height)) {
    problems.push({ path: 'masks', message: `is ${masks.width}×${masks.height} but the colour image is ${color.width}×${color.height}` });
  }
  return problems;
}

class Ring {
  readonly items: RawImage[] = [];
  constructor(private readonly capacity: number) {}
  push(img: RawImage): void {
    const last = this.items[this.items.length - 1];
    // A stamp far in the past means the source restarted (a bag looped, sim time reset).
    if (last && img.stamp < last.stamp - 1) this.items.length = 0;
    this.items.push(img);
    if (this.items.length > this.capacity) this.items.shift();
  }
  nearest(t: number): { img: RawImage; dt: number } | null {
    let best: { img: RawImage; dt: number } | null = null;
    for (const img of this.items) {
      const dt = Math.abs(img.stamp - t);
      if (!best || dt < best.dt) best = { img, dt };
    }
    return best;
  }
}

export class FrameSync {
  private readonly colors: Ring;
  private readonly depths: Ring;
  private readonly masks: Ring;
  private info: (CameraIntrinsics & { stamp: number }) | null = null;
  /** The newest consistent pair seen as pairs formed (may have left the rings since). */
  private good: SyncMatch | null = null;

  constructor(readonly options: SyncOptions) {
    const cap = options.capacity ?? 4;
    this.colors = new Ring(cap);
    this.depths = new Ring(cap);
    this.masks = new Ring(cap);
  }

  pushColor(img: RawImage): void {
    // The source restarted (see Ring.push): the held pair belongs to the old run.
    if (this.good && img.stamp < this.good.stamp - 1) this.good = null;
    this.colors.push(img);
    this.formPair();
  }
  pushDepth(img: RawImage): void {
    this.depths.push(img);
    this.formPair();
  }
  pushMasks(img: RawImage): void {
    this.masks.push(img);
    this.formPair();
  }
  setCameraInfo(info: CameraIntrinsics & { stamp: number }): void {
    this.info = info;
  }

  /** Checks the pairs the rings now form (sizes only: cheap) and holds the newest consistent one. */
  private formPair(): void {
    const m = this.scan();
    if (m.found && (!this.good || m.found.stamp > this.good.stamp)) this.good = m.found;
  }

  /** Newest colour with partners within tolerance that is consistent; the inconsistent newer ones. */
  private scan(): { found?: SyncMatch; skipped?: { stamp: number; reason: string; count: number }; skippedProblems: ValidationProblem[]; closest: number } {
    const { tolerance, useDepth, useMasks } = this.options;
    let closest = Infinity;
    let skipped: { stamp: number; reason: string; count: number } | undefined;
    let skippedProblems: ValidationProblem[] = [];
    if (!this.info || (useDepth && this.depths.items.length === 0) || (useMasks && this.masks.items.length === 0)) return { skippedProblems, closest };
    for (let i = this.colors.items.length - 1; i >= 0; i--) {
      const color = this.colors.items[i]!;
      const d = useDepth ? this.depths.nearest(color.stamp) : null;
      const m = useMasks ? this.masks.nearest(color.stamp) : null;
      const worst = Math.max(d?.dt ?? 0, m?.dt ?? 0);
      if (worst <= tolerance) {
        const candidate = { color, info: this.info, stamp: color.stamp, ...(d ? { depth: d.img } : {}), ...(m ? { masks: m.img } : {}) };
        const problems = pairProblems(candidate);
        if (problems.length === 0) return { found: candidate, ...(skipped ? { skipped } : {}), skippedProblems, closest };
        if (skipped) skipped.count++;
        else {
          skipped = { stamp: color.stamp, reason: problems.map((p) => `${p.path}: ${p.message}`).join('; '), count: 1 };
          skippedProblems = problems;
        }
        continue;
      }
      closest = Math.min(closest, worst);
    }
    return { ...(skipped ? { skipped } : {}), skippedProblems, closest };
  }

  /** Stamp of the newest colour image, or -Infinity. */
  get latestColorStamp(): number {
    return this.colors.items[this.colors.items.length - 1]?.stamp ?? -Infinity;
  }

  /** The newest complete frame, or a sentence saying what is missing. */
  match(): { ok: true; value: SyncMatch } | { ok: false; reason: string; problems?: ValidationProblem[]; waiting?: true } {
    const { tolerance, useDepth, useMasks } = this.options;
    const t = this.options.topics ?? { image: 'image', depth: 'depth', cameraInfo: 'camera_info', masks: 'masks' };
    // `waiting`: a stream has not started yet (a camera driver coming up, DDS discovery matching
    // one topic before another), as opposed to streams that do not fit together.
    if (this.colors.items.length === 0) return { ok: false, waiting: true, reason: `no colour image received yet on \`${t.image}\`` };
    if (!this.info) return { ok: false, waiting: true, reason: `no CameraInfo received yet on \`${t.cameraInfo}\`` };
    if (useDepth && this.depths.items.length === 0) return { ok: false, waiting: true, reason: `no depth image received yet on \`${t.depth}\`` };
    if (useMasks && this.masks.items.length === 0) return { ok: false, waiting: true, reason: `no mask image received yet on \`${t.masks}\`` };
    const { found, skipped, skippedProblems, closest } = this.scan();
    if (found) return { ok: true, value: { ...found, ...(skipped ? { skipped } : {}) } };
    if (skipped) {
      // Every synced pair in the rings is inconsistent: the newest consistent pair seen as pairs
      // formed, when one is held (and still agrees with the current CameraInfo).
      const good = this.good && pairProblems({ ...this.good, info: this.info }).length === 0 ? { ...this.good, info: this.info } : null;
      if (good) return { ok: true, value: { ...good, skipped } };
      return { ok: false, reason: `the synced frame is inconsistent: ${skipped.reason} (${skipped.count} synced pair(s) held, none consistent)`, problems: skippedProblems };
    }
    return {
      ok: false,
      reason: `no colour image has a ${useMasks ? 'depth/mask' : 'depth'} partner within sync_tolerance_s = ${tolerance} s (closest: ${closest.toFixed(4)} s); raise sync_tolerance_s or check the stamps`,
    };
  }
}

/** Converts a match into a model frame; size disagreements are problems, not exceptions. */
export function assembleFrame(m: SyncMatch, depthScale: number): Result<RgbdFrame> {
  const { color, depth, masks, info } = m;
  const problems = pairProblems(m);
  if (problems.length > 0) return { ok: false, problems };
  const frame: RgbdFrame = {
    color: toColorImage(color),
    camera: { width: info.width, height: info.height, fx: info.fx, fy: info.fy, cx: info.cx, cy: info.cy, ...(color.frameId || info.frameId ? { frameId: color.frameId || info.frameId! } : {}) },
    stamp: color.stamp,
    ...(color.frameId ? { frameId: color.frameId } : {}),
  };
  if (depth) frame.depth = toDepthImage(depth, depthScale);
  if (masks) {
    const l = toLabelImage(masks);
    if (!l.ok) return l;
    frame.masks = l.value;
  }
  return { ok: true, value: frame, warnings: [] };
}
