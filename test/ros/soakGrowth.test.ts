/**
 * The soak's memory summary (test/ros/real/soak.ts `growth`): medians of the first and last
 * quarter, the 10th percentile of each, and medians per window, on series whose levels are known.
 */
import { describe, expect, it } from 'vitest';
import { growth } from './real/soak.ts';

describe('soak memory summary', () => {
  it('reads a sawing series without drift as flat, and a drifting one by its drift', () => {
    // a saw between 300 and 500 MB every 40 s, sampled every 10 s for 20 minutes
    const saw = (t: number) => [300, 500, 420, 350][Math.round(t / 10) % 4]!;
    const flat: [number, number][] = Array.from({ length: 120 }, (_, i) => [i * 10, saw(i * 10)]);
    const g = growth(flat, 600);
    expect(g.growth).toBe(0);
    expect(g.lowWarm).toBe(300);
    expect(g.lowEnd).toBe(300);
    expect(g.max).toBe(500);
    expect(g.windows.map((w) => [w.from, w.to, w.n, w.median, w.p10])).toEqual([
      [0, 590, 60, 420, 300],
      [600, 1190, 60, 420, 300],
    ]);
    // the same saw on a level rising 30 MB per 10 minutes
    const drift = flat.map(([t, v]): [number, number] => [t, v + (30 * t) / 600]);
    const d = growth(drift, 600);
    // the first and last quarter are 15 minutes apart: 45 MB, give or take the saw's phase
    expect(Math.abs(d.growth - 45)).toBeLessThan(5);
    expect(Math.abs(d.lowEnd - d.lowWarm - 45)).toBeLessThan(5);
    expect(Math.abs(d.perHour - 180)).toBeLessThan(5); // the saw tilts the fit a little
    expect(Math.abs(d.windows[1]!.median - d.windows[0]!.median - 30)).toBeLessThan(5);
  });
});
