import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/commands/synth.ts';
import { generateSynthScene } from '../../src/synth/synth.ts';
import { decodeColorImage, decodeDepthPng, decodeLabelPng } from '../../src/io/image.ts';
import { intrinsicsFromJson } from '../../src/model/camera.ts';

const root = await mkdtemp(join(tmpdir(), 'r2s-synth-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('real2sim synth', () => {
  it('writes rgb, depth (png + f32), masks, camera and truth that read back (seed 21)', async () => {
    const out = join(root, 'frame');
    expect(await run(['--seed', '21', '--out', out, '--no-shared-meshes'])).toBe(0);
    const { scene, frame } = generateSynthScene({ seed: 21, sharedMeshesDir: null });
    const rgb = decodeColorImage(new Uint8Array(await readFile(join(out, 'rgb.png'))));
    expect(Buffer.from(rgb.data).equals(Buffer.from(frame.color.data))).toBe(true);
    const f32 = new Float32Array(new Uint8Array(await readFile(join(out, 'depth.f32'))).slice().buffer);
    expect(Buffer.from(f32.buffer).equals(Buffer.from(frame.depth!.data.buffer))).toBe(true);
    const mm = decodeDepthPng(new Uint8Array(await readFile(join(out, 'depth.png'))));
    let worst = 0;
    for (let i = 0; i < mm.data.length; i++) worst = Math.max(worst, Math.abs(mm.data[i]! - frame.depth!.data[i]!));
    expect(worst).toBeLessThanOrEqual(0.0005 + 1e-7);
    const masks = decodeLabelPng(new Uint8Array(await readFile(join(out, 'masks.png'))));
    expect(Array.from(masks.data)).toEqual(Array.from(frame.masks!.data));
    const cam = intrinsicsFromJson(JSON.parse(await readFile(join(out, 'camera.json'), 'utf8')));
    expect(cam).toMatchObject({ width: 640, height: 480, fx: 525, cx: 319.5 });
    const truth = JSON.parse(await readFile(join(out, 'truth.json'), 'utf8')) as { objects: { id: string; pose: unknown }[] };
    expect(truth.objects.map((o) => o.id)).toEqual(scene.objects.map((o) => o.id));
  });

  it('refuses a bad seed, a missing --out and a folder that is not its own', async () => {
    await expect(run(['--seed', 'abc', '--out', join(root, 'x')])).rejects.toThrow(/--seed/);
    await expect(run(['--seed', '1'])).rejects.toThrow(/--out/);
    const foreign = join(root, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'keep.txt'), 'mine');
    await expect(run(['--seed', '1', '--out', foreign, '--no-shared-meshes'])).rejects.toThrow(/real2sim did not write/);
    expect(await readFile(join(foreign, 'keep.txt'), 'utf8')).toBe('mine');
  });
});
