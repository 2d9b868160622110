import { defineConfig } from 'vitest/config';

// Real-kernel integration tests of the built CLI (needs root and `pnpm turbo run build` first).
// Each test file uses its own namespace prefix (pbc1-, pbc2-, …) so files can run in parallel.
// The server's global set-up starts a throw-away PostgreSQL and Redis (for `serve` with
// PATCHBAY_DATABASE and PATCHBAY_REDIS), stopped after the run.
export default defineConfig({
  test: {
    globalSetup: ['../server/test/database-servers.ts'],
    include: ['src/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: true,
  },
});
