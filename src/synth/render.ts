import type { CameraIntrinsics } from '../model/camera.ts';
import type { ColorImage, DepthImage, LabelImage } from '../model/image.ts';
import type { Scene, SceneCamera } from '../model/scene.ts';
import type { Vec3 } from '../model/pose.ts';
import { quatToMat3 } from '../model/pose.ts';
import { Real2SimError } from '../model/errors.ts';
import { defined } from '../model/options.ts';

/**
 * CPU z-buffer renderer: colour (flat Lambert shading, per-object colours), metric depth along
 * the optical axis and an instance label image, for a scene seen by a pinhole camera.
 *
 * Hand-written because it is the hot loop of scene generation and of the reprojection check
 * (hundreds of thousands of pixel tests per frame) and because depth must be EXACT: no library
 * rasteriser gives the ray–plane depth per pixel. Method (homogeneous rasterisation, Olano &
 * Greer 1997): with the triangle's vertices V0, V1, V2 in the camera optical frame and the
 * pixel ray d = ((u − cx)/fx, (v − cy)/fy, 1), the edge functions e_ij = d · (Vi × Vj) are
 * linear in (u, v); the ray hits the triangle in front of the camera iff all three share the
 * sign of c = V0 · (V1 × V2), and the hit's depth is z = c / (e01 + e12 + e20) — the exact
 * intersection of the pixel ray with the triangle's plane, in float64, with no near-plane
 * clipping needed for coverage. Pixel centres are at integer (u, v) (ROS convention).
 *
 * Buffers (row-major, top-left origin, width × height):
 * - `zbuf`: Float64Array, depth in metres, +∞ = empty;
 * - colour: Uint8Array rgb8; labels: Uint16Array (0 = ground / background).
 */
export interface RenderOptions {
  /** Draw the support plane z = 0 as a finite square floor (analytic ray–plane depth). */
  ground?: boolean;
  /** Output size; intrinsics are scaled when it differs from the camera's. */
  width?: number;
  height?: number;
  /** Half side of the floor square around the world origin, metres. */
  groundExtent?: number;
  /** Linear rgb 0..1. */
  groundColor?: Vec3;
  background?: Vec3;
  /** Direction towards the light, world frame. */
  light?: Vec3;
}

export const RENDER_DEFAULTS: Required<Omit<RenderOptions, 'width' | 'height'>> = {
  ground: true,
  groundExtent: 2,
  groundColor: [0.55, 0.5, 0.44],
  background: [0.18, 0.2, 0.23],
  light: [0.35, 0.25, 1],
};

export interface RenderResult {
  color: ColorImage;
  depth: DepthImage;
  labels: LabelImage;
}

/** Depth below which a hit is ignored (the camera's own body), metres. */
const NEAR = 1e-3;

const SRGB = new Uint8Array(4096);
for (let i = 0; i < SRGB.length; i++) {
  const c = i / (SRGB.length - 1);
  const s = c <= 0.0031308 ? 12.92 * c : 1.055 * Math.pow(c, 1 / 2.4) - 0.055;
  SRGB[i] = Math.round(Math.min(1, Math.max(0, s)) * 255);
}
function toSrgb8(linear: number): number {
  return SRGB[Math.max(0, Math.min(SRGB.length - 1, Math.round(linear * (SRGB.length - 1))))]!;
}

function scaledIntrinsics(c: CameraIntrinsics, width: number, height: number): CameraIntrinsics {
  if (width === c.width && height === c.height) return c;
  const sx = width / c.width,
    sy = height / c.height;
  return { ...c, width, height, fx: c.fx * sx, fy: c.fy * sy, cx: (c.cx + 0.5) * sx - 0.5, cy: (c.cy + 0.5) * sy - 0.5 };
}

export function renderScene(scene: Scene, camera: SceneCamera, options: RenderOptions = {}): RenderResult {
  const o = { ...RENDER_DEFAULTS, ...defined(options) };
  const width = options.width ?? camera.intrinsics.width;
  const height = options.height ?? camera.intrinsics.height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || width * height > 16_000_000) {
    throw new Real2SimError('BAD_INPUT', `Render size must be positive integers up to 16 MP, got ${width}×${height}`);
  }
  const K = scaledIntrinsics(camera.intrinsics, width, height);
  if (!(K.fx > 0) || !(K.fy > 0)) throw new Real2SimError('BAD_CAMERA', `Render needs fx, fy > 0, got ${K.fx}, ${K.fy}`);
  const n = width * height;
  const zbuf = new Float64Array(n).fill(Infinity);
  const rgb = new Uint8Array(n * 3);
  const lab = new Uint16Array(n);
  const labels = new Map<number, string>();

  // camera optical → world: p_w = Rc p_c + tc; world → camera: p_c = Rcᵀ (p_w − tc)
  const Rc = quatToMat3(camera.pose.orientation);
  const tc = camera.pose.position;
  const ln = Math.hypot(...o.light) || 1;
  const L: Vec3 = [o.light[0] / ln, o.light[1] / ln, o.light[2] / ln];

  // background: one pixel, then copied in doubling blocks (memcpy, not a loop per byte)
  const bg = o.background.map(toSrgb8);
  rgb[0] = bg[0]!;
  rgb[1] = bg[1]!;
  rgb[2] = bg[2]!;
  for (let filled = 3; filled < rgb.length; filled *= 2) rgb.copyWithin(filled, 0, Math.min(filled, rgb.length - filled));

  if (o.ground) {
    // ray p(z) = tc + z · Rc d, with d = ((u−cx)/fx, (v−cy)/fy, 1): hits z_w = 0 at depth z = −tc_z / (Rc d)_z
    const ext = o.groundExtent;
    const shadeUp = 0.3 + 0.7 * Math.max(0, L[2]);
    // the floor's two colours (light and dark squares), converted once
    const floorRgb = Uint8Array.from([1, 0.9].flatMap((check) => o.groundColor.map((c) => toSrgb8(c * (shadeUp * check)))));
    // The per-pixel loop runs 300 000 times per picture: the matrix entries, the columns' X and
    // the rows' Y terms are computed once, each product and sum exactly as written per pixel
    // before (same operands, same order), so every depth and colour is bit-identical.
    const [r0, r1, r2, r3, r4, r5, r6, r7, r8] = Rc as [number, number, number, number, number, number, number, number, number];
    const [tx, ty, tz] = tc;
    const Xs = new Float64Array(width);
    for (let u = 0; u < width; u++) Xs[u] = (u - K.cx) / K.fx;
    for (let v = 0; v < height; v++) {
      const Y = (v - K.cy) / K.fy;
      const r1Y = r1 * Y,
        r4Y = r4 * Y,
        r7Y = r7 * Y;
      const row = v * width;
      for (let u = 0; u < width; u++) {
        const X = Xs[u]!;
        const dz = r6 * X + r7Y + r8;
        const z = -tz / dz;
        // in front of the camera and finite (NaN fails both)
        if (!(z > NEAR && z < Infinity)) continue;
        const wx = tx + z * (r0 * X + r1Y + r2);
        const wy = ty + z * (r3 * X + r4Y + r5);
        if (Math.abs(wx) > ext || Math.abs(wy) > ext) continue;
        const i = row + u;
        zbuf[i] = z;
        // 10 cm checker, faint, so the floor reads as a surface in the colour image
        const c = ((Math.floor(wx * 10) + Math.floor(wy * 10)) & 1) === 0 ? 0 : 3;
        rgb[i * 3] = floorRgb[c]!;
        rgb[i * 3 + 1] = floorRgb[c + 1]!;
        rgb[i * 3 + 2] = floorRgb[c + 2]!;
      }
    }
  }

  let fallbackId = 0;
  for (const obj of scene.objects) {
    fallbackId++;
    const id = obj.instanceId ?? fallbackId;
    labels.set(id, obj.label);
    const color = obj.color ?? [0.6, 0.6, 0.6];
    // object → camera: A = Rcᵀ Ro, b = Rcᵀ (to − tc)
    const Ro = quatToMat3(obj.pose.orientation);
    const A = new Float64Array(9);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) A[r * 3 + c] = Rc[r]! * Ro[c]! + Rc[3 + r]! * Ro[3 + c]! + Rc[6 + r]! * Ro[6 + c]!;
    }
    const dp = [obj.pose.position[0] - tc[0], obj.pose.position[1] - tc[1], obj.pose.position[2] - tc[2]];
    const b = [0, 1, 2].map((r) => Rc[r]! * dp[0]! + Rc[3 + r]! * dp[1]! + Rc[6 + r]! * dp[2]!);
    const P = obj.mesh.positions;
    const nv = P.length / 3;
    const V = new Float64Array(nv * 3);
    for (let k = 0; k < nv; k++) {
      const x = P[k * 3]!,
        y = P[k * 3 + 1]!,
        z = P[k * 3 + 2]!;
      V[k * 3] = A[0]! * x + A[1]! * y + A[2]! * z + b[0]!;
      V[k * 3 + 1] = A[3]! * x + A[4]! * y + A[5]! * z + b[1]!;
      V[k * 3 + 2] = A[6]! * x + A[7]! * y + A[8]! * z + b[2]!;
    }
    rasteriseMesh(V, obj.mesh.indices, K, Rc, L, color, id, zbuf, rgb, lab);
  }

  const depth = new Float32Array(n);
  for (let i = 0; i < n; i++) depth[i] = zbuf[i]! < Infinity ? zbuf[i]! : 0;
  return {
    color: { width, height, encoding: 'rgb8', data: rgb },
    depth: { width, height, data: depth },
    labels: { width, height, data: lab, labels },
  };
}

/** Rasterises one mesh whose vertices `V` are already in the camera optical frame (float64 xyz). */
function rasteriseMesh(V: Float64Array, indices: Uint32Array, K: CameraIntrinsics, Rc: number[], L: Vec3, color: Vec3, id: number, zbuf: Float64Array, rgb: Uint8Array, lab: Uint16Array): void {
  const { width, height, fx, fy, cx, cy } = K;
  for (let t = 0; t < indices.length; t += 3) {
    const a = indices[t]! * 3,
      bI = indices[t + 1]! * 3,
      cI = indices[t + 2]! * 3;
    const x0 = V[a]!,
      y0 = V[a + 1]!,
      z0 = V[a + 2]!;
    const x1 = V[bI]!,
      y1 = V[bI + 1]!,
      z1 = V[bI + 2]!;
    const x2 = V[cI]!,
      y2 = V[cI + 1]!,
      z2 = V[cI + 2]!;
    // edge planes through the camera centre: Vi × Vj
    const a01 = y0 * z1 - z0 * y1,
      b01 = z0 * x1 - x0 * z1,
      c01 = x0 * y1 - y0 * x1;
    const a12 = y1 * z2 - z1 * y2,
      b12 = z1 * x2 - x1 * z2,
      c12 = x1 * y2 - y1 * x2;
    const a20 = y2 * z0 - z2 * y0,
      b20 = z2 * x0 - x2 * z0,
      c20 = x2 * y0 - y2 * x0;
    const cc = x0 * a12 + y0 * b12 + z0 * c12; // V0 · (V1 × V2)
    if (cc === 0 || !Number.isFinite(cc)) continue; // plane through the camera centre: seen edge-on
    const sgn = cc > 0 ? 1 : -1;
    // pixel bounds: project when every vertex is in front, else scan the whole image
    let u0 = 0,
      u1 = width - 1,
      v0 = 0,
      v1 = height - 1;
    if (z0 > NEAR && z1 > NEAR && z2 > NEAR) {
      const pu0 = (fx * x0) / z0 + cx,
        pu1 = (fx * x1) / z1 + cx,
        pu2 = (fx * x2) / z2 + cx;
      const pv0 = (fy * y0) / z0 + cy,
        pv1 = (fy * y1) / z1 + cy,
        pv2 = (fy * y2) / z2 + cy;
      u0 = Math.max(0, Math.ceil(Math.min(pu0, pu1, pu2) - 1e-9));
      u1 = Math.min(width - 1, Math.floor(Math.max(pu0, pu1, pu2) + 1e-9));
      v0 = Math.max(0, Math.ceil(Math.min(pv0, pv1, pv2) - 1e-9));
      v1 = Math.min(height - 1, Math.floor(Math.max(pv0, pv1, pv2) + 1e-9));
      if (u0 > u1 || v0 > v1) continue;
    } else if (z0 <= NEAR && z1 <= NEAR && z2 <= NEAR) {
      continue;
    }
    // flat Lambert shade: the plane normal (V1−V0)×(V2−V0), turned towards the camera, in world
    let nx = (y1 - y0) * (z2 - z0) - (z1 - z0) * (y2 - y0);
    let ny = (z1 - z0) * (x2 - x0) - (x1 - x0) * (z2 - z0);
    let nz = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0);
    const nl = Math.hypot(nx, ny, nz);
    if (!(nl > 0)) continue;
    nx /= nl;
    ny /= nl;
    nz /= nl;
    const facing = nx * x0 + ny * y0 + nz * z0; // > 0: normal points away from the camera
    if (facing > 0) {
      nx = -nx;
      ny = -ny;
      nz = -nz;
    }
    const wx = Rc[0]! * nx + Rc[1]! * ny + Rc[2]! * nz;
    const wy = Rc[3]! * nx + Rc[4]! * ny + Rc[5]! * nz;
    const wz = Rc[6]! * nx + Rc[7]! * ny + Rc[8]! * nz;
    const d0 = Math.hypot(x0, y0, z0) || 1;
    const head = Math.max(0, -(nx * x0 + ny * y0 + nz * z0) / d0);
    const shade = 0.2 + 0.6 * Math.max(0, wx * L[0] + wy * L[1] + wz * L[2]) + 0.25 * head;
    const r8 = toSrgb8(color[0] * shade),
      g8 = toSrgb8(color[1] * shade),
      b8 = toSrgb8(color[2] * shade);
    // edge functions as k_x u + k_y v + k_0 in pixel coordinates
    const e01x = a01 / fx,
      e01y = b01 / fy,
      e01k = c01 - (a01 * cx) / fx - (b01 * cy) / fy;
    const e12x = a12 / fx,
      e12y = b12 / fy,
      e12k = c12 - (a12 * cx) / fx - (b12 * cy) / fy;
    const e20x = a20 / fx,
      e20y = b20 / fy,
      e20k = c20 - (a20 * cx) / fx - (b20 * cy) / fy;
    const narrow = u1 - u0 >= NARROW_MIN_WIDTH;
    for (let v = v0; v <= v1; v++) {
      const r01 = e01y * v + e01k,
        r12 = e12y * v + e12k,
        r20 = e20y * v + e20k;
      const row = v * width;
      let ua = u0,
        ub = u1;
      if (narrow) {
        // The row's span inside the triangle, widened so that it can only be too wide: the
        // pixel test below is unchanged, so the same pixels pass; the rest of the bounding box
        // (half of it on average, more for thin triangles) is not visited.
        rowSpan(e01x * sgn, r01 * sgn, ua, ub);
        rowSpan(e12x * sgn, r12 * sgn, SPAN[0], SPAN[1]);
        rowSpan(e20x * sgn, r20 * sgn, SPAN[0], SPAN[1]);
        ua = SPAN[0];
        ub = SPAN[1];
        if (ua > ub) continue;
      }
      for (let u = ua; u <= ub; u++) {
        const e01 = (e01x * u + r01) * sgn,
          e12 = (e12x * u + r12) * sgn,
          e20 = (e20x * u + r20) * sgn;
        if (e01 < 0 || e12 < 0 || e20 < 0) continue;
        const sum = e01 + e12 + e20;
        if (!(sum > 0)) continue;
        const z = (cc * sgn) / sum;
        const i = row + u;
        if (z > NEAR && z < zbuf[i]!) {
          zbuf[i] = z;
          lab[i] = id;
          rgb[i * 3] = r8;
          rgb[i * 3 + 1] = g8;
          rgb[i * 3 + 2] = b8;
        }
      }
    }
  }
}

/** Bounding boxes narrower than this (pixels) are scanned whole: the per-row span costs more than it saves. */
const NARROW_MIN_WIDTH = 8;
/** `rowSpan`'s result (one pair reused, not an array per row). */
const SPAN: [number, number] = [0, 0];

/**
 * Narrows [lo, hi] to the pixels where k·u + q ≥ 0 may hold (into the shared pair `SPAN`):
 * the root −q/k is widened by 2 pixels plus a relative margin far above the rounding error of
 * evaluating k·u + q, so no pixel that the exact test accepts is cut. k = 0 or a non-finite root
 * narrows nothing (q < 0 then fails every pixel of the row in the test itself).
 */
function rowSpan(k: number, q: number, lo: number, hi: number): void {
  SPAN[0] = lo;
  SPAN[1] = hi;
  if (k === 0) return;
  const root = -q / k;
  if (!Number.isFinite(root)) return;
  const margin = 2 + 1e-9 * Math.abs(root);
  if (k > 0) SPAN[0] = Math.max(lo, Math.floor(root - margin));
  else if (k < 0) SPAN[1] = Math.min(hi, Math.ceil(root + margin));
}
