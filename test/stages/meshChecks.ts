import type { Mesh } from '../../src/model/geometry.ts';
import { meshVolume } from '../../src/geometry/massProperties.ts';

/**
 * Closed and consistently oriented: every directed edge appears exactly once and its reverse
 * exactly once (each edge shared by two triangles that traverse it in opposite directions).
 * Positions are welded by exact value first, so meshes with split vertices are judged fairly.
 */
export function closedOrientedProblems(m: Mesh): string[] {
  const key = new Map<string, number>();
  const weld = new Uint32Array(m.positions.length / 3);
  for (let i = 0; i < weld.length; i++) {
    const k = `${m.positions[i * 3]},${m.positions[i * 3 + 1]},${m.positions[i * 3 + 2]}`;
    let w = key.get(k);
    if (w === undefined) {
      w = key.size;
      key.set(k, w);
    }
    weld[i] = w;
  }
  const edges = new Map<string, number>();
  const problems: string[] = [];
  for (let t = 0; t < m.indices.length; t += 3) {
    const v = [weld[m.indices[t]!]!, weld[m.indices[t + 1]!]!, weld[m.indices[t + 2]!]!];
    if (v[0] === v[1] || v[1] === v[2] || v[0] === v[2]) continue; // degenerate sliver: no area, no edge
    for (let k = 0; k < 3; k++) {
      const e = `${v[k]}>${v[(k + 1) % 3]}`;
      edges.set(e, (edges.get(e) ?? 0) + 1);
    }
  }
  for (const [e, c] of edges) {
    const [a, b] = e.split('>');
    if (c !== 1) problems.push(`edge ${e} used ${c}× in one direction`);
    if (edges.get(`${b}>${a}`) !== c) problems.push(`edge ${e} has no matching reverse edge`);
    if (problems.length > 5) break;
  }
  if (!(meshVolume(m) > 0)) problems.push(`volume ${meshVolume(m)} is not positive`);
  return problems;
}
