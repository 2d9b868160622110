// What the instructor and a student see of each other's changes to the student's lab, end to end on
// the real server and kernel: a student's own apply through the API is marked on the dashboard; the
// instructor resets the student from the dashboard while looking at the lab read-only in another
// tab: that view draws the lab as it now is, the student's page says the instructor reset it (and
// their terminal's closing line says why); the instructor turns the session to terminals only: the
// student's page says so and their apply through the API is refused (403); turned off, it works again.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { E2E } from '../e2e-env';
import { labNamespaces } from './steps';

const admin = { authorization: `Bearer ${E2E.token}` };
const row = (page: Page, name: string) => page.locator(`[data-testid="student-row"][data-student="${name}"]`);

/** The student's lab with one more node (`extra`, a namespace of its own), applied with their token. */
async function applyWithExtraNode(request: APIRequestContext, lab: string, token: string) {
  const headers = { authorization: `Bearer ${token}` };
  const doc = (await (await request.get(`/api/labs/${encodeURIComponent(lab)}`, { headers })).json()) as {
    nodes: Record<string, unknown>;
  };
  doc.nodes['extra'] = { kind: 'netns' };
  return request.put(`/api/labs/${encodeURIComponent(lab)}`, { headers, data: doc });
}

test('a reset redraws every view of the lab and tells the student; terminals only refuses their API applies; the dashboard marks them', async ({
  browser,
  page,
  context,
  request,
}) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const student = await browser.newContext();
  try {
    await page.goto(`/class?token=${E2E.token}`);
    await page.getByTestId('start-link-down').click();
    await expect(page).toHaveURL(/\/class\/[^/]+$/, { timeout: 30_000 });
    const code = (await page.getByTestId('join-code-big').textContent())!.trim();

    // Ann joins in a browser of her own and opens a terminal in db.
    const ann = await student.newPage();
    ann.on('pageerror', (e) => errors.push(e.message));
    await ann.goto(`/join/${code}`);
    await ann.getByTestId('join-name').fill('Ann');
    await ann.getByTestId('join-submit').click();
    await expect(ann).toHaveURL(/\/exercise\/[^/]+$/, { timeout: 30_000 });
    const lab = decodeURIComponent(new URL(ann.url()).pathname.split('/')[2]!);
    const token = (await ann.evaluate((l) => localStorage.getItem(`patchbay.token.lab.${l}`), lab))!;
    await expect(ann.getByTestId('terminals-only-notice')).toHaveCount(0);
    await expect(ann.getByTestId('instructor-reset-notice')).toHaveCount(0);

    // Ann rewrites her lab through the API: the dashboard marks it, with the time and how often.
    await expect(row(page, 'Ann').getByTestId('student-api-changes')).toHaveCount(0);
    const applied = await applyWithExtraNode(request, lab, token);
    expect(applied.status(), await applied.text()).toBe(200);
    const marker = row(page, 'Ann').getByTestId('student-api-changes');
    await expect(marker).toContainText(/lab changed by the student via the API at .+, once/);
    await expect(marker).toHaveAttribute('data-count', '1');

    // The instructor looks at Ann's lab read-only in another tab: the node she added is there.
    const href = (await row(page, 'Ann').getByTestId('open-student').getAttribute('href'))!;
    const look = await context.newPage();
    look.on('pageerror', (e) => errors.push(e.message));
    await look.goto(href);
    await expect(look.getByTestId('exercise')).toHaveAttribute('data-role', 'instructor');
    await expect(look.getByTestId('node-extra')).toBeVisible({ timeout: 15_000 });

    // Ann's shell in db, open when the reset comes.
    await ann.reload();
    await ann.getByTestId('tab-terminal').click();
    await ann.getByTestId('terminal-node').selectOption('db');
    await ann.getByTestId('terminal-open').click();
    const screen = ann.getByTestId('terminal-screen').locator('.xterm-rows');
    await expect(screen).toContainText('student@db', { timeout: 15_000 });

    // The instructor resets Ann from the dashboard.
    await row(page, 'Ann').getByTestId('reset-student').click();
    await page.getByTestId('reset-dialog').getByTestId('confirm-ok').click();
    await expect(page.getByTestId('reset-dialog')).toHaveCount(0, { timeout: 30_000 });
    // The read-only view draws the lab as it stands now, without reloading.
    await expect(look.getByTestId('node-extra')).toHaveCount(0, { timeout: 15_000 });
    await expect(look.getByTestId('node-db')).toBeVisible();
    await expect.poll(() => labNamespaces(lab).some((n) => n.endsWith('.extra'))).toBe(false);
    // Ann is told, on the page and in the terminal's closing line.
    await expect(ann.getByTestId('instructor-reset-notice')).toContainText(
      /Your instructor reset your lab at .+: the exercise starts again/,
    );
    await expect(screen).toContainText('your instructor reset your lab');
    await expect(ann.getByTestId('node-extra')).toHaveCount(0);
    // The notice stays after a reload (the server remembers), until she closes it.
    await ann.reload();
    await expect(ann.getByTestId('instructor-reset-notice')).toBeVisible();
    await ann.getByTestId('instructor-reset-ok').click();
    await expect(ann.getByTestId('instructor-reset-notice')).toHaveCount(0);

    // Terminals only: the dashboard's switch; Ann's page says so at once; her apply is refused.
    // the box follows the session the server answers (a controlled input): click, then wait for it
    await page.getByTestId('terminals-only').click();
    await expect(page.getByTestId('terminals-only')).toBeChecked();
    await expect(page.getByTestId('session-terminals-only')).toBeVisible();
    await expect(ann.getByTestId('terminals-only-notice')).toContainText('Terminals only');
    await expect(look.getByTestId('terminals-only-notice')).toBeVisible();
    const refused = await applyWithExtraNode(request, lab, token);
    expect(refused.status()).toBe(403);
    expect(((await refused.json()) as { code: string; error: string }).code).toBe('terminals-only');
    expect(labNamespaces(lab).some((n) => n.endsWith('.extra'))).toBe(false);
    await expect(marker).toHaveAttribute('data-count', '1');

    // Off again: her apply goes through, and the dashboard counts it.
    await page.getByTestId('terminals-only').click();
    await expect(page.getByTestId('terminals-only')).not.toBeChecked();
    await expect(page.getByTestId('session-terminals-only')).toHaveCount(0);
    await expect(ann.getByTestId('terminals-only-notice')).toHaveCount(0);
    expect((await applyWithExtraNode(request, lab, token)).status()).toBe(200);
    await expect(marker).toHaveAttribute('data-count', '2');
    await expect(marker).toContainText('2 times');

    await page.getByTestId('end-session').click();
    await page.getByTestId('confirm-ok').click();
    await expect(page.getByTestId('session-ended')).toBeVisible({ timeout: 30_000 });
    await expect.poll(() => labNamespaces(lab), { timeout: 15_000 }).toEqual([]);
    expect(errors).toEqual([]);
  } finally {
    await student.close().catch(() => undefined);
    // Whatever happened above, the session's labs do not outlive the test.
    const list = await request.get('/api/sessions', { headers: admin });
    if (list.ok()) {
      for (const s of ((await list.json()) as { sessions: { id: string; endedAt?: string }[] }).sessions)
        if (!s.endedAt) await request.delete(`/api/sessions/${encodeURIComponent(s.id)}`, { headers: admin });
    }
  }
});
