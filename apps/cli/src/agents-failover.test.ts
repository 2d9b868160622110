// Failover with real processes: a coordinator that holds no lab (--no-local-agent) and three
// agents, a class session whose students' labs spread over them; a kill -9 of the agent holding a
// student's lab gives that student a new lab on another agent within 15 s — their exercise reset,
// the student's page told why (`exercise:reset` by failover), the dashboard's view saying where and
// from where (`agent`, `moved`), their checks run again. The killed agent, restarted under its
// name, destroys the labs that moved away. Every namespace of every prefix goes after.
import { listNamespaces } from '@patchbay/kernel';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, cluster, waitFor } from '../test/agent-cluster.js';

const PREFIXES = ['pbag20-', 'pbag21-', 'pbag22-', 'pbag23-'] as const;
const PREFIX_OF: Record<string, string> = { one: 'pbag21-', two: 'pbag22-', three: 'pbag23-' };
const c = cluster(PREFIXES);
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  await c.cleanup();
});

const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

interface Student {
  name: string;
  lab: string;
  agent?: string;
  moved?: { at: string; from: string };
  lastCheckAt?: string;
}

describe('failover: a lost agent’s students get new labs', () => {
  it('re-creates the labs of a killed agent’s students on the other agents within 15 s and tells them why', async () => {
    // One terminal at a time per student: the coordinator counts it for labs on agents too.
    const { url } = await c.coordinator(['--no-local-agent'], {
      PATCHBAY_PREFIX: 'pbag20-',
      PATCHBAY_LIMITS: JSON.stringify({ studentTerminals: 1 }),
    });
    const agents = Object.fromEntries(
      Object.entries(PREFIX_OF).map(([name, prefix]) => [name, c.agent(name, prefix, ['--coordinator', url])]),
    );
    await waitFor('three agents registered', 20_000, async () => {
      const r = (await (await fetch(`${url}/api/agents`, { headers })).json()) as { agents: { state: string }[] };
      return r.agents.filter((a) => a.state === 'ready').length === 3 ? true : undefined;
    });
    const created = await fetch(`${url}/api/sessions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ scenario: 'link-down' }),
    });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { id: string; code: string };
    const joined: { name: string; token: string; lab: string }[] = [];
    for (const name of ['Ada', 'Bob', 'Cy']) {
      const r = await fetch(`${url}/api/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: session.code, name }),
      });
      expect(r.status, await r.clone().text()).toBe(200);
      joined.push({ name, ...((await r.json()) as { token: string; lab: string }) });
    }
    const students = async () =>
      ((await (await fetch(`${url}/api/sessions/${session.id}`, { headers })).json()) as { students: Student[] })
        .students;
    const before = await students();
    // One student per agent (the fewest labs per CPU first), each lab in its agent's kernel objects.
    expect(new Set(before.map((s) => s.agent))).toEqual(new Set(['one', 'two', 'three']));
    for (const s of before) expect((await listNamespaces(`${PREFIX_OF[s.agent!]}${s.lab}.`)).length).toBeGreaterThan(0);

    // The victim's student follows their exercise, as their page does.
    const victim = before[0]!;
    const token = joined.find((j) => j.lab === victim.lab)!.token;
    const page = io(url, { path: '/socket.io/', auth: { token }, transports: ['websocket'] });
    sockets.push(page);
    const told = new Promise<{ by: string; message?: string }>((resolve) =>
      page.on('exercise:reset', (e: { lab: string; by: string; message?: string }) => {
        if (e.lab === victim.lab) resolve(e);
      }),
    );
    expect(await page.emitWithAck('exercise:subscribe', { lab: victim.lab })).toMatchObject({ ok: true });

    const killedAt = Date.now();
    agents[victim.agent!]!.child.kill('SIGKILL');
    const after = await waitFor('the student’s lab made again on another agent', 15_000, async () => {
      const s = (await students()).find((x) => x.lab === victim.lab)!;
      if (!s.moved || s.agent === victim.agent) return undefined;
      return (await listNamespaces(`${PREFIX_OF[s.agent!]}${s.lab}.`)).length > 0 ? s : undefined;
    });
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(after.moved).toMatchObject({ from: victim.agent });
    expect(await told).toMatchObject({ by: 'failover', message: expect.stringContaining(victim.agent!) });
    // Their checks run again on the new agent (the broken lab: not all pass yet).
    await waitFor('a check run after the move', 15_000, async () => {
      const s = (await students()).find((x) => x.lab === victim.lab)!;
      return s.lastCheckAt && s.lastCheckAt > after.moved!.at ? true : undefined;
    });
    const view = await fetch(`${url}/api/labs/${victim.lab}/exercise`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(view.status).toBe(200);
    // The student's terminal on the new agent, through the coordinator; a second one at once is over
    // their quota, and once the first ends the quota is theirs again.
    const open = (id: string) =>
      page.emitWithAck('terminal:open', { id, lab: victim.lab, node: 'web', cols: 80, rows: 24 }) as Promise<{
        ok: boolean;
        error?: string;
      }>;
    const first = await open('student-term-0001');
    expect(first, JSON.stringify(first)).toMatchObject({ ok: true });
    expect(await open('student-term-0002')).toMatchObject({ ok: false, error: expect.stringMatching(/quota/) });
    const exited = new Promise<void>((resolve) =>
      page.on('terminal:exit', (e: { id: string }) => e.id === 'student-term-0001' && resolve()),
    );
    page.emit('terminal:close', { id: 'student-term-0001' });
    await exited;
    expect(await open('student-term-0003')).toMatchObject({ ok: true });
    // The other students stayed where they were.
    for (const s of (await students()).filter((x) => x.lab !== victim.lab))
      expect(s.agent).toBe(before.find((b) => b.lab === s.lab)!.agent);

    // The killed agent comes back under its name: the lab that moved away is destroyed there.
    c.agent(victim.agent!, PREFIX_OF[victim.agent!]!, ['--coordinator', url]);
    await waitFor('the old copy released', 20_000, async () =>
      (await listNamespaces(`${PREFIX_OF[victim.agent!]}${victim.lab}.`)).length === 0 ? true : undefined,
    );
    expect((await listNamespaces(`${PREFIX_OF[after.agent!]}${victim.lab}.`)).length).toBeGreaterThan(0);
  });
});
