// Vitest: every test/**/*.test.ts in one `vitest run` (unit, conformance, integration boots in Node,
// e2e in Chromium). The global setup builds the core first (only when its sources changed).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/build-core.ts'],
    // Boots and browser tests take seconds; unit tests finish far below these bounds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: boots in worker threads and Chromium must not all run at once.
    maxWorkers: 2,
  },
});
