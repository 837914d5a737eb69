/** Merges options without letting an explicit `undefined` overwrite a default. */
export function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The pixel indices of each label 1…`maxId` of a label image, ascending (index 0, the
 * background, stays empty): a counting sort into typed lists, one pass to count and one to fill
 * (a Map per pixel, or number arrays grown by push, cost more than the rest of these passes).
 */
export function pixelsByLabel(data: Uint16Array, maxId: number): Uint32Array[] {
  const counts = new Int32Array(maxId + 1);
  for (let i = 0; i < data.length; i++) if (data[i]) counts[data[i]!]!++;
  // labels with no pixel share one empty list (a mask's ids may be sparse, up to 65535)
  const none = new Uint32Array(0);
  const lists = Array.from({ length: maxId + 1 }, (_, id) => (id > 0 && counts[id]! > 0 ? new Uint32Array(counts[id]!) : none));
  counts.fill(0);
  for (let i = 0; i < data.length; i++) if (data[i]) lists[data[i]!]![counts[data[i]!]!++] = i;
  return lists;
}

/**
 * The k-th smallest value of `a` (0-based), exactly what `a` sorted ascending holds at k: Hoare's
 * selection with median-of-three pivots, reordering `a` in place, in linear time (it runs per
 * angle of the mirror search and for 180 directions per pair of neighbours). Where selection
 * and the typed-array sort could disagree (a NaN, which the sort puts last; a zero, whose sign
 * the sort orders) the sort answers.
 */
export function kthSmallest(a: Float64Array, k: number): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== a[i]) return a.slice().sort()[k]!;
  let lo = 0,
    hi = a.length - 1;
  let found: number | null = null;
  while (hi > lo && found === null) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo,
      j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) swap(a, i++, j--);
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else found = a[k]!;
  }
  const v = found ?? a[k]!;
  return v === 0 ? a.slice().sort()[k]! : v;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
