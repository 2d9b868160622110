// The class survives a server restart, on a server of this spec's own (restart-server.ts): the
// instructor's dashboard, two students' exercise pages (one with a terminal open) and the editor on
// a running lab are open; the server is stopped with SIGTERM. Every page says it is reconnecting,
// the dashboard that it is offline (rows greyed, presence unknown, the time of the last update),
// the terminal that it was disconnected. Started again with the same settings, every page comes
// back by itself (no reload): tables live, the terminal reopened, the dashboard's rows live. The
// student solves, breaks it again (the dashboard says "solved at …, now x/3"), the session ends:
// the student sees their final result; a student whose page was away meanwhile learns it ended.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { E2E } from '../e2e-env';
import { OwnServer } from './restart-server';

const server = new OwnServer({
  port: Number(process.env['PATCHBAY_E2E_RESTART_PORT'] ?? E2E.port + 1),
  prefix: process.env['PATCHBAY_E2E_RESTART_PREFIX'] ?? 'pbr-',
  dataDir: `/tmp/patchbay-e2e-restart-${E2E.port + 1}`,
  token: E2E.token,
});
const admin = { authorization: `Bearer ${server.settings.token}` };
const EDITOR_LAB = 'restart-two';

// Two namespaces on a bridge: the editor's running lab.
const editorLab = {
  name: EDITOR_LAB,
  nodes: {
    br0: { kind: 'bridge', addresses: ['192.168.77.1/24'] },
    'ns-a': { kind: 'netns' },
    'ns-b': { kind: 'netns' },
  },
  links: [
    {
      a: { node: 'ns-a', interface: 'veth-a', addresses: ['192.168.77.10/24'] },
      b: { node: 'br0', interface: 'veth-a-br' },
    },
    {
      a: { node: 'ns-b', interface: 'veth-b', addresses: ['192.168.77.20/24'] },
      b: { node: 'br0', interface: 'veth-b-br' },
    },
  ],
};

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: body === undefined ? admin : { ...admin, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

interface Student {
  page: Page;
  lab: string;
  errors: string[];
}

async function joinAs(context: BrowserContext, code: string, name: string): Promise<Student> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/join/${code}`);
  await page.getByTestId('join-name').fill(name);
  await page.getByTestId('join-submit').click();
  await expect(page).toHaveURL(/\/exercise\/[^/]+$/, { timeout: 30_000 });
  const lab = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]!);
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'live', { timeout: 15_000 });
  // a first check run seen: the result the page keeps for after the session (a loaded machine runs it late)
  await expect(page.getByTestId('checks-summary')).toHaveText(/^\d+\/\d+$/, { timeout: 30_000 });
  return { page, lab, errors };
}

/** Types a command once the shell has echoed it (as steps.ts's runInTerminal), in the visible terminal. */
async function run(page: Page, command: string): Promise<void> {
  const rows = page.getByTestId('terminal-screen').filter({ visible: true }).locator('.xterm-rows');
  const echoes = async () => ((await rows.textContent()) ?? '').split(command).length - 1;
  const before = await echoes();
  await page.getByTestId('terminal-screen').filter({ visible: true }).click();
  await page.keyboard.type(command, { delay: 25 });
  await expect.poll(echoes, { message: `the shell did not echo "${command}"` }).toBeGreaterThan(before);
  await page.keyboard.press('Enter');
}

/** A clock time as the page shows it (the browser's locale: `00:02:30` or `12:02:30 AM`). */
const CLOCK = String.raw`\d\d:\d\d:\d\d(?: [AP]M)?`;
const banner = (p: Page) => p.getByTestId('connection-banner');
const RECONNECTING = /Reconnecting to the Patchbay server… \(attempt \d+, (next in \d+s|trying now)\)/;

async function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ baseURL: server.url });
}

test('every page survives a server restart by itself; the student sees the session end and their result', async ({
  browser,
}) => {
  test.setTimeout(300_000);
  server.cleanup(); // what an earlier, killed run may have left
  const contexts: BrowserContext[] = [];
  try {
    await server.start();
    await api('PUT', `/api/labs/${EDITOR_LAB}`, editorLab);
    const session = (await api('POST', '/api/sessions', { scenario: 'link-down' })) as { id: string; code: string };

    // The instructor: the dashboard and the editor on the running lab (one browser, one token).
    const instructor = await newContext(browser);
    contexts.push(instructor);
    const dash = await instructor.newPage();
    const errors: string[] = [];
    dash.on('pageerror', (e) => errors.push(e.message));
    await dash.goto(`/class/${session.id}?token=${server.settings.token}`);
    await expect(dash.getByTestId('join-code-big')).toHaveText(session.code);
    const editor = await instructor.newPage();
    editor.on('pageerror', (e) => errors.push(e.message));
    await editor.goto(`/#lab=${EDITOR_LAB}`);
    await expect(editor.getByTestId('lab-name')).toHaveText(EDITOR_LAB);
    await expect(editor.getByTestId('live-status')).toHaveAttribute('data-state', 'live', { timeout: 15_000 });

    // Two students, each in a browser of their own; Ann opens a shell in db.
    const annContext = await newContext(browser);
    const bobContext = await newContext(browser);
    contexts.push(annContext, bobContext);
    const ann = await joinAs(annContext, session.code, 'Ann');
    const bob = await joinAs(bobContext, session.code, 'Bob');
    await ann.page.getByTestId('tab-terminal').click();
    await ann.page.getByTestId('terminal-node').selectOption('db');
    await ann.page.getByTestId('terminal-open').click();
    const annRows = ann.page.getByTestId('terminal-screen').locator('.xterm-rows');
    await expect(annRows).toContainText('student@db', { timeout: 15_000 });
    const annRow = dash.locator('[data-testid="student-row"][data-student="Ann"]');
    await expect(annRow.getByTestId('student-online')).toHaveAttribute('data-online', 'true', { timeout: 15_000 });

    await test.step('the server stops: every page says it is away', async () => {
      await server.stop();
      for (const p of [dash, editor, ann.page, bob.page])
        await expect(banner(p)).toHaveText(RECONNECTING, { timeout: 15_000 });
      // The countdown moves on by itself.
      await expect(banner(ann.page)).toHaveText(/attempt [2-9]\d*/, { timeout: 20_000 });
      await expect(dash.getByTestId('dashboard-offline')).toContainText(new RegExp(`offline — last update ${CLOCK}`));
      await expect(dash.getByTestId('students')).toHaveAttribute('data-offline', 'true');
      for (const dot of await dash.getByTestId('student-online').all())
        await expect(dot).toHaveAttribute('data-online', 'unknown');
      await expect(ann.page.getByTestId('terminal-tab')).toHaveAttribute('data-state', 'lost');
      await expect(ann.page.getByTestId('terminal-lost')).toContainText('disconnected');
      await expect(editor.getByTestId('live-status')).toHaveAttribute('data-state', 'off');
      await expect(ann.page.getByTestId('live-status')).toHaveAttribute('data-state', 'off');
    });

    // Bob's browser loses the network too: he is away for the rest of the session.
    await bobContext.setOffline(true);

    await test.step('started again with the same settings: every page comes back by itself', async () => {
      await server.start();
      await expect(banner(ann.page)).toHaveAttribute('data-state', 'reconnected', { timeout: 30_000 });
      for (const p of [dash, editor, ann.page]) await expect(banner(p)).toHaveCount(0, { timeout: 30_000 });
      await expect(bob.page.getByTestId('connection-banner')).toHaveText(RECONNECTING);
      // The editor's tables live again, the student's too, the terminal reopened in the same tab.
      await expect(editor.getByTestId('live-status')).toHaveAttribute('data-state', 'live');
      await expect(ann.page.getByTestId('live-status')).toHaveAttribute('data-state', 'live');
      await expect(ann.page.getByTestId('terminal-tab')).toHaveAttribute('data-state', 'open', { timeout: 15_000 });
      await expect(annRows).toContainText('[reconnected: a new shell]');
      await expect
        .poll(async () => ((await annRows.textContent()) ?? '').split('student@db').length - 1)
        .toBeGreaterThan(1);
      // The dashboard: rows live, Ann present again.
      await expect(dash.getByTestId('dashboard-offline')).toHaveCount(0);
      await expect(dash.getByTestId('students')).toHaveAttribute('data-offline', 'false');
      await expect(annRow.getByTestId('student-online')).toHaveAttribute('data-online', 'true', { timeout: 15_000 });
    });

    await test.step('live again: Ann solves, the dashboard follows; she breaks it, the dashboard says so', async () => {
      await run(ann.page, 'ip link set eth0 up');
      await expect(ann.page.getByTestId('checks-summary')).toHaveText('3/3', { timeout: 45_000 });
      await expect(annRow).toHaveAttribute('data-passed', '3', { timeout: 30_000 });
      await expect(annRow.getByTestId('student-solved')).toHaveAttribute('data-slipped', 'false');
      await run(ann.page, 'ip link set eth0 down');
      await expect(annRow).not.toHaveAttribute('data-passed', '3', { timeout: 45_000 });
      await expect(annRow.getByTestId('student-solved')).toHaveText(
        new RegExp(`^solved at ${CLOCK} \\(.*\\), now [0-2]/3$`),
      );
      await expect(annRow.getByTestId('student-solved')).toHaveAttribute('data-slipped', 'true');
      await expect(dash.getByTestId('class-summary')).toContainText('1 solved (1 not passing every check now)');
    });

    await test.step('the session ends: Ann sees her final result; Bob, back later, that it ended', async () => {
      await dash.getByTestId('end-session').click();
      await dash.getByTestId('confirm-ok').click();
      await expect(dash.getByTestId('session-ended')).toBeVisible({ timeout: 30_000 });
      const ended = ann.page.getByTestId('exercise-error');
      await expect(ended).toContainText('This class session has ended', { timeout: 15_000 });
      const result = ann.page.getByTestId('final-result');
      await expect(result).toHaveAttribute('data-solved', 'true');
      await expect(result).toHaveAttribute('data-total', '3');
      await expect(result).toContainText(
        new RegExp(`[0-2]/3 checks passed \\(at ${CLOCK}\\) · solved earlier, at ${CLOCK}`),
      );
      await expect(ann.page.getByTestId('reset-lab')).toHaveCount(0);
      await expect(banner(ann.page)).toHaveCount(0);

      await bobContext.setOffline(false);
      await expect(bob.page.getByTestId('exercise-error')).toContainText('session may have ended', { timeout: 30_000 });
      await expect(bob.page.getByTestId('final-result')).toHaveAttribute('data-solved', 'false');
      await expect(bob.page.getByTestId('final-result')).toContainText('not solved');
      await expect(bob.page.getByTestId('reset-lab')).toHaveCount(0);
      await expect(banner(bob.page)).toHaveCount(0, { timeout: 15_000 });
    });

    await api('DELETE', `/api/labs/${EDITOR_LAB}`);
    await expect.poll(() => server.namespaces(), { timeout: 15_000 }).toEqual([]);
    expect([...errors, ...ann.errors, ...bob.errors]).toEqual([]);
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await server.stop();
    server.cleanup();
  }
  expect(server.namespaces()).toEqual([]);
});
