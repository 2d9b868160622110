// A class, end to end, on the real server and kernel: the instructor starts a session from the
// built-in `link-down` (db's eth0 is down), two students join in browsers of their own, each sees the
// instructions and failing checks and fixes their own lab from db's terminal; the dashboard follows
// both to 3/3; a student's token reads and subscribes to their lab only; the session ends and every
// student lab is gone from the kernel.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { E2E } from '../e2e-env';
import { labNamespaces, runInTerminal } from './steps';

interface Student {
  name: string;
  context: BrowserContext;
  page: Page;
  lab: string;
  token: string;
  errors: string[];
}

async function joinAs(browser: Browser, code: string, name: string): Promise<Student> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/join/${code}`);
  await expect(page.getByTestId('join-form')).toContainText(code);
  await page.getByTestId('join-name').fill(name);
  await page.getByTestId('join-submit').click();
  await expect(page).toHaveURL(/\/exercise\/[^/]+$/, { timeout: 30_000 });
  const lab = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]!);
  const token = await page.evaluate((l) => localStorage.getItem(`patchbay.token.lab.${l}`), lab);
  if (!token) throw new Error(`no token kept for lab ${lab}`);
  // The student's browser has no instructor token: only their lab's.
  expect(await page.evaluate(() => localStorage.getItem('patchbay.token'))).toBeNull();
  return { name, context, page, lab, token, errors };
}

/** Opens a shell in db from the exercise page's terminal panel and brings eth0 up. */
async function fixInTerminal(page: Page): Promise<void> {
  await page.getByTestId('tab-terminal').click();
  await page.getByTestId('terminal-node').selectOption('db');
  await page.getByTestId('terminal-open').click();
  const rows = page.getByTestId('terminal-screen').locator('.xterm-rows');
  await expect(rows).toContainText('student@db', { timeout: 15_000 });
  await page.getByTestId('terminal-screen').click();
  await runInTerminal(page, 'ip link set eth0 up');
}

/**
 * `exercise:subscribe` on a raw socket.io connection (Engine.IO 4 over a WebSocket) from the page,
 * with `token`: the ack the server gives.
 */
async function subscribeAck(page: Page, token: string, lab: string): Promise<{ ok: boolean; error?: string }> {
  return page.evaluate(
    ({ token, lab }) =>
      new Promise<{ ok: boolean; error?: string }>((resolve, reject) => {
        const ws = new WebSocket(`ws://${location.host}/socket.io/?EIO=4&transport=websocket`);
        const timer = setTimeout(() => (ws.close(), reject(new Error('no answer'))), 10_000);
        ws.onmessage = (m) => {
          const data = String(m.data);
          if (data.startsWith('0{')) ws.send(`40${JSON.stringify({ token })}`);
          else if (data === '2') ws.send('3');
          else if (data.startsWith('40')) ws.send(`421${JSON.stringify(['exercise:subscribe', { lab }])}`);
          else if (data.startsWith('44')) {
            clearTimeout(timer);
            ws.close();
            resolve({ ok: false, error: `connect refused: ${data}` });
          } else if (data.startsWith('431')) {
            clearTimeout(timer);
            ws.close();
            resolve((JSON.parse(data.slice(3)) as [{ ok: boolean; error?: string }])[0]);
          }
        };
        ws.onerror = () => (clearTimeout(timer), reject(new Error('websocket error')));
      }),
    { token, lab },
  );
}

test('a class: start a session, two students join and fix their labs, the dashboard follows, the session ends', async ({
  browser,
  page,
  request,
}) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  // The instructor starts a session from the built-in exercise.
  await page.goto(`/class?token=${E2E.token}`);
  expect(page.url()).not.toContain('token=');
  const scenario = page.getByTestId('scenario-link-down');
  await expect(scenario).toContainText('beginner');
  await scenario.getByTestId('start-link-down').click();
  await expect(page).toHaveURL(/\/class\/[^/]+$/, { timeout: 30_000 });
  // The dashboard shows the session once it has loaded it.
  await expect(page.getByTestId('join-code-big')).toHaveText(/^\s*[A-Za-z0-9]{4,16}\s*$/);
  const code = (await page.getByTestId('join-code-big').textContent())!.trim();
  await expect(page.getByTestId('join-link')).toHaveValue(new RegExp(`/join/${code}$`));
  await expect(page.getByTestId('no-students')).toBeVisible();

  const students: Student[] = [];
  try {
    students.push(await joinAs(browser, code, 'Ann'));
    students.push(await joinAs(browser, code, 'Bob'));
    const [ann, bob] = students as [Student, Student];
    expect(ann.lab).not.toBe(bob.lab);

    for (const s of students) {
      await expect(s.page.getByTestId('instructions')).toContainText('cannot reach');
      await expect(s.page.getByTestId('check-db-eth0-up')).toHaveAttribute('data-state', 'fail', { timeout: 30_000 });
      await expect(s.page.getByTestId('checks-summary')).not.toHaveText('3/3');
      // The lab is drawn read-only with its nodes.
      await expect(s.page.getByTestId('node-db')).toBeVisible();
      await expect(s.page.getByTestId('node-br0')).toBeVisible();
    }
    await expect(page.getByTestId('student-row')).toHaveCount(2);

    // Both have their exercise open: the dashboard shows them online.
    for (const name of ['Ann', 'Bob']) {
      await expect(
        page.locator(`[data-testid="student-row"][data-student="${name}"] [data-testid="student-online"]`),
      ).toHaveAttribute('data-online', 'true');
    }

    // Ann opens the join link again (a closed tab): she is offered her own lab, not a second seat.
    await ann.page.goto(`/join/${code}`);
    await expect(ann.page.getByTestId('join-continue')).toContainText('You joined this class as Ann');
    await ann.page.getByTestId('join-continue').getByRole('link').click();
    await expect(ann.page).toHaveURL(new RegExp(`/exercise/${ann.lab}$`));
    await expect(ann.page.getByTestId('check-db-eth0-up')).toHaveAttribute('data-state', 'fail', { timeout: 30_000 });
    await expect(page.getByTestId('student-row')).toHaveCount(2);

    // A hint, revealed one by one; the dashboard counts it.
    await ann.page.getByTestId('reveal-hint').click();
    await expect(ann.page.getByTestId('hint')).toHaveCount(1);
    await expect(ann.page.getByTestId('hint').first()).toContainText('ip -br link');

    // A student's token covers their own lab only: not the other's document, exercise, or live results.
    for (const path of [
      `/api/labs/${encodeURIComponent(bob.lab)}`,
      `/api/labs/${encodeURIComponent(bob.lab)}/exercise`,
    ]) {
      const res = await request.get(path, { headers: { authorization: `Bearer ${ann.token}` } });
      expect([403, 404]).toContain(res.status());
    }
    expect((await request.get('/api/sessions', { headers: { authorization: `Bearer ${ann.token}` } })).status()).toBe(
      403,
    );
    expect(
      (
        await request.get(`/api/labs/${encodeURIComponent(ann.lab)}/exercise`, {
          headers: { authorization: `Bearer ${ann.token}` },
        })
      ).status(),
    ).toBe(200);
    expect(await subscribeAck(ann.page, ann.token, bob.lab)).toMatchObject({ ok: false });
    expect(await subscribeAck(ann.page, ann.token, ann.lab)).toMatchObject({ ok: true });

    // Each fixes their own lab from db's terminal; the checks turn green by themselves.
    for (const s of students) await fixInTerminal(s.page);
    for (const s of students) {
      await expect(s.page.getByTestId('checks-summary')).toHaveText('3/3', { timeout: 45_000 });
      await expect(s.page.getByTestId('solved')).toBeVisible();
      await expect(s.page.getByTestId('check-web-to-db')).toHaveAttribute('data-state', 'pass');
    }

    // The dashboard followed both, live.
    for (const name of ['Ann', 'Bob']) {
      const row = page.locator(`[data-testid="student-row"][data-student="${name}"]`);
      await expect(row).toHaveAttribute('data-passed', '3', { timeout: 30_000 });
      await expect(row.getByTestId('student-summary')).toHaveText('3/3');
      await expect(row.locator('[data-testid="check-dot"][data-state="pass"]')).toHaveCount(3);
      await expect(row.getByTestId('student-solved')).not.toBeEmpty();
    }
    await expect(page.getByTestId('class-summary')).toContainText('2 solved');
    // Per check across the class: every one passed by both.
    await expect(page.getByTestId('tally-row')).toHaveCount(3);
    for (const id of ['db-eth0-up', 'web-to-db', 'bridge-learned-db']) {
      await expect(page.locator(`[data-testid="tally-row"][data-check="${id}"]`)).toHaveAttribute('data-passing', '2');
    }
    await expect(page.getByTestId('class-summary')).toContainText('1 hint used');

    // The instructor opens Bob's lab read-only: checks and tables, no terminal, no hint button.
    await page.locator('[data-testid="student-row"][data-student="Bob"]').getByTestId('open-student').click();
    await expect(page.getByTestId('exercise')).toHaveAttribute('data-role', 'instructor');
    await expect(page.getByTestId('checks-summary')).toHaveText('3/3');
    await expect(page.getByTestId('tab-terminal')).toHaveCount(0);
    await expect(page.getByTestId('reveal-hint')).toHaveCount(0);
    await expect(page.getByTestId('reset-lab')).toBeVisible();
    await page.getByTestId('back-to-dashboard').click();
    await expect(page.getByTestId('student-row')).toHaveCount(2);

    // The instructor ends the session (Escape closes the confirmation first): the labs are gone.
    await page.getByTestId('end-session').click();
    await expect(page.getByTestId('end-dialog')).toBeVisible();
    // Focus on Cancel: the dialog has set itself up (its Escape listener comes in the same step).
    await expect(page.getByTestId('end-dialog').getByTestId('confirm-cancel')).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('end-dialog')).toHaveCount(0);
    await page.getByTestId('end-session').click();
    await page.getByTestId('confirm-ok').click();
    await expect(page.getByTestId('session-ended')).toBeVisible({ timeout: 30_000 });
    await expect.poll(() => [...labNamespaces(ann.lab), ...labNamespaces(bob.lab)], { timeout: 15_000 }).toEqual([]);
    expect(
      (
        await request.get(`/api/labs/${encodeURIComponent(ann.lab)}/exercise`, {
          headers: { authorization: `Bearer ${ann.token}` },
        })
      ).ok(),
    ).toBe(false);
    // The students' pages say so by themselves (the server let go of their connections).
    for (const s of students)
      await expect(s.page.getByTestId('exercise-error')).toContainText('This class session has ended', {
        timeout: 15_000,
      });
    for (const s of students) expect(s.errors).toEqual([]);

    // Joining: an ended session, an unknown code, a code typed on the join page without one.
    const late = await browser.newContext();
    try {
      const p = await late.newPage();
      await p.goto(`/join/${code}`);
      await p.getByTestId('join-name').fill('Cy');
      await p.getByTestId('join-name').press('Enter');
      await expect(p.getByTestId('join-error')).toContainText('has ended');
      await p.goto('/join');
      await p.getByTestId('join-code').fill('NOSUCH99');
      await p.getByTestId('join-name').fill('Cy');
      await p.getByTestId('join-submit').click();
      await expect(p.getByTestId('join-error')).toContainText('No class session has this code');
      await expect(p).toHaveURL(/\/join$/);
    } finally {
      await late.close().catch(() => undefined);
    }
  } finally {
    // A close that fails (its trace already written) must not hide why the test failed.
    for (const s of students) await s.context.close().catch(() => undefined);
    // Whatever happened above, the session's labs do not outlive the test.
    const list = await request.get('/api/sessions', { headers: { authorization: `Bearer ${E2E.token}` } });
    if (list.ok()) {
      for (const s of ((await list.json()) as { sessions: { id: string; endedAt?: string }[] }).sessions) {
        if (!s.endedAt)
          await request.delete(`/api/sessions/${s.id}`, { headers: { authorization: `Bearer ${E2E.token}` } });
      }
    }
  }
  expect(errors).toEqual([]);
});
