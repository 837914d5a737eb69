/**
 * Minimum-cost assignment (Hungarian method with potentials, O(n²·m)) of a rectangular cost
 * matrix, rows ≤ columns or not. Returns for every row the assigned column, or −1 when the
 * row has none (more rows than columns). `cost[r][c]` must be finite; callers express
 * "forbidden" as a large finite cost and drop such pairs afterwards.
 */
export function hungarian(cost: readonly (readonly number[])[]): number[] {
  const rows = cost.length;
  const cols = rows > 0 ? cost[0]!.length : 0;
  if (rows === 0 || cols === 0) return new Array<number>(rows).fill(-1);
  const transpose = rows > cols;
  const n = transpose ? cols : rows;
  const m = transpose ? rows : cols;
  const at = (i: number, j: number) => (transpose ? cost[j]![i]! : cost[i]![j]!);
  // 1-based arrays as in the classic formulation; p[j] = row matched to column j
  const u = new Float64Array(n + 1),
    v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1),
    way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(Infinity);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = Infinity,
        j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = at(i0 - 1, j - 1) - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!] = u[p[j]!]! + delta;
          v[j] = v[j]! - delta;
        } else minv[j] = minv[j]! - delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const result = new Array<number>(rows).fill(-1);
  for (let j = 1; j <= m; j++) {
    if (p[j]! === 0) continue;
    if (transpose) result[j - 1] = p[j]! - 1;
    else result[p[j]! - 1] = j - 1;
  }
  return result;
}
