/** Merges options without letting an explicit `undefined` overwrite a default. */
export function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The k-th smallest value of `a` (0-based), exactly what `a` sorted ascending holds at k: Hoare's
 * selection, reordering `a` in place. Where selection and the typed-array sort could disagree
 * (a NaN, which the sort puts last; a zero, whose sign the sort orders) the sort answers.
 */
export function kthSmallest(a: Float64Array, k: number): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== a[i]) return a.slice().sort()[k]!;
  let lo = 0,
    hi = a.length - 1;
  let found: number | null = null;
  while (hi > lo && found === null) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo,
      j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else found = a[k]!;
  }
  const v = found ?? a[k]!;
  return v === 0 ? a.slice().sort()[k]! : v;
}
