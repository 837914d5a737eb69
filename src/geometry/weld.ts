/**
 * Vertex i → id of its position, equal positions (as numbers: 0 and −0 are one) sharing an
 * id, ids in order of first appearance; an open-addressing table over the float bits.
 */
export function weldExact(p: Float32Array): { weld: Uint32Array; count: number } {
  const nv = p.length / 3;
  const bits = new Uint32Array(nv * 3);
  const f = new Float32Array(1),
    u = new Uint32Array(f.buffer);
  for (let i = 0; i < bits.length; i++) {
    const x = p[i]!;
    // −0 is 0; every NaN one NaN (as the text of the number would have it)
    f[0] = x === 0 ? 0 : Number.isNaN(x) ? NaN : x;
    bits[i] = u[0]!;
  }
  let size = 1;
  while (size < 2 * nv) size <<= 1;
  const table = new Int32Array(size).fill(-1);
  const weld = new Uint32Array(nv);
  const first: number[] = [];
  for (let i = 0; i < nv; i++) {
    const a = bits[i * 3]!,
      b = bits[i * 3 + 1]!,
      c = bits[i * 3 + 2]!;
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d)) >>> 0;
    h = (h ^ (h >>> 15)) & (size - 1);
    for (;;) {
      const s = table[h]!;
      if (s < 0) {
        table[h] = first.length;
        weld[i] = first.length;
        first.push(i);
        break;
      }
      const j = first[s]!;
      if (bits[j * 3] === a && bits[j * 3 + 1] === b && bits[j * 3 + 2] === c) {
        weld[i] = s;
        break;
      }
      h = (h + 1) & (size - 1);
    }
  }
  return { weld, count: first.length };
}
