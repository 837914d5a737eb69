import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseObj, parseStl } from '../../src/io/readers/meshes.ts';
import { listMeshFiles, loadFileMesh, meshName, restOnHullFace, simplifiedHull, weldClosed } from '../../src/synth/shapes.ts';
import { boundsOf } from '../../src/model/geometry.ts';
import { quatFromRpy, transformPositions } from '../../src/model/pose.ts';
import { sphereMesh } from '../../src/geometry/primitives.ts';
import { validateScene } from '../../sim/index.ts';
import { generateSynthScene, type SynthObjectInfo } from '../../src/synth/synth.ts';
import { boxMesh } from '../../src/geometry/primitives.ts';
import { meshVolume } from '../../src/geometry/massProperties.ts';

const root = await mkdtemp(join(tmpdir(), 'r2s-shapes-'));
afterAll(() => rm(root, { recursive: true, force: true }));

/** A closed box as OBJ text with 1-based indices (and one quad face to exercise fanning). */
function boxObj(sx: number, sy: number, sz: number): string {
  const m = boxMesh(sx, sy, sz);
  const lines: string[] = [];
  for (let i = 0; i < m.positions.length; i += 3) lines.push(`v ${m.positions[i]} ${m.positions[i + 1]} ${m.positions[i + 2]}`);
  for (let t = 0; t < m.indices.length; t += 3) lines.push(`f ${m.indices[t]! + 1}/1/1 ${m.indices[t + 1]! + 1} ${m.indices[t + 2]! + 1}`);
  return lines.join('\n') + '\n';
}

function boxStl(sx: number, sy: number, sz: number): Uint8Array {
  const m = boxMesh(sx, sy, sz);
  const nt = m.indices.length / 3;
  const buf = new Uint8Array(84 + nt * 50);
  const dv = new DataView(buf.buffer);
  dv.setUint32(80, nt, true);
  for (let t = 0; t < nt; t++) {
    for (let k = 0; k < 3; k++) {
      const v = m.indices[t * 3 + k]! * 3;
      for (let a = 0; a < 3; a++) dv.setFloat32(84 + t * 50 + 12 + k * 12 + a * 4, m.positions[v + a]!, true);
    }
  }
  return buf;
}

describe('meshes from a folder', () => {
  it('reads closed OBJ/STL meshes, skips open, flat and proxy files, in a stable order', async () => {
    const dir = join(root, 'data');
    await mkdir(join(dir, 'b'), { recursive: true });
    await writeFile(join(dir, 'b', 'crate.obj'), boxObj(2, 1, 1.5));
    await writeFile(join(dir, 'brick.stl'), boxStl(0.2, 0.1, 0.05));
    await writeFile(join(dir, 'open.obj'), 'v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\n');
    await writeFile(join(dir, 'needle.obj'), boxObj(1, 0.01, 0.01));
    await writeFile(join(dir, 'crate_vhacd.obj'), boxObj(1, 1, 1));
    await writeFile(join(dir, 'broken.obj'), 'v 0 0 0\nf 1 2 3\n');
    await writeFile(join(dir, 'notes.txt'), 'not a mesh');
    const files = listMeshFiles(dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['b/crate.obj', 'brick.stl', 'broken.obj', 'needle.obj', 'open.obj']);
    expect(loadFileMesh(join(dir, 'b', 'crate.obj'))!.name).toBe('crate');
    expect(meshVolume(loadFileMesh(join(dir, 'b', 'crate.obj'))!.mesh)).toBeCloseTo(3, 5);
    expect(meshVolume(loadFileMesh(join(dir, 'brick.stl'))!.mesh)).toBeCloseTo(0.001, 8);
    expect(loadFileMesh(join(dir, 'open.obj'))).toBeNull();
    expect(loadFileMesh(join(dir, 'needle.obj'))).toBeNull(); // cannot fit 4–40 cm on every axis
    expect(loadFileMesh(join(dir, 'broken.obj'))).toBeNull();

    // scenes drawing only from this folder: meshes normalised into 4–40 cm, hull collision
    let seen = 0;
    for (let seed = 1; seed < 12; seed++) {
      const { scene } = generateSynthScene({ seed, sharedMeshesDir: dir, shapes: ['mesh'] });
      const info = scene.meta!['objects'] as SynthObjectInfo[];
      scene.objects.forEach((o, k) => {
        expect(info[k]!.kind).toBe('mesh');
        expect(['crate', 'brick']).toContain(o.label);
        for (const s of o.size) {
          expect(s).toBeGreaterThanOrEqual(0.04 - 1e-6);
          expect(s).toBeLessThanOrEqual(0.4 + 1e-6);
        }
        expect(o.collision).toHaveLength(1);
        expect(o.symmetry).toBe('rot2');
        seen++;
      });
    }
    expect(seen).toBeGreaterThan(10);
  });

  it('parses negative OBJ indices and ASCII STL, and rejects garbage', () => {
    // loadFileMesh reads OBJ and STL with the asset readers (src/io/readers/meshes.ts)
    const m = parseObj('v 0 0 0\nv 1 0 0\nv 0 1 0\nf -3 -2 -1\n').mesh;
    expect(Array.from(m.indices)).toEqual([0, 1, 2]);
    const s = parseStl(new TextEncoder().encode('solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid t\n'));
    expect(s.positions.length).toBe(9);
    expect(() => parseStl(new Uint8Array(100).fill(7))).toThrow(/STL/);
    expect(() => parseObj('v a b c\nf 1 2 3\n')).toThrow(/not three finite numbers/);
    expect(weldClosed(m)).toBeNull();
  });

  it('names generic mesh files after their folder', () => {
    expect(meshName('/d/YcbBanana/textured_simple_reoriented.obj')).toBe('YcbBanana');
    expect(meshName('/d/pybullet_data/textured_sphere_smooth.obj')).toBe('textured_sphere_smooth');
    expect(meshName('/d/x/duck.obj')).toBe('duck');
  });
});

describe('resting pose and collision hulls', () => {
  it('restOnHullFace puts a tilted box back on a face (rpy 0.3, 0.2, 0)', () => {
    const box = boxMesh(0.3, 0.2, 0.1);
    const tilted = { positions: transformPositions({ position: [0, 0, 0], orientation: quatFromRpy(0.3, 0.2, 0) }, box.positions), indices: box.indices };
    const rested = restOnHullFace(tilted);
    const b = boundsOf(rested.positions);
    // on its largest face again: the z extent is the box's thinnest side
    expect(b.max[2] - b.min[2]).toBeCloseTo(0.1, 5);
    expect(meshVolume(rested)).toBeCloseTo(0.006, 8);
  });

  it('simplifiedHull keeps at most 64 vertices and the whole bottom face (sphere-ish blob, seed-free)', () => {
    const s = sphereMesh(0.1, 40, 20);
    // flatten the bottom: a ball with a flat base
    const p = s.positions.slice();
    for (let i = 2; i < p.length; i += 3) p[i] = Math.max(p[i]!, -0.08);
    const h = simplifiedHull(p);
    expect(h.positions.length / 3).toBeLessThanOrEqual(64);
    expect(boundsOf(h.positions).min[2]).toBeCloseTo(-0.08, 6);
    expect(meshVolume(h)).toBeGreaterThan(0.88 * meshVolume(simplifiedHull(p, 10_000)));
  });
});

describe('synthetic truth scenes in physics', () => {
  it('rest as generated: the default engine finds nothing to repair (seeds 1000..1003)', async () => {
    for (let seed = 1000; seed < 1004; seed++) {
      const { scene } = generateSynthScene({ seed });
      const report = await validateScene(scene);
      const problems = report.findings.filter((f) => f.severity !== 'info').map((f) => f.message);
      expect(problems, `seed ${seed}`).toEqual([]);
      expect(report.verdict).toBe('valid');
    }
  });
});
