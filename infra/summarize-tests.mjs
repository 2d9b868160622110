// Sums the vitest JSON reports (packages/*/test-results/vitest.json, apps/*/…, infra/…) and Playwright's
// (e2e/test-results/playwright.json) into one line:
// "N passed, N failed, N skipped". Exits 1 when a report is missing or shows failures.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0,
  failed = 0,
  skipped = 0,
  reports = 0;
const dirs = ['packages', 'apps'].flatMap((top) => readdirSync(top).map((dir) => join(top, dir)));
// infra/: the proof that `pnpm lint` fails on planted violations (infra/lint.test.mjs).
for (const dir of [...dirs, 'infra']) {
  const file = join(dir, 'test-results', 'vitest.json');
  if (!existsSync(file)) {
    if (dir === 'infra' && existsSync('infra/lint.test.mjs')) {
      console.error('no report of infra/lint.test.mjs (infra/test-results/vitest.json): the lint proof did not run');
      failed++;
    }
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  reports++;
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
}
// Playwright's JSON report (e2e/): expected = passed, unexpected = failed, flaky counts as failed.
const e2e = join('e2e', 'test-results', 'playwright.json');
if (existsSync(e2e)) {
  const s = JSON.parse(readFileSync(e2e, 'utf8')).stats;
  reports++;
  passed += s.expected;
  failed += s.unexpected + s.flaky;
  skipped += s.skipped;
} else if (existsSync('e2e/playwright.config.ts')) {
  console.error('no end-to-end report (e2e/test-results/playwright.json): the browser tests did not run');
  failed++;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(reports === 0 || failed > 0 || passed === 0 ? 1 : 0);
