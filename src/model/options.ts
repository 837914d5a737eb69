/**
 * Options merged over defaults: `{ ...X_DEFAULTS, ...defined(options) }`. An option given as
 * `undefined` (a CLI flag that was not passed, a spread of a partial config) keeps the default
 * instead of overwriting it.
 */
export function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
