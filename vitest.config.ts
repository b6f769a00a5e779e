import { defineConfig } from 'vitest/config';

// The lab acceptance files measure times to block in seconds, so they run after every other
// file has finished, one at a time, rather than sharing the 2 cores with the rest of the suite.
const ACCEPTANCE = ['test/e2e/gateway.test.ts', 'test/e2e/gateway-bridge.test.ts'];

export default defineConfig({
  test: {
    // Namespace, nft and lab tests run real processes; give them room on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ACCEPTANCE, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'acceptance', include: ACCEPTANCE, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
