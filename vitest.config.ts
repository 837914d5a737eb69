import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores on CI: keep heavy suites (physics, browser, MuJoCo) from starving each other.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
