// Placement and forwarding with real processes: a coordinator that holds no lab itself
// (--no-local-agent) and three agents, each with its own prefix and data folder. Labs applied
// through the coordinator spread over the ready agents (never the draining one), each lab's
// namespaces exist under its agent's prefix only, every operation of a lab — state, why (a traced
// probe packet inside the lab), destroy — goes to its agent, and GET /api/labs says which agent
// holds each lab; a class's requests through the coordinator are held to each student's own rate
// limit, not refused by the agent, which sees them all under its coordinator's one key. Every
// namespace of every prefix is removed afterwards, pass or fail.
import { deleteNamespaces, listNamespaces } from '@patchbay/kernel';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, cluster, waitFor } from '../test/agent-cluster.js';
import { exampleText } from './test-helpers.js';

const PREFIXES = ['pbag4-', 'pbag5-', 'pbag6-', 'pbag7-'] as const;
const c = cluster(PREFIXES);
afterEach(() => c.cleanup());

const headers = { authorization: `Bearer ${ADMIN}` };

interface LabRow {
  name: string;
  agent?: string;
  namespaces: number;
  health: string;
}

describe('placement: labs on agents', () => {
  it('spreads labs over the ready agents, sends each lab’s operations to its agent, and destroys them there', async () => {
    const { url } = await c.coordinator(['--no-local-agent'], { PATCHBAY_PREFIX: 'pbag4-' });
    c.agent('one', 'pbag5-', ['--coordinator', url]);
    c.agent('two', 'pbag6-', ['--coordinator', url]);
    c.agent('three', 'pbag7-', ['--coordinator', url, '--drain']);
    await waitFor('three agents registered', 20_000, async () => {
      const r = await fetch(`${url}/api/agents`, { headers });
      const { agents } = (await r.json()) as { agents: { name: string; state: string }[] };
      return agents.length === 3 ? true : undefined;
    });

    const names = ['web1', 'web2', 'web3', 'web4'];
    const base = exampleText('two-containers.yaml');
    for (const name of names) {
      const r = await fetch(`${url}/api/labs/${name}`, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'application/yaml' },
        body: base.replace('name: two-containers', `name: ${name}`),
      });
      expect(r.status, await r.clone().text()).toBe(200);
      expect(r.headers.get('x-patchbay-agent')).toMatch(/^(one|two)$/);
    }
    // Two each (the fewest labs per CPU first), none on the draining agent nor on the coordinator.
    const list = (await (await fetch(`${url}/api/labs`, { headers })).json()) as { labs: LabRow[] };
    expect(list.labs.map((l) => l.name)).toEqual(names);
    const byAgent = (agent: string) => list.labs.filter((l) => l.agent === agent).map((l) => l.name);
    expect(byAgent('one')).toHaveLength(2);
    expect(byAgent('two')).toHaveLength(2);
    expect(list.labs.every((l) => l.health === 'ok' && l.namespaces === 3)).toBe(true);
    expect(await listNamespaces('pbag7-')).toEqual([]);
    expect(await listNamespaces('pbag4-')).toEqual([]);
    for (const lab of byAgent('one')) expect((await listNamespaces(`pbag5-${lab}.`)).length).toBe(3);
    for (const lab of byAgent('two')) expect((await listNamespaces(`pbag6-${lab}.`)).length).toBe(3);

    // Reading and probing a lab on an agent: its live state, and a packet from ns-web to ns-db inside it.
    const lab = byAgent('two')[0]!;
    const state = await fetch(`${url}/api/labs/${lab}/state`, { headers });
    expect(state.status).toBe(200);
    const view = (await state.json()) as { lab: string; nodes: { node: string }[] };
    expect(view.lab).toBe(lab);
    expect(view.nodes.map((n) => n.node).sort()).toEqual(['_host', 'ns-db', 'ns-web']);
    const why = await fetch(`${url}/api/labs/${lab}/why`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'ns-web', to: 'ns-db' }),
    });
    const answer = (await why.json()) as { reachable: boolean; probe?: { delivered?: boolean } };
    expect(why.status, JSON.stringify(answer)).toBe(200);
    expect(answer.reachable).toBe(true);

    // A student-less lab unknown everywhere: 404 as before.
    expect((await fetch(`${url}/api/labs/nowhere/state`, { headers })).status).toBe(404);

    // Destroyed through the coordinator: gone from its agent, and a new apply may go elsewhere.
    const gone = await fetch(`${url}/api/labs/${lab}`, { method: 'DELETE', headers });
    expect(gone.status).toBe(200);
    expect(await listNamespaces(`pbag6-${lab}.`)).toEqual([]);
    const after = (await (await fetch(`${url}/api/labs`, { headers })).json()) as { labs: LabRow[] };
    expect(after.labs.map((l) => l.name)).toEqual(names.filter((n) => n !== lab));
    for (const name of names.filter((n) => n !== lab))
      expect((await fetch(`${url}/api/labs/${name}`, { method: 'DELETE', headers })).status).toBe(200);
    for (const prefix of PREFIXES) expect(await listNamespaces(prefix)).toEqual([]);
  });

  it('a lab on a killed agent answers 502 while it is away; restarted under the same name, the agent re-adopts it (recover)', async () => {
    const { url } = await c.coordinator(['--no-local-agent'], { PATCHBAY_PREFIX: 'pbag4-' });
    const one = c.agent('one', 'pbag5-', ['--coordinator', url]);
    await waitFor('the agent registered', 20_000, async () => {
      const { agents } = (await (await fetch(`${url}/api/agents`, { headers })).json()) as { agents: unknown[] };
      return agents.length === 1 ? true : undefined;
    });
    const put = await fetch(`${url}/api/labs/kept`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/yaml' },
      body: exampleText('two-containers.yaml').replace('name: two-containers', 'name: kept'),
    });
    expect(put.status).toBe(200);
    const before = (await listNamespaces('pbag5-kept.')).sort();
    expect(before).toHaveLength(3);
    one.child.kill('SIGKILL');
    await one.exited;
    const away = await fetch(`${url}/api/labs/kept/state`, { headers });
    expect(away.status).toBe(502);
    expect(await away.json()).toMatchObject({ code: 'agent-unreachable' });
    // The lab stays in the kernel while its agent is away, and the same agent takes it back.
    expect((await listNamespaces('pbag5-kept.')).sort()).toEqual(before);
    c.agent('one', 'pbag5-', ['--coordinator', url]);
    await waitFor('the lab answers again', 20_000, async () =>
      (await fetch(`${url}/api/labs/kept/state`, { headers })).status === 200 ? true : undefined,
    );
    const list = (await (await fetch(`${url}/api/labs`, { headers })).json()) as { labs: LabRow[] };
    expect(list.labs).toEqual([expect.objectContaining({ name: 'kept', agent: 'one', health: 'ok', namespaces: 3 })]);
    expect((await listNamespaces('pbag5-kept.')).sort()).toEqual(before); // adopted, not re-created
  });

  it('answers 503 no-agent when every agent is draining, and places nothing', async () => {
    const { url } = await c.coordinator(['--no-local-agent'], { PATCHBAY_PREFIX: 'pbag4-' });
    c.agent('three', 'pbag7-', ['--coordinator', url, '--drain']);
    await waitFor('the draining agent registered', 20_000, async () => {
      const { agents } = (await (await fetch(`${url}/api/agents`, { headers })).json()) as { agents: unknown[] };
      return agents.length === 1 ? true : undefined;
    });
    const r = await fetch(`${url}/api/labs/web1`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/yaml' },
      body: exampleText('two-containers.yaml').replace('name: two-containers', 'name: web1'),
    });
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ code: 'no-agent' });
    await deleteNamespaces(await listNamespaces('pbag7-'));
  });
  it('forwards a class’s requests within each student’s own rate limit (the agent does not count its coordinator’s)', async () => {
    // The default limits (50 requests a second, a burst of 200, per token): the coordinator
    // counts each student's; the agent sees all of them under its coordinator's one key.
    const { url } = await c.coordinator(['--no-local-agent'], { PATCHBAY_PREFIX: 'pbag4-' });
    c.agent('one', 'pbag5-', ['--coordinator', url]);
    await waitFor('the agent registered', 20_000, async () => {
      const r = await fetch(`${url}/api/agents`, { headers });
      const { agents } = (await r.json()) as { agents: { state: string }[] };
      return agents.some((a) => a.state === 'ready') ? true : undefined;
    });
    const created = await fetch(`${url}/api/sessions`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ scenario: 'link-down' }),
    });
    const { code } = (await created.json()) as { code: string };
    const students: { token: string; lab: string }[] = [];
    for (const name of ['Ada', 'Bo', 'Cy', 'Di', 'Ed']) {
      const r = await fetch(`${url}/api/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code, name }),
      });
      expect(r.status, await r.clone().text()).toBe(200);
      students.push((await r.json()) as { token: string; lab: string });
    }
    // 60 each at once: within every student's burst, 300 in all (over one key's burst of 200).
    const statuses = await Promise.all(
      students.flatMap((s) =>
        Array.from({ length: 60 }, async () => {
          const r = await fetch(`${url}/api/labs/${s.lab}/state`, { headers: { authorization: `Bearer ${s.token}` } });
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    expect(statuses.filter((x) => x !== 200)).toEqual([]);
    // A student over their own burst is still refused, by the coordinator.
    const [ada] = students;
    const flood = await Promise.all(
      Array.from({ length: 260 }, () =>
        fetch(`${url}/api/labs/${ada!.lab}/state`, { headers: { authorization: `Bearer ${ada!.token}` } }).then(
          async (r) => (await r.arrayBuffer(), r.headers.get('x-patchbay-agent') === null ? r.status : 0),
        ),
      ),
    );
    expect(flood).toContain(429);
  });
});
