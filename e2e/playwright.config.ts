// End-to-end tests: Debian's Chromium (Playwright's own browsers cannot be downloaded here) against
// the real server (`patchbay serve`, wrapped by serve.sh, which removes every pbw- namespace and the
// data folder once the server stopped, pass or fail) on the real kernel, with its own prefix and token.
import { defineConfig } from '@playwright/test';
import { E2E } from './e2e-env';

export default defineConfig({
  testDir: './tests',
  timeout: 90_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'test-results/playwright.json' }]],
  outputDir: 'test-results/artifacts',
  use: {
    baseURL: E2E.url,
    headless: true,
    viewport: { width: 1400, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [{ name: 'debian-chromium' }],
  webServer: {
    command: `bash serve.sh ${E2E.port}`,
    url: `${E2E.url}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5000 },
    env: {
      PATCHBAY_PREFIX: E2E.prefix,
      PATCHBAY_DATA: E2E.dataDir,
      PATCHBAY_ADMIN_TOKEN: E2E.token,
      PATCHBAY_LOG_LEVEL: 'warn',
    },
  },
});
