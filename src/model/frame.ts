import { checkIntrinsicsMatch, type CameraIntrinsics } from './camera.ts';
import { Real2SimError } from './errors.ts';
import type { ColorImage, DepthImage, LabelImage } from './image.ts';

/**
 * One camera frame: colour, optional depth aligned to the colour camera, intrinsics of the
 * colour camera, optional instance masks. All images share `camera.width × camera.height`.
 */
export interface RgbdFrame {
  color: ColorImage;
  depth?: DepthImage;
  camera: CameraIntrinsics;
  masks?: LabelImage;
  /** Seconds (ROS stamp), when known. */
  stamp?: number;
  frameId?: string;
}

/** The most pixels one frame may hold; larger inputs are rejected before any allocation. */
export const MAX_FRAME_PIXELS = 16_000_000;

/**
 * Checks sizes agree and are within limits; throws a coded error naming what differs. The
 * intrinsics may still be missing when a depth model is to estimate them.
 */
export function checkFrame<F extends Omit<RgbdFrame, 'camera'> & { camera?: CameraIntrinsics }>(frame: F): F {
  const { color, depth, masks, camera } = frame;
  if (color.width * color.height > MAX_FRAME_PIXELS) {
    throw new Real2SimError(
      'TOO_LARGE',
      `Image is ${color.width}×${color.height} (${((color.width * color.height) / 1e6).toFixed(1)} MP); the limit is ${MAX_FRAME_PIXELS / 1e6} MP. Downscale it (and its intrinsics) first.`,
      { width: color.width, height: color.height },
    );
  }
  if (camera) checkIntrinsicsMatch(camera, color.width, color.height, 'colour image');
  if (depth && (depth.width !== color.width || depth.height !== color.height)) {
    throw new Real2SimError(
      'SIZE_MISMATCH',
      `Depth image is ${depth.width}×${depth.height} but the colour image is ${color.width}×${color.height}: depth must be registered (aligned) to the colour camera.`,
      { depth: [depth.width, depth.height], color: [color.width, color.height] },
    );
  }
  if (masks && (masks.width !== color.width || masks.height !== color.height)) {
    throw new Real2SimError('SIZE_MISMATCH', `Mask image is ${masks.width}×${masks.height} but the colour image is ${color.width}×${color.height}.`, {
      masks: [masks.width, masks.height],
      color: [color.width, color.height],
    });
  }
  return frame;
}
