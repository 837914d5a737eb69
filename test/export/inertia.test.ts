import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { massProperties, isPhysicalInertia, principalMoments } from '../../src/geometry/massProperties.ts';
import { boxMesh, cylinderMesh, sphereMesh } from '../../src/geometry/primitives.ts';
import { safeMassProperties, symmetricEigen3, INERTIA_RULES_DEFAULTS } from '../../src/export/inertia.ts';
import { writeBundle } from '../../src/export/bundle.ts';
import { readBundleScene } from '../../src/export/bundle.ts';
import { createRng } from '../../src/geometry/random.ts';
import { quatFromAxisAngle, quatToMat3 } from '../../src/model/pose.ts';
import type { Inertia } from '../../src/model/scene.ts';
import { fixedScene, makeObject } from './fixtures.ts';
import { checkUrdf, mujocoCompile, skipWithout } from './validators.ts';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('mass properties match closed forms within 0.5 %', () => {
  const rho = 700;
  it('box 0.1 × 0.2 × 0.3', () => {
    const [a, b, c] = [0.1, 0.2, 0.3];
    const mp = massProperties(boxMesh(a, b, c), rho);
    const m = rho * a * b * c;
    expect(rel(mp.mass, m)).toBeLessThan(0.005);
    expect(rel(mp.inertia.ixx, (m * (b * b + c * c)) / 12)).toBeLessThan(0.005);
    expect(rel(mp.inertia.iyy, (m * (a * a + c * c)) / 12)).toBeLessThan(0.005);
    expect(rel(mp.inertia.izz, (m * (a * a + b * b)) / 12)).toBeLessThan(0.005);
    expect(Math.abs(mp.inertia.ixy) + Math.abs(mp.inertia.ixz) + Math.abs(mp.inertia.iyz)).toBeLessThan(1e-12);
  });
  it('cylinder r = 0.04, h = 0.12 (128 segments)', () => {
    const [r, h] = [0.04, 0.12];
    const mp = massProperties(cylinderMesh(r, h, 128), rho);
    const m = rho * Math.PI * r * r * h;
    expect(rel(mp.mass, m)).toBeLessThan(0.005);
    expect(rel(mp.inertia.izz, (m * r * r) / 2)).toBeLessThan(0.005);
    expect(rel(mp.inertia.ixx, (m * (3 * r * r + h * h)) / 12)).toBeLessThan(0.005);
    expect(rel(mp.inertia.iyy, (m * (3 * r * r + h * h)) / 12)).toBeLessThan(0.005);
  });
  it('sphere r = 0.05 (128 × 64)', () => {
    const r = 0.05;
    const mp = massProperties(sphereMesh(r, 128, 64), rho);
    const m = (rho * 4 * Math.PI * r ** 3) / 3;
    expect(rel(mp.mass, m)).toBeLessThan(0.005);
    for (const k of ['ixx', 'iyy', 'izz'] as const) expect(rel(mp.inertia[k], 0.4 * m * r * r)).toBeLessThan(0.005);
  });
});

function fromEigen(values: [number, number, number], axis: [number, number, number], angle: number): Inertia {
  const R = quatToMat3(quatFromAxisAngle(axis, angle));
  const m = (r: number, c: number) => values.reduce((s, v, k) => s + v * R[r * 3 + k]! * R[c * 3 + k]!, 0);
  return { ixx: m(0, 0), ixy: m(0, 1), ixz: m(0, 2), iyy: m(1, 1), iyz: m(1, 2), izz: m(2, 2) };
}

describe('safeMassProperties', () => {
  it('leaves a physical tensor and mass untouched', () => {
    const I = fromEigen([0.002, 0.003, 0.004], [1, 2, 3], 0.7);
    const s = safeMassProperties('x', 0.5, I, [0.1, 0.1, 0.1]);
    expect(s.warnings).toEqual([]);
    expect(s.mass).toBe(0.5);
    expect(s.inertia).toEqual(I);
  });

  it('raises a mass below 1 g and scales the inertia with it', () => {
    const I = fromEigen([2e-8, 3e-8, 4e-8], [0, 0, 1], 0);
    const s = safeMassProperties('crumb', 2e-4, I, [0.01, 0.01, 0.01]);
    expect(s.mass).toBe(1e-3);
    expect(s.inertia.ixx).toBeCloseTo(1e-7, 15);
    expect(s.warnings.join()).toMatch(/crumb: mass 0.000200 kg is below 0.001 kg/);
  });

  it('Jacobi eigenvalues match the closed form of massProperties', () => {
    const I = fromEigen([0.001, 0.005, 0.0055], [0.3, -1, 0.2], 1.1);
    const a = symmetricEigen3(I)
      .values.slice()
      .sort((x, y) => x - y);
    const b = principalMoments(I);
    for (let k = 0; k < 3; k++) expect(rel(a[k]!, b[k]!)).toBeLessThan(1e-9);
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`random bad tensors become positive definite and triangle-valid (seed=${seed})`, () => {
      const rng = createRng(seed);
      for (let t = 0; t < 200; t++) {
        const kind = rng.int(4);
        const scale = 10 ** rng.range(-12, -2);
        const ev: [number, number, number] =
          kind === 0
            ? [rng.range(-1, 1) * scale, rng.range(0, 1) * scale, rng.range(0, 1) * scale] // indefinite
            : kind === 1
              ? [0, scale, scale] // flat plate, on the triangle limit
              : kind === 2
                ? [scale * 0.01, scale * 0.01, scale] // violates the triangle inequality
                : [rng.range(0, 1) * 1e-11, rng.range(0, 1) * 1e-11, rng.range(0, 1) * 1e-11]; // tiny
        const I = fromEigen(ev, [rng.normal(), rng.normal(), rng.normal()], rng.range(0, Math.PI));
        const s = safeMassProperties('x', rng.range(0, 2), I, [0.1, 0.05, 0.02]);
        const [l0, l1, l2] = principalMoments(s.inertia);
        expect(l0).toBeGreaterThanOrEqual(INERTIA_RULES_DEFAULTS.minMoment * (1 - 1e-6));
        expect(l2).toBeLessThanOrEqual((l0 + l1) * (1 - 1e-7));
        expect(isPhysicalInertia(s.inertia)).toBe(true);
        expect(s.mass).toBeGreaterThanOrEqual(1e-3);
      }
    });
  }

  it('replaces NaN mass and tensors by a box, with warnings', () => {
    const s = safeMassProperties('ghost', NaN, { ixx: NaN, ixy: 0, ixz: 0, iyy: 1, iyz: 0, izz: 1 }, [0.1, 0.2, 0.3]);
    expect(s.mass).toBe(1e-3);
    expect(isPhysicalInertia(s.inertia)).toBe(true);
    expect(s.warnings.length).toBeGreaterThan(0);
  });
});

describe.skipIf(skipWithout('check_urdf') || skipWithout('mujoco-compile'))('no bad mass or inertia reaches a file', () => {
  it('tiny, flat and broken objects are clamped in URDF, SDF and MJCF and reported in scene.json', async () => {
    const scene = fixedScene();
    const crumb = makeObject('crumb', 'crumb', boxMesh(0.004, 0.004, 0.004), [0.004, 0.004, 0.004], [1, 1, 0.002], [0, 0, 0, 1], 500);
    const sheet = makeObject('sheet', 'paper', boxMesh(0.2, 0.3, 0.0002), [0.2, 0.3, 0.0002], [1.3, 1, 0.0001], [0, 0, 0, 1], 800);
    const broken = makeObject('broken', 'broken', boxMesh(0.05, 0.05, 0.05), [0.05, 0.05, 0.05], [1.6, 1, 0.025], [0, 0, 0, 1], 500);
    broken.inertia = { ixx: -1, ixy: 0, ixz: 0, iyy: 0, iyz: 0, izz: 5 };
    broken.mass = 0;
    scene.objects.push(crumb, sheet, broken);
    const parent = mkdtempSync(join(tmpdir(), 'r2s-inertia-'));
    try {
      const dir = join(parent, 'b');
      const m = await writeBundle(dir, scene);
      expect(m.report.warnings.some((w) => w.startsWith("object 'crumb'"))).toBe(true);
      expect(m.report.warnings.some((w) => w.startsWith("object 'broken'"))).toBe(true);
      const urdf = readFileSync(join(dir, 'scene.urdf'), 'utf8');
      const masses = [...urdf.matchAll(/<mass value="([^"]+)"/g)].map((x) => Number(x[1]));
      expect(masses.length).toBe(8);
      for (const mass of masses) expect(mass).toBeGreaterThanOrEqual(1e-3);
      for (const x of urdf.matchAll(/<inertia ixx="([^"]+)" ixy="([^"]+)" ixz="([^"]+)" iyy="([^"]+)" iyz="([^"]+)" izz="([^"]+)"/g)) {
        const [ixx, ixy, ixz, iyy, iyz, izz] = x.slice(1).map(Number) as [number, number, number, number, number, number];
        const I = { ixx, ixy, ixz, iyy, iyz, izz };
        expect(isPhysicalInertia(I), JSON.stringify(I)).toBe(true);
        expect(principalMoments(I)[0]).toBeGreaterThanOrEqual(1e-9 * (1 - 1e-6));
      }
      const xml = readFileSync(join(dir, 'scene.xml'), 'utf8');
      for (const x of xml.matchAll(/fullinertia="([^"]+)"/g)) {
        const [ixx, iyy, izz, ixy, ixz, iyz] = x[1]!.split(' ').map(Number) as [number, number, number, number, number, number];
        expect(isPhysicalInertia({ ixx, ixy, ixz, iyy, iyz, izz })).toBe(true);
      }
      expect(checkUrdf(join(dir, 'scene.urdf')).ok).toBe(true);
      const mj = mujocoCompile(join(dir, 'scene.xml'), join(parent, 'x.mjb'));
      expect(mj.ok, mj.output).toBe(true);
      const back = await readBundleScene(dir);
      const report = back.reports.find((r) => r.stage === 'export')!;
      // crumb (mass), broken (mass and tensor), sheet (a flat plate sits on the triangle limit)
      expect(report.counts['clampedMass']).toBe(3);
      expect(report.warnings.some((w) => w.startsWith("object 'sheet'") && w.includes('triangle'))).toBe(true);
      // the scene itself keeps what it had: clamping happens only on the way to files
      expect(back.objects.find((o) => o.id === 'broken')!.mass).toBe(0);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
