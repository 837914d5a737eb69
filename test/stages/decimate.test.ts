import { describe, expect, it } from 'vitest';
import { decimateFrame, upsampleLabels } from '../../src/stages/decimate.ts';
import { organizedCloud } from '../../src/stages/organized.ts';
import { reconstructDetailed } from '../../src/pipeline.ts';
import type { CameraIntrinsics } from '../../src/model/camera.ts';
import type { RgbdFrame } from '../../src/model/frame.ts';
import { renderFixture, type Solid } from './fixtures.ts';

const CAM: CameraIntrinsics = { width: 12, height: 8, fx: 10, fy: 10, cx: 5.5, cy: 3.5 };

function stepFrame(edgeU: number): RgbdFrame {
  // an object (0.5 m) on the right of column edgeU, the background (1 m) on the left
  const depth = new Float32Array(CAM.width * CAM.height);
  for (let v = 0; v < CAM.height; v++) for (let u = 0; u < CAM.width; u++) depth[v * CAM.width + u] = u >= edgeU ? 0.5 : 1;
  return {
    color: { width: CAM.width, height: CAM.height, encoding: 'rgb8', data: new Uint8Array(CAM.width * CAM.height * 3) },
    depth: { width: CAM.width, height: CAM.height, data: depth },
    camera: CAM,
  };
}

describe('segmentation at a fraction of the pixels', () => {
  it('the decimated frame back-projects onto the same points as the full frame (intrinsics scaled)', () => {
    const f = stepFrame(5);
    const cloud = organizedCloud(f.depth!, f.camera);
    const small = decimateFrame(f, cloud, 2);
    expect([small.frame.camera.width, small.frame.camera.height]).toEqual([6, 4]);
    const again = organizedCloud(small.frame.depth!, small.frame.camera);
    for (let i = 0; i < again.positions.length; i++) expect(again.positions[i]).toBeCloseTo(small.cloud.positions[i]!, 6);
    // pixel (u', v') is the full frame's (2u', 2v')
    expect(small.cloud.positions[(1 * 6 + 3) * 3]).toBe(cloud.positions[(2 * 12 + 6) * 3]);
  });

  it('labels come back along the full-resolution depth edge, not on a 2-pixel staircase', () => {
    // the edge at an odd column falls inside a decimated cell: nearest-neighbour upsampling
    // would put column 5 on the wrong side
    const f = stepFrame(5);
    const cloud = organizedCloud(f.depth!, f.camera);
    const small = decimateFrame(f, cloud, 2);
    const labels = new Uint16Array(6 * 4);
    for (let i = 0; i < labels.length; i++) labels[i] = small.cloud.positions[i * 3 + 2]! < 0.75 ? 1 : 0;
    const pixels = Uint32Array.from([...labels.keys()].filter((i) => labels[i]));
    const up = upsampleLabels({ width: 6, height: 4, data: labels, labels: new Map([[1, 'object']]) }, [{ id: 1, label: 'object', pixels }], cloud, 2);
    for (let v = 0; v < 8; v++) for (let u = 0; u < 12; u++) expect(up.masks.data[v * 12 + u], `pixel ${u},${v}`).toBe(u >= 5 ? 1 : 0);
    expect(up.instances).toHaveLength(1);
    expect(up.instances[0]!.pixels.length).toBe(7 * 8);
    expect([...up.instances[0]!.pixels].every((p, k, a) => k === 0 || p > a[k - 1]!)).toBe(true);
  });

  it('a 1280×960 frame segments decimated by default and every object matches its true mask (IoU ≥ 0.9)', async () => {
    const solids: Solid[] = [
      { kind: 'box', id: 1, centre: [0, 0, 0.05], size: [0.2, 0.1, 0.1], yaw: 0.4 },
      { kind: 'cylinder', id: 2, centre: [0.1, 0.22, 0.06], radius: 0.04, height: 0.12 },
      { kind: 'sphere', id: 3, centre: [0.15, -0.2, 0.05], radius: 0.05 },
    ];
    const { frame } = renderFixture(solids, { width: 1280, height: 960 });
    const truth = frame.masks!.data;
    const { masks, scene } = await reconstructDetailed({ ...frame, masks: undefined }, { segmentation: 'geometric', shape: { geometric: { carve: false } } });
    expect(scene.reports.find((r) => r.stage === 'perceive')!.counts['decimation']).toBe(2);
    expect(masks.width).toBe(1280);
    for (const s of solids) {
      // the segment that overlaps this solid most
      const overlap = new Map<number, number>();
      let area = 0;
      for (let i = 0; i < truth.length; i++)
        if (truth[i] === s.id) {
          area++;
          if (masks.data[i]) overlap.set(masks.data[i]!, (overlap.get(masks.data[i]!) ?? 0) + 1);
        }
      const [id, inter] = [...overlap].sort((a, b) => b[1] - a[1])[0]!;
      let seg = 0;
      for (let i = 0; i < truth.length; i++) if (masks.data[i] === id) seg++;
      expect(inter / (area + seg - inter), `solid ${s.id}`).toBeGreaterThanOrEqual(0.9);
    }
  });
});
