// The class as the instructor runs it (issue 13), end to end on the real server and kernel: /class
// shows the running sessions first; the dashboard says that its join link reaches no other machine
// (this server listens on 127.0.0.1) and how to serve on the network; a second browser joining with
// a name already taken is refused with a clear message, while the student's own browser gets their
// seat back; the editor's lab list names a student's lab by student and session, and Apply and
// Destroy on it warn first whose work they change.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { E2E } from '../e2e-env';
import { labNamespaces } from './steps';

const auth = { authorization: `Bearer ${E2E.token}` };

/** A browser of its own at the join link, the name typed and sent; the join error or the exercise page after. */
async function join(page: Page, code: string, name: string): Promise<void> {
  await page.goto(`/join/${code}`);
  await page.getByTestId('join-name').fill(name);
  await page.getByTestId('join-submit').click();
  await expect(page.getByTestId('join-error').or(page.getByTestId('exercise'))).toBeVisible({ timeout: 30_000 });
}

const labOf = (page: Page): string => decodeURIComponent(new URL(page.url()).pathname.split('/')[2]!);

async function newStudentPage(browser: Browser, contexts: BrowserContext[]): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  return context.newPage();
}

test('running sessions first, the join link that reaches nobody, one seat per name, student labs in the editor', async ({
  browser,
  page,
  request,
}) => {
  test.setTimeout(150_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const contexts: BrowserContext[] = [];
  try {
    await page.goto(`/class?token=${E2E.token}`);
    const title = (await page.getByTestId('scenario-link-down').locator('strong').textContent())!.trim();
    await page.getByTestId('start-link-down').click();
    await expect(page).toHaveURL(/\/class\/[^/]+$/, { timeout: 30_000 });
    const code = (await page.getByTestId('join-code-big').textContent())!.trim();

    // Item 15: this server listens on 127.0.0.1 only: the dashboard says nobody else can join, and how to serve.
    const warning = page.getByTestId('join-link-warning');
    await expect(warning).toHaveAttribute('data-kind', 'server-loopback');
    await expect(warning).toContainText('Students on other machines cannot use this link');
    await expect(warning).toContainText('127.0.0.1');
    await expect(warning).toContainText('patchbay serve --host 0.0.0.0');
    await expect(warning).toContainText('PATCHBAY_ALLOWED_HOSTS');

    // Item 10: back on /class, the running session is at the top, above the exercises, in view.
    await page.goto('/class');
    const running = page.getByTestId('running-sessions');
    const row = running.getByTestId('session-row').filter({ hasText: code });
    await expect(row).toBeVisible();
    await expect(row).toBeInViewport();
    const sessionsBox = (await running.boundingBox())!;
    const scenariosBox = (await page.getByTestId('scenarios').boundingBox())!;
    expect(sessionsBox.y + sessionsBox.height).toBeLessThanOrEqual(scenariosBox.y);
    await row.getByRole('link', { name: code }).click();
    await expect(page.getByTestId('join-code-big')).toHaveText(code);

    // Item 11: Ana joins; a second browser with her name (in another case) is refused, and no row is added.
    const ana = await newStudentPage(browser, contexts);
    await join(ana, code, 'Ana');
    await expect(ana.getByTestId('exercise')).toBeVisible();
    const lab = labOf(ana);
    await expect(page.locator('[data-testid="student-row"][data-student="Ana"]')).toBeVisible();
    const other = await newStudentPage(browser, contexts);
    await join(other, code, ' ana');
    await expect(other.getByTestId('join-error')).toHaveText(/^The name ana is taken in this session: choose another/);
    await expect(other).toHaveURL(/\/join\//);
    // Ana's own browser, back at the join link (a closed tab): the same name gets her seat, her lab.
    await join(ana, code, 'Ana');
    await expect(ana.getByTestId('exercise')).toBeVisible();
    expect(labOf(ana)).toBe(lab);
    await expect(page.getByTestId('student-row')).toHaveCount(1);
    await expect(page.getByTestId('seats-used')).toContainText('1/');

    // Item 14: the editor's "Your labs" names Ana's lab by student and session.
    await page.goto('/');
    await expect(page.getByTestId('open-dialog')).toBeVisible();
    await page.getByTestId('open-tab-labs').click();
    const label = page.getByTestId(`lab-student-${lab}`);
    await expect(label).toHaveText(`Ana · session ${code} (${title})`);
    await page.getByTestId(`open-lab-${lab}`).click();
    await expect(page.getByTestId('lab-name')).toHaveText(lab);
    await expect(page.getByTestId('lab-owner')).toHaveText(`Ana · session ${code} (${title})`);
    // Apply says whose work it replaces before anything runs; cancelled, nothing ran.
    await page.getByTestId('apply').click();
    const dialog = page.getByTestId('apply-dialog');
    await expect(dialog.getByTestId('apply-warning')).toContainText(
      `This is Ana's lab in class session ${code} (${title}): applying replaces what Ana did`,
    );
    await dialog.getByTestId('apply-close').click();
    await expect(dialog).toHaveCount(0);
    // Destroy says it too; dismissed, Ana's lab is still there.
    const said = new Promise<string>((resolve) =>
      page.once('dialog', (d) => {
        resolve(d.message());
        void d.dismiss();
      }),
    );
    await page.getByTestId('destroy').click();
    expect(await said).toMatch(
      new RegExp(`^This is Ana's lab in class session ${code} .*\\n\\nDestroy lab ${lab}\\?`, 's'),
    );
    await expect(page.getByTestId('lab-status')).toHaveText('running');
    expect(labNamespaces(lab).length).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    // Whatever happened above, the session's labs do not outlive the test.
    const list = await request.get('/api/sessions', { headers: auth });
    if (list.ok()) {
      for (const s of ((await list.json()) as { sessions: { id: string; endedAt?: string }[] }).sessions)
        if (!s.endedAt) await request.delete(`/api/sessions/${encodeURIComponent(s.id)}`, { headers: auth });
    }
  }
});
