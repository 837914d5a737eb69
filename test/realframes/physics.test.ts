import { afterEach, describe, expect, it, vi } from 'vitest';
import { quatAngle } from '../../src/model/pose.ts';
import { validateAndRepair, validateScene } from '../../sim/index.ts';
import { REPAIR_DEFAULTS } from '../../sim/options.ts';
import { DATA, FRAMES, HAVE_DATA, loadRealFrame } from './frames.ts';
import { reconstructDetailed } from '../../src/pipeline.ts';
import { loadLabelledFrame } from '../../src/eval/labelledFrame.ts';
import { scoreSegmentation } from '../../src/eval/segmentation.ts';
import { resolve } from 'node:path';
import { PASSING_VERDICTS } from '../../src/model/physics.ts';

/**
 * Physics on real reconstructions (../shared/data, geometric segmentation), as `reconstruct`
 * runs it (MuJoCo cross-check on): nothing is printed (cannon-es used to warn about inward faces
 * of real hulls), and no object ends more than 5 cm / 15° from where it was reconstructed unless
 * the report flags it and the scene does not pass — measured from the poses themselves.
 */
const SKIP = HAVE_DATA ? false : `../shared/data is missing (${DATA}): real-frame physics tests skipped`;
if (SKIP) console.warn(SKIP);

afterEach(() => vi.restoreAllMocks());

describe.skipIf(!!SKIP)('physics on real reconstructions', () => {
  for (const name of ['uoc_demo/000003', 'uoc_demo/000006']) {
    it(`${name}: silent, and every move over the repair limit is flagged`, async () => {
      const f = FRAMES.find((x) => x.name === name)!;
      const { scene } = await reconstructDetailed(loadRealFrame(f));
      const printed: string[] = [];
      for (const k of ['log', 'warn', 'error', 'info'] as const) vi.spyOn(console, k).mockImplementation((...a: unknown[]) => void printed.push(a.join(' ')));
      const { scene: out, report } = await validateAndRepair(scene, { reference: 'mujoco' });
      vi.restoreAllMocks();
      expect(printed).toEqual([]);
      const maxTurn = (REPAIR_DEFAULTS.maxTurnDeg * Math.PI) / 180;
      let over = 0;
      scene.objects.forEach((o, i) => {
        const p = out.objects[i]!.pose,
          q = o.pose;
        const moved = Math.hypot(p.position[0] - q.position[0], p.position[1] - q.position[1], p.position[2] - q.position[2]);
        const turned = quatAngle(p.orientation, q.orientation);
        if (moved <= REPAIR_DEFAULTS.maxMove && turned <= maxTurn) return;
        over++;
        expect(report.moves!.find((m) => m.object === o.id)?.flagged, `${o.id} moved ${(moved * 1000).toFixed(1)} mm`).toBe(true);
      });
      if (over > 0) expect(['needs_review', 'invalid']).toContain(report.verdict);
      // a scene that passes stands: every object stable in our engine and in MuJoCo
      if (report.verdict === 'valid' || report.verdict === 'repaired') {
        for (const s of [...report.stability, ...(report.reference?.stability ?? [])]) expect(s.displacement, `${s.method} ${s.object}`).toBeLessThanOrEqual(0.01);
      }
    });
  }
});

/**
 * A hand-labelled OSD frame reconstructed and validated (MuJoCo cross-check on): `obj(trueId)`
 * is the object segmented for a true label (with `checkF`, that segment must match it with
 * F ≥ 0.75), `restsOn` the validated support graph.
 */
async function labelledStack(frame: string, checkF: boolean) {
  const lf = loadLabelledFrame(resolve(DATA, `real_gt/osd_mosd/${frame}`), frame);
  const det = await reconstructDetailed(lf.frame);
  const score = scoreSegmentation(det.masks.data, lf.truth.data, det.masks.width, det.masks.height);
  const objOfMask = new Map([...det.maskIdOf].map(([obj, mask]) => [mask, obj]));
  const obj = (trueId: number) => {
    const m = score.perObject.find((p) => p.trueId === trueId)!;
    if (checkF) expect(m.f, `true object ${trueId}`).toBeGreaterThanOrEqual(0.75);
    return objOfMask.get(m.predictedId)!;
  };
  const { report } = await validateAndRepair(det.scene, { reference: 'mujoco' });
  const restsOn = new Map(report.support.map((e) => [e.object, e.restsOn]));
  return { obj, report, restsOn };
}

describe.skipIf(!!SKIP)('a real stack through validation (osd_mosd/test31, hand-labelled)', () => {
  it('the can on the flat tin rests on it in the support graph, the scene passes, nothing moves over 1 cm', async () => {
    // true label ids (contact.png): 3 = the can, standing on 1 = the flat tin; 2 = a tin alone on the table
    const { obj, report, restsOn } = await labelledStack('test31', true);
    const can = obj(3),
      flatTin = obj(1),
      otherTin = obj(2);
    expect(restsOn.get(can)).toBe(flatTin);
    expect(restsOn.get(flatTin)).toBe('ground');
    expect(restsOn.get(otherTin)).toBe('ground');
    expect(PASSING_VERDICTS).toContain(report.verdict);
    for (const m of report.moves ?? []) expect(m.translation, m.object).toBeLessThanOrEqual(0.01);
  }, 120_000);

  it('osd_mosd/test16 (T-tower): tea box → upright box → flat box → ground, no repair move over 1 cm (was 10 mm before the seam settling)', async () => {
    // true label ids (contact.png): 3 = tea box lying across 2 = the upright box, on 1 = the flat box
    const { obj, report, restsOn } = await labelledStack('test16', false);
    expect([restsOn.get(obj(3)), restsOn.get(obj(2)), restsOn.get(obj(1))]).toEqual([obj(2), obj(1), 'ground']);
    for (const m of report.moves ?? []) expect(m.translation, m.object).toBeLessThanOrEqual(0.01);
    // the tower stands: the tea box's unseen back was mirrored 17 cm deep (the depth behind it is
    // cropped: no free space to stop it), its centre of mass past the upright box, and it toppled
    expect(PASSING_VERDICTS).toContain(report.verdict);
    for (const s of [...report.stability, ...(report.reference?.stability ?? [])]) expect(s.displacement, `${s.method} ${s.object}`).toBeLessThanOrEqual(0.01);
  }, 120_000);

  it('osd_mosd/test45 (7 objects, two stacked pairs): side-by-side boxes do not interpenetrate, the white tin rests on the flat box, the small box on the round tin, no repair move over 1 cm', async () => {
    // true label ids (contact.png): 1 = the flat VITIS box, 4 = the tall Toppas box beside it,
    // 3 = the white tin standing on the VITIS box; their completed backs overlapped by 25 mm and
    // repair pushed the VITIS box 24 mm away
    const { obj, report, restsOn } = await labelledStack('test45', true);
    const vitis = obj(1),
      toppas = obj(4),
      whiteTin = obj(3);
    const first = report.initialFindings ?? [];
    expect(first.filter((f) => f.kind === 'penetration' && f.objects.includes(vitis) && f.objects.includes(toppas))).toEqual([]);
    expect(restsOn.get(whiteTin)).toBe(vitis);
    expect(restsOn.get(vitis)).toBe('ground');
    expect(restsOn.get(toppas)).toBe('ground');
    // 6 = the round tin, 7 = the small box lying on its lid: the tin was three segments (F 0.69),
    // cut apart by crease bands drawn off the silhouette of the can in front of it, and the box
    // rested on one of the pieces
    const roundTin = obj(6),
      smallBox = obj(7);
    expect(restsOn.get(smallBox)).toBe(roundTin);
    expect(restsOn.get(roundTin)).toBe('ground');
    expect(PASSING_VERDICTS).toContain(report.verdict);
    for (const m of report.moves ?? []) expect(m.translation, m.object).toBeLessThanOrEqual(0.01);
  }, 120_000);
});

/**
 * The early stop at rest must not decide a verdict: on a real frame whose reconstruction has an
 * object slowly tipping off a box edge (osd_mosd/test55: the tall box standing on the flat box,
 * ~1.5 mm/s in cannon-es, 11 mm over the full 2 s), every object's stability with the early stop
 * equals the full 2 s run's, in our engine and in MuJoCo. The stop used to come at 9.7 mm and
 * passed the object (Bullet and MuJoCo 2.2 then moved it 47 mm). Reading the engine contacts at
 * t = 0 (as `real2sim validate` does) leaves the run as it is without them.
 */
describe.skipIf(!!SKIP)('early stop at rest on a real frame', () => {
  it('osd_mosd/test55: per object, stable with the early stop ⇔ stable over the full run (cannon-es and MuJoCo)', async () => {
    const lf = loadLabelledFrame(resolve(DATA, 'real_gt/osd_mosd/test55'), 'test55');
    const { scene } = await reconstructDetailed(lf.frame);
    // as validate-and-repair's first look runs it (no engine contacts read at t = 0)
    const early = await validateScene(scene, { reference: 'mujoco', engineContacts: false });
    const full = await validateScene(scene, { reference: 'mujoco', engineContacts: false, earlyStop: false });
    const verdicts = (r: typeof early) => [...r.stability, ...(r.reference?.stability ?? [])].map((s) => `${s.method} ${s.object} ${s.stable ? 'stable' : 'unstable'}`);
    expect(verdicts(early)).toEqual(verdicts(full));
    // the frame still has what this test is about: an object the full run moves past the limit
    expect(full.stability.some((s) => !s.stable)).toBe(true);
    // as `real2sim validate` runs it (engine contacts read at t = 0): the same run, to the bit
    const withContacts = await validateScene(scene, { engineContacts: true });
    const rows = (r: typeof early) => r.stability.map((s) => [s.object, s.displacement, s.rotation]);
    expect(rows(withContacts)).toEqual(rows(early));
  }, 120_000);
});
