/** Shortest simulated run before an early stop at rest, seconds (our engine's and MuJoCo's). */
export const MIN_SECONDS = 0.5;
