// docs/classroom-walkthrough.md, followed as an instructor and one student would: one `test.step`
// per numbered step of the doc, with the labels and names the doc gives (buttons, tabs, the
// exercise's title, the student's name and command), so the doc cannot drift from the product
// without this failing. Change both together. (classroom.spec.ts covers a class in depth.)
import { readdirSync } from 'node:fs';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { E2E } from '../e2e-env';
import { canvasSettled, labNamespaces, runInTerminal } from './steps';

const admin = { authorization: `Bearer ${E2E.token}` };

test('docs/classroom-walkthrough.md: your first class', async ({ browser, page, request }) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  let student: BrowserContext | undefined;
  let ada: Page | undefined;
  let code = '';
  let lab = '';
  const adaRow = page.locator('[data-testid="student-row"][data-student="Ada"]');

  try {
    await test.step('1. Open the class page', async () => {
      await page.goto(`/class?token=${E2E.token}`);
      await expect(page.getByRole('heading', { name: 'Start a class session' })).toBeVisible();
      // every file of the built-in library, listed
      const builtins = readdirSync(new URL('../../packages/scenarios/library/', import.meta.url)).filter((f) =>
        f.endsWith('.yaml'),
      );
      expect(builtins.length).toBeGreaterThanOrEqual(18);
      await expect(page.getByTestId('scenarios').getByRole('listitem')).toHaveCount(builtins.length);
      await expect(page.getByTestId('scenario-link-down')).toContainText('beginner');
    });

    await test.step('2. Start a session', async () => {
      const exercise = page
        .getByTestId('scenario-link-down')
        .filter({ hasText: 'Network is unreachable: an interface left down' });
      await exercise.getByRole('button', { name: 'Start session' }).click();
      await expect(page).toHaveURL(/\/class\/[^/]+$/, { timeout: 30_000 });
      await expect(page.getByText('Join code', { exact: true })).toBeVisible();
      await expect(page.getByTestId('join-code-big')).toHaveText(/^\s*[A-Za-z0-9]{4,16}\s*$/);
      code = (await page.getByTestId('join-code-big').textContent())!.trim();
      await expect(page.getByTestId('join-link')).toHaveValue(new RegExp(`/join/${code}$`));
      await expect(page.getByRole('button', { name: 'Copy', exact: true })).toBeVisible();
      await expect(page.getByTestId('no-students')).toContainText('No student yet');
      await expect(page.getByTestId('seats-used')).toHaveText('0/60 seats');
      await expect(page.getByTestId('seat-limit')).toHaveValue('60');
      await expect(page.getByTestId('join-link-warning')).toContainText(
        'Students on other machines cannot use this link',
      );
      await expect(page.getByTestId('join-link-warning')).toContainText('patchbay serve --host 0.0.0.0');
    });

    await test.step('3. A student joins', async () => {
      student = await browser.newContext();
      ada = await student.newPage();
      ada.on('pageerror', (e) => errors.push(`Ada: ${e.message}`));
      await ada.goto(`/join/${code}`);
      await ada.getByTestId('join-name').fill('Ada');
      await ada.getByRole('button', { name: 'Join' }).click();
      await expect(ada).toHaveURL(/\/exercise\/[^/]+$/, { timeout: 30_000 });
      lab = decodeURIComponent(new URL(ada.url()).pathname.split('/')[2]!);
      await expect(ada.getByTestId('instructions')).toContainText('cannot reach');
      const firstCheck = ada.getByTestId('check-db-eth0-up');
      await expect(firstCheck).toContainText("db's eth0 is up");
      await expect(firstCheck).toHaveAttribute('data-state', 'fail', { timeout: 30_000 });
      for (const node of ['web', 'db', 'br0']) await expect(ada.getByTestId(`node-${node}`)).toBeVisible();
      await expect(ada.getByRole('tab', { name: 'Terminal' })).toBeVisible();
      // Her browser holds her lab's token only.
      expect(await ada.evaluate(() => localStorage.getItem('patchbay.token'))).toBeNull();
    });

    await test.step('4. The dashboard shows her', async () => {
      await expect(adaRow).toHaveCount(1);
      await expect(adaRow.getByTestId('student-online')).toHaveAttribute('data-online', 'true');
      await expect(adaRow.getByTestId('student-summary')).toHaveText('0/3', { timeout: 30_000 });
      await expect(adaRow.locator('[data-testid="check-dot"][data-state="fail"]')).toHaveCount(3);
      await expect(page.getByTestId('seats-used')).toHaveText('1/60 seats');
      await expect(page.getByRole('button', { name: 'Lock joins' })).toBeVisible();
      await expect(adaRow.getByRole('button', { name: 'Remove Ada…' })).toBeVisible();
    });

    await test.step('5. She fixes her lab', async () => {
      const p = ada!;
      await canvasSettled(p);
      await p.getByRole('tab', { name: 'Terminal' }).click();
      await p.getByTestId('terminal-node').selectOption('db');
      await p.getByRole('button', { name: 'Open', exact: true }).click();
      const rows = p.getByTestId('terminal-screen').locator('.xterm-rows');
      await expect(rows).toContainText('student@db', { timeout: 15_000 });
      await p.getByTestId('terminal-screen').click();
      await runInTerminal(p, 'ip -br link');
      await expect(rows).toContainText(/eth0@\S+\s+DOWN/);
      await runInTerminal(p, 'ip link set eth0 up');
      await expect(p.getByTestId('checks-summary')).toHaveText('3/3', { timeout: 45_000 });
      await expect(p.getByText('Every check passes: solved!')).toBeVisible();
    });

    await test.step('6. The dashboard follows', async () => {
      await expect(adaRow.getByTestId('student-summary')).toHaveText('3/3', { timeout: 30_000 });
      await expect(adaRow.locator('[data-testid="check-dot"][data-state="pass"]')).toHaveCount(3);
      await expect(adaRow.getByTestId('student-solved')).not.toBeEmpty();
      await expect(page.getByTestId('class-summary')).toContainText('1 solved');
      for (const id of ['db-eth0-up', 'web-to-db', 'bridge-learned-db']) {
        await expect(page.locator(`[data-testid="tally-row"][data-check="${id}"]`)).toHaveAttribute(
          'data-passing',
          '1',
        );
      }
    });

    await test.step("7. Look at a student's lab", async () => {
      await adaRow.getByRole('link', { name: 'Open lab' }).click();
      await expect(page.getByTestId('exercise')).toHaveAttribute('data-role', 'instructor');
      await expect(page.getByTestId('checks-summary')).toHaveText('3/3');
      await expect(page.getByTestId('node-db')).toBeVisible();
      await expect(page.getByRole('tab', { name: 'Kernel tables' })).toBeVisible();
      await expect(page.getByRole('tab', { name: 'Terminal' })).toHaveCount(0);
      await expect(page.getByTestId('reveal-hint')).toHaveCount(0);
      await expect(page.getByRole('button', { name: 'Reset this student…' })).toBeVisible();
      await page.getByRole('link', { name: `session ${code}` }).click();
      await expect(adaRow).toHaveCount(1);
    });

    await test.step('8. End the session', async () => {
      await page.getByRole('button', { name: 'End session…' }).click();
      const confirm = page.getByTestId('end-dialog');
      await expect(confirm.getByTestId('confirm-cancel')).toBeFocused();
      await confirm.getByRole('button', { name: 'End session', exact: true }).click();
      await expect(page.getByTestId('session-ended')).toContainText("every student's lab was destroyed", {
        timeout: 30_000,
      });
      await expect.poll(() => labNamespaces(lab), { timeout: 15_000 }).toEqual([]);
      await expect(ada!.getByTestId('exercise-error')).toContainText('not available to you any more', {
        timeout: 15_000,
      });
    });
  } finally {
    await student?.close().catch(() => undefined);
    // Whatever happened above, the session's labs do not outlive the test.
    const list = await request.get('/api/sessions', { headers: admin });
    if (list.ok()) {
      for (const s of ((await list.json()) as { sessions: { id: string; endedAt?: string }[] }).sessions) {
        if (!s.endedAt) await request.delete(`/api/sessions/${s.id}`, { headers: admin });
      }
    }
  }
  expect(errors).toEqual([]);
});
