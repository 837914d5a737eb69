/**
 * Support: what every movable object rests on (the ground, other objects, or nothing), the gap,
 * and whether its chain of supports reaches the ground or a static object (the support graph).
 *
 * An object rests on X when their signed distance is within the tolerance and X lies beneath it
 * (the separating direction points up by more than ~70° from horizontal… i.e. normal z > 0.3).
 * An object with no such contact is floating; its gap is how far it would drop straight down
 * before touching whatever is beneath (ground or object).
 */
import type { PhysicsFinding, SupportEdge } from '../../src/model/physics.ts';
import type { CollisionWorld } from '../collision.ts';
import { mm } from './penetration.ts';

/** Normal z above which a contact carries weight (≈ 73° from horizontal). */
export const SUPPORT_NORMAL_Z = 0.3;

export interface ObjectSupport {
  /** Contacts beneath within tolerance: object index or −1 for the ground, with the signed gap. */
  on: { j: number; gap: number }[];
  /** When `on` is empty: what lies beneath (−1 ground, index, or null) and the drop distance. */
  below: { j: number | null; gap: number };
}

export function supportOf(world: CollisionWorld, isStatic: readonly boolean[], i: number, tolerance: number, maxDrop = 1): ObjectSupport {
  const on: { j: number; gap: number }[] = [];
  const nz = world.ground.normal[2];
  const g = world.groundDistance(i);
  if (g <= tolerance && nz > SUPPORT_NORMAL_Z) on.push({ j: -1, gap: g });
  const bi = world.bounds[i]!;
  for (let j = 0; j < world.size; j++) {
    if (j === i) continue;
    const bj = world.bounds[j]!;
    // quick reject: j must be near i and not entirely above it
    if (bj[0]! > bi[3]! + tolerance || bi[0]! > bj[3]! + tolerance || bj[1]! > bi[4]! + tolerance || bi[1]! > bj[4]! + tolerance) continue;
    if (bj[2]! > bi[5]! || bi[2]! > bj[5]! + tolerance) continue;
    const d = world.supportContact(i, j, tolerance, SUPPORT_NORMAL_Z);
    if (d) on.push({ j, gap: d.distance });
  }
  if (on.length > 0) return { on, below: { j: on[0]!.j, gap: Math.min(...on.map((o) => o.gap)) } };
  // floating: the nearest thing straight below
  let best: { j: number | null; gap: number } = { j: null, gap: Infinity };
  if (nz > SUPPORT_NORMAL_Z && g >= 0) best = { j: -1, gap: g / nz };
  for (let j = 0; j < world.size; j++) {
    if (j === i) continue;
    const d = world.dropDistance(i, j, Math.min(maxDrop, best.gap));
    if (d < best.gap) best = { j, gap: d };
  }
  void isStatic;
  return { on, below: best };
}

export interface SupportResult {
  edges: SupportEdge[];
  findings: PhysicsFinding[];
  /** Per object index: the smallest gap to a support (signed), Infinity when nothing is beneath. */
  gaps: number[];
  /** Per object index: supported through a chain that reaches the ground or a static object. */
  grounded: boolean[];
  supports: (ObjectSupport | null)[];
}

export function checkSupport(world: CollisionWorld, ids: readonly string[], isStatic: readonly boolean[], tolerance: number): SupportResult {
  const name = (j: number | null) => (j === null ? null : j < 0 ? 'ground' : ids[j]!);
  const supports = ids.map((_, i) => (isStatic[i] ? null : supportOf(world, isStatic, i, tolerance)));
  // grounded: fixed point over the support graph
  const grounded = ids.map((_, i) => !!isStatic[i]);
  for (let changed = true; changed;) {
    changed = false;
    supports.forEach((s, i) => {
      if (!s || grounded[i]) return;
      if (s.on.some((o) => o.j < 0 || grounded[o.j])) {
        grounded[i] = true;
        changed = true;
      }
    });
  }
  const edges: SupportEdge[] = [];
  const findings: PhysicsFinding[] = [];
  const gaps: number[] = ids.map(() => 0);
  supports.forEach((s, i) => {
    if (!s) return;
    const id = ids[i]!;
    if (s.on.length > 0) {
      for (const o of s.on) edges.push({ object: id, restsOn: name(o.j), gap: o.gap });
      gaps[i] = Math.min(...s.on.map((o) => o.gap));
      if (!grounded[i]) {
        findings.push({
          kind: 'unsupported',
          severity: 'error',
          objects: [id, ...s.on.map((o) => name(o.j)!)],
          values: { gap_m: gaps[i] },
          message: `'${id}' rests on ${s.on.map((o) => `'${name(o.j)}'`).join(', ')}, but nothing under them reaches the ground`,
        });
      }
      return;
    }
    const gap = s.below.gap;
    gaps[i] = gap;
    edges.push({ object: id, restsOn: Number.isFinite(gap) ? name(s.below.j) : null, gap: Number.isFinite(gap) ? gap : -1 });
    findings.push(
      Number.isFinite(gap)
        ? {
            kind: 'floating',
            severity: 'error',
            objects: [id, name(s.below.j)!],
            values: { gap_m: gap },
            message: `'${id}' floats ${mm(gap)} above '${name(s.below.j)}' (allowed ${mm(tolerance)})`,
          }
        : {
            kind: 'unsupported',
            severity: 'error',
            objects: [id],
            values: {},
            message: `'${id}' has nothing beneath it (below the support plane or beside everything)`,
          },
    );
  });
  return { edges, findings, gaps, grounded, supports };
}
