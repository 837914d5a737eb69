/**
 * Exit status of every `real2sim` command (documented in the README's exit-code table):
 * 0 = bundle written, physics valid or repaired; 1 = internal error (a bug); 2 = bad input or
 * usage; 3 = physics verdict invalid, needs_review or failed (bundle still written);
 * 4 = `--strict` and the scene's confidence is low; 130 = interrupted (SIGINT/SIGTERM).
 */
export const EXIT = { OK: 0, INTERNAL: 1, BAD_INPUT: 2, PHYSICS: 3, LOW_CONFIDENCE: 4, INTERRUPTED: 130 } as const;
