/**
 * Simulator fidelity (part of `npm run bench:physics`; alone: `-- --only simulators`).
 *
 * Bundles as the product writes them — the real frames of ../shared/data reconstructed by the
 * full pipeline (validation and repair included), then seeded synthetic scenes (even seeds as
 * generated, odd seeds perturbed: penetrations, floating, tilts), validated and repaired —
 * are loaded the way users load them:
 *  - MuJoCo 2.2 (Debian's libmujoco, native): scene.xml, and scene.urdf with a floor added;
 *  - MuJoCo 3.14 (WASM, @mujoco/mujoco): scene.xml;
 *  - Bullet 3.24 (Debian's libbullet, native): every models/<name>/model.urdf, placed by
 *    models/index.json on a floor;
 *  - sdformat 12 (Gazebo's parser, strict): scene.sdf, scene.urdf, every model.sdf and model.urdf;
 *  - urdfdom (check_urdf): scene.urdf and every model.urdf.
 * Per object: the product's verdict (moves > 1 cm in its own 2 s run) against each engine's
 * (moves > 1 cm in 2 s), every disagreement listed; objects that end below the floor; pairs
 * penetrating > 2 mm at t = 0 as each engine reports its contacts.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthScene } from '../src/synth/synth.ts';
import { perturbScene } from '../src/eval/perturb.ts';
import { createRng } from '../src/geometry/random.ts';
import { writeBundle } from '../src/export/bundle.ts';
import { frameToBundle } from '../src/app/frameToBundle.ts';
import type { Scene } from '../src/model/scene.ts';
import type { Vec3 } from '../src/model/pose.ts';
import { validateAndRepair } from '../sim/index.ts';
import { FRAMES, HAVE_DATA, loadRealFrame } from '../test/realframes/frames.ts';
import { bulletHarness, mujocoHarness, runBulletBundle, runMujocoFile, runMujocoUrdf, throughFloor, type NativeRun } from '../test/export/native/nativeSim.ts';
import { settleInMujoco } from '../test/export/mujocoSim.ts';
import { checkSdfStrict, checkUrdf, sdfStrictChecker } from '../test/export/validators.ts';

const MOVE = 0.01;
const PEN = 0.002;

interface EngineTally {
  loaded: number;
  files: number;
  objects: number;
  agree: number;
  disagreements: string[];
  throughFloor: string[];
  /** Pairs > 2 mm in scenes the product passed (valid / repaired), and in the others. */
  deepPairs: string[];
  deepPairsFlagged: string[];
  maxPen: number;
  overflow: string[];
}

const newTally = (): EngineTally => ({ loaded: 0, files: 0, objects: 0, agree: 0, disagreements: [], throughFloor: [], deepPairs: [], deepPairsFlagged: [], maxPen: 0, overflow: [] });

interface Built {
  name: string;
  dir: string;
  scene: Scene;
  names: Record<string, string>;
}

async function buildBundles(count: number, root: string, log: (s: string) => void): Promise<Built[]> {
  const built: Built[] = [];
  if (HAVE_DATA) {
    for (const f of FRAMES.slice(0, count)) {
      const dir = join(root, f.name.replace(/\W+/g, '_'));
      const { scene, manifest } = await frameToBundle(loadRealFrame(f), { out: dir });
      built.push({ name: f.name, dir, scene, names: manifest.names });
      log(`  ${f.name}: ${scene.objects.length} objects, ${scene.physics?.verdict ?? 'no verdict'}\n`);
    }
  } else log('  ../shared/data is missing: synthetic scenes only\n');
  for (let seed = 0; built.length < count; seed++) {
    const truth = generateSynthScene({ seed, width: 32, height: 24 }).scene;
    const input = seed % 2 ? perturbScene(truth, createRng(1000 + seed)) : truth;
    const { scene: repaired, report } = await validateAndRepair(input);
    const scene = { ...repaired, physics: report };
    const dir = join(root, `synth_${seed}`);
    const m = await writeBundle(dir, scene, { glb: false, extraFiles: { 'physics.json': JSON.stringify(report) } });
    built.push({ name: `synth seed ${seed}${seed % 2 ? ' (perturbed)' : ''}`, dir, scene, names: m.names });
  }
  return built;
}

function tallyRun(
  t: EngineTally,
  b: Built,
  run: NativeRun | { error: string | null; bodies: { name: string; displacement: number; end?: Vec3 }[] },
  product: Map<string, number>,
  support: { normal: Vec3; d: number },
): void {
  t.files++;
  if (run.error) {
    t.disagreements.push(`${b.name}: did not load: ${run.error}`);
    return;
  }
  t.loaded++;
  const byName = new Map(run.bodies.map((x) => [x.name, x]));
  for (const o of b.scene.objects) {
    if (o.isStatic) continue;
    const name = b.names[o.id]!;
    const mine = product.get(o.id);
    const body = byName.get(name);
    t.objects++;
    if (mine === undefined || !body) {
      t.disagreements.push(`${b.name} ${o.id}: ${mine === undefined ? 'no product verdict' : 'no body in the engine'}`);
      continue;
    }
    if (mine > MOVE === body.displacement > MOVE) t.agree++;
    else t.disagreements.push(`${b.name} ${o.id}: product ${(mine * 1000).toFixed(1)} mm, engine ${(body.displacement * 1000).toFixed(1)} mm`);
  }
  if ('penetrations' in run) {
    for (const name of throughFloor(run, support)) t.throughFloor.push(`${b.name} ${name}`);
    const passed = b.scene.physics?.verdict === 'valid' || b.scene.physics?.verdict === 'repaired';
    for (const [pair, depth] of run.penetrations) {
      if (passed) t.maxPen = Math.max(t.maxPen, depth);
      if (depth > PEN) (passed ? t.deepPairs : t.deepPairsFlagged).push(`${b.name} ${pair}: ${(depth * 1000).toFixed(2)} mm`);
    }
    const full = Object.keys(run.warnings).filter((w) => w === 'contactfull' || w === 'cnstrfull');
    if (full.length) t.overflow.push(`${b.name}: ${full.join(', ')}`);
  }
}

export async function simulatorAgreement(scenes: number): Promise<void> {
  const log = (s: string) => process.stderr.write(s);
  const missing = [mujocoHarness() ? '' : 'libmujoco-dev + cc', bulletHarness() ? '' : 'libbullet-dev + g++'].filter(Boolean);
  if (missing.length) {
    console.log(`\nsimulator agreement: skipped, ${missing.join(' and ')} missing (install as .ci/run does)`);
    return;
  }
  const strict = sdfStrictChecker();
  const root = mkdtempSync(join(tmpdir(), 'r2s-simfid-'));
  const t0 = performance.now();
  try {
    log(`simulator agreement: building ${scenes} bundles\n`);
    const built = await buildBundles(scenes, root, log);
    const engines = ['MuJoCo 2.2 scene.xml', 'MuJoCo 2.2 scene.urdf', 'MuJoCo 3.14 scene.xml', 'Bullet 3.24 model.urdf'];
    const tallies = Object.fromEntries(engines.map((e) => [e, newTally()])) as Record<string, EngineTally>;
    const parsers = { sdformat: { ok: 0, files: 0, failed: [] as string[] }, urdfdom: { ok: 0, files: 0, failed: [] as string[] } };
    let k = 0;
    for (const b of built) {
      const product = new Map((b.scene.physics?.stability ?? []).map((r) => [r.object, r.displacement]));
      const support = (JSON.parse(readFileSync(join(b.dir, 'models', 'index.json'), 'utf8')) as { support: { normal: Vec3; d: number } }).support;
      tallyRun(tallies['MuJoCo 2.2 scene.xml']!, b, runMujocoFile(join(b.dir, 'scene.xml')), product, support);
      tallyRun(tallies['MuJoCo 2.2 scene.urdf']!, b, runMujocoUrdf(join(b.dir, 'scene.urdf'), support), product, support);
      let wasm: Parameters<typeof tallyRun>[2];
      try {
        wasm = { error: null, bodies: (await settleInMujoco(b.dir, 'scene.xml', 2)).bodies };
      } catch (e) {
        wasm = { error: (e as Error).message ?? String(e), bodies: [] };
      }
      tallyRun(tallies['MuJoCo 3.14 scene.xml']!, b, wasm, product, support);
      tallyRun(tallies['Bullet 3.24 model.urdf']!, b, await runBulletBundle(b.dir), product, support);
      // parsers: every scene and model file
      const models = readdirSync(join(b.dir, 'models')).filter((x) => x !== 'index.json');
      const sdfFiles = [join(b.dir, 'scene.sdf'), join(b.dir, 'scene.urdf'), ...models.flatMap((m) => [join(b.dir, 'models', m, 'model.sdf'), join(b.dir, 'models', m, 'model.urdf')])];
      if (strict) {
        for (const [f, r] of checkSdfStrict(strict, sdfFiles, [join(b.dir, 'models')])) {
          parsers.sdformat.files++;
          if (r.ok) parsers.sdformat.ok++;
          else parsers.sdformat.failed.push(`${f}: ${r.output.slice(0, 200)}`);
        }
      }
      for (const f of [join(b.dir, 'scene.urdf'), ...models.map((m) => join(b.dir, 'models', m, 'model.urdf'))]) {
        const r = checkUrdf(f);
        parsers.urdfdom.files++;
        if (r.ok) parsers.urdfdom.ok++;
        else parsers.urdfdom.failed.push(`${f}: ${r.output.slice(0, 200)}`);
      }
      rmSync(b.dir, { recursive: true, force: true });
      if (++k % 10 === 0) log(`  ${k}/${built.length} bundles run, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    }
    printAgreement(built, tallies, parsers, !!strict);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function printAgreement(built: Built[], tallies: Record<string, EngineTally>, parsers: Record<string, { ok: number; files: number; failed: string[] }>, strict: boolean): void {
  const real = built.filter((b) => !b.name.startsWith('synth')).length;
  const pct = (a: number, b: number) => `${a}/${b} (${((100 * a) / Math.max(1, b)).toFixed(1)} %)`;
  let moving = 0,
    movable = 0;
  for (const b of built) {
    for (const r of b.scene.physics?.stability ?? []) {
      movable++;
      if (r.displacement > MOVE) moving++;
    }
  }
  const verdicts: Record<string, number> = {};
  for (const b of built) verdicts[b.scene.physics?.verdict ?? 'none'] = (verdicts[b.scene.physics?.verdict ?? 'none'] ?? 0) + 1;
  console.log(
    `\nsimulator fidelity on ${built.length} bundles (${real} real frames, ${built.length - real} synthetic; product verdicts ${Object.entries(verdicts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; moves = > 1 cm in 2 s; the product finds ${moving} of ${movable} objects moving)\n`,
  );
  const names = Object.keys(tallies);
  const rows: [string, string, ...string[]][] = [
    ['files that load', '100 %', ...names.map((n) => pct(tallies[n]!.loaded, tallies[n]!.files))],
    ['verdict agreement with the product', '≥ 98 %', ...names.map((n) => pct(tallies[n]!.agree, tallies[n]!.objects))],
    ['objects through the floor', '0', ...names.map((n) => (n.includes('3.14') ? 'n/a' : String(tallies[n]!.throughFloor.length)))],
    ['pairs penetrating > 2 mm at t = 0, scenes passed', '0', ...names.map((n) => (n.includes('3.14') ? 'n/a' : String(tallies[n]!.deepPairs.length)))],
    ['deepest contact at t = 0, scenes passed', '', ...names.map((n) => (n.includes('3.14') ? 'n/a' : `${(tallies[n]!.maxPen * 1000).toFixed(2)} mm`))],
    ['pairs > 2 mm, scenes the product declared invalid', '', ...names.map((n) => (n.includes('3.14') ? 'n/a' : String(tallies[n]!.deepPairsFlagged.length)))],
    ['contact/constraint buffer overflows', '0', ...names.map((n) => (n.startsWith('MuJoCo 2.2') ? String(tallies[n]!.overflow.length) : 'n/a'))],
  ];
  const header: [string, string, ...string[]] = ['criterion', 'target', ...names];
  const all = [header, ...rows];
  const w = header.map((_, k) => Math.max(...all.map((r) => r[k]!.length)));
  const line = (r: string[]) => `| ${r.map((c, k) => c.padEnd(w[k]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log(
    `\nparsers: sdformat 12 strict (Gazebo) ${strict ? pct(parsers['sdformat']!.ok, parsers['sdformat']!.files) : 'skipped (no g++/libsdformat-dev)'} of scene.sdf, scene.urdf, model.sdf, model.urdf; urdfdom check_urdf ${pct(parsers['urdfdom']!.ok, parsers['urdfdom']!.files)} of scene.urdf, model.urdf`,
  );
  for (const [p, r] of Object.entries(parsers)) for (const f of r.failed) console.log(`  ${p} FAILED ${f}`);
  for (const n of names) {
    const t = tallies[n]!;
    const lists: [string, string[]][] = [
      ['disagreements / load failures', t.disagreements],
      ['through the floor', t.throughFloor],
      ['penetrating > 2 mm at t = 0 (scene passed)', t.deepPairs],
      ['penetrating > 2 mm at t = 0 (scene declared invalid by the product)', t.deepPairsFlagged],
      ['buffer overflows', t.overflow],
    ];
    for (const [what, xs] of lists) if (xs.length) console.log(`\n${n}: ${what} (${xs.length})\n${xs.map((x) => `  ${x}`).join('\n')}`);
  }
  console.log(
    "\nnotes: MuJoCo's box–box collider reports half the overlap as contact distance (boxes are exact-box primitives); Bullet distances are corrected for its 1 mm hull margin; MuJoCo on scene.urdf keeps MuJoCo's own contact softness and friction 1 (its URDF import ignores <default>); Bullet multiplies friction (0.8 × 0.8 object on object, 0.8 × 1 on the floor).",
  );
}

// run directly: node --import tsx bench/simAgreement.ts [--scenes N]
if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--scenes');
  await simulatorAgreement(i >= 0 ? Number(process.argv[i + 1]) : 100);
}
