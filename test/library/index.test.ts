import { mkdtempSync, mkdirSync, readFileSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boxMesh, cylinderMesh } from '../../src/geometry/primitives.ts';
import { encodeObj } from '../../src/io/mesh.ts';
import type { Mesh } from '../../src/model/geometry.ts';
import { LIBRARY_CACHE, loadLibrary } from '../../src/library/index.ts';

function scaledMesh(m: Mesh, s: number): Mesh {
  return { positions: m.positions.map((v) => v * s), indices: m.indices };
}

describe('library index', () => {
  it('reads meshes, detects millimetres, applies library.json, caches and rebuilds a changed file only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'r2s-lib-'));
    mkdirSync(join(dir, 'mug'));
    // a box in millimetres (extent 200 > 5: detected), a can in metres, a part whose units are given
    writeFileSync(join(dir, 'box_mm.obj'), encodeObj(boxMesh(200, 100, 50)));
    writeFileSync(join(dir, 'mug', 'model.obj'), encodeObj(cylinderMesh(0.04, 0.1, 48)));
    writeFileSync(join(dir, 'part.obj'), encodeObj(boxMesh(3, 2, 1)));
    writeFileSync(join(dir, 'notes.txt'), 'not a mesh');
    writeFileSync(join(dir, 'library.json'), JSON.stringify({ items: { 'part.obj': { units: 'cm', name: 'bracket', density: 2700 }, 'mug/model.obj': { symmetry: 'cylinder' } } }));

    const lib = await loadLibrary(dir);
    expect(lib.warnings).toEqual([]);
    expect(lib.described).toBe(3);
    const by = new Map(lib.items.map((i) => [i.name, i]));
    expect([...by.keys()].sort()).toEqual(['box_mm', 'bracket', 'mug']);
    const box = by.get('box_mm')!;
    expect(box.units).toBe('detected-mm');
    box.desc.extents.forEach((e, k) => expect(e).toBeCloseTo([0.2, 0.1, 0.05][k]!, 6));
    expect(box.desc.volume).toBeCloseTo(0.2 * 0.1 * 0.05, 8);
    expect(box.desc.area).toBeCloseTo(2 * (0.02 + 0.01 + 0.005), 6);
    expect(box.desc.boxFill).toBeCloseTo(1, 5);
    const part = by.get('bracket')!;
    expect(part.units).toBe('given');
    expect(part.density).toBe(2700);
    part.desc.extents.forEach((e, k) => expect(e).toBeCloseTo([0.03, 0.02, 0.01][k]!, 6));
    const mug = by.get('mug')!;
    expect(mug.symmetry).toBe('cylinder');
    expect(mug.units).toBe('detected-m');
    // a tessellated cylinder fills ~π/4 of its box
    expect(mug.desc.boxFill).toBeGreaterThan(0.77);
    expect(mug.desc.boxFill).toBeLessThan(0.79);
    // standing upright is one of its rests: height 0.1, footprint 0.08 × 0.08
    expect(mug.desc.rests.some((r) => Math.abs(r.height - 0.1) < 1e-6 && Math.abs(r.footprint[0] - 0.08) < 1e-3)).toBe(true);
    // surface samples lie on the box's surface
    const s = box.desc.samples;
    for (let i = 0; i < s.length; i += 300) {
      const d = Math.min(0.1 - Math.abs(s[i]!), 0.05 - Math.abs(s[i + 1]!), 0.025 - Math.abs(s[i + 2]!));
      expect(Math.abs(d)).toBeLessThan(1e-6);
    }
    expect(existsSync(join(dir, LIBRARY_CACHE))).toBe(true);

    // second load: everything from the cache, same descriptors
    const again = await loadLibrary(dir);
    expect(again.described).toBe(0);
    expect(again.items.find((i) => i.name === 'box_mm')!.desc.extents).toEqual(box.desc.extents);
    expect(Array.from(again.items.find((i) => i.name === 'box_mm')!.desc.samples.slice(0, 30))).toEqual(Array.from(box.desc.samples.slice(0, 30)));

    // a changed file is described again, the others are not
    writeFileSync(join(dir, 'box_mm.obj'), encodeObj(scaledMesh(boxMesh(200, 100, 50), 1.5)));
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, 'box_mm.obj'), later, later);
    const changed = await loadLibrary(dir);
    expect(changed.described).toBe(1);
    changed.items.find((i) => i.name === 'box_mm')!.desc.extents.forEach((e, k) => expect(e).toBeCloseTo([0.3, 0.15, 0.075][k]!, 6));
    const cache = JSON.parse(readFileSync(join(dir, LIBRARY_CACHE), 'utf8')) as { entries: Record<string, unknown> };
    expect(Object.keys(cache.entries).sort()).toEqual(['box_mm.obj', 'mug/model.obj', 'part.obj']);
  });

  it('refuses a bad library.json with a coded error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'r2s-lib-'));
    writeFileSync(join(dir, 'a.obj'), encodeObj(boxMesh(0.1, 0.1, 0.1)));
    writeFileSync(join(dir, 'library.json'), JSON.stringify({ items: { 'a.obj': { symmetry: 'spiral' } } }));
    await expect(loadLibrary(dir)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(loadLibrary(join(dir, 'missing'))).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});
