// Each page is its own chunk (apps/web/src/main.tsx): a student's join page loads neither the editor
// nor React Flow, and the server sends the build's compressed copies (Brotli) to a browser that
// accepts them. The sizes themselves are measured by `pnpm bench:pages`, not here.
import { expect, test, type Page } from '@playwright/test';
import { E2E } from '../e2e-env';

/** The scripts and stylesheets a page loads, by file name, with the encoding each came in. */
function recordAssets(page: Page): Map<string, string> {
  const assets = new Map<string, string>();
  page.on('response', (res) => {
    const type = res.request().resourceType();
    if (type === 'script' || type === 'stylesheet')
      assets.set(new URL(res.url()).pathname.split('/').pop()!, res.headers()['content-encoding'] ?? 'identity');
  });
  return assets;
}

test('the join page loads its own chunk, not the editor or React Flow; assets come compressed', async ({ page }) => {
  const assets = recordAssets(page);
  await page.goto('/join/ABCDEF');
  await expect(page.getByTestId('join-form')).toBeVisible();
  await page.waitForLoadState('networkidle');
  const names = [...assets.keys()];
  expect(names.some((n) => n.startsWith('JoinPage-'))).toBe(true);
  expect(names.filter((n) => /^(EditorEntry|ExercisePage|ClassPage|AuthorPage|flow-styles)-/.test(n))).toEqual([]);
  // the entry script is over 1 kB, so the build keeps a Brotli copy and the server sends it
  expect(assets.get(names.find((n) => n.startsWith('index-') && n.endsWith('.js'))!)).toBe('br');

  const editor = recordAssets(page);
  await page.goto(`/?token=${E2E.token}`);
  await expect(page.getByTestId('lab-name')).toBeVisible();
  expect([...editor.keys()].some((n) => n.startsWith('EditorEntry-'))).toBe(true);
});
