// A browser terminal against the real server and kernel: open the two-containers example from the
// gallery, apply it, open a shell in ns-web from its context menu, ping ns-db and see who we are,
// close the tab (the shell and its sandbox are gone), destroy the lab.
import { execFileSync } from 'node:child_process';
import { expect, test, type Page } from '@playwright/test';
import { E2E } from '../e2e-env';

const LAB = 'two-containers';
const namespaces = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
/** Processes in a namespace (a shell's sandbox lives in its node's namespace). */
const pidsIn = (ns: string): string[] => execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean);

async function apply(page: Page): Promise<void> {
  await page.getByTestId('apply').click();
  const dialog = page.getByTestId('apply-dialog');
  await expect(dialog.getByTestId('apply-ops')).toBeVisible();
  await dialog.getByTestId('apply-confirm').click();
  await expect(dialog.getByTestId('apply-result')).toBeVisible({ timeout: 30_000 });
  await dialog.getByTestId('apply-close').click();
  await expect(page.getByTestId('lab-status')).toHaveText('running');
}

test('a terminal in a node: ping from it, see who we are, close it', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/?token=${E2E.token}#lab=e2e-term-empty`);
  await page.getByTestId('open').click();
  await page.getByTestId('open-tab-gallery').click();
  await page.getByTestId(`example-${LAB}`).click();
  await expect(page.getByTestId('lab-name')).toHaveText(LAB);
  await apply(page);
  const web = `${E2E.prefix}${LAB}.ns-web`;

  try {
    // Bridges get no terminal item; netns nodes do.
    await page.getByTestId('node-br0').click({ button: 'right' });
    await expect(page.getByTestId('context-menu')).not.toContainText('Open a terminal');

    await page.getByTestId('node-ns-web').click({ button: 'right' });
    await page.getByTestId('context-menu').getByText('Open a terminal in ns-web').click();
    await expect(page.getByTestId('terminal-panel')).toBeVisible();
    await expect(page.getByTestId('terminal-tab')).toHaveCount(1);
    const rows = page.getByTestId('terminal-screen').locator('.xterm-rows');
    await expect(rows).toContainText('student@ns-web', { timeout: 15_000 });

    await page.getByTestId('terminal-screen').click();
    await page.keyboard.type('ping -c 1 192.168.100.20');
    await page.keyboard.press('Enter');
    await expect(rows).toContainText('1 received', { timeout: 15_000 });
    await page.keyboard.type('id -u');
    await page.keyboard.press('Enter');
    await expect(rows.locator('> div').filter({ hasText: /^\s*1000\s*$/ })).toHaveCount(1);
    expect(pidsIn(web).length).toBeGreaterThan(0);

    await page.getByTestId('terminal-close').click();
    await expect(page.getByTestId('terminal-tab')).toHaveCount(0);
    await expect.poll(() => pidsIn(web), { timeout: 10_000 }).toEqual([]);
  } finally {
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('destroy').click();
    await expect(page.getByTestId('lab-status')).toHaveText('not applied');
  }
  expect(namespaces().filter((n) => n.startsWith(`${E2E.prefix}${LAB}.`))).toEqual([]);
  expect(errors).toEqual([]);
});
