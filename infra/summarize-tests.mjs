// Sums the vitest JSON reports (packages/*/test-results/vitest.json, apps/*/…, infra/…) and Playwright's
// (e2e/test-results/playwright.json) into one line:
// "N passed, N failed, N skipped", after one line per failed test (file, name, first line of its error):
// CI shows only the tail of the output, and the tail must say what failed. Exits 1 when a report is
// missing or shows failures.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0,
  failed = 0,
  skipped = 0,
  reports = 0;
const failures = [];
/** The first line of an error message, without terminal colours, at most 300 characters. */
const firstLine = (text) =>
  String(text ?? '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes in vitest's messages
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.trim()
    .slice(0, 300) ?? '';
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
  for (const file of r.testResults ?? []) {
    const where = file.name.slice(file.name.indexOf(dir));
    const failedTests = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
    for (const t of failedTests) failures.push(`${where} › ${t.fullName}: ${firstLine(t.failureMessages?.[0])}`);
    // a file that failed to load (syntax, import, hook) has no failed test of its own
    if (file.status === 'failed' && failedTests.length === 0) failures.push(`${where}: ${firstLine(file.message)}`);
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
  const walk = (suite, file) => {
    for (const spec of suite.specs ?? [])
      for (const t of spec.tests ?? [])
        if (t.status === 'unexpected' || t.status === 'flaky') {
          const error = t.results?.find((res) => res.error)?.error?.message;
          failures.push(`e2e/tests/${spec.file ?? file} › ${spec.title}: ${t.status} ${firstLine(error)}`);
        }
    for (const child of suite.suites ?? []) walk(child, suite.file ?? file);
  };
  for (const suite of JSON.parse(readFileSync(e2e, 'utf8')).suites ?? []) walk(suite, suite.file);
} else if (existsSync('e2e/playwright.config.ts')) {
  console.error('no end-to-end report (e2e/test-results/playwright.json): the browser tests did not run');
  failed++;
}
for (const line of failures) console.log(`FAILED ${line}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(reports === 0 || failed > 0 || passed === 0 ? 1 : 0);
