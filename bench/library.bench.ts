/**
 * Known objects (`--library`): `npm run bench -- library`.
 *
 * Synthetic part: `LIBRARY_BENCH_SCENES` scenes (default 12; seeds from `LIBRARY_BENCH_FIRST_SEED`, default 1001) of 1–4 library items each at known
 * poses (`src/synth/librarySynth.ts`: random rest and yaw, noisy depth, given masks), each
 * reconstructed once without a library; then the match (`registerObject`, the stage's kernel) of
 * every object's seen points against
 * - the 16-item library (YCB_sim's 10 meshes and 6 other ycb_graspa objects): % correct item,
 *   pose error of correct matches (mm at the item's box centre, degrees, modulo the item's
 *   symmetry), Chamfer (point-to-surface, mm) of the placed item against the true object;
 * - the 50-item library (the 16 plus 34 copies of them scaled ×0.6, ×1.6 and two ×0.45: look-alike
 *   shapes at wrong sizes, not more real objects; at ×0.7/×1.4 some copies coincide with another
 *   real item's size, e.g. the soup can ×1.4 is the master chef can, and the margin rule then
 *   refuses both): the same, and ms per object (wall and this
 *   thread's CPU time; the match runs on one thread);
 * - the 16-item library without the scene's own items: % of objects matched to a wrong item.
 * Without ../shared/data it uses the generated shapes of the tests (7 items) and says so.
 *
 * Real part (with ../shared/data): the whole pipeline with the YCB library (27 meshes: YCB_sim,
 * ycb_graspa, the BOP cracker box) on the uoc_demo and posecnn_lov_demo frames: per frame the
 * matched items, scores and runners-up, the median |rendered − measured| depth over the matched
 * objects' pixels; each frame's `debug/library.png` picture is written to
 * `LIBRARY_BENCH_PICTURES` (default test-output/library/). happypose_crackers has no depth
 * image, so the RGB-D pipeline cannot run on it.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { itemMesh, loadLibrary, type Library } from '../src/library/index.ts';
import { generateLibraryScene, libraryPoseError } from '../src/synth/librarySynth.ts';
import { reconstructDetailed } from '../src/pipeline.ts';
import { registerObject } from '../src/stages/match/index.ts';
import { composePoses, invertPose, type Pose } from '../src/model/pose.ts';
import type { SceneObject } from '../src/model/scene.ts';
import { surfaceChamferMm } from '../src/eval/metrics.ts';
import { encodePng } from '../src/io/image.ts';
import { libraryPicture } from '../src/app/libraryPicture.ts';
import { DATA, FRAMES, HAVE_DATA, loadRealFrame, reprojection } from '../test/realframes/frames.ts';
import { ycbLibraryDir, YCB_CONFIG } from '../test/library/ycb.ts';
import { shapesLibraryDir } from '../test/library/shapes.ts';

const REAL16 = [
  ...[
    '002_master_chef_can',
    '003_cracker_box',
    '004_sugar_box',
    '005_tomato_soup_can',
    '006_mustard_bottle',
    '007_tuna_fish_can',
    '008_pudding_box',
    '009_gelatin_box',
    '010_potted_meat_can',
    '035_power_drill',
  ].map((n) => `YCB_sim/meshes/${n}.msh`),
  'ycb_graspa/ycb_objects/YcbBanana/textured_simple_reoriented.obj',
  'ycb_graspa/ycb_objects/YcbFoamBrick/textured_simple_reoriented.obj',
  'ycb_graspa/ycb_objects/YcbChipsCan/collision_vhacd.obj',
  'ycb_graspa/ycb_objects/YcbHammer/collision_vhacd.obj',
  'ycb_graspa/ycb_objects/YcbPear/collision_vhacd.obj',
  'ycb_graspa/ycb_objects/YcbTennisBall/collision_vhacd.obj',
];

/** Symmetry of the 16 (same judgement as test/library/ycb.ts). */
function symmetryOf(name: string): 'none' | 'cylinder' | 'box' {
  for (const [k, v] of Object.entries(YCB_CONFIG.items ?? {})) if (k.includes(name)) return v.symmetry ?? 'none';
  return 'none';
}

/** Folder of the 16 real meshes, and of the 50 (the 16 + scaled copies). */
function benchLibraries(): { dir16: string; dir50: string } {
  const dir16 = mkdtempSync(join(tmpdir(), 'r2s-lib16-'));
  const dir50 = mkdtempSync(join(tmpdir(), 'r2s-lib50-'));
  const items16: Record<string, object> = {},
    items50: Record<string, object> = {};
  const copies: [string, number][] = [
    ['x0.6', 0.6],
    ['x1.6', 1.6],
  ];
  REAL16.forEach((p, k) => {
    const name =
      p.split('/').at(-1)!.startsWith('textured') || p.split('/').at(-1)!.startsWith('collision')
        ? p.split('/').at(-2)!
        : p
            .split('/')
            .at(-1)!
            .replace(/\.[a-z]+$/, '');
    const ext = p.slice(p.lastIndexOf('.'));
    const file = `${name}${ext}`;
    const sym = symmetryOf(name);
    symlinkSync(resolve(DATA, p), join(dir16, file));
    symlinkSync(resolve(DATA, p), join(dir50, file));
    items16[file] = { name, symmetry: sym, units: 'm' };
    items50[file] = { name, symmetry: sym, units: 'm' };
    const scales: [string, number][] = k < 2 ? [...copies, ['x0.45', 0.45]] : copies;
    for (const [tag, s] of scales) {
      const f = `${name}_${tag}${ext}`;
      symlinkSync(resolve(DATA, p), join(dir50, f));
      items50[f] = { name: `${name}_${tag}`, symmetry: sym, scale: s };
    }
  });
  writeFileSync(join(dir16, 'library.json'), JSON.stringify({ items: items16 }));
  writeFileSync(join(dir50, 'library.json'), JSON.stringify({ items: items50 }));
  return { dir16, dir50 };
}

const median = (x: number[]) => (x.length ? [...x].sort((a, b) => a - b)[x.length >> 1]! : NaN);
const mean = (x: number[]) => (x.length ? x.reduce((a, b) => a + b, 0) / x.length : NaN);
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');

interface Tally {
  objects: number;
  correct: number;
  wrong: number;
  none: number;
  mm: number[];
  deg: number[];
  chamfer: number[];
  ms: number[];
  cpuMs: number[];
}

function tally(): Tally {
  return { objects: 0, correct: 0, wrong: 0, none: 0, mm: [], deg: [], chamfer: [], ms: [], cpuMs: [] };
}

function asObject(id: string, mesh: SceneObject['mesh'], pose: Pose): SceneObject {
  return { id, label: id, mesh, pose, size: [0, 0, 0], mass: 1, centerOfMass: [0, 0, 0], inertia: { ixx: 1, ixy: 0, ixz: 0, iyy: 1, iyz: 0, izz: 1 }, collision: [] };
}

export default async function run(): Promise<void> {
  const nScenes = Number(process.env['LIBRARY_BENCH_SCENES'] ?? 12);
  // scene seeds firstSeed … firstSeed + nScenes − 1 (another range shows the figures are not one set's)
  const firstSeed = Number(process.env['LIBRARY_BENCH_FIRST_SEED'] ?? 1001);
  let lib16: Library,
    lib50: Library | null = null;
  if (HAVE_DATA) {
    const { dir16, dir50 } = benchLibraries();
    lib16 = await loadLibrary(dir16);
    lib50 = await loadLibrary(dir50);
    console.log(
      `library: ${lib16.items.length} real YCB meshes; ${lib50.items.length}-item library = the ${lib16.items.length} + ${lib50.items.length - lib16.items.length} scaled copies (×0.6, ×1.6, ×0.45)`,
    );
  } else {
    lib16 = await loadLibrary(shapesLibraryDir());
    console.log(`../shared/data absent: the ${lib16.items.length} generated shapes of the tests, no 50-item run, no real frames`);
  }
  const meshes = await Promise.all(lib16.items.map(async (item) => ({ item, mesh: await itemMesh(lib16, item) })));
  const t16 = tally(),
    t50 = tally(),
    tAbsent = tally();
  let warm = false;
  for (let seed = firstSeed; seed < firstSeed + nScenes; seed++) {
    const s = generateLibraryScene({ seed, items: meshes, noise: true, minObjects: 1, maxObjects: 4 });
    const det = await reconstructDetailed(s.frame);
    const view = { depth: s.frame.depth!, camera: s.frame.camera, cameraPose: det.scene.camera!.pose };
    const toCam = invertPose(det.scene.camera!.pose),
      toCamTruth = invertPose(s.scene.camera!.pose);
    const present = new Set(s.truth.map((t) => t.item.path));
    const runs: [Tally, Library][] = [[t16, lib16], ...(lib50 ? [[t50, lib50] as [Tally, Library]] : []), [tAbsent, { ...lib16, items: lib16.items.filter((i) => !present.has(i.path)) }]];
    if (!warm) {
      // JIT and the items' k-d trees: one untimed pass
      for (const [, lib] of runs) for (const o of det.lifted) if (o.world) registerObject(o.world, lib.items, view, det.scene.support);
      warm = true;
    }
    for (const t of s.truth) {
      const obj = det.lifted.find((o) => o.id === t.instanceId);
      if (!obj?.world) continue;
      for (const [tt, lib] of runs) {
        tt.objects++;
        const t0 = performance.now(),
          c0 = process.cpuUsage();
        const res = registerObject(obj.world, lib.items, view, det.scene.support);
        const c = process.cpuUsage(c0);
        tt.ms.push(performance.now() - t0);
        tt.cpuMs.push((c.user + c.system) / 1000);
        const m = res.match;
        if (!m) {
          tt.none++;
          if (tt !== tAbsent) console.log(`  scene ${seed}: ${t.item.name} (${lib.items.length} items) not matched: ${res.reason ?? ''}`);
          continue;
        }
        if (m.item.path !== t.item.path) {
          tt.wrong++;
          console.log(
            `  scene ${seed}${tt === tAbsent ? ' (item absent)' : ''}: ${t.item.name} matched to ${m.item.name} (${m.score.toFixed(2)}, runner-up ${res.runnerUp?.item.name ?? '—'} ${res.runnerUp?.score.toFixed(2) ?? ''})`,
          );
          continue;
        }
        tt.correct++;
        const est = composePoses(toCam, m.pose),
          truth = composePoses(toCamTruth, t.pose);
        const e = libraryPoseError(t.item, est, truth);
        tt.mm.push(e.mm);
        tt.deg.push(e.deg);
        const mesh = await itemMesh(lib, m.item);
        tt.chamfer.push(surfaceChamferMm(asObject('est', mesh, est), asObject('truth', t.object.mesh, truth), 4000));
      }
    }
  }
  const line = (name: string, t: Tally) =>
    console.log(
      `${name.padEnd(22)} objects ${t.objects}  correct ${((100 * t.correct) / t.objects).toFixed(1)}%  wrong ${((100 * t.wrong) / t.objects).toFixed(1)}%  none ${((100 * t.none) / t.objects).toFixed(1)}%  ` +
        `pose median ${f1(median(t.mm))} mm / ${f1(median(t.deg))}°  Chamfer median ${f1(median(t.chamfer))} mm  ms/object wall median ${f1(median(t.ms))} mean ${f1(mean(t.ms))}, CPU median ${f1(median(t.cpuMs))} mean ${f1(mean(t.cpuMs))}`,
    );
  console.log(`\nsynthetic: ${nScenes} scenes, seeds ${firstSeed}–${firstSeed + nScenes - 1} (noisy depth, given masks)`);
  line(`${lib16.items.length}-item library`, t16);
  if (lib50) line(`${lib50.items.length}-item library`, t50);
  line('library lacking them', tAbsent);
  if (lib50)
    console.log(
      `time ratio 50/16 items (same run, same objects): wall ${(mean(t50.ms) / mean(t16.ms)).toFixed(2)}, CPU ${(mean(t50.cpuMs) / mean(t16.cpuMs)).toFixed(2)} (the machine may be shared: CPU time is the steadier figure)`,
    );

  if (!HAVE_DATA) return;
  const outDir = resolve(process.env['LIBRARY_BENCH_PICTURES'] ?? 'test-output/library');
  mkdirSync(outDir, { recursive: true });
  const ycb = await loadLibrary(ycbLibraryDir()!);
  console.log(`\nreal frames, YCB library of ${ycb.items.length} meshes (pictures in ${outDir})`);
  for (const f of FRAMES.filter((x) => x.name.startsWith('uoc_demo') || x.name.startsWith('posecnn'))) {
    const frame = loadRealFrame(f);
    const det = await reconstructDetailed(frame, { library: ycb });
    const rep = det.scene.reports.find((r) => r.stage === 'match')!;
    const matched = det.scene.objects.filter((o) => o.library);
    const names = rep.matches?.filter((m) => m.matched).map((m) => `${m.best} ${m.score?.toFixed(2)} (runner-up ${m.runnerUp ?? '—'} ${m.runnerUpScore?.toFixed(2) ?? ''})`) ?? [];
    const reproj = matched.length ? reprojection(frame, { ...det, scene: { ...det.scene, objects: matched } }).depthErrorM * 1000 : NaN;
    const file = join(outDir, `${f.name.replace('/', '_')}_library.png`);
    writeFileSync(file, encodePng(libraryPicture(frame.color, det.scene)));
    console.log(`${f.name}: ${det.scene.objects.length} objects, ${matched.length} matched, reprojection median over matched ${f1(reproj)} mm, match ${rep.timeMs.toFixed(0)} ms → ${file}`);
    for (const n of names) console.log(`   ${n}`);
    if (process.env['LIBRARY_BENCH_VERBOSE'])
      for (const m of rep.matches ?? []) {
        if (!m.best) continue;
        console.log(
          `   object ${m.object}: ${m.matched ? 'MATCH' : 'kept '} ${m.best} ${m.score?.toFixed(2)} (runner-up ${m.runnerUp ?? '—'} ${m.runnerUpScore?.toFixed(2) ?? ''})${m.reason ? `  [${m.reason}]` : ''}`,
        );
      }
  }
}
