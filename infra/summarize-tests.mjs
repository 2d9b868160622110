// Sums the vitest JSON reports (packages/*/test-results/vitest.json, apps/*/…) and Playwright's
// (e2e/test-results/playwright.json) into one line:
// "N passed, N failed, N skipped". Exits 1 when a report is missing or shows failures.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0, failed = 0, skipped = 0, reports = 0;
for (const top of ['packages', 'apps']) {
  for (const dir of readdirSync(top)) {
    const file = join(top, dir, 'test-results', 'vitest.json');
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8'));
    reports++;
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + r.numTodoTests;
  }
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
