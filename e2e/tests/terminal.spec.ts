// A browser terminal against the real server and kernel: open the two-containers example from the
// gallery, apply it, open a shell in ns-web from its context menu, ping ns-db and see who we are,
// close the tab (the shell and its sandbox are gone), destroy the lab.
import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { E2E } from '../e2e-env';
import { apply, canvasSettled, destroy, freshLab, openEditor, runInTerminal } from './steps';

const LAB = 'two-containers';
/** Processes in a namespace (a shell's sandbox lives in its node's namespace). */
const pidsIn = (ns: string): string[] =>
  execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean);

test('a terminal in a node: ping from it, see who we are, close it', async ({ page, request }) => {
  await freshLab(request, LAB);
  const errors = await openEditor(page, 'e2e-term-empty');
  await page.getByTestId('open').click();
  await page.getByTestId('open-tab-gallery').click();
  await page.getByTestId(`example-${LAB}`).click();
  await expect(page.getByTestId('lab-name')).toHaveText(LAB);
  await canvasSettled(page);
  await apply(page);
  const web = `${E2E.prefix}${LAB}.ns-web`;

  try {
    // Bridges get no terminal item; netns nodes do.
    await page.getByTestId('node-br0').click({ button: 'right' });
    await expect(page.getByTestId('context-menu')).toContainText('Capture on br0');
    await expect(page.getByTestId('context-menu')).not.toContainText('Open a terminal');

    await page.getByTestId('node-ns-web').click({ button: 'right' });
    await page.getByTestId('context-menu').getByText('Open a terminal in ns-web').click();
    await expect(page.getByTestId('terminal-panel')).toBeVisible();
    await expect(page.getByTestId('terminal-tab')).toHaveCount(1);
    const rows = page.getByTestId('terminal-screen').locator('.xterm-rows');
    await expect(rows).toContainText('student@ns-web', { timeout: 15_000 });

    await page.getByTestId('terminal-screen').click();
    await runInTerminal(page, 'ping -c 1 192.168.100.20');
    await expect(rows).toContainText('1 received', { timeout: 15_000 });
    await runInTerminal(page, 'id -u');
    await expect(rows.locator('> div').filter({ hasText: /^\s*1000\s*$/ })).toHaveCount(1);
    expect(pidsIn(web).length).toBeGreaterThan(0);

    await page.getByTestId('terminal-close').click();
    await expect(page.getByTestId('terminal-tab')).toHaveCount(0);
    await expect.poll(() => pidsIn(web), { timeout: 10_000 }).toEqual([]);
  } finally {
    await destroy(page, LAB);
  }
  expect(errors).toEqual([]);
});
