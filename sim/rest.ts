/**
 * The early stop at rest shared by every simulated run (our engine's stability run and settling,
 * MuJoCo's cross-check): when the bodies have stopped moving, the remaining steps cannot change
 * the verdict, so the run ends there.
 *
 * Judged on poses (engines leave resting bodies jittering at a few mm/s, so velocities never
 * settle): at the end of every window, each body's net move and turn over the window. The run is
 * at rest when, for two windows in a row, every body moved < `restMove` and turned < `restTurn`,
 * and no body moved more in the second window than in the first (a body that is starting to tip
 * accelerates, jitter does not) — and, where the run has verdict limits, no body could still
 * cross them: a body creeping slower than the rest threshold (a box slowly tipping off an edge,
 * 1–2 mm/s) is not at rest if its move so far plus its current speed over the time left would
 * pass the limit. Without that, where the run stops would decide an object near its limit.
 */
import { quatAngle, rotateVec, type Pose } from '../src/model/pose.ts';

/** Shortest simulated run before an early stop, seconds (our engine's and MuJoCo's). */
export const MIN_SECONDS = 0.5;

export interface RestTest {
  /** Largest net move (m) and turn (rad) over one window of a body at rest. */
  restMove: number;
  restTurn: number;
  /**
   * A body that has moved more than this from its start (m, rad) is decided (unstable): it does
   * not hold the run open. Unset: never.
   */
  decidedMove?: number;
  decidedTurn?: number;
  /**
   * The limits the run's end poses are judged against (m, rad): the run does not stop while a
   * body below them could still pass them at its current speed. Unset: no such condition.
   */
  limitMove?: number;
  limitTurn?: number;
  /** Per body: symmetric about its own z axis (a spin about it is no turn for the limits). */
  symmetric?: readonly boolean[];
}

interface WindowMove {
  d: number;
  r: number;
  /** the turn as the limits count it (a symmetric body's spin about its axis left out) */
  e: number;
}

/**
 * Rotation between two orientations that changes the object: for an object symmetric about its
 * own z axis (`continuous`), a spin about that axis changes nothing and is not counted (engines
 * without torsional friction let a resting cylinder spin a few degrees).
 */
export function effectiveRotation(a: Pose['orientation'], b: Pose['orientation'], symmetric: boolean): number {
  if (!symmetric) return quatAngle(a, b);
  const ua = rotateVec(a, [0, 0, 1]),
    ub = rotateVec(b, [0, 0, 1]);
  return Math.acos(Math.min(1, Math.max(-1, ua[0] * ub[0] + ua[1] * ub[1] + ua[2] * ub[2])));
}

export function poseDistance(a: Pose, b: Pose): number {
  return Math.hypot(a.position[0] - b.position[0], a.position[1] - b.position[1], a.position[2] - b.position[2]);
}

/** Watches one run's moving bodies window by window and says when it may stop. */
export class RestWatch {
  /** Per body: decided unstable (moved past `decidedMove` / `decidedTurn`). */
  readonly decided: Uint8Array;
  private mark: readonly Pose[];
  private prev: WindowMove[] | null = null;

  constructor(
    private readonly start: readonly Pose[],
    private readonly test: RestTest,
  ) {
    this.decided = new Uint8Array(start.length);
    this.mark = start;
  }

  /**
   * The bodies' poses at the end of a window; `windowsLeft`: whole windows the run would still
   * take without stopping. True when the run may stop here.
   */
  atRest(now: readonly Pose[], windowsLeft: number): boolean {
    const t = this.test;
    if (t.decidedMove !== undefined && t.decidedTurn !== undefined) {
      now.forEach((p, k) => {
        if (poseDistance(p, this.start[k]!) > t.decidedMove! || quatAngle(p.orientation, this.start[k]!.orientation) > t.decidedTurn!) this.decided[k] = 1;
      });
    }
    const moves = now.map((p, k): WindowMove => {
      const r = quatAngle(p.orientation, this.mark[k]!.orientation);
      return { d: poseDistance(p, this.mark[k]!), r, e: t.symmetric?.[k] ? effectiveRotation(this.mark[k]!.orientation, p.orientation, true) : r };
    });
    const prev = this.prev;
    this.prev = moves;
    this.mark = now;
    if (prev === null) return false;
    return moves.every((m, k) => {
      if (this.decided[k] === 1) return true;
      const p = prev[k]!;
      const quiet = m.d < t.restMove && m.r < t.restTurn && p.d < t.restMove && p.r < t.restTurn;
      return quiet && m.d <= p.d + 1e-4 && m.r <= p.r + 1e-3 && this.cannotCrossLimits(k, now[k]!, windowsLeft);
    });
  }

  /** Per body: moved or turned past the rest threshold in the last window (or decided). */
  moving(k: number): boolean {
    const m = this.prev?.[k];
    return this.decided[k] === 1 || !m || !(m.d < this.test.restMove && m.r < this.test.restTurn);
  }

  private cannotCrossLimits(k: number, now: Pose, windowsLeft: number): boolean {
    const { limitMove, limitTurn } = this.test;
    if (limitMove === undefined || limitTurn === undefined) return true;
    const start = this.start[k]!,
      last = this.prev![k]!;
    const moved = poseDistance(now, start),
      turned = effectiveRotation(start.orientation, now.orientation, !!this.test.symmetric?.[k]);
    // already past a limit: the verdict is decided whatever follows
    if (moved > limitMove || turned > limitTurn) return true;
    // the last window's net move and turn, at the same speed to the end of the run
    return moved + last.d * windowsLeft <= limitMove && turned + last.e * windowsLeft <= limitTurn;
  }
}
