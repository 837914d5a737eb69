import { describe, expect, it } from 'vitest';
import { checkIntrinsics, checkIntrinsicsMatch, intrinsicsFromCameraInfo, intrinsicsFromJson } from '../../src/model/camera.ts';
import { checkFrame } from '../../src/model/frame.ts';
import { expectError } from '../helpers/errors.ts';

const K = [525, 0, 319.5, 0, 526, 239.5, 0, 0, 1];

describe('intrinsics from CameraInfo', () => {
  it('reads ROS 2 `k` and ROS 1 `K` (row-major) and the frame id', () => {
    const a = intrinsicsFromCameraInfo({ width: 640, height: 480, k: K, header: { frame_id: 'cam_optical' } });
    expect(a).toEqual({ width: 640, height: 480, fx: 525, fy: 526, cx: 319.5, cy: 239.5, frameId: 'cam_optical' });
    const b = intrinsicsFromCameraInfo({ width: 640, height: 480, K: new Float64Array(K) });
    expect(b.fy).toBe(526);
    expect(b.frameId).toBeUndefined();
  });

  it('refuses a K of the wrong length', () => {
    expectError(() => intrinsicsFromCameraInfo({ width: 640, height: 480, k: [1, 2, 3] }), 'BAD_CAMERA', /9 numbers.*got 3/);
    expectError(() => intrinsicsFromCameraInfo({ width: 640, height: 480 }), 'BAD_CAMERA', /got none/);
  });
});

describe('intrinsics from JSON', () => {
  it("reads the project's own form", () => {
    expect(intrinsicsFromJson({ width: 640, height: 480, fx: 500, fy: 501, cx: 320, cy: 240 }).fy).toBe(501);
  });

  it('reads Open3D PinholeCameraIntrinsic (column-major intrinsic_matrix)', () => {
    const o3d = { width: 640, height: 480, intrinsic_matrix: [525.0, 0, 0, 0, 525.0, 0, 319.5, 239.5, 1] };
    expect(intrinsicsFromJson(o3d)).toEqual({ width: 640, height: 480, fx: 525, fy: 525, cx: 319.5, cy: 239.5 });
  });

  it('reads UOC camera_params.json (x_offset/y_offset, size supplied by the image)', () => {
    const uoc = { img_width: 640, img_height: 480, fx: 612.937, fy: 613.173, x_offset: 322.549, y_offset: 248.158 };
    const c = intrinsicsFromJson(uoc, { width: 640, height: 480 });
    expect(c).toEqual({ width: 640, height: 480, fx: 612.937, fy: 613.173, cx: 322.549, cy: 248.158 });
    // without a size the problem is named
    expectError(() => intrinsicsFromJson(uoc), 'BAD_CAMERA', /width: must be a positive integer/);
  });

  it('reads BOP / MegaPose camera_data.json (nested K, resolution [h, w])', () => {
    const bop = {
      K: [
        [615.15, 0, 324.57],
        [0, 615.24, 237.81],
        [0, 0, 1],
      ],
      resolution: [480, 640],
    };
    expect(intrinsicsFromJson(bop)).toEqual({ width: 640, height: 480, fx: 615.15, fy: 615.24, cx: 324.57, cy: 237.81 });
  });

  it('reads a CameraInfo-shaped JSON and numeric strings', () => {
    expect(intrinsicsFromJson({ width: '640', height: '480', k: K.map(String) }).cx).toBe(319.5);
  });

  it('refuses fx ≤ 0, fy NaN, non-integer size and non-objects, listing every problem', () => {
    expectError(() => intrinsicsFromJson({ width: 640, height: 480, fx: 0, fy: 500, cx: 320, cy: 240 }), 'BAD_CAMERA', /fx: focal length must be a finite number > 0, got 0/);
    expectError(() => intrinsicsFromJson({ width: 640, height: 480, fx: -525, fy: 500, cx: 320, cy: 240 }), 'BAD_CAMERA', /fx: .*got -525/);
    expectError(
      () => intrinsicsFromJson({ width: 640.5, height: 0, fx: 525, fy: 'x', cx: 320 }),
      'BAD_CAMERA',
      /width: must be a positive integer, got 640\.5[\s\S]*height: must be a positive integer, got 0[\s\S]*fy: focal length[\s\S]*cy: missing/,
    );
    expectError(() => intrinsicsFromJson(null), 'BAD_CAMERA', /must be an object/);
    expectError(() => checkIntrinsics({ width: 640, height: 480, fx: Infinity, fy: 1, cx: 0, cy: 0 }), 'BAD_CAMERA', /fx/);
  });

  it('checks that intrinsics belong to the image size', () => {
    const c = intrinsicsFromJson({ width: 640, height: 480, fx: 500, fy: 500, cx: 320, cy: 240 });
    expect(() => checkIntrinsicsMatch(c, 640, 480)).not.toThrow();
    expectError(() => checkIntrinsicsMatch(c, 320, 240, 'depth image'), 'SIZE_MISMATCH', /for 640×480 but the depth image is 320×240/);
  });
});

describe('checkFrame', () => {
  const camera = { width: 4, height: 3, fx: 10, fy: 10, cx: 1.5, cy: 1 };
  const color = { width: 4, height: 3, encoding: 'rgb8' as const, data: new Uint8Array(36) };
  it('accepts matching sizes and refuses a depth of another size, naming both sizes', () => {
    expect(checkFrame({ color, camera, depth: { width: 4, height: 3, data: new Float32Array(12) } }).color).toBe(color);
    expectError(() => checkFrame({ color, camera, depth: { width: 2, height: 3, data: new Float32Array(6) } }), 'SIZE_MISMATCH', /Depth image is 2×3 but the colour image is 4×3/);
    expectError(() => checkFrame({ color, camera, masks: { width: 4, height: 2, data: new Uint16Array(8), labels: new Map() } }), 'SIZE_MISMATCH', /Mask image is 4×2/);
  });
});
