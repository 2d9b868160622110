// Coordinator and agents as real processes on loopback, each with its own prefix and data folder
// (agent-cluster.ts): agents register and are listed with their state; a draining one says so; a
// kill -9 of an agent makes it `lost` within 10 s; the agent restarted under the same name is
// ready again; an agent or coordinator that could not work safely refuses to start.
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, cluster, SECRET, waitFor } from '../test/agent-cluster.js';

/** What GET /api/agents answers (packages/protocol's AgentList; the CLI does not depend on the protocol package). */
interface AgentList {
  agents: {
    name: string;
    state: string;
    local: boolean;
    prefix: string;
    address: string;
    labs: string[];
    headroom: { cpus: number };
  }[];
}

const PREFIXES = ['pbag0-', 'pbag1-', 'pbag2-'] as const;
const c = cluster(PREFIXES);
afterEach(() => c.cleanup());

async function agents(url: string): Promise<AgentList['agents']> {
  const r = await fetch(`${url}/api/agents`, { headers: { authorization: `Bearer ${ADMIN}` } });
  if (!r.ok) throw new Error(`GET /api/agents: ${r.status}`);
  return ((await r.json()) as AgentList).agents;
}

const stateOf = async (url: string, name: string) => (await agents(url)).find((a) => a.name === name)?.state;

describe('patchbay agent', () => {
  it('registers agents, lists their state, marks a killed one lost within 10 s, and takes it back when it restarts', async () => {
    const { url } = await c.coordinator();
    const one = c.agent('one', 'pbag1-', ['--coordinator', url]);
    c.agent('two', 'pbag2-', ['--coordinator', url, '--drain']);
    await waitFor('both agents registered', 20_000, async () =>
      (await stateOf(url, 'one')) === 'ready' && (await stateOf(url, 'two')) === 'draining' ? true : undefined,
    );
    const list = await agents(url);
    expect(list.map((a) => [a.name, a.state, a.local])).toEqual([
      ['local', 'ready', true],
      ['one', 'ready', false],
      ['two', 'draining', false],
    ]);
    expect(list[1]).toMatchObject({ prefix: 'pbag1-', address: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(list[1]!.headroom.cpus).toBeGreaterThan(0);
    // The agent's own API answers its health check, and only the secret opens the rest.
    const health = await fetch(`${list[1]!.address}/api/health`);
    expect(health.status).toBe(200);
    expect(
      (await fetch(`${list[1]!.address}/api/labs`, { headers: { authorization: `Bearer ${ADMIN}` } })).status,
    ).toBe(401);
    expect(
      (await fetch(`${list[1]!.address}/api/labs`, { headers: { authorization: `Bearer ${SECRET}` } })).status,
    ).toBe(200);

    const killedAt = Date.now();
    one.child.kill('SIGKILL');
    await waitFor('the killed agent lost', 10_000, async () =>
      (await stateOf(url, 'one')) === 'lost' ? true : undefined,
    );
    const lostAfter = Date.now() - killedAt;
    expect(lostAfter).toBeLessThan(10_000);
    expect(await stateOf(url, 'two')).toBe('draining');

    c.agent('one', 'pbag1-', ['--coordinator', url]); // the same name and data folder
    await waitFor('the restarted agent ready', 20_000, async () =>
      (await stateOf(url, 'one')) === 'ready' ? true : undefined,
    );
  });

  it('an agent keeps trying until its coordinator answers (it reconnects on its own)', async () => {
    // The agent starts first, against a coordinator not there yet, on a port chosen now.
    const { url: first, proc } = await c.coordinator();
    proc.child.kill('SIGKILL');
    await proc.exited;
    const port = new URL(first).port;
    c.agent('one', 'pbag1-', ['--coordinator', first]);
    await new Promise((r) => setTimeout(r, 2500));
    const { url } = await c.coordinator(['--port', port]);
    await waitFor('the agent registered once the coordinator is up', 15_000, async () =>
      (await stateOf(url, 'one')) === 'ready' ? true : undefined,
    );
  });

  it('refuses to start without a strong secret, with a bad name, or a coordinator with no agent at all', async () => {
    const weak = await c.run(['agent', '--coordinator', 'http://127.0.0.1:9', '--name', 'one', '--port', '0'], {
      PATCHBAY_PREFIX: 'pbag1-',
      PATCHBAY_AGENT_SECRET: 'weak-secret-123456',
    });
    expect(weak.code).toBe(1);
    expect(weak.err).toMatch(/PATCHBAY_AGENT_SECRET is too weak/);
    const none = await c.run(['agent', '--coordinator', 'http://127.0.0.1:9', '--name', 'one', '--port', '0'], {
      PATCHBAY_PREFIX: 'pbag1-',
      PATCHBAY_AGENT_SECRET: '',
    });
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/PATCHBAY_AGENT_SECRET is not set/);
    const badName = await c.run(['agent', '--coordinator', 'http://127.0.0.1:9', '--name', 'Lab_Host'], {
      PATCHBAY_PREFIX: 'pbag1-',
    });
    expect(badName.code).toBe(2);
    expect(badName.err).toMatch(/is not an agent name/);
    const coordinatorOnly = await c.run(['serve', '--port', '0', '--no-local-agent'], {
      PATCHBAY_PREFIX: 'pbag0-',
      PATCHBAY_AGENT_SECRET: '',
    });
    expect(coordinatorOnly.code).toBe(1);
    expect(coordinatorOnly.err).toMatch(/--no-local-agent.*PATCHBAY_AGENT_SECRET/);
  });

  it('an agent whose name is the coordinator’s local agent is refused and stops (exit 1)', async () => {
    const { url } = await c.coordinator();
    const local = c.agent('local', 'pbag1-', ['--coordinator', url]);
    expect(await local.exited).toBe(1);
    expect(local.err).toMatch(/local agent/);
  });
});
