import type { RgbdFrame } from '../model/frame.ts';
import { Real2SimError } from '../model/errors.ts';
import type { LabelImage } from '../model/image.ts';
import { ground, type GroundOptions } from '../stages/ground.ts';
import { organizedCloud } from '../stages/organized.ts';
import { perceive, type PerceiveOptions } from '../stages/perceive.ts';

/**
 * The pipeline's first two stages for the geometric segmentation (support plane, then
 * segments), stopping there: what a segmentation benchmark scores, without shape completion.
 */
export async function segmentGeometricFrame(frame: RgbdFrame, options: { ground?: GroundOptions; perceive?: Omit<PerceiveOptions, 'backend'> } = {}): Promise<LabelImage> {
  if (!frame.depth) throw new Real2SimError('BAD_DEPTH', 'The geometric segmentation needs a depth image.');
  const cloud = organizedCloud(frame.depth, frame.camera);
  const g = await ground(options.ground)({ cloud });
  const p = await perceive({ ...options.perceive, backend: 'geometric' })({ frame, cloud, heightOf: g.output.heightOf });
  return p.output.masks;
}
