// The stream relay with real processes: a coordinator that holds no lab (--no-local-agent) and two
// agents; a lab applied through the coordinator lands on an agent, and a browser-like socket.io
// client connected to the coordinator only pings inside it, follows its tables and types in a
// terminal of one of its nodes — each stream relayed to and from the agent. A kill -9 of the agent
// ends the terminal for the client (reason shutdown). Every namespace of every prefix goes after.
import { afterEach, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { ADMIN, cluster, waitFor } from '../test/agent-cluster.js';
import { exampleText } from './test-helpers.js';

const PREFIXES = ['pbag10-', 'pbag11-', 'pbag12-'] as const;
const c = cluster(PREFIXES);
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  await c.cleanup();
});

const headers = { authorization: `Bearer ${ADMIN}` };

type Ack = { ok: true; id: string } | { ok: false; error: string };

describe('stream relay: live streams of a lab on an agent', () => {
  it('pings inside the lab, follows its tables and runs a terminal through the coordinator', async () => {
    const { url } = await c.coordinator(['--no-local-agent'], { PATCHBAY_PREFIX: 'pbag10-' });
    const one = c.agent('one', 'pbag11-', ['--coordinator', url]);
    c.agent('two', 'pbag12-', ['--coordinator', url, '--drain']);
    await waitFor('two agents registered', 20_000, async () => {
      const { agents } = (await (await fetch(`${url}/api/agents`, { headers })).json()) as { agents: unknown[] };
      return agents.length === 2 ? true : undefined;
    });
    const put = await fetch(`${url}/api/labs/relayed`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/yaml' },
      body: exampleText('two-containers.yaml').replace('name: two-containers', 'name: relayed'),
    });
    expect(put.status).toBe(200);
    expect(put.headers.get('x-patchbay-agent')).toBe('one');

    const s = io(url, { path: '/socket.io/', auth: { token: ADMIN }, transports: ['websocket'] });
    sockets.push(s);
    await new Promise<void>((resolve, reject) => {
      s.on('connect', resolve);
      s.on('connect_error', reject);
    });

    // A ping from ns-web to ns-db, inside the lab on agent one.
    const replies: unknown[] = [];
    s.on('ping:reply', (r: { id: string }) => {
      if (r.id === 'relay-ping-0001') replies.push(r);
    });
    const summary = new Promise<{ transmitted: number; received: number }>((resolve) =>
      s.on('ping:summary', (r: { id: string; transmitted: number; received: number }) => {
        if (r.id === 'relay-ping-0001') resolve(r);
      }),
    );
    const pingAck = await s.emitWithAck('ping:start', {
      id: 'relay-ping-0001',
      lab: 'relayed',
      node: 'ns-web',
      target: '192.168.100.20',
      count: 3,
      intervalMs: 200,
    });
    expect(pingAck).toEqual({ ok: true, id: 'relay-ping-0001' });
    expect(await summary).toMatchObject({ transmitted: 3, received: 3 });
    expect(replies).toHaveLength(3);

    // The tables: a snapshot of the lab as the agent reads it.
    const snapshot = new Promise<{ lab: string; state: { nodes: { node: string }[] } }>((resolve) =>
      s.on('tables:snapshot', resolve),
    );
    expect((await s.emitWithAck('tables:subscribe', { lab: 'relayed' })) as Ack).toMatchObject({ ok: true });
    const snap = await snapshot;
    expect(snap.lab).toBe('relayed');
    expect(snap.state.nodes.map((n) => n.node).sort()).toEqual(['_host', 'ns-db', 'ns-web']);

    // A terminal in ns-db: what is typed runs there, its output comes back (acknowledged as the web app does).
    let output = '';
    s.on('terminal:output', (o: { id: string; data: string }, ack?: () => void) => {
      if (o.id === 'relay-term-0001') output += o.data;
      ack?.();
    });
    const exit = new Promise<{ reason: string }>((resolve) =>
      s.on('terminal:exit', (e: { id: string; reason: string }) => {
        if (e.id === 'relay-term-0001') resolve(e);
      }),
    );
    const termAck = (await s.emitWithAck('terminal:open', {
      id: 'relay-term-0001',
      lab: 'relayed',
      node: 'ns-db',
      cols: 80,
      rows: 24,
    })) as Ack;
    expect(termAck).toEqual({ ok: true, id: 'relay-term-0001' });
    s.emit('terminal:input', { id: 'relay-term-0001', data: 'echo relayed-$((6*7)); ip -br addr show veth-db\n' });
    await waitFor('the terminal output', 15_000, async () =>
      /relayed-42/.test(output) && /192\.168\.100\.20/.test(output) ? true : undefined,
    );

    // The agent dies: the terminal ends for the browser, which is still connected to the coordinator.
    one.child.kill('SIGKILL');
    expect(await exit).toMatchObject({ reason: 'shutdown' });
    expect(s.connected).toBe(true);
  });
});
