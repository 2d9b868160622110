import { defineConfig } from 'vitest/config';

// Real-kernel tests of the HTTP API through `app.inject` (needs root). Each file uses its own
// namespace prefix (pbs1-, pbs2-, …) and data folder, so files may run in parallel. The global
// set-up starts a throw-away PostgreSQL and Redis on loopback for the store and replica tests.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include: ['src/**/*.test.ts'],
    globalSetup: ['test/database-servers.ts'],
  },
});
