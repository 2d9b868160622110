// The coordinator's agent registry through its routes: only the agent secret opens the heartbeat
// (no instructor token, no secret at all when none is set), a heartbeat of another protocol
// version or with the local agent's name is refused, an agent is listed with what it reported and
// turns `lost` once its heartbeats stop, and a weak secret stops the start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '@patchbay/engine';
import { deleteNamespaces, listNamespaces } from '@patchbay/kernel';
import { AGENT_PROTOCOL_VERSION, type AgentHeartbeat, type AgentList } from '@patchbay/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type AppOptions } from './app.js';
import { openStore } from './store/store.js';

const PREFIX = 'pbag9-';
const TOKEN = 'test-admin-token-0123456789';
const SECRET = 'agent-secret-aB3dE6gH9jK2mN5pQ8sT1vW4xY';
const opened: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0)) await close();
  await deleteNamespaces(await listNamespaces(PREFIX));
});

async function coordinator(agents: AppOptions['agents']) {
  const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-agents-test-'));
  const engine = new Engine({ prefix: PREFIX, dataDir });
  const store = openStore(dataDir);
  const close = async () => {
    await engine.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const app = await buildApp({ engine, store, adminToken: TOKEN, ...(agents ? { agents } : {}) });
    opened.push(async () => {
      await app.close();
      await close();
    });
    return app;
  } catch (e) {
    await close();
    throw e;
  }
}

const beat = (over: Partial<AgentHeartbeat> = {}): AgentHeartbeat => ({
  protocol: AGENT_PROTOCOL_VERSION,
  name: 'lab-host-1',
  address: 'http://127.0.0.1:7071',
  state: 'ready',
  prefix: 'pbx-',
  labs: ['one'],
  namespaces: 3,
  headroom: { cpus: 4, load1: 1, cpuFree: 3, memoryFreeBytes: 2e9, memoryTotalBytes: 8e9 },
  ...over,
});

describe('agent registry', () => {
  it('opens the heartbeat only with the agent secret, and not at all without one', async () => {
    const none = await coordinator(undefined);
    const refused = await none.inject({
      method: 'POST',
      url: '/api/agents/heartbeat',
      headers: { authorization: `Bearer ${SECRET}` },
      payload: beat(),
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.json<{ error: string }>().error).toMatch(/PATCHBAY_AGENT_SECRET is not set/);

    const app = await coordinator({ agentSecret: SECRET });
    for (const token of [TOKEN, `${SECRET}x`, undefined]) {
      const r = await app.inject({
        method: 'POST',
        url: '/api/agents/heartbeat',
        headers: token ? { authorization: `Bearer ${token}` } : {},
        payload: beat(),
      });
      expect(r.statusCode, String(token)).toBe(401);
    }
    const list = await app.inject({ url: '/api/agents', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(list.json<AgentList>().agents.map((a) => a.name)).toEqual(['local']);
    // The agent secret is no instructor token.
    const asAgent = await app.inject({ url: '/api/agents', headers: { authorization: `Bearer ${SECRET}` } });
    expect(asAgent.statusCode).toBe(401);
  });

  it('registers an agent, lists it with what it reported, and calls it lost when its heartbeats stop', async () => {
    const app = await coordinator({ agentSecret: SECRET, heartbeatMs: 100, lostAfterMs: 400 });
    const r = await app.inject({
      method: 'POST',
      url: '/api/agents/heartbeat',
      headers: { authorization: `Bearer ${SECRET}` },
      payload: beat(),
    });
    expect(r.json()).toEqual({ protocol: AGENT_PROTOCOL_VERSION, heartbeatMs: 100, lostAfterMs: 400 });
    const list = async () =>
      (await app.inject({ url: '/api/agents', headers: { authorization: `Bearer ${TOKEN}` } })).json<AgentList>()
        .agents;
    const [local, remote] = await list();
    expect(local).toMatchObject({ name: 'local', local: true, state: 'ready', prefix: PREFIX, labs: [] });
    expect(remote).toMatchObject({
      name: 'lab-host-1',
      local: false,
      state: 'ready',
      address: 'http://127.0.0.1:7071',
      labs: ['one'],
      namespaces: 3,
      headroom: { cpus: 4, cpuFree: 3 },
    });
    await new Promise((res) => setTimeout(res, 600));
    expect((await list())[1]?.state).toBe('lost');
  });

  it('refuses another protocol version, the local agent name, a malformed heartbeat; a coordinator only lists no local agent', async () => {
    const app = await coordinator({ agentSecret: SECRET, localAgent: false });
    const send = (payload: unknown) =>
      app.inject({
        method: 'POST',
        url: '/api/agents/heartbeat',
        headers: { authorization: `Bearer ${SECRET}` },
        payload: payload as object,
      });
    const old = await send(beat({ protocol: AGENT_PROTOCOL_VERSION + 1 }));
    expect(old.statusCode).toBe(409);
    expect(old.json()).toMatchObject({ code: 'agent-protocol' });
    expect((await send({ ...beat(), name: 'Not A Name' })).statusCode).toBe(400);
    expect((await send({ ...beat(), extra: 1 })).statusCode).toBe(400);
    const list = await app.inject({ url: '/api/agents', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(list.json<AgentList>().agents).toEqual([]);

    const withLocal = await coordinator({ agentSecret: SECRET });
    const taken = await withLocal.inject({
      method: 'POST',
      url: '/api/agents/heartbeat',
      headers: { authorization: `Bearer ${SECRET}` },
      payload: beat({ name: 'local' }),
    });
    expect(taken.json()).toMatchObject({ code: 'agent-name' });
  });

  it('refuses a weak agent secret at start', async () => {
    await expect(coordinator({ agentSecret: 'short-secret-1234' })).rejects.toThrow(
      /PATCHBAY_AGENT_SECRET is too weak/,
    );
  });
});

describe('placement on the local agent', () => {
  it('records a new lab on the local agent, lists it with its agent, and forgets the placement when it is destroyed or its apply fails', async () => {
    const app = await coordinator({ agentSecret: SECRET });
    const headers = { authorization: `Bearer ${TOKEN}` };
    const lab = { name: 'placed', nodes: { a: { kind: 'netns' } }, links: [] };
    const put = await app.inject({ method: 'PUT', url: '/api/labs/placed', headers, payload: lab });
    expect(put.statusCode, put.body).toBe(200);
    expect(await app.store.agents.agentOf('placed')).toBe('local');
    const list = await app.inject({ url: '/api/labs', headers });
    expect(list.json<{ labs: { name: string; agent?: string }[] }>().labs).toEqual([
      expect.objectContaining({ name: 'placed', agent: 'local' }),
    ]);
    const bad = await app.inject({
      method: 'PUT',
      url: '/api/labs/broken',
      headers,
      payload: { name: 'broken', nodes: { a: { kind: 'nonsense' } }, links: [] },
    });
    expect(bad.statusCode).toBe(400);
    expect(await app.store.agents.agentOf('broken')).toBeUndefined();
    const dry = await app.inject({
      method: 'PUT',
      url: '/api/labs/dry?dryRun=true',
      headers,
      payload: { ...lab, name: 'dry' },
    });
    expect(dry.statusCode).toBe(200);
    expect(await app.store.agents.agentOf('dry')).toBeUndefined();
    expect((await app.inject({ method: 'DELETE', url: '/api/labs/placed', headers })).statusCode).toBe(200);
    expect(await app.store.agents.agentOf('placed')).toBeUndefined();
    expect(await listNamespaces(PREFIX)).toEqual([]);
  });
});
