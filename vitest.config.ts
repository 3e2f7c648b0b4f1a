import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Starts the real kube-apiserver once for the whole run (test/helpers/global-setup.ts).
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
