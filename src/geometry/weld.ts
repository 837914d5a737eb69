/**
 * Vertex `v` → the index of the first vertex at a bit-identical position (−0 and +0 are one
 * position), numbered in first-seen order; `keep` lists each position's first vertex.
 * Hand-written open-addressing hash over the float bits: a Map keyed by strings is ~10× slower
 * on meshes of 10⁵ corners.
 */
export function weldRemap(positions: Float32Array): { remap: Uint32Array; keep: number[] } {
  const n = positions.length / 3;
  const bits = new Uint32Array(positions.buffer, positions.byteOffset, positions.length);
  let cap = 1;
  while (cap < n * 2) cap <<= 1;
  const table = new Int32Array(cap).fill(-1);
  const remap = new Uint32Array(n);
  const keep: number[] = [];
  for (let v = 0; v < n; v++) {
    // -0 and +0 differ in bits but are the same point
    const x = bits[v * 3]! === 0x80000000 ? 0 : bits[v * 3]!;
    const y = bits[v * 3 + 1]! === 0x80000000 ? 0 : bits[v * 3 + 1]!;
    const z = bits[v * 3 + 2]! === 0x80000000 ? 0 : bits[v * 3 + 2]!;
    let h = (Math.imul(x, 73856093) ^ Math.imul(y, 19349663) ^ Math.imul(z, 83492791)) & (cap - 1);
    for (;;) {
      const slot = table[h]!;
      if (slot < 0) {
        table[h] = keep.length;
        remap[v] = keep.length;
        keep.push(v);
        break;
      }
      const u = keep[slot]!;
      if (positions[u * 3] === positions[v * 3] && positions[u * 3 + 1] === positions[v * 3 + 1] && positions[u * 3 + 2] === positions[v * 3 + 2]) {
        remap[v] = slot;
        break;
      }
      h = (h + 1) & (cap - 1);
    }
  }
  return { remap, keep };
}
