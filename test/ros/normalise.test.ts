import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/geometry/random.ts';
import { checkCameraInfo, checkImage, COLOR_ENCODINGS, DEPTH_ENCODINGS, LABEL_ENCODINGS, toColorImage, toDepthImage, toLabelImage, type RawImage } from '../../ros/normalise.ts';
import { assembleFrame } from '../../ros/sync.ts';
import { cameraInfoMsg, imageMsg, type Layout } from './fixtures.ts';

const W = 7; // odd width: rows of odd byte length exercise unaligned 16/32-bit reads
const H = 5;

function raw(msg: unknown, allowed: readonly string[]): RawImage {
  const r = checkImage(msg, 'image', allowed);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

const layouts: Layout[] = ['typed', 'array', 'base64'];

describe('colour encodings (seed 11)', () => {
  const channels: Record<string, number> = { rgb8: 3, bgr8: 3, rgba8: 4, bgra8: 4, mono8: 1 };
  for (const encoding of COLOR_ENCODINGS) {
    for (const layout of layouts) {
      it(`${encoding} with 3 bytes of row padding as ${layout}`, () => {
        const rng = createRng(11);
        const samples = Uint8Array.from({ length: W * H * channels[encoding]! }, () => rng.int(256));
        const msg = imageMsg({ width: W, height: H, encoding, samples, pad: 3, layout });
        const img = toColorImage(raw(msg, COLOR_ENCODINGS));
        expect(img).toMatchObject({ width: W, height: H, encoding });
        expect(Array.from(img.data)).toEqual(Array.from(samples));
      });
    }
  }
  it('8UC1 is read as mono8', () => {
    const samples = Uint8Array.from({ length: W * H }, (_, i) => i);
    const img = toColorImage(raw(imageMsg({ width: W, height: H, encoding: '8UC1', samples }), [...COLOR_ENCODINGS, '8UC1']));
    expect(img.encoding).toBe('mono8');
    expect(img.data[34]).toBe(34);
  });
});

describe('depth encodings (seed 12)', () => {
  for (const encoding of DEPTH_ENCODINGS) {
    for (const bigEndian of [false, true]) {
      for (const pad of [0, 1, 4]) {
        it(`${encoding}, ${bigEndian ? 'big' : 'little'}-endian, padding ${pad}`, () => {
          const rng = createRng(12);
          const metres = Array.from({ length: W * H }, (_, i) => (i % 6 === 0 ? 0 : 0.3 + rng.next() * 3));
          const samples = encoding === '32FC1' ? metres : metres.map((m) => Math.round(m * 1000));
          const depth = toDepthImage(raw(imageMsg({ width: W, height: H, encoding, samples, pad, bigEndian }), DEPTH_ENCODINGS));
          expect(depth.width).toBe(W);
          for (let i = 0; i < W * H; i++) {
            if (metres[i] === 0) expect(depth.data[i]).toBe(0);
            else expect(depth.data[i]).toBeCloseTo(metres[i]!, encoding === '32FC1' ? 5 : 3);
          }
        });
      }
    }
  }
  it('32FC1 NaN, negative and infinite depth become 0 (no data)', () => {
    const samples = [NaN, -1, Infinity, 1.5, ...new Array<number>(W * H - 4).fill(2)];
    const depth = toDepthImage(raw(imageMsg({ width: W, height: H, encoding: '32FC1', samples }), DEPTH_ENCODINGS));
    expect(Array.from(depth.data.slice(0, 4))).toEqual([0, 0, 0, 1.5]);
  });
  it('16UC1 honours a depth scale (0.0001 m per unit)', () => {
    const depth = toDepthImage(raw(imageMsg({ width: W, height: H, encoding: '16UC1', samples: new Array(W * H).fill(12345) }), DEPTH_ENCODINGS), 1e-4);
    expect(depth.data[0]).toBeCloseTo(1.2345, 5);
  });
});

describe('label encodings', () => {
  for (const encoding of LABEL_ENCODINGS) {
    for (const bigEndian of [false, true]) {
      it(`${encoding}, ${bigEndian ? 'big' : 'little'}-endian, padded rows`, () => {
        const max = encoding === 'mono8' || encoding === '8UC1' ? 255 : 65535;
        const samples = Array.from({ length: W * H }, (_, i) => (i * 977) % (max + 1));
        const r = toLabelImage(raw(imageMsg({ width: W, height: H, encoding, samples, pad: 2, bigEndian }), LABEL_ENCODINGS));
        expect(r.ok).toBe(true);
        if (r.ok) expect(Array.from(r.value.data)).toEqual(samples);
      });
    }
  }
  it('32SC1 labels outside 0..65535 are a problem, not a wrap-around', () => {
    const samples = new Array(W * H).fill(1);
    samples[9] = 70000;
    const r = toLabelImage(raw(imageMsg({ width: W, height: H, encoding: '32SC1', samples }), LABEL_ENCODINGS));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.message).toMatch(/70000 at pixel 9/);
  });
});

describe('malformed images are described, never thrown', () => {
  const good = () => imageMsg({ width: W, height: H, encoding: 'rgb8', samples: new Uint8Array(W * H * 3) });
  const problemsOf = (msg: unknown) => {
    const r = checkImage(msg, 'image', COLOR_ENCODINGS);
    expect(r.ok).toBe(false);
    return r.ok ? [] : r.problems;
  };
  it('wrong data length', () => {
    const msg = { ...good(), data: new Uint8Array(W * H * 3 - 1) };
    expect(problemsOf(msg)).toEqual([{ path: 'image.data', message: expect.stringMatching(/holds 104 bytes but step × height = 21 × 5 = 105/) as unknown }]);
  });
  it('unknown encoding', () => {
    expect(problemsOf({ ...good(), encoding: 'yuv422' })[0]).toMatchObject({ path: 'image.encoding', message: expect.stringMatching(/unknown encoding 'yuv422'/) as unknown });
  });
  it('a depth encoding on the colour input', () => {
    expect(problemsOf({ ...good(), encoding: '16UC1' })[0]!.message).toMatch(/not accepted on this input/);
  });
  it('zero-size image', () => {
    const p = problemsOf({ ...good(), width: 0, height: 0, step: 0, data: new Uint8Array(0) });
    expect(p.map((x) => x.path)).toEqual(expect.arrayContaining(['image.width', 'image.height']));
  });
  it('step shorter than a row, bad is_bigendian, missing stamp: all listed at once', () => {
    const p = problemsOf({ ...good(), step: 10, is_bigendian: 7, header: { frame_id: 'x' } });
    expect(p.map((x) => x.path).sort()).toEqual(['image.data', 'image.header.stamp', 'image.is_bigendian', 'image.step']);
  });
  it('data that is neither bytes nor base64', () => {
    expect(problemsOf({ ...good(), data: 'not base64!' })[0]!.path).toBe('image.data');
    expect(problemsOf({ ...good(), data: 'AAA*AAAA' })[0]!.message).toMatch(/not valid base64/);
    expect(problemsOf({ ...good(), data: [1, 2, 300] })[0]!.path).toBe('image.data[2]');
    expect(problemsOf({ ...good(), data: null })[0]!.path).toBe('image.data');
  });
  it('not an object', () => {
    expect(problemsOf(42)).toEqual([{ path: 'image', message: 'message must be an object' }]);
  });
  it('ROS 1 style stamps (secs/nsecs) are read', () => {
    const r = checkImage({ ...good(), header: { stamp: { secs: 5, nsecs: 500_000_000 }, frame_id: 'cam' } }, 'image', COLOR_ENCODINGS);
    expect(r.ok && r.value.stamp).toBe(5.5);
  });
  it('mismatched depth size is reported by frame assembly', () => {
    const color = raw(good(), COLOR_ENCODINGS);
    const depth = raw(imageMsg({ width: 3, height: 2, encoding: '16UC1', samples: new Array(6).fill(1000) }), DEPTH_ENCODINGS);
    const info = checkCameraInfo(cameraInfoMsg({ width: W, height: H, fx: 5, fy: 5, cx: 3, cy: 2 }));
    if (!info.ok) throw new Error('info');
    const r = assembleFrame({ color, depth, info: info.value, stamp: 100 }, 0.001);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatchObject({ path: 'depth', message: expect.stringMatching(/3×2 but the colour image is 7×5/) as unknown });
  });
});

describe('CameraInfo', () => {
  it('reads k (rclnodejs Float64Array) and K (ROS 1 spelling)', () => {
    const msg = cameraInfoMsg({ width: 640, height: 480, fx: 525, fy: 526, cx: 319.5, cy: 239.5 });
    const a = checkCameraInfo({ ...msg, k: Float64Array.from(msg['k'] as number[]) });
    const b = checkCameraInfo({ ...msg, k: undefined, K: msg['k'] });
    for (const r of [a, b]) {
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.value).toMatchObject({ width: 640, height: 480, fx: 525, fy: 526, cx: 319.5, cy: 239.5, frameId: 'camera_color_optical_frame' });
    }
  });
  it('lists a short K, a zero focal length and a missing width together', () => {
    const r = checkCameraInfo({ header: { stamp: { sec: 1, nanosec: 0 } }, height: 480, k: [0, 0, 1, 0, 5, 1, 0, 0, 1] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path).sort()).toEqual(['camera_info.k[0]', 'camera_info.width']);
  });
  it('warns about distortion instead of dropping', () => {
    const msg = { ...cameraInfoMsg({ width: 4, height: 4, fx: 2, fy: 2, cx: 2, cy: 2 }), d: [0.1, 0, 0, 0, 0] };
    const r = checkCameraInfo(msg);
    expect(r.ok && r.warnings[0]).toMatch(/distortion/);
  });
});
