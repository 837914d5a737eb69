/**
 * Names and text that end up in files: object ids and labels are untrusted (they come from
 * open-vocabulary segmentation, user JSON, imported assets), so they are sanitised before they
 * become a file name or an XML name, and every string written into XML is escaped.
 */
import { Real2SimError } from '../model/errors.ts';

/** Names the writers use themselves; an object may not take one of them. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['world', 'ground_plane', 'floor', 'sun', 'meshes', 'models', 'debug', 'scene']);

const MAX_NAME_LENGTH = 64;

/**
 * A file- and XML-safe name: ASCII letters, digits, `_` and `-`, never empty, never `.`/`..`,
 * at most 64 characters. Accents are stripped (`café` → `cafe`), anything else becomes `_`.
 */
export function sanitizeName(raw: string, fallback = 'object'): string {
  const ascii = String(raw)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '')
    .slice(0, MAX_NAME_LENGTH);
  return ascii.length > 0 ? ascii : fallback;
}

/**
 * Sanitises every id and makes the results unique, case-insensitively (file systems on macOS
 * and Windows fold case) and distinct from the reserved names: `cup`, `cup` → `cup`, `cup_2`.
 * Returns one name per input, in order. Deterministic.
 */
export function uniqueNames(raw: readonly string[], fallback = 'object'): string[] {
  const taken = new Set<string>([...RESERVED_NAMES]);
  return raw.map((r) => {
    let base = sanitizeName(r, fallback);
    // `<name>_collision_<k>` is the writers' own file and mesh namespace: keep ids out of it.
    if (/_collision_\d+$/i.test(base)) base = `${base.slice(0, MAX_NAME_LENGTH - 10)}_obj`;
    let name = base;
    for (let k = 2; taken.has(name.toLowerCase()); k++) name = `${base.slice(0, MAX_NAME_LENGTH - 6)}_${k}`;
    taken.add(name.toLowerCase());
    return name;
  });
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Escapes text for XML attribute values and character data. Characters XML 1.0 forbids
 * (control characters other than tab/newline/return, lone surrogates, U+FFFE/U+FFFF) are
 * dropped, since no escape can represent them.
 */
export function xmlEscape(text: string): string {
  return (
    String(text)
      // matching the control characters XML forbids is the point of this pattern
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
      .replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!)
  );
}

/** Text for an XML comment: `--` is not allowed inside one. */
export function xmlComment(text: string): string {
  return xmlEscape(text).replace(/-{2,}/g, '-');
}

/**
 * A number as written into URDF/SDF/MJCF: 12 significant digits (well under 1e-9 relative
 * error, free of float noise like 0.30000000000000004, deterministic for golden files);
 * `-0` is written as `0`. Non-finite values are a bug upstream and stop the export.
 */
export function fmt(x: number, what = 'value'): string {
  if (!Number.isFinite(x))
    throw new Real2SimError('EXPORT', `Cannot write ${what} = ${x}: every number in an exported file must be finite. Check the scene for NaN poses, sizes or masses.`, { what, value: x });
  if (x === 0) return '0';
  const s = Number(x.toPrecision(12)).toString();
  return s === '-0' ? '0' : s;
}

/** Several numbers separated by spaces. */
export function fmtList(xs: ArrayLike<number>, what = 'value'): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length; i++) out.push(fmt(xs[i]!, what));
  return out.join(' ');
}
