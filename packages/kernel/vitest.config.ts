import { defineConfig } from 'vitest/config';

// unit: pure code, runs anywhere. kernel: real namespaces, needs root; each test file uses its own
// namespace prefix (pbk1-, pbk2-, …) so files can run in parallel.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['src/**/*.unit.test.ts'] } },
      {
        test: {
          name: 'kernel',
          include: ['src/**/*.kernel.test.ts'],
          pool: 'forks',
          testTimeout: 30_000,
          hookTimeout: 30_000,
          fileParallelism: true,
        },
      },
    ],
  },
});
