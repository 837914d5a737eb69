import { describe, expect, it } from 'vitest';
import { ground } from '../../src/stages/ground.ts';
import { organizedCloud } from '../../src/stages/organized.ts';
import { Real2SimError } from '../../src/model/errors.ts';
import { invertPose, rotateVec, transformPoint } from '../../src/model/pose.ts';
import { renderFixture, type Solid } from './fixtures.ts';

describe('ground stage', () => {
  it('recovers the floor, camera height and a REP 103 world frame (z up, x forward)', async () => {
    const { frame, cameraPose } = renderFixture([{ kind: 'box', id: 1, centre: [0, 0, 0.05], size: [0.2, 0.1, 0.1], yaw: 0.3 }], { camHeight: 0.9, pitch: 0.7 });
    const cloud = organizedCloud(frame.depth!, frame.camera);
    const { output, report } = await ground()({ cloud });
    expect(output.planeOptical.d).toBeCloseTo(0.9, 3); // camera height above the floor
    expect(output.cameraPose.position[2]).toBeCloseTo(0.9, 3);
    expect(output.cameraPose.position[0]).toBeCloseTo(0, 6); // origin below the camera
    // optical z (viewing direction) maps to +x forward and down; optical x (right) to −y
    const fwd = rotateVec(output.cameraPose.orientation, [0, 0, 1]);
    expect(fwd[1]).toBeCloseTo(0, 4);
    expect(fwd[0]).toBeGreaterThan(0);
    expect(fwd[2]).toBeCloseTo(-Math.sin(0.7), 3);
    const right = rotateVec(output.cameraPose.orientation, [1, 0, 0]);
    expect(right[1]).toBeCloseTo(-1, 3);
    // a floor point in the truth frame lands at z = 0 in ours
    const p = transformPoint(invertPose(cameraPose), [0.3, 0.2, 0]);
    expect(transformPoint(output.cameraPose, p)[2]).toBeCloseTo(0, 4);
    expect(report.counts['inlierRatio']).toBeGreaterThan(0.8);
    expect(report.timeMs).toBeGreaterThanOrEqual(0);
  });

  it('chooses the tabletop that supports the objects over the larger floor (seed 1)', async () => {
    const table = { top: 0.4, half: [0.45, 0.6] as [number, number] };
    const { frame } = renderFixture(
      [
        { kind: 'box', id: 1, centre: [0, 0.1, 0.45], size: [0.1, 0.1, 0.1], yaw: 0 },
        { kind: 'cylinder', id: 2, centre: [0.05, -0.1, 0.46], radius: 0.03, height: 0.12 },
      ],
      { camHeight: 1.1, pitch: 0.6, table, camXY: [-0.9, 0] },
    );
    const cloud = organizedCloud(frame.depth!, frame.camera);
    const objectPixels = new Uint8Array(frame.masks!.data.length);
    frame.masks!.data.forEach((id, i) => (objectPixels[i] = id ? 1 : 0));
    const withObjects = await ground({ seed: 1 })({ cloud, objectPixels });
    expect(withObjects.output.planeOptical.d).toBeCloseTo(1.1 - 0.4, 2);
    expect(withObjects.report.counts['planes']).toBeGreaterThanOrEqual(2);
    // without masks the highest large parallel plane wins too
    const geometric = await ground({ seed: 1 })({ cloud });
    expect(geometric.output.planeOptical.d).toBeCloseTo(0.7, 2);
  });

  it('without masks, a plane through the tops of equal boxes (the table measured under it) is not the support', async () => {
    // 16 boxes 20 cm wide, 8 cm apart, 10 cm tall: their tops make a second plane, 10 cm up
    const solids: Solid[] = [];
    let id = 1;
    for (const x of [-1.5, -0.5, 0.5, 1.5]) for (const y of [-1.5, -0.5, 0.5, 1.5]) solids.push({ kind: 'box', id: id++, centre: [x * 0.28, y * 0.28, 0.05], size: [0.2, 0.2, 0.1], yaw: 0 });
    const { frame } = renderFixture(solids, { camHeight: 0.9, pitch: 1.0, camXY: [-0.4, 0] });
    const cloud = organizedCloud(frame.depth!, frame.camera);
    const g = await ground({ seed: 1 })({ cloud });
    expect(g.report.counts['planes']).toBeGreaterThanOrEqual(2); // the tops form a parallel plane 10 cm up
    expect(g.output.planeOptical.d).toBeCloseTo(0.9, 2); // the floor, not the tops at 0.8
  });

  it('reports NO_PLANE for a frame that shows no plane', async () => {
    const { frame } = renderFixture([{ kind: 'sphere', id: 1, centre: [0, 0, 0.3], radius: 0.6 }], { floor: false, camHeight: 0.3, pitch: 0 });
    const cloud = organizedCloud(frame.depth!, frame.camera);
    await expect(ground()({ cloud })).rejects.toMatchObject({ code: 'NO_PLANE' });
    await expect(ground()({ cloud })).rejects.toBeInstanceOf(Real2SimError);
  });
});
