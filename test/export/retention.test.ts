import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBundle } from '../../src/export/bundle.ts';
import { BundleRetention, folderBytes } from '../../src/export/retention.ts';
import { generateSynthScene } from '../../src/synth/synth.ts';

const root = mkdtempSync(join(tmpdir(), 'real2sim-retention-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const { scene } = generateSynthScene({ seed: 3, width: 64, height: 48, sharedMeshesDir: null });

/** Real bundles of the node's kind, written in order (their markers' times increase). */
async function nodeBundles(dir: string, names: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const n of names) {
    out.push((await writeBundle(join(dir, n), scene, { kind: 'ros', glb: false })).dir);
    await new Promise((r) => setTimeout(r, 5)); // distinct marker times
  }
  return out;
}

describe('bundle retention', () => {
  it('keeps the last N of its own bundles, oldest removed first, and never touches anyone else’s folders', async () => {
    const dir = join(root, 'count');
    mkdirSync(dir);
    // Someone else's things in the same output folder: a user's folder, a `reconstruct` bundle,
    // a node bundle to which a user added a file.
    mkdirSync(join(dir, 'my_notes'));
    writeFileSync(join(dir, 'my_notes', 'a.txt'), 'mine');
    await writeBundle(join(dir, 'scene_0_000'), scene, { glb: false }); // kind 'bundle'
    const [touched] = await nodeBundles(dir, ['scene_1_000']);
    writeFileSync(join(touched!, 'added_by_user.txt'), 'keep me');

    const before = await BundleRetention.open(dir, { keepLast: 3, maxBytes: 0, kind: 'ros' });
    expect(before.count).toBe(0); // the touched bundle is not wholly the node's: not counted
    const written = await nodeBundles(dir, ['scene_2_000', 'scene_3_000', 'scene_4_000', 'scene_5_000', 'scene_6_000']);
    // An earlier run's bundles are found on start, oldest first by marker time.
    const r = await BundleRetention.open(dir, { keepLast: 3, maxBytes: 0, kind: 'ros' });
    expect(r.list().map((b) => b.dir)).toEqual(written);
    const pruned = await r.prune(written[4]!);
    expect(pruned.removed).toEqual(written.slice(0, 2));
    expect(readdirSync(dir).sort()).toEqual(['my_notes', 'scene_0_000', 'scene_1_000', 'scene_4_000', 'scene_5_000', 'scene_6_000']);
    expect(existsSync(join(touched!, 'added_by_user.txt'))).toBe(true);
    expect(existsSync(join(dir, 'my_notes', 'a.txt'))).toBe(true);
    expect(r.count).toBe(3);
  });

  it('stays under max bytes without ever removing the current bundle; a file added later makes a bundle the user’s', async () => {
    const dir = join(root, 'bytes');
    mkdirSync(dir);
    const written = await nodeBundles(dir, ['scene_1_000', 'scene_2_000', 'scene_3_000', 'scene_4_000']);
    const one = await folderBytes(written[0]!);
    expect(one).toBeGreaterThan(1000);
    writeFileSync(join(written[1]!, 'notes.txt'), 'added after the write');
    const r = await BundleRetention.open(dir, { keepLast: 0, maxBytes: one * 2.5, kind: 'ros' });
    expect(r.count).toBe(3); // written[1] now holds a foreign file
    await r.prune(written[3]!);
    expect(readdirSync(dir).sort()).toEqual(['scene_2_000', 'scene_3_000', 'scene_4_000']);
    expect(r.bytes).toBeLessThanOrEqual(one * 2.5);
    // A limit below one bundle: everything but the current one goes.
    const tight = await BundleRetention.open(dir, { keepLast: 0, maxBytes: 1, kind: 'ros' });
    await tight.prune(written[3]!);
    expect(readdirSync(dir).sort()).toEqual(['scene_2_000', 'scene_4_000']);
    expect(existsSync(join(written[1]!, 'notes.txt'))).toBe(true);
  });

  it('before a write, makes room for it: keep_last − 1 bundles, and max bytes less the coming bundle', async () => {
    const dir = join(root, 'room');
    mkdirSync(dir);
    const written = await nodeBundles(dir, ['scene_1_000', 'scene_2_000', 'scene_3_000']);
    const one = await folderBytes(written[0]!);
    const byCount = await BundleRetention.open(dir, { keepLast: 3, maxBytes: 0, kind: 'ros' });
    expect((await byCount.prune(written[2]!, { room: one })).removed).toEqual([written[0]]);
    const bySize = await BundleRetention.open(dir, { keepLast: 0, maxBytes: one * 2.5, kind: 'ros' });
    expect((await bySize.prune(written[2]!, { room: one })).removed).toEqual([written[1]]);
    expect(readdirSync(dir)).toEqual(['scene_3_000']);
  });

  it('a bundle re-written under the same name counts once, as the newest', async () => {
    const dir = join(root, 'same');
    mkdirSync(dir);
    const r = await BundleRetention.open(dir, { keepLast: 2, maxBytes: 0, kind: 'ros' });
    const [a, b] = await nodeBundles(dir, ['scene_1_000', 'scene_2_000']);
    await r.add(a!);
    await r.add(b!);
    await nodeBundles(dir, ['scene_1_000']);
    await r.add(a!);
    expect(r.list().map((x) => x.dir)).toEqual([b, a]);
    expect((await r.prune(a!)).removed).toEqual([]);
    // A folder without the node's marker is never recorded.
    mkdirSync(join(dir, 'plain'));
    expect(await r.add(join(dir, 'plain'))).toBe(false);
  });
});
