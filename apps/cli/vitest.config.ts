import { defineConfig } from 'vitest/config';

// Real-kernel integration tests of the built CLI (needs root and `pnpm turbo run build` first).
// Each test file uses its own namespace prefix (pbc1-, pbc2-, …) so files can run in parallel.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: true,
  },
});
