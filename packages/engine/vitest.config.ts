import { defineConfig } from 'vitest/config';

// Real-kernel tests: each file uses its own namespace prefix (pbe1-, …), so files may run in parallel.
export default defineConfig({
  test: { pool: 'forks', testTimeout: 60_000, hookTimeout: 60_000, include: ['src/**/*.test.ts'] },
});
