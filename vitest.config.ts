import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Removes the temp directories tests made (test/support/temp.ts) when each test file ends.
    setupFiles: ['test/support/temp-cleanup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Under CI a JSON report too, from which .ci/run prints the plain 'N passed, N failed' closing line.
    reporters: process.env.CI === 'true' ? ['default', ['json', { outputFile: 'test-artifacts/vitest.json' }]] : ['default'],
    // Integration files share the machine's RabbitMQ/Redis; two cores do not gain from more workers.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
