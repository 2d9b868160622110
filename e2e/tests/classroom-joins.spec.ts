// Who joins a class, end to end on the real server and kernel: the instructor starts a session with
// one seat, a second student is turned away (full), the instructor raises the limit and locks the
// session (turned away again: locked), unlocks it, the student joins; then the instructor removes a
// student with the keyboard through the confirmation: their row leaves the dashboard, their page
// says they were removed, their token stops working and their lab is gone from the kernel.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { E2E } from '../e2e-env';
import { labNamespaces } from './steps';

interface Student {
  context: BrowserContext;
  page: Page;
  lab?: string;
  token?: string;
}

/** A student's browser at the join link with their name typed and sent; `lab` once the join worked. */
async function tryJoin(browser: Browser, code: string, name: string, student?: Student): Promise<Student> {
  const s = student ?? { context: await browser.newContext(), page: undefined as unknown as Page };
  s.page ??= await s.context.newPage();
  await s.page.goto(`/join/${code}`);
  await s.page.getByTestId('join-name').fill(name);
  await s.page.getByTestId('join-submit').click();
  await expect(s.page.getByTestId('join-error').or(s.page.getByTestId('exercise'))).toBeVisible({ timeout: 30_000 });
  if (await s.page.getByTestId('exercise').isVisible()) {
    s.lab = decodeURIComponent(new URL(s.page.url()).pathname.split('/')[2]!);
    s.token = (await s.page.evaluate((l) => localStorage.getItem(`patchbay.token.lab.${l}`), s.lab)) ?? undefined;
  }
  return s;
}

const row = (page: Page, name: string) => page.locator(`[data-testid="student-row"][data-student="${name}"]`);

test('seats, lock and removing a student from the dashboard', async ({ browser, page, request }) => {
  test.setTimeout(150_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const students: Student[] = [];
  try {
    // A session of one seat.
    await page.goto(`/class?token=${E2E.token}`);
    await page.getByTestId('new-seat-limit').fill('1');
    await page.getByTestId('start-link-down').click();
    await expect(page).toHaveURL(/\/class\/[^/]+$/, { timeout: 30_000 });
    await expect(page.getByTestId('seats-used')).toHaveText('0/1 seat');
    const code = (await page.getByTestId('join-code-big').textContent())!.trim();

    const ann = await tryJoin(browser, code, 'Ann');
    students.push(ann);
    expect(ann.lab).toBeTruthy();
    await expect(row(page, 'Ann')).toBeVisible();
    await expect(page.getByTestId('seats-used')).toHaveText('1/1 seat');
    await expect(page.getByTestId('seats-used')).toHaveAttribute('data-full', 'true');

    // Full: Bob is told so, and no lab is made for him.
    const bob = await tryJoin(browser, code, 'Bob');
    students.push(bob);
    await expect(bob.page.getByTestId('join-error')).toContainText('full');
    expect(bob.lab).toBeUndefined();

    // The instructor raises the limit (typed, Enter) and locks the session: Bob is turned away again.
    await page.getByTestId('seat-limit').fill('2');
    await page.getByTestId('seat-limit').press('Enter');
    await expect(page.getByTestId('seats-used')).toHaveText('1/2 seats');
    await page.getByTestId('lock-session').click();
    await expect(page.getByTestId('session-locked')).toBeVisible();
    await expect(page.getByTestId('lock-session')).toHaveAttribute('aria-pressed', 'true');
    await tryJoin(browser, code, 'Bob', bob);
    await expect(bob.page.getByTestId('join-error')).toContainText('locked');
    expect(bob.lab).toBeUndefined();
    // Ann, already in, goes on.
    await expect(ann.page.getByTestId('instructions')).toContainText('cannot reach');

    // Unlocked (by keyboard), Bob gets in.
    await page.getByTestId('lock-session').focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('session-locked')).toHaveCount(0);
    await tryJoin(browser, code, 'Bob', bob);
    expect(bob.lab).toBeTruthy();
    await expect(page.getByTestId('student-row')).toHaveCount(2);
    await expect(page.getByTestId('seats-used')).toHaveText('2/2 seats');

    // Removing Ann, with the keyboard: Escape cancels, Tab + Enter confirms.
    await row(page, 'Ann').getByTestId('remove-student').focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByTestId('remove-dialog');
    await expect(dialog).toContainText('Remove Ann');
    await expect(dialog.getByTestId('confirm-cancel')).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(row(page, 'Ann')).toBeVisible();
    await row(page, 'Ann').getByTestId('remove-student').focus();
    await page.keyboard.press('Enter');
    await expect(dialog.getByTestId('confirm-cancel')).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(dialog.getByTestId('confirm-ok')).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(dialog).toHaveCount(0, { timeout: 30_000 });
    await expect(row(page, 'Ann')).toHaveCount(0);
    await expect(row(page, 'Bob')).toBeVisible();
    await expect(page.getByTestId('seats-used')).toHaveText('1/2 seats');

    // Ann's page says so by itself; her token no longer works; her lab is gone from the kernel.
    await expect(ann.page.getByTestId('exercise-error')).toContainText('removed you', { timeout: 15_000 });
    const headers = { authorization: `Bearer ${ann.token}` };
    expect((await request.get(`/api/labs/${encodeURIComponent(ann.lab!)}/exercise`, { headers })).status()).toBe(401);
    await expect.poll(() => labNamespaces(ann.lab!), { timeout: 15_000 }).toEqual([]);
    expect(labNamespaces(bob.lab!).length).toBeGreaterThan(0);

    await page.getByTestId('end-session').click();
    await page.getByTestId('confirm-ok').click();
    await expect(page.getByTestId('session-ended')).toBeVisible({ timeout: 30_000 });
    await expect.poll(() => labNamespaces(bob.lab!), { timeout: 15_000 }).toEqual([]);
    expect(errors).toEqual([]);
  } finally {
    for (const s of students) await s.context.close().catch(() => undefined);
    // Whatever happened above, the session's labs do not outlive the test.
    const auth = { authorization: `Bearer ${E2E.token}` };
    const list = await request.get('/api/sessions', { headers: auth });
    if (list.ok()) {
      for (const s of ((await list.json()) as { sessions: { id: string; endedAt?: string }[] }).sessions)
        if (!s.endedAt) await request.delete(`/api/sessions/${encodeURIComponent(s.id)}`, { headers: auth });
    }
  }
});
