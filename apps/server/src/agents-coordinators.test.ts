// An agent given several coordinator replicas (`--coordinator A,B`): its heartbeats reach A; once A
// is gone they go to B at once, so the agent never turns `lost` (the registry is their shared
// database: here one store both apps use). The option accepts a list of addresses and refuses a
// list with one that is no address. No lab is made (prefix pbag8-; removed after, pass or fail).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '@patchbay/engine';
import { deleteNamespaces, listNamespaces } from '@patchbay/kernel';
import type { AgentList } from '@patchbay/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { agentOptionsProblem } from './agents/agent.js';
import { Heartbeat } from './agents/heartbeat.js';
import { buildApp, type App } from './app.js';
import { openStore } from './store/store.js';

const PREFIX = 'pbag8-';
const TOKEN = 'test-admin-token-0123456789';
const SECRET = 'agent-secret-cD4eF7gH0jK3mN6pQ9sT2vW5xY';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  await deleteNamespaces(await listNamespaces(PREFIX));
});

describe('an agent with several coordinators', () => {
  it('beats to the next coordinator at once when one is gone, and is never lost', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-agents-coordinators-'));
    const engine = new Engine({ prefix: PREFIX, dataDir });
    const store = openStore(dataDir);
    closers.push(async () => {
      await engine.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const replica = async (): Promise<{ app: App; url: string }> => {
      const app = await buildApp({
        engine,
        store,
        adminToken: TOKEN,
        agents: { agentSecret: SECRET, localAgent: false, heartbeatMs: 100, lostAfterMs: 800 },
      });
      closers.push(() => app.close());
      await app.listen({ host: '127.0.0.1', port: 0 });
      const addr = app.server.address();
      return { app, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` };
    };
    const a = await replica();
    const b = await replica();
    const logs: string[] = [];
    const log = {
      info: (m: string) => logs.push(m),
      warn: (m: string) => logs.push(m),
      error: (m: string) => logs.push(m),
    };
    const heartbeat = new Heartbeat({
      coordinator: `${a.url},${b.url}`,
      secret: SECRET,
      name: 'lab-host-2',
      address: 'http://127.0.0.1:7999',
      draining: false,
      engine,
      log,
      onFatal: (m) => logs.push(`fatal: ${m}`),
    });
    closers.push(async () => heartbeat.stop());
    heartbeat.start();
    const listOnB = async () =>
      (await b.app.inject({ url: '/api/agents', headers: { authorization: `Bearer ${TOKEN}` } })).json<AgentList>()
        .agents;
    const until = async (what: () => Promise<boolean>, ms: number) => {
      const end = Date.now() + ms;
      while (!(await what()) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      return what();
    };
    expect(
      await until(async () => logs.some((m) => m.includes(`registered with the coordinator ${a.url}`)), 5000),
    ).toBe(true);
    await a.app.close();
    // Twice as long as an agent takes to be lost: it beat to B meanwhile.
    await new Promise((r) => setTimeout(r, 1600));
    expect(await listOnB()).toEqual([expect.objectContaining({ name: 'lab-host-2', state: 'ready' })]);
    expect(logs).toContain(`the coordinator ${a.url} does not answer: beating to ${b.url}`);
    expect(logs.filter((m) => m.startsWith('no coordinator answers') || m.startsWith('fatal'))).toEqual([]);
  });

  it('takes a list of coordinator addresses, and refuses one that is no address', () => {
    const ok = { name: 'lab-host-2', coordinator: 'http://10.0.0.2:7070,http://10.0.0.3:7070' };
    expect(agentOptionsProblem(ok)).toBeUndefined();
    expect(agentOptionsProblem({ ...ok, coordinator: 'http://10.0.0.2:7070, https://lab.example' })).toBeUndefined();
    expect(agentOptionsProblem({ ...ok, coordinator: 'http://10.0.0.2:7070,10.0.0.3' })).toMatch(
      /--coordinator "10\.0\.0\.3" is not an address/,
    );
    expect(agentOptionsProblem({ ...ok, coordinator: ' , ' })).toMatch(/--coordinator needs an address/);
  });
});
