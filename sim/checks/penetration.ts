/**
 * Interpenetration at t = 0: exact signed distance between convex pieces (GJK/EPA, float64) for
 * every pair whose bounds overlap, plus every object against the support plane. Engine contacts,
 * when given, are merged in so a finding shows both figures (`depth_m` exact, `engine_depth_m`).
 */
import type { PhysicsFinding } from '../../src/model/physics.ts';
import type { Vec3 } from '../../src/model/pose.ts';
import type { CollisionWorld } from '../collision.ts';
import type { EngineContact } from '../engine.ts';

export interface Penetration {
  /** Object index (the one the normal points towards). */
  i: number;
  /** Other object index, or −1 for the ground. */
  j: number;
  depth: number;
  /** Direction in which i must move to get out of j. */
  normal: Vec3;
}

export interface PenetrationOptions {
  /** Report pairs deeper than this (metres). */
  tolerance: number;
  /** Stop after this many narrow-phase piece queries (budget). */
  maxPieceQueries: number;
}

export interface PenetrationResult {
  penetrations: Penetration[];
  /** False when the query budget ran out before every pair was checked. */
  complete: boolean;
}

/** All penetrations deeper than `minDepth` (0 = any overlap), deepest first. */
export function findPenetrations(world: CollisionWorld, isStatic: readonly boolean[], minDepth: number, maxPieceQueries = Infinity): PenetrationResult {
  const out: Penetration[] = [];
  const n = world.ground.normal;
  for (let i = 0; i < world.size; i++) {
    if (isStatic[i]) continue;
    const g = world.groundDistance(i);
    if (-g > minDepth) out.push({ i, j: -1, depth: -g, normal: [n[0], n[1], n[2]] });
  }
  const pairs = world.pairs(0, 4 * maxPieceQueries);
  if (!pairs) return { penetrations: out, complete: false };
  for (const [i, j] of pairs) {
    if (isStatic[i] && isStatic[j]) continue;
    if (world.pieceQueries > maxPieceQueries) return { penetrations: out.sort((a, b) => b.depth - a.depth), complete: false };
    const d = world.distance(i, j, 0);
    if (d && -d.distance > minDepth) out.push({ i, j, depth: -d.distance, normal: d.normal });
  }
  return { penetrations: out.sort((a, b) => b.depth - a.depth), complete: true };
}

export function penetrationFindings(pens: readonly Penetration[], ids: readonly string[], tolerance: number, engineContacts: readonly EngineContact[] = [], engineName = 'engine'): PhysicsFinding[] {
  const key = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
  const engine = new Map<string, number>();
  for (const c of engineContacts) engine.set(key(c.a, c.b), Math.max(engine.get(key(c.a, c.b)) ?? 0, c.depth));
  const seen = new Set<string>();
  const out: PhysicsFinding[] = [];
  for (const p of pens) {
    const a = ids[p.i]!,
      b = p.j < 0 ? 'ground' : ids[p.j]!;
    const k = key(a, b);
    seen.add(k);
    const e = engine.get(k);
    if (p.depth <= tolerance && (e === undefined || e <= tolerance)) continue;
    out.push({
      kind: 'penetration',
      severity: 'error',
      objects: [a, b],
      values: e === undefined ? { depth_m: p.depth } : { depth_m: p.depth, engine_depth_m: e },
      message: `'${a}' and '${b}' interpenetrate by ${mm(p.depth)} (${engineName}: ${e === undefined ? 'no contact' : mm(e)}); allowed ${mm(tolerance)}`,
    });
  }
  for (const c of engineContacts) {
    const k = key(c.a, c.b);
    if (seen.has(k) || c.depth <= tolerance) continue;
    out.push({
      kind: 'penetration',
      severity: 'warning',
      objects: [c.a, c.b],
      values: { depth_m: 0, engine_depth_m: c.depth },
      message: `${engineName} reports '${c.a}' and '${c.b}' interpenetrating by ${mm(c.depth)} but the exact mesh check finds no overlap deeper than ${mm(tolerance)}`,
    });
  }
  return out;
}

export const mm = (m: number) => `${(m * 1000).toFixed(1)} mm`;
