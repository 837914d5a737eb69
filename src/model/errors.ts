/**
 * Structured errors: every failure the bridge reports carries a stable `code`, the context
 * it happened in, and a message that says what was wrong and what to do about it.
 */
export type ErrorCode =
  | 'BAD_INPUT'
  | 'BAD_IMAGE'
  | 'BAD_DEPTH'
  | 'BAD_CAMERA'
  | 'BAD_MESH'
  | 'BAD_SCENE'
  | 'BAD_FILE'
  | 'SIZE_MISMATCH'
  | 'UNSUPPORTED'
  | 'NO_PLANE'
  | 'NO_OBJECTS'
  | 'TOO_LARGE'
  | 'REMOTE'
  | 'TIMEOUT'
  | 'PHYSICS'
  /** Work stopped on request: a result no longer needed, or Ctrl-C while the ROS node waits for rosbridge. */
  | 'ABORTED'
  | 'EXPORT'
  | 'OUT_REFUSED'
  | 'INTERNAL';

export class Real2SimError extends Error {
  readonly code: ErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'Real2SimError';
    this.code = code;
    this.context = context;
  }
}

/** One problem found while validating untrusted input, with the path of the offending field. */
export interface ValidationProblem {
  path: string;
  message: string;
}

/** Throws one error that lists every problem, or returns when there are none. */
export function throwIfProblems(code: ErrorCode, what: string, problems: readonly ValidationProblem[]): void {
  if (problems.length === 0) return;
  const lines = problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
  throw new Real2SimError(code, `${what} is invalid:\n${lines}`, { problems });
}

/**
 * The reason a third-party decoder gave, for a message to a user. A decoder's own errors say
 * what was wrong ("Unexpected end of stream"); a TypeError or RangeError from inside it means it
 * walked off malformed data, and its text ("Cannot read properties of undefined (reading 'x')")
 * says nothing to a user about the file: `fallback` is used instead.
 */
export function decoderReason(cause: unknown, fallback = 'its structure is malformed'): string {
  if (cause instanceof TypeError || cause instanceof RangeError || cause instanceof ReferenceError) return fallback;
  const text = cause instanceof Error ? cause.message : String(cause);
  if (!text || /\[object Object\]|undefined|Cannot read propert|is not a function|is not iterable/.test(text)) return fallback;
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** A value as a message shows it: numbers and short JSON as written, anything else by its kind. */
export function showValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v === undefined) return 'nothing';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch {
    text = undefined;
  }
  if (text === undefined) return typeof v;
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
