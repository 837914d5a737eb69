import { EXIT } from './exitCodes.ts';

/**
 * Exit code for a written bundle: OK when physics is valid or repaired (or validation was
 * switched off), PHYSICS when the verdict is anything else (invalid, needs_review, failed) or
 * when validation was asked for and produced no verdict (it failed).
 */
export function physicsExitCode(verdict: string | undefined, validationRequested: boolean): number {
  if (verdict === undefined) return validationRequested ? EXIT.PHYSICS : EXIT.OK;
  return verdict === 'valid' || verdict === 'repaired' ? EXIT.OK : EXIT.PHYSICS;
}
