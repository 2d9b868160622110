import { defineConfig } from 'vitest/config';

// Pure: no kernel, no I/O.
export default defineConfig({
  test: { include: ['src/**/*.test.ts'] },
});
