/**
 * Model images → ROS 2 messages, the inverse of `normalise.ts`: `sensor_msgs/msg/Image` with a
 * chosen row padding (`step`), byte order and field layout (typed array as rclnodejs delivers,
 * plain array, base64 string as rosbridge JSON sends), and `CameraInfo`. Used to replay frames
 * into a graph, by the tests and by the bench.
 */
import type { CameraIntrinsics } from '../src/model/camera.ts';
import type { RgbdFrame } from '../src/model/frame.ts';
import { depthToMillimetres } from '../src/model/image.ts';
import { timeFromSeconds } from './messages.ts';
import { ENCODING_BYTES } from './normalise.ts';

export type Layout = 'typed' | 'array' | 'base64';

export interface ImageSpec {
  width: number;
  height: number;
  encoding: string;
  /** Samples in row-major order: bytes for 8-bit encodings, numbers for 16/32-bit ones. */
  samples: ArrayLike<number>;
  stamp?: number;
  frameId?: string;
  /** Extra bytes at the end of every row. */
  pad?: number;
  bigEndian?: boolean;
  layout?: Layout;
}

/** Encodes samples the way a driver would put them on the wire. */
export function imageMsg(s: ImageSpec): Record<string, unknown> {
  const bpp = ENCODING_BYTES[s.encoding]!;
  const channels = ['rgb8', 'bgr8'].includes(s.encoding) ? 3 : ['rgba8', 'bgra8'].includes(s.encoding) ? 4 : 1;
  const sampleBytes = bpp / channels;
  const step = s.width * bpp + (s.pad ?? 0);
  const bytes = new Uint8Array(step * s.height);
  const dv = new DataView(bytes.buffer);
  const le = !s.bigEndian;
  const perRow = s.width * channels;
  for (let y = 0; y < s.height; y++) {
    for (let i = 0; i < perRow; i++) {
      const v = s.samples[y * perRow + i]!;
      const off = y * step + i * sampleBytes;
      if (sampleBytes === 1) bytes[off] = v;
      else if (sampleBytes === 2) dv.setUint16(off, v, le);
      else if (s.encoding === '32FC1') dv.setFloat32(off, v, le);
      else dv.setInt32(off, v, le);
    }
    for (let p = 0; p < (s.pad ?? 0); p++) bytes[y * step + s.width * bpp + p] = 0xee; // padding garbage
  }
  const layout = s.layout ?? 'typed';
  const data = layout === 'typed' ? bytes : layout === 'array' ? Array.from(bytes) : Buffer.from(bytes).toString('base64');
  return {
    header: { stamp: timeFromSeconds(s.stamp ?? 100), frame_id: s.frameId ?? 'camera_color_optical_frame' },
    height: s.height,
    width: s.width,
    encoding: s.encoding,
    is_bigendian: s.bigEndian ? 1 : 0,
    step,
    data,
  };
}

export function cameraInfoMsg(c: CameraIntrinsics, stamp = 100, frameId = 'camera_color_optical_frame'): Record<string, unknown> {
  return {
    header: { stamp: timeFromSeconds(stamp), frame_id: frameId },
    height: c.height,
    width: c.width,
    distortion_model: 'plumb_bob',
    d: [0, 0, 0, 0, 0],
    k: [c.fx, 0, c.cx, 0, c.fy, c.cy, 0, 0, 1],
    r: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    p: [c.fx, 0, c.cx, 0, 0, c.fy, c.cy, 0, 0, 0, 1, 0],
    binning_x: 0,
    binning_y: 0,
    roi: { x_offset: 0, y_offset: 0, height: 0, width: 0, do_rectify: false },
  };
}

/** A model frame as the four topics a camera driver (plus a segmenter) would publish. */
export function frameMessages(frame: RgbdFrame, stamp: number, o: { pad?: number; layout?: Layout; bigEndian?: boolean } = {}) {
  const { color, depth, masks, camera } = frame;
  return {
    image: imageMsg({ width: color.width, height: color.height, encoding: color.encoding, samples: color.data, stamp, ...o }),
    depth: depth ? imageMsg({ width: depth.width, height: depth.height, encoding: '16UC1', samples: depthToMillimetres(depth), stamp, ...o }) : undefined,
    masks: masks ? imageMsg({ width: masks.width, height: masks.height, encoding: 'mono16', samples: masks.data, stamp, ...o }) : undefined,
    info: cameraInfoMsg(camera, stamp),
  };
}
