/**
 * Job keys are content hashes: the same bytes give the same key whatever the files' times, one
 * changed byte changes only that frame's key, and options change every key.
 */
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandInputs } from '../../src/batch/inputs.ts';
import { writeFrames } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'r2s-batch-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('batch job keys', () => {
  it('follow the bytes of the inputs and the options, not file times', async () => {
    const frames = writeFrames(join(dir, 'frames'), 3);
    const options = { validate: true, segmentation: 'auto' as const };
    const keys = async (o = options) => (await expandInputs([join(dir, 'frames')], { out: join(dir, 'out'), options: o })).map((j) => j.key);
    const k0 = await keys();
    expect(new Set(k0).size).toBe(3);
    // rewritten with the same bytes and a new time: same keys
    const rgb1 = join(frames[1]!, 'rgb.png');
    writeFileSync(rgb1, readFileSync(rgb1));
    utimesSync(rgb1, new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(await keys()).toEqual(k0);
    // one byte of frame 1's depth changed: only frame 1's key changes
    const d1 = join(frames[1]!, 'depth.png');
    const bytes = readFileSync(d1);
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 1;
    writeFileSync(d1, bytes);
    const k1 = await keys();
    expect([k1[0] === k0[0], k1[1] === k0[1], k1[2] === k0[2]]).toEqual([true, false, true]);
    // other options: every key changes
    const k2 = await keys({ ...options, validate: false });
    expect(k2.filter((k, i) => k === k1[i])).toEqual([]);
  });
});
