// A student's page when the lab host of their lab dies: a coordinator of this spec's own
// (`serve --no-local-agent`, the e2e port + 2, prefix pbqc- unless PATCHBAY_E2E_FAILOVER_PREFIX)
// and two agents (the e2e port + 3 and + 4, prefixes pbqa-/pbqb-), each with its own data folder
// (restart-server.ts). A student joins link-down in the browser; their agent is killed (-9): the
// coordinator makes their lab again on the other agent, and the page says so (the failover notice,
// naming the lost agent), shows the checks of the new lab, and the notice goes once read. Every
// process is stopped and every namespace of the three prefixes removed after, pass or fail.
import { expect, test } from '@playwright/test';
import { E2E } from '../e2e-env';
import { OwnServer } from './restart-server';

const SECRET = 'e2e-agent-secret-0123456789abcdefghij';
const base = Number(process.env['PATCHBAY_E2E_FAILOVER_PORT'] ?? E2E.port + 2);
const prefix = process.env['PATCHBAY_E2E_FAILOVER_PREFIX'] ?? 'pbqc-';
const coordinator = new OwnServer({
  port: base,
  prefix,
  dataDir: `/tmp/patchbay-e2e-failover-${base}`,
  token: E2E.token,
  args: ['--no-local-agent'],
  env: { PATCHBAY_AGENT_SECRET: SECRET },
});
const agent = (name: string, offset: number, agentPrefix: string) =>
  new OwnServer({
    port: base + offset,
    prefix: agentPrefix,
    dataDir: `/tmp/patchbay-e2e-failover-${base}-${name}`,
    token: E2E.token,
    command: 'agent',
    args: ['--name', name, '--coordinator', coordinator.url],
    env: { PATCHBAY_AGENT_SECRET: SECRET },
  });
const agents = { one: agent('one', 1, `${prefix.slice(0, -2)}a-`), two: agent('two', 2, `${prefix.slice(0, -2)}b-`) };
const all = [coordinator, agents.one, agents.two];
const admin = { authorization: `Bearer ${E2E.token}` };

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${coordinator.url}${path}`, {
    method,
    headers: body === undefined ? admin : { ...admin, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

test('a student whose lab host dies gets a new lab, and their page says why', async ({ browser }) => {
  test.setTimeout(180_000);
  for (const s of all) s.cleanup(); // what an earlier, killed run may have left
  try {
    await coordinator.start();
    await Promise.all([agents.one.start(), agents.two.start()]);
    await expect
      .poll(
        async () =>
          (await api<{ agents: { state: string }[] }>('GET', '/api/agents')).agents.filter((a) => a.state === 'ready')
            .length,
        { timeout: 20_000 },
      )
      .toBe(2);
    const session = await api<{ id: string; code: string }>('POST', '/api/sessions', { scenario: 'link-down' });

    const context = await browser.newContext({ baseURL: coordinator.url });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`/join/${session.code}`);
    await page.getByTestId('join-name').fill('Ann');
    await page.getByTestId('join-submit').click();
    await expect(page).toHaveURL(/\/exercise\/[^/]+$/, { timeout: 30_000 });
    await expect(page.getByTestId('checks-summary')).toHaveText(/^\d+\/\d+$/, { timeout: 30_000 });
    await expect(page.getByTestId('failover-notice')).toHaveCount(0);

    const before = await api<{ students: { name: string; agent: string }[] }>('GET', `/api/sessions/${session.id}`);
    const lost = before.students[0]!.agent as 'one' | 'two';
    const other = lost === 'one' ? 'two' : 'one';
    await agents[lost].kill();

    // Lost within 6 s, moved at the next sweep: the page is told, naming the agent that went.
    const notice = page.getByTestId('failover-notice');
    await expect(notice).toBeVisible({ timeout: 30_000 });
    await expect(notice).toContainText(lost);
    await expect
      .poll(
        async () =>
          (await api<{ students: { agent: string }[] }>('GET', `/api/sessions/${session.id}`)).students[0]!.agent,
      )
      .toBe(other);
    expect(agents[other].namespaces().length).toBeGreaterThan(0);
    await expect(page.getByTestId('checks-summary')).toHaveText(/^\d+\/\d+$/, { timeout: 30_000 });
    await page.getByTestId('failover-ok').click();
    await expect(notice).toHaveCount(0);
    expect(errors).toEqual([]);
    await context.close();
  } finally {
    for (const s of all) await s.stop();
    for (const s of all) s.cleanup();
  }
});
