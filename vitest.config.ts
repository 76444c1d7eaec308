import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files share the machine's RabbitMQ/Redis; two cores do not gain from more workers.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
