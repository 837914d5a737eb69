/**
 * The wire rules for real rosbridge servers (each observed on rosbridge 0.11.17 / ROS 1 and
 * rosbridge 2.x / ROS 2; the real servers are exercised in test/ros/real/rosbridge.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { FragmentAssembler, generationOfMessage, jsonWire, outgoingFrames, toWire, typeFor } from '../../ros/transport/rosbridgeWire.ts';

describe('rosbridge wire rules', () => {
  it('type names: two-part for ROS 1, unchanged for ROS 2', () => {
    expect(typeFor('sensor_msgs/msg/Image', 1)).toBe('sensor_msgs/Image');
    expect(typeFor('std_srvs/srv/Trigger', 1)).toBe('std_srvs/Trigger');
    expect(typeFor('std_srvs/Trigger', 1)).toBe('std_srvs/Trigger');
    expect(typeFor('sensor_msgs/msg/Image', 2)).toBe('sensor_msgs/msg/Image');
  });

  it('stamps and durations become {secs, nsecs} for ROS 1, BigInts numbers; big arrays are not copied', () => {
    const points = [{ x: 1, y: 2, z: 3 }];
    const k = [1, 0, 2];
    const msg = { header: { stamp: { sec: 5, nanosec: 7 }, frame_id: 'w' }, lifetime: { sec: 0, nanosec: 0 }, entity: { id: 3n }, k, data: new Uint8Array([1, 2]), points };
    const r1 = toWire(msg, 1) as Record<string, unknown>;
    expect(r1['header']).toEqual({ stamp: { secs: 5, nsecs: 7 }, frame_id: 'w' });
    expect(r1['lifetime']).toEqual({ secs: 0, nsecs: 0 });
    expect(r1['entity']).toEqual({ id: 3 });
    expect(r1['k']).toBe(k);
    expect(r1['data']).toBe(msg.data);
    const r2 = toWire(msg, 2) as Record<string, unknown>;
    expect(r2['header']).toEqual(msg.header);
    expect(jsonWire({ id: 2n ** 53n - 1n })).toBe('{"id":9007199254740991}');
    expect(generationOfMessage({ header: { stamp: { secs: 1, nsecs: 0 } } })).toBe(1);
    expect(generationOfMessage({ header: { stamp: { sec: 1, nanosec: 0 } } })).toBe(2);
    expect(generationOfMessage({ data: 'x' })).toBeNull();
  });

  it('fragments as real bridges send them (id 0 for every message, fractional total) are reassembled in order', () => {
    const text = JSON.stringify({ op: 'publish', topic: '/image', msg: { data: 'x'.repeat(252) } });
    const size = 100;
    const total = (text.length - 1) / size + 1; // Python 3 division, as the bridge computes it
    expect(Number.isInteger(total)).toBe(false);
    const frags = Array.from({ length: Math.floor(total) }, (_, num) => ({ op: 'fragment' as const, id: 0, num, total, data: text.slice(num * size, (num + 1) * size) }));
    const a = new FragmentAssembler();
    const outs = frags.map((f) => a.push(f));
    expect(outs.slice(0, -1).every((o) => o === null)).toBe(true);
    expect(outs.at(-1)).toBe(text);
    // Two messages back to back with the same id, then one with a fragment lost: dropped, not merged.
    for (const f of frags) a.push(f);
    expect(a.push(frags[0]!)).toBeNull();
    expect(a.push(frags[2]!)).toBeNull();
    expect(frags.map((f) => a.push(f)).at(-1)).toBe(text);
    expect(a.dropped).toBe(1);
  });

  it('ops over the size limit leave as fragment ops that join back to the op', () => {
    const text = JSON.stringify({ op: 'publish', topic: '/m', msg: { data: 'é'.repeat(40) + 'y'.repeat(1000) } });
    expect(outgoingFrames(text, 'f1', { maxWholeBytes: 2000 })).toEqual([text]);
    const frames = outgoingFrames(text, 'f1', { maxWholeBytes: 300, fragmentChars: 100 }).map((f) => JSON.parse(f) as { op: string; id: string; num: number; total: number; data: string });
    expect(frames.length).toBe(Math.ceil(text.length / 100));
    expect(frames.every((f, i) => f.op === 'fragment' && f.id === 'f1' && f.num === i && f.total === frames.length)).toBe(true);
    expect(frames.map((f) => f.data).join('')).toBe(text);
  });
});
