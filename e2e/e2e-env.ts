// Where the end-to-end server runs and what it uses: shared by the config, the set-up and the tests.
export const E2E = {
  port: 7171,
  url: 'http://127.0.0.1:7171',
  prefix: 'pbw-',
  dataDir: '/tmp/patchbay-e2e-data',
  token: 'e2e-instructor-token-0123456789abcdef',
} as const;
