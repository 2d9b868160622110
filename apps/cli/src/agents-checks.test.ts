// Check runs of a class lab on a remote agent, triggered as on a local lab, with real processes: a
// coordinator that holds no lab (--no-local-agent) and one agent; a class session whose student's
// lab is placed on the agent. With the dashboard open, the agent watches the lab and pushes each
// run to the coordinator: Enter in the student's relayed terminal runs the checks, the fix typed
// there solves the exercise on the dashboard, and a change made with `ip` in the lab's namespace
// (no terminal at all) reaches the dashboard too, within a second or two — also for every lab of a
// class whose students joined together with the dashboard open (labs followed before they were
// started on the agent). Each of those runs says it came from a change (`change`), not from the
// periodic re-check (`periodic`) that was all remote labs had before.
// What the agent cannot tell of a student (it sees the coordinator, an instructor) is the
// coordinator's: the student's `why` quota, answers in their nodes' terms, and their captures' read
// budget. Every namespace of both prefixes goes after.
import { execFileSync } from 'node:child_process';
import { listNamespaces } from '@patchbay/kernel';
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

// What the test reads of the server's events (the protocol's CheckRun and StudentProgress).
interface CheckRun {
  lab: string;
  results: { id: string; pass: boolean }[];
  passed: number;
  total: number;
  trigger: string;
}
interface StudentProgress {
  lab: string;
  passed: number;
  total: number;
  results: { id: string; pass: boolean }[];
  lastCheckAt?: string;
  solvedAt?: string;
}

const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

function connectTo(url: string, token: string): Promise<Socket> {
  const s = io(url, { path: '/socket.io/', auth: { token }, transports: ['websocket'] });
  sockets.push(s);
  return new Promise((resolve, reject) => {
    s.on('connect', () => resolve(s));
    s.on('connect_error', reject);
  });
}

/** A coordinator without a lab of its own and one agent `far`, registered and ready, with a
 *  link-down session opened on the coordinator. */
async function sessionOnAgent(env: Record<string, string> = {}) {
  const { url } = await c.coordinator(['--no-local-agent'], { PATCHBAY_PREFIX: 'pbrc0-', ...env });
  c.agent('far', 'pbrc1-', ['--coordinator', url], env);
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
  return { url, session: (await created.json()) as { id: string; code: string } };
}

/** A coordinator without a lab of its own, one agent `far`, and a link-down class with Ada's lab on the agent. */
async function classOnAgent(limits?: Record<string, number>) {
  const env: Record<string, string> = limits ? { PATCHBAY_LIMITS: JSON.stringify(limits) } : {};
  const { url, session } = await sessionOnAgent(env);
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
  return { url, session, token, lab, db: db! };
}

describe('check runs of a lab on a remote agent', () => {
  it('runs on Enter in a relayed terminal and on kernel changes, and reaches the dashboard', async () => {
    const { url, session, token, lab, db } = await classOnAgent();

    // The instructor's dashboard, on the coordinator.
    const dashboard = await connectTo(url, ADMIN);
    const progress: StudentProgress[] = [];
    dashboard.on('session:progress', (p: { student: StudentProgress }) => {
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
    // (a run of the periodic re-check meanwhile says `periodic`: it is not this one)
    const afterEnter = await waitFor('a run after Enter', 8_000, async () =>
      runs.slice(before).find((r) => r.trigger === 'change'),
    );
    expect(afterEnter.passed).toBeLessThan(afterEnter.total);

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
    const runsBefore = runs.length;
    execFileSync('ip', ['-n', db, 'link', 'set', 'dev', 'eth0', 'down']);
    const downRun = (r: { results: { id: string; pass: boolean }[] }) =>
      r.results.some((x) => x.id === 'db-eth0-up' && !x.pass);
    const broken = await waitFor('broken again on the dashboard', 9_000, async () =>
      progress.slice(before).find(downRun),
    );
    expect(broken.passed).toBeLessThan(broken.total);
    expect(runs.slice(runsBefore).find(downRun)?.trigger).toBe('change');
    page.emit('terminal:close', { id: 'rc-term-0001' });
  });
  it('feeds the kernel changes of labs joined at once while the dashboard is open, promptly', async () => {
    // The class of bench:scale in small: the dashboard is open before anyone joins, and more students
    // join together than labs are made at once (6), so one join's watch update reaches the agent
    // while another student's lab is placed there but not started yet. Every lab must still be fed: a fix made in the kernel (no
    // terminal, so no Enter) reaches the dashboard from the agent's own run of the change, well
    // within a second or two — not from the coordinator's 10 s re-check.
    const { url, session } = await sessionOnAgent();
    const dashboard = await connectTo(url, ADMIN);
    const progress: (StudentProgress & { seenAt: number })[] = [];
    dashboard.on('session:progress', (p: { student: StudentProgress }) =>
      progress.push({ ...p.student, seenAt: Date.now() }),
    );
    expect(await dashboard.emitWithAck('session:subscribe', { session: session.id })).toMatchObject({ ok: true });

    const joined = await Promise.all(
      Array.from({ length: 12 }, (_, i) => `Student ${i + 1}`).map(async (name) => {
        const r = await fetch(`${url}/api/join`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code: session.code, name }),
        });
        expect(r.status, await r.clone().text()).toBe(200);
        return ((await r.json()) as { lab: string }).lab;
      }),
    );
    // Each lab's first run (the join's) reached the dashboard; what the joins caused is over.
    await waitFor('every first run', 20_000, async () =>
      joined.every((lab) => progress.some((p) => p.lab === lab && p.lastCheckAt)) ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 2500));

    const solvedAfter: Record<string, number> = {};
    await Promise.all(
      joined.map(async (lab) => {
        const db = (await listNamespaces(`pbrc1-${lab}.`)).find((ns) => ns.endsWith('.db'));
        expect(db, `lab ${lab} is on the agent`).toBeDefined();
        const at = Date.now();
        execFileSync('ip', ['-n', db!, 'link', 'set', 'dev', 'eth0', 'up']);
        const solved = await waitFor(`${lab} solved on the dashboard`, 12_000, async () =>
          progress.find((p) => p.lab === lab && p.seenAt >= at && p.total > 0 && p.passed === p.total),
        );
        solvedAfter[lab] = solved.seenAt - at;
      }),
    );
    // A change run is ~0.1 s of debounce and ~0.3 s of checks; 2 s leaves room for a loaded machine.
    for (const lab of joined) expect(solvedAfter[lab], JSON.stringify(solvedAfter)).toBeLessThan(2000);
  });
  it('keeps a student’s why quota, answers in their terms and bounds their captures’ reading', async () => {
    const limits = { studentWhyBurst: 2, studentWhysPerMinute: 1, studentCapturePacketsPerSecond: 300 };
    const { url, token, lab } = await classOnAgent(limits);
    const ask = (who: string) =>
      fetch(`${url}/api/labs/${lab}/why`, {
        method: 'POST',
        headers: { authorization: `Bearer ${who}`, 'content-type': 'application/json' },
        body: JSON.stringify({ from: 'web', to: '192.168.100.20', probe: false }),
      });
    // The instructor's answer speaks of the machine's namespaces, the student's of their terminals.
    const mine = await ask(ADMIN);
    expect(mine.status, await mine.clone().text()).toBe(200);
    expect(await mine.text()).toMatch(/ip -n /);
    const first = await ask(token);
    expect(first.status, await first.clone().text()).toBe(200);
    expect(first.headers.get('x-patchbay-agent')).toBe('far');
    const answer = await first.text();
    expect(answer).not.toMatch(/ip -n /);
    expect(answer).toMatch(/in the terminal of/);
    // The burst is 2: the third question in a row is over the student's quota, counted on the coordinator.
    expect((await ask(token)).status).toBe(200);
    const third = await ask(token);
    expect(third.status).toBe(429);
    expect(((await third.json()) as { code: string }).code).toBe('rate-limited');
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await ask(ADMIN)).status).toBe(200); // an instructor is not bound

    // The student's capture on the agent reads within their lab's budget (the agent sees an instructor).
    const page = await connectTo(url, token);
    const status = new Promise<{ id: string; readLimit?: number }>((resolve) =>
      page.on('capture:status', (st: { id: string; readLimit?: number }) => {
        if (st.id === 'rc-cap-0001') resolve(st);
      }),
    );
    const started = await page.emitWithAck('capture:start', { id: 'rc-cap-0001', lab, node: 'web' });
    expect(started, JSON.stringify(started)).toMatchObject({ ok: true });
    expect((await status).readLimit).toBe(300);
    page.emit('capture:stop', { id: 'rc-cap-0001' });
  });
});
