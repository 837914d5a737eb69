import { describe, expect, it } from 'vitest';
import { organizedCloud } from '../../../src/stages/organized.ts';
import { creasePixels, pixelNormals } from '../../../src/stages/segment/creases.ts';
import { renderFixture } from '../fixtures.ts';

describe('segment/creases: concave creases, never convex edges', () => {
  // a box standing on a flat box: the upper box's faces meet the lower one's top in a valley
  const { frame } = renderFixture(
    [
      { kind: 'box', id: 1, centre: [0, 0, 0.03], size: [0.3, 0.25, 0.06], yaw: 0.2 },
      { kind: 'box', id: 2, centre: [0, 0, 0.11], size: [0.1, 0.1, 0.1], yaw: 0.5 },
    ],
    { width: 320, height: 240, camHeight: 0.7, pitch: 0.8, camXY: [-0.6, 0] },
  );
  const { width: w } = frame.camera;
  const cloud = organizedCloud(frame.depth!, frame.camera);
  const ids = frame.masks!.data;
  const fg = Uint8Array.from(ids, (v) => (v ? 1 : 0));
  const crease = creasePixels(cloud, fg, 45, 6);
  const near = (i: number, other: number, r: number) => {
    const u = i % w,
      v = (i - u) / w;
    for (let dv = -r; dv <= r; dv++) for (let du = -r; du <= r; du++) if (ids[(v + dv) * w + u + du] === other) return true;
    return false;
  };

  it('flags the junction between the standing box and the box under it', () => {
    let junction = 0,
      flagged = 0;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] !== 1 || !near(i, 2, 1)) continue;
      junction++;
      // a crease pixel within 3 px of this junction pixel
      const u = i % w,
        v = (i - u) / w;
      let hit = false;
      for (let dv = -3; dv <= 3 && !hit; dv++) for (let du = -3; du <= 3 && !hit; du++) hit = crease[(v + dv) * w + u + du] === 1;
      if (hit) flagged++;
    }
    expect(junction).toBeGreaterThan(50);
    expect(flagged / junction).toBeGreaterThan(0.6);
  });

  it("leaves the upper box's own convex edges alone (no crease pixel inside it, away from the junction)", () => {
    let inside = 0;
    for (let i = 0; i < ids.length; i++) if (ids[i] === 2 && !near(i, 1, 8) && !near(i, 0, 8) && crease[i]) inside++;
    expect(inside).toBe(0);
  });

  it('pixelNormals face the camera and are unit length; none where a neighbour is missing', () => {
    const n = pixelNormals(cloud, fg, 2);
    let checked = 0;
    for (let i = 0; i < ids.length; i += 97) {
      const l = Math.hypot(n[i * 3]!, n[i * 3 + 1]!, n[i * 3 + 2]!);
      if (!fg[i]) expect(l).toBe(0);
      else if (l > 0) {
        expect(l).toBeCloseTo(1, 5);
        expect(n[i * 3 + 2]!).toBeLessThanOrEqual(0);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe('segment/creases: an occlusion boundary is no crease', () => {
  // a can standing in front of a box, 5 cm apart: they do not touch, so there is no crease in
  // the foreground at all; the can's silhouette is a depth jump against the box's face behind it
  const { frame } = renderFixture(
    [
      { kind: 'box', id: 1, centre: [0.05, 0, 0.06], size: [0.12, 0.3, 0.12], yaw: 0 },
      { kind: 'cylinder', id: 2, centre: [-0.1, 0.02, 0.07], radius: 0.04, height: 0.14 },
    ],
    { width: 320, height: 240, camHeight: 0.6, pitch: 0.8, camXY: [-0.6, 0] },
  );
  const { width: w } = frame.camera;
  const cloud = organizedCloud(frame.depth!, frame.camera);
  const ids = frame.masks!.data;
  const fg = Uint8Array.from(ids, (v) => (v ? 1 : 0));
  const jump = (z: number) => 0.004 + 0.02 * z;
  const nearCan = (i: number) => {
    const u = i % w,
      v = (i - u) / w;
    for (let dv = -2; dv <= 2; dv++) for (let du = -2; du <= 2; du++) if (ids[(v + dv) * w + u + du] === 2) return true;
    return false;
  };

  it('marks nothing on the can in front and (almost) nothing on the box along its silhouette', () => {
    const crease = creasePixels(cloud, fg, 45, 6, jump);
    let onCan = 0,
      border = 0,
      borderCrease = 0;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] === 2 && crease[i]) onCan++;
      if (ids[i] === 1 && nearCan(i)) {
        border++;
        if (crease[i]) borderCrease++;
      }
    }
    expect(border).toBeGreaterThan(100);
    expect(onCan).toBe(0);
    // the normals themselves are taken ±3 px apart and straddle the silhouette a few pixels off it
    expect(borderCrease / border).toBeLessThan(0.2);
  });
});
