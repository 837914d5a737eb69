/**
 * The bundle's frame-level debug pictures (debug/masks.png, debug/depth.png) as pure tasks: they
 * need only the input frame and the masks, so the bundle job has a pool worker encode them as
 * soon as those exist — the depth at the start, the masks once segmentation ends — while this
 * thread goes on with the stages (the worker is idle during ground, perceive and validate).
 */
import { encodePng } from '../io/image.ts';
import type { ColorImage, DepthImage, LabelImage } from '../model/image.ts';
import { depthPreview, maskOverlay } from '../stages/debug.ts';
import type { TaskRef } from '../stages/tasks.ts';

/** debug/depth.png: the depth as a grey ramp, near = bright. */
export function depthPreviewPng(depth: DepthImage): Uint8Array {
  return encodePng(depthPreview(depth));
}

/** debug/masks.png: the masks over the colour image. */
export function maskOverlayPng(input: { color: ColorImage; masks: LabelImage }): Uint8Array {
  return encodePng(maskOverlay(input.color, input.masks));
}

export const DEPTH_PREVIEW_TASK: TaskRef<DepthImage, Uint8Array> = { module: import.meta.url, name: 'depthPreviewPng', fn: depthPreviewPng };
export const MASK_OVERLAY_TASK: TaskRef<{ color: ColorImage; masks: LabelImage }, Uint8Array> = { module: import.meta.url, name: 'maskOverlayPng', fn: maskOverlayPng };
