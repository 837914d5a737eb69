import { describe, expect, it } from 'vitest';
import { expandName, frameIdFrom, parseRemaps, resolveName } from '../../ros/names.ts';

describe('ROS 2 names', () => {
  it('expands relative, absolute and private names', () => {
    expect(expandName('image', '')).toBe('/image');
    expect(expandName('scene/markers', '/robot/')).toBe('/robot/scene/markers');
    expect(expandName('/tf_static', '/robot')).toBe('/tf_static');
    expect(expandName('~/reconstruct', 'robot', 'r2s')).toBe('/robot/r2s/reconstruct');
  });
  it('applies the first matching remap, matched after expansion', () => {
    const rules = parseRemaps(['image:=/camera/color/image_raw', '/robot/depth:=aligned_depth', 'image:=/other']);
    expect(resolveName('image', '/robot', rules)).toBe('/camera/color/image_raw');
    expect(resolveName('depth', '/robot', rules)).toBe('/robot/aligned_depth');
    expect(resolveName('camera_info', '/robot', rules)).toBe('/robot/camera_info');
  });
  it('rejects bad names and remaps with a message that shows the form', () => {
    expect(() => expandName('2d/image', '')).toThrow(/not a valid ROS name/);
    expect(() => expandName('a b', '')).toThrow(/not a valid ROS name/);
    expect(() => parseRemaps(['image=/x'])).toThrow(/from:=to/);
    expect(() => parseRemaps([':=/x'])).toThrow(/from:=to/);
  });
  it('makes TF frame ids from free text', () => {
    expect(frameIdFrom('real2sim/mug 1')).toBe('real2sim/mug_1');
    expect(frameIdFrom('/x')).toBe('x');
    expect(frameIdFrom('')).toBe('_');
  });
});
