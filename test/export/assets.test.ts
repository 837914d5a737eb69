/**
 * Real simulator assets from ../shared/data (pybullet_data URDF/SDF/MJCF incl. pybullet's
 * `version="0.0"` and mass-0 quirks, gazebo_models SDF 1.2–1.6 with model:// URIs and DAE
 * meshes, YCB_sim MJCF with includes and .msh meshes, ycb_graspa URDFs and GRASPA SDF layouts):
 * every file imports without a crash (a Scene, or a Real2SimError with a code and a message),
 * and every one that imports re-exports to a bundle that passes check_urdf, ign sdf -k,
 * mujoco-compile and loads and steps in MuJoCo WASM. The counts are printed for the report.
 */
import { describe, expect, it, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importFile } from '../../src/io/readers/index.ts';
import { writeBundle } from '../../src/export/bundle.ts';
import { Real2SimError } from '../../src/model/errors.ts';
import { checkSdfMany, checkSdfStrict, checkUrdf, mujocoCompile, sdfStrictChecker, skipWithout } from './validators.ts';
import { settleInMujoco } from './mujocoSim.ts';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const data = resolve(repoRoot, '../shared/data');
const haveData = existsSync(data);
if (!haveData) console.warn(`[export tests] ${data} is missing: skipping the real-asset import tests (a fresh clone has no ../shared)`);
const noTools = skipWithout('check_urdf') || skipWithout('ign') || skipWithout('mujoco-compile');

function listAssets(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(urdf|sdf)$/.test(e) || (/\.xml$/.test(e) && !p.includes(`${'YCB_sim'}/includes`))) out.push(p);
    }
  };
  for (const sub of ['pybullet_data', 'gazebo_models', 'YCB_sim', 'ycb_graspa']) if (existsSync(join(data, sub))) walk(join(data, sub));
  return out.sort();
}

const work = mkdtempSync(join(tmpdir(), 'r2s-assets-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!haveData || noTools)('real assets from ../shared/data', () => {
  it('import without a crash; each imported one re-exports to files that pass the validators', async () => {
    const files = listAssets();
    expect(files.length).toBeGreaterThan(50);
    const tally = { files: files.length, imported: 0, empty: 0, unsupported: 0, badFile: 0, objects: 0, reexportedValid: 0, warnings: 0 };
    const failures: string[] = [];
    const refused: string[] = [];
    const bundles: { rel: string; dir: string; key: string; also: string[] }[] = [];
    for (const file of files) {
      const rel = relative(data, file);
      let scene;
      try {
        scene = await importFile(file, { searchPath: [join(data, 'gazebo_models')] });
      } catch (e) {
        // Refusing is allowed; crashing is not: only coded errors with a message count.
        expect(e, `${rel}: ${(e as Error).stack}`).toBeInstanceOf(Real2SimError);
        expect((e as Real2SimError).message.length).toBeGreaterThan(20);
        if ((e as Real2SimError).code === 'UNSUPPORTED') tally.unsupported++;
        else tally.badFile++;
        refused.push(`${rel}: [${(e as Real2SimError).code}] ${(e as Error).message.split('\n')[0]!.slice(0, 160)}`);
        continue;
      }
      tally.imported++;
      tally.objects += scene.objects.length;
      tally.warnings += scene.reports[0]?.warnings.length ?? 0;
      if (scene.objects.length === 0) {
        tally.empty++;
        continue;
      }
      const dir = join(work, `a${bundles.length}`);
      await writeBundle(dir, scene, { glb: false });
      // Variants of one model (gazebo's model-1_2/1_3/1_4.sdf) often export to identical
      // files: validate each distinct export once.
      const hash = createHash('sha256');
      for (const f of ['scene.urdf', 'scene.sdf', 'scene.xml']) hash.update(readFileSync(join(dir, f)));
      const key = hash.digest('hex');
      const same = bundles.find((b) => b.key === key);
      if (same) same.also.push(rel);
      else bundles.push({ rel, dir, key, also: [] });
    }
    const sdfResults = await checkSdfMany(bundles.map((b) => join(b.dir, 'scene.sdf')));
    const strict = sdfStrictChecker();
    const strictResults = strict
      ? checkSdfStrict(
          strict,
          bundles.map((b) => join(b.dir, 'scene.sdf')),
        )
      : null;
    for (const { rel, dir, also } of bundles) {
      const results = {
        urdf: checkUrdf(join(dir, 'scene.urdf')),
        sdf: sdfResults.get(join(dir, 'scene.sdf'))!,
        ...(strictResults ? { sdfStrict: strictResults.get(join(dir, 'scene.sdf'))! } : {}),
        mjcf: mujocoCompile(join(dir, 'scene.xml'), join(work, 'a.mjb')),
      };
      let mujocoWasm = '';
      try {
        const r = await settleInMujoco(dir, 'scene.xml', 0.05);
        if (!Number.isFinite(r.maxDisplacement)) mujocoWasm = 'non-finite state';
      } catch (e) {
        mujocoWasm = String((e as Error).message);
      }
      const bad = Object.entries(results)
        .filter(([, r]) => !r.ok)
        .map(([k, r]) => `${k}: ${r.output.trim().split('\n').slice(-3).join(' / ')}`);
      if (mujocoWasm) bad.push(`mujoco wasm: ${mujocoWasm}`);
      if (bad.length) failures.push(`${[rel, ...also].join(', ')}: ${bad.join('; ')}`);
      else tally.reexportedValid += 1 + also.length;
    }
    console.log(`[export assets] ${JSON.stringify({ ...tally, distinctExports: bundles.length })}`);
    for (const r of refused) console.log(`[export assets] refused ${r}`);
    expect(failures, failures.join('\n')).toEqual([]);
    expect(tally.reexportedValid).toBe(tally.imported - tally.empty);
    // Only COLLADA-only models may be refused; everything else must import.
    for (const r of refused) expect(r, r).toMatch(/COLLADA|\.dae/);
  }, 300_000);
});
