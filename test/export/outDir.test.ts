/**
 * Output folders: only a folder the tool wrote (marker, nothing added) is replaced; anything else
 * is refused, or with `force` kept beside the new folder; leftovers of dead runs are swept (a
 * previous bundle moved aside is put back); checks happen before any work.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { checkOutDir, MARKER_FILE, readMarker, replaceDir, runInterruptCleanups, sweepStale, verifyOutDir } from '../../src/export/outDir.ts';
import { Real2SimError } from '../../src/model/errors.ts';
import { expectRejection } from '../helpers/errors.ts';

/** Writes `files` (name → text) into a fresh temporary folder: the write callback of replaceDir. */
const writer = (files: Record<string, string>) => (temp: string) => {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(temp, name, '..'), { recursive: true });
    writeFileSync(join(temp, name), text);
  }
  return Promise.resolve(Object.keys(files));
};

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid;
}

describe('output folders', () => {
  let parent: string;
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'r2s-outdir-'));
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('writes a marker listing every file, last; the folder verifies complete', async () => {
    const dir = join(parent, 'b');
    await replaceDir(dir, 'bundle', writer({ 'a.txt': 'a', 'm/b.obj': 'b' }));
    const marker = await readMarker(dir);
    expect(marker?.tool).toBe('real2sim');
    expect(marker?.kind).toBe('bundle');
    expect(marker?.files).toEqual(['a.txt', 'm/b.obj']);
    expect(await verifyOutDir(dir)).toEqual({ complete: true, missing: [] });
    rmSync(join(dir, 'm/b.obj'));
    expect(await verifyOutDir(dir)).toEqual({ complete: false, missing: ['m/b.obj'] });
    expect(readdirSync(parent)).toEqual(['b']);
  });

  it('replaces its own folder completely, and an empty folder', async () => {
    const dir = join(parent, 'b');
    await replaceDir(dir, 'bundle', writer({ 'old.txt': 'o', 'sub/x': 'x' }));
    await replaceDir(dir, 'bundle', writer({ 'new.txt': 'n' }));
    expect(readdirSync(dir).sort()).toEqual([MARKER_FILE, 'new.txt']);
    const empty = join(parent, 'empty');
    mkdirSync(empty);
    await replaceDir(empty, 'bundle', writer({ 'x.txt': 'x' }));
    expect(readFileSync(join(empty, 'x.txt'), 'utf8')).toBe('x');
    expect(readdirSync(parent).sort()).toEqual(['b', 'empty']);
  });

  it("refuses a folder it did not write (an earlier version's bundle too), naming the files and --force", async () => {
    const dir = join(parent, 'project');
    mkdirSync(join(dir, 'urdf'), { recursive: true });
    writeFileSync(join(dir, 'NOTES.md'), 'notes');
    writeFileSync(join(dir, 'scene.urdf'), '<robot/>');
    writeFileSync(join(dir, 'urdf', 'arm.png'), 'png');
    await expectRejection(() => replaceDir(dir, 'bundle', writer({ 'a.txt': 'a' })), 'OUT_REFUSED', /did not write.*NOTES\.md.*--force/s);
    expect(readFileSync(join(dir, 'NOTES.md'), 'utf8')).toBe('notes');
    expect(readFileSync(join(dir, 'urdf', 'arm.png'), 'utf8')).toBe('png');
    expect(readdirSync(parent)).toEqual(['project']);
  });

  it('refuses its own folder once files were added to it, and keeps them with force', async () => {
    const dir = join(parent, 'b');
    await replaceDir(dir, 'bundle', writer({ 'scene.json': '{}' }));
    mkdirSync(join(dir, 'input'));
    writeFileSync(join(dir, 'input', 'frame.png'), 'mine');
    await expectRejection(() => replaceDir(dir, 'bundle', writer({ 'scene.json': '{"v":2}' })), 'OUT_REFUSED', /1 file real2sim did not write \(input\/frame\.png\)/);
    const r = await replaceDir(dir, 'bundle', writer({ 'scene.json': '{"v":2}' }), { force: true });
    expect(readFileSync(join(dir, 'scene.json'), 'utf8')).toBe('{"v":2}');
    expect(r.keptAs).toMatch(/b\.replaced-/);
    expect(readFileSync(join(r.keptAs!, 'input', 'frame.png'), 'utf8')).toBe('mine');
    expect(readFileSync(join(r.keptAs!, 'scene.json'), 'utf8')).toBe('{}');
  });

  it('a file that appears in the old folder during the write is never deleted', async () => {
    const dir = join(parent, 'b');
    await replaceDir(dir, 'bundle', writer({ 'a.txt': 'a' }));
    await expectRejection(
      () =>
        replaceDir(dir, 'bundle', async (temp) => {
          writeFileSync(join(dir, 'late.txt'), 'written meanwhile');
          return writer({ 'a.txt': 'b' })(temp);
        }),
      'OUT_REFUSED',
      /late\.txt/,
    );
    expect(readFileSync(join(dir, 'late.txt'), 'utf8')).toBe('written meanwhile');
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('a');
    expect(readdirSync(parent)).toEqual(['b']);
  });

  it('checks before any work: parent is a file, target is a file, the root', async () => {
    writeFileSync(join(parent, 'f'), 'file');
    await expectRejection(() => checkOutDir(join(parent, 'f', 'sub', 'deeper')), 'OUT_REFUSED', /'.*\/f' is a file, not a folder/);
    await expectRejection(() => checkOutDir(join(parent, 'f')), 'OUT_REFUSED', /is a file, not a folder/);
    await expectRejection(() => checkOutDir('/'), 'OUT_REFUSED', /root/);
    await expectRejection(() => checkOutDir(''), 'OUT_REFUSED', /needs a folder/);
    expect((await checkOutDir(join(parent, 'new', 'deep'))).state).toBe('missing');
    expect(readFileSync(join(parent, 'f'), 'utf8')).toBe('file');
  });

  it('a failed write leaves the previous folder and no temporary folder', async () => {
    const dir = join(parent, 'b');
    await replaceDir(dir, 'bundle', writer({ 'a.txt': 'a' }));
    const err = await replaceDir(dir, 'bundle', () => Promise.reject(new Error('disk full'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Real2SimError);
    expect((err as Real2SimError).code).toBe('EXPORT');
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('a');
    expect(readdirSync(parent)).toEqual(['b']);
  });

  it('an interrupt during the write removes the temporary folder (the SIGINT handler path)', async () => {
    const dir = join(parent, 'b');
    await replaceDir(dir, 'bundle', (temp) => {
      writeFileSync(join(temp, 'x'), 'x');
      runInterruptCleanups();
      expect(existsSync(temp)).toBe(false);
      return Promise.reject(new Error('interrupted'));
    }).catch(() => undefined);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('an interrupt while file creations are still queued on libuv threads removes the temporary folder', async () => {
    // The SIGINT handler runs while this run's writes wait on libuv's threads, which go on
    // creating files while the handler removes the folder (rmSync's maxRetries alone left the
    // folder in most of these trials)
    for (let trial = 0; trial < 10; trial++) {
      let left: boolean | undefined;
      await replaceDir(join(parent, `b${trial}`), 'bundle', async (temp) => {
        const queued = Array.from({ length: 300 }, (_, i) => writeFile(join(temp, `f${i}.obj`), 'v 0 0 0\n', { flag: 'wx' }).catch(() => undefined));
        runInterruptCleanups();
        // what the process would leave if it exited now (replaceDir's own failure path, which
        // removes the folder again, never runs after a real interrupt)
        await Promise.all(queued);
        left = existsSync(temp);
        throw new Error('interrupted');
      }).catch(() => undefined);
      expect(left, `trial ${trial}: the temporary folder was left`).toBe(false);
    }
    expect(readdirSync(parent)).toEqual([]);
  });

  it('sweeps what dead runs left: removes temporaries, puts a moved-aside bundle back, spares live ones', async () => {
    const dead = deadPid();
    const dir = join(parent, 'scene');
    // a run died after moving the previous bundle aside and before renaming the new one in
    await replaceDir(join(parent, 'prev'), 'bundle', writer({ 'scene.json': 'previous' }));
    const aside = join(parent, `.scene.old-${dead}-0123abcd`);
    spawnSync('mv', [join(parent, 'prev'), aside]);
    mkdirSync(join(parent, `.scene.tmp-${dead}-89abcdef`, 'meshes'), { recursive: true });
    writeFileSync(join(parent, `.scene.tmp-${dead}-89abcdef`, 'meshes', 'half.obj'), 'v 0');
    mkdirSync(join(parent, `.other.tmp-${dead}`)); // an earlier version's synth temporary
    mkdirSync(join(parent, `.scene.tmp-${process.pid}-00000000`)); // a live run's: untouched
    mkdirSync(join(parent, '.notours.tmp-x')); // not the pattern: untouched
    const swept = await sweepStale(parent);
    expect(swept.restored).toEqual([dir]);
    expect(readFileSync(join(dir, 'scene.json'), 'utf8')).toBe('previous');
    expect(readdirSync(parent).sort()).toEqual([`.notours.tmp-x`, `.scene.tmp-${process.pid}-00000000`, 'scene'].sort());
    // a stale .old- beside a present target is removed (only its listed files)
    const old2 = join(parent, `.scene.old-${dead}-11112222`);
    await replaceDir(join(parent, 'tmpb'), 'bundle', writer({ 'a.txt': 'a' }));
    spawnSync('mv', [join(parent, 'tmpb'), old2]);
    await sweepStale(parent);
    expect(existsSync(old2)).toBe(false);
    expect(existsSync(join(dir, 'scene.json'))).toBe(true);
  });
});
