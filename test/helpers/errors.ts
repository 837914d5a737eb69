import { expect } from 'vitest';
import { Real2SimError } from '../../src/model/errors.ts';

/** Asserts that `err` is a `Real2SimError` with `code` and a message matching `pattern`. */
function expectReal2SimError(err: unknown, code: string, pattern: RegExp): void {
  expect(err, 'expected an error').toBeInstanceOf(Real2SimError);
  expect((err as Real2SimError).code).toBe(code);
  expect((err as Error).message).toMatch(pattern);
}

/** `fn` throws a `Real2SimError` with `code` and a message matching `pattern`. */
export function expectError(fn: () => unknown, code: string, pattern: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expectReal2SimError(err, code, pattern);
}

/** The promise `fn` returns rejects with a `Real2SimError` with `code` and a message matching `pattern`. */
export async function expectRejection(fn: () => Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  const err = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  expectReal2SimError(err, code, pattern);
}
