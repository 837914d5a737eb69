import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBundle, readBundleScene } from '../../src/export/bundle.ts';
import { glbOfObjects, type GlbObject } from '../../src/export/glb.ts';
import { Real2SimError } from '../../src/model/errors.ts';
import { fixedScene } from './fixtures.ts';
import { boxMesh } from '../../src/geometry/primitives.ts';
import { makeObject } from './fixtures.ts';
import { checkSdf, checkUrdf, mujocoCompile, skipWithout } from './validators.ts';

function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, readFileSync(p).toString('base64'));
    }
  };
  walk(dir, '');
  return out;
}

describe('writeBundle', () => {
  let parent: string;
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'r2s-bundle-'));
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('writes the layout of DESIGN.md and reads the scene back', async () => {
    const scene = fixedScene();
    const dir = join(parent, 'scene');
    const m = await writeBundle(dir, scene, { extraFiles: { 'debug/note.txt': 'hello', 'debug/bytes.bin': new Uint8Array([1, 2, 3]) } });
    for (const f of [
      'scene.json',
      'scene.urdf',
      'scene.sdf',
      'scene.xml',
      'scene.glb',
      'meshes/box_1.obj',
      'meshes/box_1_collision_0.obj',
      'models/box_1/model.sdf',
      'models/box_1/model.config',
      'models/box_1/meshes/box_1.obj',
      'debug/note.txt',
      'debug/bytes.bin',
    ]) {
      expect(m.files).toContain(f);
      expect(existsSync(join(dir, f))).toBe(true);
    }
    expect(readFileSync(join(dir, 'debug/bytes.bin'))).toEqual(Buffer.from([1, 2, 3]));
    const back = await readBundleScene(dir);
    expect(back.objects.map((o) => o.id)).toEqual(scene.objects.map((o) => o.id));
    for (let i = 0; i < scene.objects.length; i++) {
      expect(back.objects[i]!.pose.position).toEqual(scene.objects[i]!.pose.position);
      expect(back.objects[i]!.mass).toBeCloseTo(scene.objects[i]!.mass, 12);
      expect(back.objects[i]!.mesh.positions.length).toBe(scene.objects[i]!.mesh.positions.length);
    }
    const exportReport = back.reports.find((r) => r.stage === 'export');
    expect(exportReport?.counts['objects']).toBe(5);
    // the caller's scene is not mutated
    expect(scene.reports).toEqual([]);
    expect(readdirSync(parent)).toEqual(['scene']);
  });

  it('keeps the previous bundle intact when writing fails half-way', async () => {
    const dir = join(parent, 'scene');
    await writeBundle(dir, fixedScene());
    const before = snapshot(dir);
    // 'debug' as a file and 'debug/x' under it: the folder is made first, then writing the
    // file 'debug' fails after many files are already in the temporary folder.
    const other = fixedScene();
    other.objects.pop();
    const err = await writeBundle(dir, other, { extraFiles: { debug: 'a file', 'debug/x.txt': 'b' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Real2SimError);
    expect((err as Real2SimError).code).toBe('EXPORT');
    expect(snapshot(dir)).toEqual(before);
    expect(readdirSync(parent)).toEqual(['scene']);
  });

  it('adds pending files when they come, counted in scene.json; a pending failure leaves the previous bundle and throws its own error', async () => {
    const dir = join(parent, 'scene');
    let arrive!: (files: Record<string, string | Uint8Array>) => void;
    const pendingFiles = new Promise<Record<string, string | Uint8Array>>((resolve) => (arrive = resolve));
    const writing = writeBundle(dir, fixedScene(), { extraFiles: { 'debug/a.txt': 'early', 'debug/b.txt': 'replaced' }, pendingFiles });
    setTimeout(() => arrive({ 'debug/late/c.bin': new Uint8Array([7, 8]), 'debug/b.txt': 'late' }), 20);
    const m = await writing;
    expect(readFileSync(join(dir, 'debug/a.txt'), 'utf8')).toBe('early');
    expect(readFileSync(join(dir, 'debug/b.txt'), 'utf8')).toBe('late');
    expect(readFileSync(join(dir, 'debug/late/c.bin'))).toEqual(Buffer.from([7, 8]));
    expect(m.files.filter((f) => f.startsWith('debug/'))).toEqual(['debug/a.txt', 'debug/b.txt', 'debug/late/c.bin']);
    // the count in scene.json is every file on disk but the marker, the late ones included
    const onDisk = [...snapshot(dir).keys()].filter((f) => f !== '.real2sim-bundle');
    const back = await readBundleScene(dir);
    expect(back.reports.find((r) => r.stage === 'export')?.counts['files']).toBe(onDisk.length);
    expect(m.files).toEqual(onDisk.sort());

    const before = snapshot(dir);
    const boom = new TypeError('renderer broke');
    const err = await writeBundle(dir, fixedScene(), { extraFiles: { 'debug/a.txt': 'new' }, pendingFiles: Promise.reject(boom) }).catch((e: unknown) => e);
    expect(err).toBe(boom);
    expect(snapshot(dir)).toEqual(before);
    expect(readdirSync(parent)).toEqual(['scene']);
    // a bad path among the pending files is refused like a bad extra file
    const bad = await writeBundle(dir, fixedScene(), { pendingFiles: Promise.resolve({ 'scene.urdf': 'x' }) }).catch((e: unknown) => e);
    expect((bad as Real2SimError).code).toBe('EXPORT');
    expect(snapshot(dir)).toEqual(before);
  });

  it('writes the other files while makeGlb works, then its GLB (the same bytes as made here); a GLB failure leaves the previous bundle and throws its own error', async () => {
    const dir = join(parent, 'scene');
    const here = join(parent, 'here');
    await writeBundle(here, fixedScene());
    let objectsGiven: readonly GlbObject[] = [];
    let finish!: () => void;
    let sawOthers = false;
    const makeGlb = (objects: readonly GlbObject[]) => {
      objectsGiven = objects;
      return new Promise<Uint8Array>((resolve) => (finish = () => resolve(glbOfObjects(objects))));
    };
    const writing = writeBundle(dir, fixedScene(), { makeGlb });
    // the GLB is still being made: the bundle's other files reach the temporary folder meanwhile
    for (let i = 0; i < 200 && !sawOthers; i++) {
      await new Promise((r) => setTimeout(r, 5));
      const temp = readdirSync(parent).find((d) => d.startsWith('.scene.tmp-'));
      sawOthers = !!temp && existsSync(join(parent, temp, 'scene.urdf'));
    }
    expect(sawOthers).toBe(true);
    expect(existsSync(dir)).toBe(false);
    finish();
    const m = await writing;
    expect(objectsGiven.length).toBe(fixedScene().objects.length);
    expect(m.files).toContain('scene.glb');
    expect(readFileSync(join(dir, 'scene.glb'))).toEqual(readFileSync(join(here, 'scene.glb')));
    const back = await readBundleScene(dir);
    expect(back.reports.find((r) => r.stage === 'export')?.counts['files']).toBe([...snapshot(dir).keys()].filter((f) => f !== '.real2sim-bundle').length);

    const before = snapshot(dir);
    const boom = new RangeError('glb broke');
    const err = await writeBundle(dir, fixedScene(), { makeGlb: () => Promise.reject(boom) }).catch((e: unknown) => e);
    expect(err).toBe(boom);
    expect(snapshot(dir)).toEqual(before);
    expect(readdirSync(parent).sort()).toEqual(['here', 'scene']);
  });

  it('replaces an existing bundle completely (no stale files)', async () => {
    const dir = join(parent, 'scene');
    await writeBundle(dir, fixedScene(), { extraFiles: { 'debug/old.txt': 'old' } });
    const small = fixedScene();
    small.objects = small.objects.slice(0, 1);
    const m = await writeBundle(dir, small);
    expect(existsSync(join(dir, 'debug/old.txt'))).toBe(false);
    expect(existsSync(join(dir, 'meshes/box_1.obj'))).toBe(false);
    expect(m.files.filter((f) => f.startsWith('meshes/'))).toEqual(['meshes/slab.obj', 'meshes/slab_collision_0.obj']);
  });

  it('refuses to replace a folder that is not a bundle, and bad extra paths', async () => {
    const dir = join(parent, 'home');
    mkdirSync(dir);
    writeFileSync(join(dir, 'precious.txt'), 'keep me');
    await expect(writeBundle(dir, fixedScene())).rejects.toThrow(/real2sim did not write/);
    expect(readFileSync(join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
    for (const bad of ['../evil.txt', '/abs.txt', 'debug/../../x', 'a\\b', 'scene.urdf', 'meshes/x.obj', '']) {
      await expect(writeBundle(join(parent, 'b'), fixedScene(), { extraFiles: { [bad]: 'x' } })).rejects.toThrow(Real2SimError);
    }
    expect(existsSync(join(parent, 'evil.txt'))).toBe(false);
    expect(readdirSync(parent).sort()).toEqual(['home']);
  });

  it.skipIf(skipWithout('check_urdf') || skipWithout('ign') || skipWithout('mujoco-compile'))('sanitises hostile ids and labels into names every validator accepts', async () => {
    const ids = ['../../etc/passwd', 'a b', 'çafé ☕', '<x&y>"\'', '☕', 'dup', 'dup!', 'DUP', 'world', 'a_collision_0', 'a', 'x'.repeat(300), '..', 'ground_plane'];
    const scene = fixedScene();
    scene.objects = ids.map((id, i) => makeObject(id, `label ${id} --> <!-- ]]>`, boxMesh(0.05, 0.05, 0.05), [0.05, 0.05, 0.05], [i * 0.1, 0, 0.025], [0, 0, 0, 1]));
    const dir = join(parent, 'hostile');
    const m = await writeBundle(dir, scene);
    const names = Object.values(m.names);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(ids.length);
    const meshFiles = m.files.filter((f) => f.startsWith('meshes/'));
    for (const f of meshFiles) expect(f).toMatch(/^meshes\/[A-Za-z0-9_-]+\.obj$/);
    // every object has its own visual mesh file, despite duplicate ids
    expect(meshFiles.filter((f) => !/_collision_\d+\.obj$/.test(f)).length).toBe(ids.length);
    expect(readdirSync(parent)).toEqual(['hostile']);
    const urdf = checkUrdf(join(dir, 'scene.urdf'));
    expect(urdf.ok, urdf.output).toBe(true);
    const sdf = checkSdf(join(dir, 'scene.sdf'));
    expect(sdf.ok, sdf.output).toBe(true);
    const mj = mujocoCompile(join(dir, 'scene.xml'), join(parent, 'o.mjb'));
    expect(mj.ok, mj.output).toBe(true);
  });
});

describe('readBundleScene', () => {
  it('says what is wrong when the folder is not a bundle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'r2s-notbundle-'));
    try {
      await expect(readBundleScene(dir)).rejects.toThrow(/has no scene\.json/);
      writeFileSync(join(dir, 'scene.json'), '{"version": 1, "objects": [{"id": 3}]}');
      await expect(readBundleScene(dir)).rejects.toThrow(Real2SimError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('prepareScene reports what would go wrong in a simulator', () => {
  it('collision at the wrong scale, objects below the support, hull fallback, renamed ids', async () => {
    const { prepareScene } = await import('../../src/export/prepare.ts');
    const scene = fixedScene();
    const box = scene.objects[1]!;
    box.collision = [boxMesh(0.12, 0.32, 0.42)]; // twice the visual: a unit mix-up
    scene.objects[2]!.pose.position[2] = 0.01; // the can sinks 23 mm into the ground
    scene.objects[3]!.collision = []; // no collision: falls back to the hull
    scene.objects[4]!.id = 'cup #1';
    const { report, objects } = prepareScene(scene);
    expect(report.counts['collisionMismatch']).toBe(1);
    expect(report.warnings.join('\n')).toMatch(/object 'box_1': collision pieces span 120 mm along x where the visual mesh spans 60 mm/);
    expect(report.counts['belowSupport']).toBe(2); // the can, and the oversized box collision
    expect(report.warnings.join('\n')).toMatch(/object 'can_1': reaches 23\.0 mm below the support plane/);
    expect(report.counts['hullFallback']).toBe(1);
    expect(objects[3]!.collision).toHaveLength(1);
    expect(report.counts['renamed']).toBe(1);
    expect(objects[4]!.name).toBe('cup_1');
    // a clean scene has no warnings
    expect(prepareScene(fixedScene()).report.warnings).toEqual([]);
  });
});

describe('collision pieces over 255 vertices', () => {
  it('are simplified to at most 255 vertices, inside the original, keeping ≥ 97 % of its volume', async () => {
    const { prepareScene } = await import('../../src/export/prepare.ts');
    const { sphereMesh } = await import('../../src/geometry/primitives.ts');
    const { convexHull } = await import('../../src/geometry/convexHull.ts');
    const { meshVolume } = await import('../../src/geometry/massProperties.ts');
    const scene = fixedScene();
    const big = convexHull(sphereMesh(0.033, 64, 32).positions);
    expect(big.positions.length / 3).toBeGreaterThan(255);
    scene.objects[3]!.collision = [big];
    const { report, objects } = prepareScene(scene);
    const piece = objects[3]!.collision[0]!;
    expect(piece.positions.length / 3).toBeLessThanOrEqual(255);
    expect(report.counts['simplifiedPieces']).toBe(1);
    const ratio = meshVolume(piece) / meshVolume(big);
    expect(ratio).toBeGreaterThan(0.97);
    expect(ratio).toBeLessThanOrEqual(1 + 1e-9);
  });
});
