/**
 * The start of a cannon-es run: what the first step solves with, and what reading the contacts
 * at t = 0 leaves behind.
 *
 * - cannon-es recomputes a body's world inertia only when it integrates, so a body whose pose is
 *   set after its inertia had its first step's contacts solved with the unrotated inertia: the
 *   same box turned about the vertical fell differently (0.7 mrad, 70 µm apart).
 * - It finds contacts only inside a step. `real2sim validate` reads them at t = 0 (a vanishing
 *   step, then the poses and velocities put back); validate-and-repair's first look does not. The
 *   step used to leave each body's world inertia changed, so the two runs drifted apart
 *   (osd_mosd/test55: one object 10.7 against 10.1 mm).
 */
import { describe, expect, it } from 'vitest';
import { validateScene } from '../../sim/index.ts';
import { quatFromAxisAngle, quatFromYaw, quatMultiply } from '../../src/model/pose.ts';
import { box, scene } from './fixtures.ts';

describe('the start of a cannon-es run', () => {
  it('a box falls the same way whichever way it faces about the vertical (first step solved with its real inertia)', async () => {
    // a long box tipped 0.3 rad about its long axis, its lower edge 1.7 mm into the ground: the
    // first step already pushes it out; the run is physics under gravity, so turning the whole
    // scene about the vertical must not change how far it moves or turns
    const tipped = quatFromAxisAngle([1, 0, 0], 0.3);
    const runs: { displacement: number; rotation: number }[] = [];
    for (const yaw of [0, 0.5, 1.2, Math.PI / 2]) {
      const s = scene([box('box_1', [0.2, 0.04, 0.1], [0, 0, 0.052], 500, quatMultiply(quatFromYaw(yaw), tipped))]);
      const r = await validateScene(s, { engine: 'cannon', earlyStop: false, engineContacts: false });
      runs.push(r.stability[0]!);
    }
    const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
    // it falls flat (about 0.3 rad): the comparison is of a real motion
    expect(runs[0]!.rotation).toBeGreaterThan(0.25);
    // rounding in the turned frames leaves ~6 µm and ~0.3 µrad; the unrotated inertia gave 70 µm and 0.7 mrad
    expect(spread(runs.map((r) => r.rotation))).toBeLessThan(1e-5);
    expect(spread(runs.map((r) => r.displacement))).toBeLessThan(2e-5);
  });

  it('reading engine contacts at t = 0 leaves every object where the run without them leaves it', async () => {
    const n = Math.SQRT1_2;
    // long thin boxes, turned about tilted axes, each pressed 3 mm into the ground or the box below
    const s = scene([
      box('base_1', [0.3, 0.08, 0.04], [0, 0, 0.017], 600, quatFromAxisAngle([0, 0, 1], 0.5)),
      box('bar_2', [0.25, 0.03, 0.03], [0.02, 0.01, 0.048], 400, quatFromAxisAngle([0.6, 0, 0.8], 0.7)),
      box('slab_3', [0.2, 0.1, 0.02], [0.4, 0, 0.012], 500, quatFromAxisAngle([n, n, 0], 0.12)),
    ]);
    const withContacts = await validateScene(s, { engine: 'cannon', engineContacts: true });
    const without = await validateScene(s, { engine: 'cannon', engineContacts: false });
    // the run did something for the comparison to mean anything: contacts were read, objects moved
    expect(withContacts.findings.some((f) => f.values['engine_depth_m'] !== undefined)).toBe(true);
    expect(Math.max(...without.stability.map((r) => r.displacement))).toBeGreaterThan(1e-4);
    const rows = (r: typeof without) => r.stability.map((x) => [x.object, x.displacement, x.rotation]);
    expect(rows(withContacts)).toEqual(rows(without));
  });
});
