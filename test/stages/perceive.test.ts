import { describe, expect, it } from 'vitest';
import { perceive, collectInstances } from '../../src/stages/perceive.ts';
import { ground } from '../../src/stages/ground.ts';
import { organizedCloud } from '../../src/stages/organized.ts';
import type { StageReport } from '../../src/model/report.ts';
import { renderFixture, type Solid } from './fixtures.ts';

const SOLIDS: Solid[] = [
  { kind: 'box', id: 1, centre: [0, 0, 0.05], size: [0.2, 0.1, 0.1], yaw: 0.4 },
  { kind: 'cylinder', id: 2, centre: [0.1, 0.22, 0.06], radius: 0.04, height: 0.12 },
  { kind: 'sphere', id: 3, centre: [0.15, -0.2, 0.05], radius: 0.05 },
  // touching the box: only the concave crease and depth jumps separate them
  { kind: 'box', id: 4, centre: [0.0626, -0.0712, 0.03], size: [0.08, 0.08, 0.06], yaw: 0.4 },
];

describe('perceive stage', () => {
  it('given: one instance per label with its pixels and class text', async () => {
    const { frame } = renderFixture(SOLIDS);
    const cloud = organizedCloud(frame.depth!, frame.camera);
    const { output, report } = await perceive({ backend: 'given' })({ frame, cloud });
    expect(output.instances.map((i) => i.id)).toEqual([1, 2, 3, 4]);
    expect(output.instances[1]!.label).toBe('cylinder');
    const count2 = frame.masks!.data.filter((v) => v === 2).length;
    expect(output.instances[1]!.pixels.length).toBe(count2);
    expect(report.counts['objects']).toBe(4);
  });

  it('given: a one-pixel mask is skipped with a warning naming it', () => {
    const data = new Uint16Array(100);
    data[55] = 7;
    data.fill(3, 0, 40);
    const report: StageReport = { stage: 'perceive', backend: 'given', timeMs: 0, counts: {}, warnings: [] };
    const inst = collectInstances({ width: 10, height: 10, data, labels: new Map([[7, 'speck']]) }, 20, report);
    expect(inst.map((i) => i.id)).toEqual([3]);
    expect(report.warnings.join()).toMatch(/mask 7 covers 1 pixel/);
  });

  it('given without masks is a clear BAD_INPUT error', async () => {
    const { frame } = renderFixture(SOLIDS, { width: 64, height: 48 });
    const cloud = organizedCloud(frame.depth!, frame.camera);
    const { masks: _drop, ...noMasks } = frame;
    await expect(perceive({ backend: 'given' })({ frame: noMasks, cloud })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('geometric: finds every object above the plane, touching ones apart, no spurious ones', async () => {
    const { frame } = renderFixture(SOLIDS, { width: 480, height: 360 });
    const cloud = organizedCloud(frame.depth!, frame.camera);
    const g = await ground()({ cloud });
    const { output } = await perceive({ backend: 'geometric', creaseDeg: 35 })({ frame, cloud, heightOf: g.output.heightOf });
    // each segment should be mostly one true instance, and each instance covered by one segment
    const truth = frame.masks!.data;
    const seen = new Set<number>();
    for (const inst of output.instances) {
      const votes = new Map<number, number>();
      for (const i of inst.pixels) votes.set(truth[i]!, (votes.get(truth[i]!) ?? 0) + 1);
      const [best, n] = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]!;
      expect(best).toBeGreaterThan(0);
      expect(n / inst.pixels.length).toBeGreaterThan(0.95);
      seen.add(best);
    }
    expect([...seen].sort()).toEqual([1, 2, 3, 4]);
    expect(output.instances.length).toBe(4);
  });

  it('geometric: a thing standing beyond the table edge, above the table plane, is not an object on it', async () => {
    const solids: Solid[] = [
      { kind: 'box', id: 1, centre: [0, 0, 0.45], size: [0.1, 0.1, 0.1], yaw: 0.2 },
      // on the floor 0.5 m behind the table's back edge, reaching 0.25 m above the table top
      { kind: 'box', id: 2, centre: [0.85, 0, 0.325], size: [0.1, 0.3, 0.65], yaw: 0 },
    ];
    const { frame } = renderFixture(solids, { width: 320, height: 240, camHeight: 0.9, pitch: 0.5, table: { top: 0.4, half: [0.35, 0.4] } });
    const cloud = organizedCloud(frame.depth!, frame.camera);
    const g = await ground()({ cloud });
    const run = async (minSupported?: number) => (await perceive({ backend: 'geometric', minSupported })({ frame, cloud, heightOf: g.output.heightOf })).output.instances;
    const truthOf = (inst: { pixels: Uint32Array }) => frame.masks!.data[inst.pixels[inst.pixels.length >> 1]!];
    // without the extent check the thing behind is a segment too: the test can tell the difference
    expect((await run(0)).map(truthOf).sort()).toEqual([1, 2]);
    expect((await run()).map(truthOf)).toEqual([1]);
  });

  it('geometric: smoothed depth ramps between neighbours on a one-colour table are cut by colour', async () => {
    const solids: Solid[] = [
      { kind: 'box', id: 1, centre: [0, -0.07, 0.05], size: [0.08, 0.08, 0.1], yaw: 0 },
      { kind: 'box', id: 2, centre: [0, 0.07, 0.05], size: [0.08, 0.08, 0.1], yaw: 0 },
    ];
    const { frame } = renderFixture(solids, { width: 320, height: 240 });
    // a box filter like a depth camera's spatial filter: heights ramp across the 6 cm gap. 21 px
    // wide, the ramp is too gentle for the smeared-step cut (a narrower filter leaves a step depth
    // alone cuts: the control below would then see 2), so only colour can part the boxes.
    const { width: w, height: h, data } = frame.depth!;
    const src = Float32Array.from(data),
      r = 10;
    for (let v = r; v < h - r; v++) {
      for (let u = r; u < w - r; u++) {
        let sum = 0;
        for (let dv = -r; dv <= r; dv++) for (let du = -r; du <= r; du++) sum += src[(v + dv) * w + u + du]!;
        data[v * w + u] = sum / (2 * r + 1) ** 2;
      }
    }
    const cloud = organizedCloud(frame.depth!, frame.camera);
    const g = await ground()({ cloud });
    const run = async (tableColorHeight?: number) => (await perceive({ backend: 'geometric', tableColorHeight })({ frame, cloud, heightOf: g.output.heightOf })).output.instances;
    expect((await run(0)).length).toBe(1);
    const apart = await run();
    expect(apart.length).toBe(2);
    for (const inst of apart) {
      const ids = new Set([...inst.pixels].map((i) => frame.masks!.data[i]).filter((x) => x));
      expect(ids.size).toBe(1);
    }
  });

  it('geometric: the part under an overhang, split off at its depth jump, joins the object above it', async () => {
    // one object (id 1): a wide slab on a narrow foot; the camera sees the foot below the slab's edge
    const solids: Solid[] = [
      { kind: 'box', id: 1, centre: [0, 0, 0.06], size: [0.06, 0.06, 0.12], yaw: 0 },
      { kind: 'box', id: 1, centre: [0, 0, 0.135], size: [0.18, 0.18, 0.03], yaw: 0 },
      { kind: 'box', id: 2, centre: [0, 0.3, 0.05], size: [0.08, 0.08, 0.1], yaw: 0 },
    ];
    const { frame } = renderFixture(solids, { width: 480, height: 360, camHeight: 0.35, pitch: 0.3 });
    const cloud = organizedCloud(frame.depth!, frame.camera);
    const g = await ground()({ cloud });
    const run = async (fragmentPixels?: number) => (await perceive({ backend: 'geometric', fragmentPixels })({ frame, cloud, heightOf: g.output.heightOf })).output.instances;
    const apart = await run(0);
    expect(apart.length).toBe(3);
    const joined = await run();
    expect(joined.length).toBe(2);
    for (const inst of joined) expect(new Set([...inst.pixels].map((i) => frame.masks!.data[i]).filter((x) => x)).size).toBe(1);
  });

  it('geometric: with edgeBandPixels, masks reach across the no-depth band a sensor leaves along a silhouette (off by default: labelled real data counts only measured pixels)', async () => {
    const { frame } = renderFixture([SOLIDS[0]!], { width: 320, height: 240 });
    const { width: w, data } = frame.depth!;
    const truth = frame.masks!.data;
    // drop the depth of the object's outermost 2 pixels, as a structured-light sensor does
    const band: number[] = [];
    for (let i = 0; i < truth.length; i++) {
      if (!truth[i]) continue;
      const u = i % w;
      const edge = [i - 1, i + 1, i - w, i + w, i - 2, i + 2, i - 2 * w, i + 2 * w].some((j) => j >= 0 && j < truth.length && Math.abs((j % w) - u) <= 2 && !truth[j]);
      if (edge) band.push(i);
    }
    for (const i of band) data[i] = 0;
    const cloud = organizedCloud(frame.depth!, frame.camera);
    const g = await ground()({ cloud });
    const covered = async (edgeBandPixels?: number) => {
      const { output } = await perceive({ backend: 'geometric', edgeBandPixels })({ frame, cloud, heightOf: g.output.heightOf });
      expect(output.instances.length).toBe(1);
      const mine = new Set(output.instances[0]!.pixels);
      return band.filter((i) => mine.has(i)).length / band.length;
    };
    expect(await covered(0)).toBeLessThan(0.5);
    expect(await covered(4)).toBeGreaterThan(0.9);
  });
});
