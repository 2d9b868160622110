// Check runs of a class lab on a remote agent, triggered as on a local lab, with real processes: a
// coordinator that holds no lab (--no-local-agent) and one agent; a class session whose student's
// lab is placed on the agent. With the dashboard open, the agent watches the lab and pushes each
// run to the coordinator: Enter in the student's relayed terminal runs the checks, the fix typed
// there solves the exercise on the dashboard, and a change made with `ip` in the lab's namespace
// (no terminal at all) reaches the dashboard too. Each of those runs says it came from a change
// (`change`), not from the periodic re-check (`periodic`) that was all remote labs had before.
// Every namespace of both prefixes goes after.
import { execFileSync } from 'node:child_process';
import { listNamespaces } from '@patchbay/kernel';
import type { CheckRun, SessionProgressEvent, StudentProgress } from '@patchbay/protocol';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, cluster, waitFor } from '../test/agent-cluster.js';

const PREFIXES = ['pbrc0-', 'pbrc1-'] as const;
const c = cluster(PREFIXES);
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  await c.cleanup();
});

const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

function connectTo(url: string, token: string): Promise<Socket> {
  const s = io(url, { path: '/socket.io/', auth: { token }, transports: ['websocket'] });
  sockets.push(s);
  return new Promise((resolve, reject) => {
    s.on('connect', () => resolve(s));
    s.on('connect_error', reject);
  });
}

describe('check runs of a lab on a remote agent', () => {
  it('runs on Enter in a relayed terminal and on kernel changes, and reaches the dashboard', async () => {
    const { url } = await c.coordinator(['--no-local-agent'], { PATCHBAY_PREFIX: 'pbrc0-' });
    c.agent('far', 'pbrc1-', ['--coordinator', url]);
    await waitFor('the agent registered', 20_000, async () => {
      const r = (await (await fetch(`${url}/api/agents`, { headers })).json()) as { agents: { state: string }[] };
      return r.agents.some((a) => a.state === 'ready') ? true : undefined;
    });
    const created = await fetch(`${url}/api/sessions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ scenario: 'link-down' }),
    });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { id: string; code: string };
    const join = await fetch(`${url}/api/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: session.code, name: 'Ada' }),
    });
    expect(join.status, await join.clone().text()).toBe(200);
    const { token, lab } = (await join.json()) as { token: string; lab: string };
    const db = (await listNamespaces(`pbrc1-${lab}.`)).find((ns) => ns.endsWith('.db'));
    expect(db, 'the lab is on the agent').toBeDefined();
    expect((await listNamespaces(`pbrc0-${lab}.`)).length).toBe(0);

    // The instructor's dashboard, on the coordinator.
    const dashboard = await connectTo(url, ADMIN);
    const progress: StudentProgress[] = [];
    dashboard.on('session:progress', (p: SessionProgressEvent) => {
      if (p.student.lab === lab) progress.push(p.student);
    });
    expect(await dashboard.emitWithAck('session:subscribe', { session: session.id })).toMatchObject({ ok: true });
    // The student's page, on the coordinator: its runs say what triggered them.
    const page = await connectTo(url, token);
    const runs: CheckRun[] = [];
    page.on('exercise:results', (r: CheckRun) => {
      if (r.lab === lab) runs.push(r);
    });
    expect(await page.emitWithAck('exercise:subscribe', { lab })).toMatchObject({ ok: true });
    // The join's first run came and the agent feeds the lab's runs (the coordinator follows it there).
    await waitFor('the first run', 15_000, async () => (progress.some((p) => p.lastCheckAt) ? true : undefined));
    await new Promise((r) => setTimeout(r, 1500)); // what opening the pages caused is over

    // A terminal in db, relayed to the agent; Enter on a command that changes nothing still runs the checks.
    const open = (await page.emitWithAck('terminal:open', {
      id: 'rc-term-0001',
      lab,
      node: 'db',
      cols: 80,
      rows: 24,
    })) as {
      ok: boolean;
    };
    expect(open, JSON.stringify(open)).toMatchObject({ ok: true });
    page.on('terminal:output', (_o: unknown, ack?: () => void) => ack?.());
    await new Promise((r) => setTimeout(r, 1500));
    let before = runs.length;
    page.emit('terminal:input', { id: 'rc-term-0001', data: 'true\r' });
    await waitFor('a run after Enter', 8_000, async () => (runs.length > before ? true : undefined));
    expect(runs.at(-1)).toMatchObject({ lab, trigger: 'change' });
    expect(runs.at(-1)!.passed).toBeLessThan(runs.at(-1)!.total);

    // The fix, typed in the relayed terminal: solved on the dashboard, by a run a change asked for.
    page.emit('terminal:input', { id: 'rc-term-0001', data: 'ip link set eth0 up\r' });
    const solved = await waitFor('solved on the dashboard', 9_000, async () =>
      progress.find((p) => p.total > 0 && p.passed === p.total),
    );
    expect(solved.solvedAt).toBeDefined();
    const passing = runs.find((r) => r.passed === r.total);
    expect(passing).toBeDefined();
    expect(passing!.trigger).toBe('change');

    // A change in the lab's namespace with no terminal involved: the agent's watch sees it.
    before = progress.length;
    execFileSync('ip', ['-n', db!, 'link', 'set', 'dev', 'eth0', 'down']);
    const broken = await waitFor('broken again on the dashboard', 9_000, async () =>
      progress.slice(before).find((p) => p.passed < p.total && p.results.some((r) => r.id === 'db-eth0-up' && !r.pass)),
    );
    expect(broken.lastCheckAt).toBeDefined();
    const last = runs.at(-1)!;
    expect(last.passed).toBeLessThan(last.total);
    expect(last.trigger).toBe('change');
    page.emit('terminal:close', { id: 'rc-term-0001' });
  });
});
