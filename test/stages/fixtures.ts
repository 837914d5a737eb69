import type { CameraIntrinsics } from '../../src/model/camera.ts';
import type { RgbdFrame } from '../../src/model/frame.ts';
import { composePoses, invertPose, quatFromAxisAngle, quatFromYaw, rotateVec, type Pose, type Vec3 } from '../../src/model/pose.ts';

/**
 * A tiny analytic ray caster for stage tests: a floor (z = 0), optionally a table top, and
 * boxes / upright cylinders / spheres standing on it, seen by a pinhole camera looking down.
 * Exact depth and instance masks, no dependency on the synthetic-scene generator.
 */
export type Solid =
  | { kind: 'box'; id: number; label?: string; centre: Vec3; size: Vec3; yaw: number }
  | { kind: 'cylinder'; id: number; label?: string; centre: Vec3; radius: number; height: number }
  | { kind: 'sphere'; id: number; label?: string; centre: Vec3; radius: number }
  | { kind: 'mug'; id: number; label?: string; centre: Vec3; radius: number; height: number; wall: number };

export interface FixtureOptions {
  width?: number;
  height?: number;
  /** Camera height above the floor and pitch below the horizon (radians). */
  camHeight?: number;
  pitch?: number;
  /** Camera position on the floor plane. */
  camXY?: [number, number];
  floor?: boolean;
  /** A table: top at this height covering |x|,|y| ≤ half extents around the origin. */
  table?: { top: number; half: [number, number] };
}

export const FIXTURE_CAMERA = (w = 320, h = 240): CameraIntrinsics => ({ width: w, height: h, fx: w * 0.82, fy: w * 0.82, cx: (w - 1) / 2, cy: (h - 1) / 2 });

/** Camera optical frame → world for a camera at (x, y, h) looking along +x, pitched down. */
export function cameraPoseFor(opts: FixtureOptions): Pose {
  const h = opts.camHeight ?? 0.8,
    pitch = opts.pitch ?? 0.8;
  const [cx, cy] = opts.camXY ?? [-0.8, 0];
  // optical (x right, y down, z forward) → body (x forward, y left, z up)
  const opticalToBody: Pose = { position: [0, 0, 0], orientation: [-0.5, 0.5, -0.5, 0.5] };
  const tilt: Pose = { position: [cx, cy, h], orientation: quatFromAxisAngle([0, 1, 0], pitch) };
  return composePoses(tilt, opticalToBody);
}

export function renderFixture(solids: Solid[], opts: FixtureOptions = {}): { frame: RgbdFrame; cameraPose: Pose } {
  const camera = FIXTURE_CAMERA(opts.width, opts.height);
  const pose = cameraPoseFor(opts);
  const { width: w, height: h } = camera;
  const depth = new Float32Array(w * h);
  const masks = new Uint16Array(w * h);
  const color = new Uint8Array(w * h * 3);
  const o = pose.position;
  for (let v = 0; v < h; v++) {
    for (let u = 0; u < w; u++) {
      const dOpt: Vec3 = [(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy, 1];
      const d = rotateVec(pose.orientation, dOpt); // world direction with optical z = 1
      let best = Infinity,
        id = 0;
      if (opts.floor !== false && d[2] < 0) {
        const t = -o[2] / d[2];
        if (t > 0) best = t;
      }
      if (opts.table && d[2] < 0) {
        const t = (opts.table.top - o[2]) / d[2];
        const x = o[0] + t * d[0],
          y = o[1] + t * d[1];
        if (t > 0 && t < best && Math.abs(x) <= opts.table.half[0] && Math.abs(y) <= opts.table.half[1]) best = t;
      }
      for (const s of solids) {
        const t = hit(s, o, d);
        if (t > 0 && t < best) {
          best = t;
          id = s.id;
        }
      }
      const i = v * w + u;
      if (Number.isFinite(best)) depth[i] = best; // t is optical z because dOpt.z = 1
      masks[i] = id;
      color.set(id ? [200, 40 * (id % 5), 90] : [120, 120, 120], i * 3);
    }
  }
  const labels = new Map(solids.map((s) => [s.id, s.label ?? s.kind]));
  return {
    frame: {
      color: { width: w, height: h, encoding: 'rgb8', data: color },
      depth: { width: w, height: h, data: depth },
      camera,
      masks: { width: w, height: h, data: masks, labels },
    },
    cameraPose: pose,
  };
}

function hit(s: Solid, o: Vec3, d: Vec3): number {
  switch (s.kind) {
    case 'box': {
      const inv = invertPose({ position: s.centre, orientation: quatFromYaw(s.yaw) });
      const lo = rotateVec(inv.orientation, [o[0] - s.centre[0], o[1] - s.centre[1], o[2] - s.centre[2]]);
      const ld = rotateVec(inv.orientation, d);
      let t0 = -Infinity,
        t1 = Infinity;
      for (let k = 0; k < 3; k++) {
        const half = s.size[k]! / 2;
        if (Math.abs(ld[k]!) < 1e-12) {
          if (Math.abs(lo[k]!) > half) return -1;
          continue;
        }
        let a = (-half - lo[k]!) / ld[k]!,
          b = (half - lo[k]!) / ld[k]!;
        if (a > b) [a, b] = [b, a];
        t0 = Math.max(t0, a);
        t1 = Math.min(t1, b);
      }
      return t0 <= t1 && t0 > 0 ? t0 : -1;
    }
    case 'sphere': {
      const ox = o[0] - s.centre[0],
        oy = o[1] - s.centre[1],
        oz = o[2] - s.centre[2];
      const a = d[0] ** 2 + d[1] ** 2 + d[2] ** 2,
        b = 2 * (ox * d[0] + oy * d[1] + oz * d[2]),
        c = ox * ox + oy * oy + oz * oz - s.radius ** 2;
      const disc = b * b - 4 * a * c;
      if (disc < 0) return -1;
      return (-b - Math.sqrt(disc)) / (2 * a);
    }
    case 'cylinder':
      return cylinderHit(o, d, s.centre, s.radius, s.centre[2] - s.height / 2, s.centre[2] + s.height / 2, false);
    case 'mug': {
      // open-topped cup: outer wall, inner wall seen from inside, inner floor at z0 + wall
      const z0 = s.centre[2] - s.height / 2,
        z1 = s.centre[2] + s.height / 2;
      const outer = cylinderHit(o, d, s.centre, s.radius, z0, z1, true);
      const inner = cylinderInside(o, d, s.centre, s.radius - s.wall, z0 + s.wall, z1);
      // rim annulus
      let rim = -1;
      if (Math.abs(d[2]) > 1e-12) {
        const t = (z1 - o[2]) / d[2];
        const x = o[0] + t * d[0] - s.centre[0],
          y = o[1] + t * d[1] - s.centre[1];
        const r = Math.hypot(x, y);
        if (t > 0 && r <= s.radius && r >= s.radius - s.wall) rim = t;
      }
      return [outer, inner, rim].filter((t) => t > 0).reduce((a, b) => Math.min(a, b), Infinity) || -1;
    }
  }
}

/** First hit with a vertical cylinder's side (and caps unless open). */
function cylinderHit(o: Vec3, d: Vec3, c: Vec3, r: number, z0: number, z1: number, openTop: boolean): number {
  let best = Infinity;
  const ox = o[0] - c[0],
    oy = o[1] - c[1];
  const a = d[0] ** 2 + d[1] ** 2,
    b = 2 * (ox * d[0] + oy * d[1]),
    cc = ox * ox + oy * oy - r * r;
  const disc = b * b - 4 * a * cc;
  if (disc >= 0 && a > 1e-12) {
    const t = (-b - Math.sqrt(disc)) / (2 * a);
    const z = o[2] + t * d[2];
    if (t > 0 && z >= z0 && z <= z1) best = t;
  }
  for (const [zc, skip] of [
    [z1, openTop],
    [z0, false],
  ] as const) {
    if (skip || Math.abs(d[2]) < 1e-12) continue;
    const t = (zc - o[2]) / d[2];
    const x = o[0] + t * d[0] - c[0],
      y = o[1] + t * d[1] - c[1];
    if (t > 0 && x * x + y * y <= r * r && t < best) best = t;
  }
  return Number.isFinite(best) ? best : -1;
}

/** Hit with the inside of a cup: the far inner wall or the inner floor, entering through the top. */
function cylinderInside(o: Vec3, d: Vec3, c: Vec3, r: number, zFloor: number, zTop: number): number {
  if (Math.abs(d[2]) < 1e-12) return -1;
  const tTop = (zTop - o[2]) / d[2];
  const x = o[0] + tTop * d[0] - c[0],
    y = o[1] + tTop * d[1] - c[1];
  if (tTop <= 0 || x * x + y * y > r * r) return -1;
  // leave the inner cylinder: far root
  const ox = o[0] - c[0],
    oy = o[1] - c[1];
  const a = d[0] ** 2 + d[1] ** 2,
    b = 2 * (ox * d[0] + oy * d[1]),
    cc = ox * ox + oy * oy - r * r;
  let tWall = Infinity;
  const disc = b * b - 4 * a * cc;
  if (disc >= 0 && a > 1e-12) tWall = (-b + Math.sqrt(disc)) / (2 * a);
  const tFloor = (zFloor - o[2]) / d[2];
  const t = Math.min(tWall, tFloor > 0 ? tFloor : Infinity);
  return t > tTop ? t : -1;
}
