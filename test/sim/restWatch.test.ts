import { describe, expect, it } from 'vitest';
import { RestWatch, type RestTest } from '../../sim/rest.ts';
import { quatFromAxisAngle, type Pose } from '../../src/model/pose.ts';

/**
 * The early stop at rest, on pose sequences whose full run is known: a run may stop only where
 * the rest of it could not change the verdict against the limits.
 */
const at = (x: number, turn = 0): Pose => ({ position: [x, 0, 0], orientation: turn === 0 ? [0, 0, 0, 1] : quatFromAxisAngle([1, 0, 0], turn) });
const TEST: RestTest = { restMove: 5e-4, restTurn: 5e-3, limitMove: 0.01, limitTurn: 0.1 };

/** Feeds one body's positions window by window (8 windows in the run); the window it stops at, or null. */
function stopAt(xs: readonly number[], test: RestTest = TEST, turns?: readonly number[]): number | null {
  const watch = new RestWatch([at(0)], test);
  for (let w = 0; w < xs.length; w++) if (watch.atRest([at(xs[w]!, turns?.[w] ?? 0)], xs.length - w - 1)) return w;
  return null;
}

describe('RestWatch: an early stop never changes a verdict', () => {
  it('a body that came to rest well inside the limits stops after two quiet windows', () => {
    expect(stopAt([0.003, 0.0031, 0.0032, 0.0032, 0.0032, 0.0032, 0.0032, 0.0032])).toBe(2);
  });

  it('a body creeping slower than the rest threshold towards the limit keeps the run open (its full run ends past 10 mm)', () => {
    // 0.4 mm a window (1.6 mm/s at 0.25 s windows), 8.0 mm after the second window: 8 windows end at 10.4 mm
    const creep = [7.6, 8.0, 8.4, 8.8, 9.2, 9.6, 10.0, 10.4].map((mm) => mm / 1000);
    const w = stopAt(creep);
    // it may stop only once it is past the limit (decided), never while its verdict could still change
    if (w !== null) expect(creep[w]!).toBeGreaterThan(0.01);
    // without the limits (the old test) it would have stopped at 8.4 mm, passing as stable
    expect(stopAt(creep, { restMove: 5e-4, restTurn: 5e-3 })).toBe(2);
  });

  it('the same creep far from the limit stops: it cannot reach 10 mm in the windows left', () => {
    expect(stopAt([1.0, 1.4, 1.8, 2.2, 2.6, 3.0, 3.4, 3.8].map((mm) => mm / 1000))).toBe(2);
  });

  it('a slow turn towards the rotation limit keeps the run open too', () => {
    // 0.004 rad a window, 0.074 rad after the second: the full run ends at 0.106 rad, past 0.1
    const turns = [0.07, 0.074, 0.078, 0.082, 0.086, 0.09, 0.094, 0.098, 0.102, 0.106];
    const w = stopAt(
      turns.map(() => 0.001),
      TEST,
      turns,
    );
    if (w !== null) expect(turns[w]!).toBeGreaterThan(0.1);
    expect(
      stopAt(
        turns.map(() => 0.001),
        { restMove: 5e-4, restTurn: 5e-3 },
        turns,
      ),
    ).toBe(2);
  });

  it('a body that moves more in the second quiet window than in the first (starting to tip) does not stop', () => {
    expect(stopAt([0.001, 0.0011, 0.0014, 0.0018, 0.0023, 0.0029, 0.0036, 0.0044])).toBeNull();
  });

  it('a decided body (gone past decidedMove) does not hold the run open', () => {
    const watch = new RestWatch([at(0), at(0)], { ...TEST, decidedMove: 0.1, decidedTurn: 0.6 });
    const falling = [0.05, 0.12, 0.2, 0.3];
    const rests = falling.map((x, w) => watch.atRest([at(0.002), at(x)], falling.length - w - 1));
    expect(rests).toEqual([false, false, true, true]);
    expect(watch.decided[1]).toBe(1);
  });
});
