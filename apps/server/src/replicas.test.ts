// Two coordinator replicas as several would run behind a load balancer: two servers on one
// PostgreSQL database (PATCHBAY_DATABASE) and one Redis (PATCHBAY_REDIS), both the throw-away ones
// of test/database-servers.ts. A session opened on replica A is seen by B; a dashboard connected to
// B follows what an instructor changes through A (a room broadcast carried by socket.io's Redis
// adapter), and B counts a dashboard open on A (replica-presence.ts). Without Redis the same
// broadcast stays on A: the adapter is what carries it.
// No lab is made (prefixes pbsxa-/pbsxb-; every namespace of them is removed after, pass or fail).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '@patchbay/engine';
import { deleteNamespaces, listNamespaces } from '@patchbay/kernel';
import type { Session, SessionSettingsEvent } from '@patchbay/protocol';
import { io } from 'socket.io-client';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { freshPostgresDatabase } from '../test/store-backends.js';
import { buildApp, type App } from './app.js';
import { openDatabase, type Store } from './store/store.js';
import { auth, type LiveClient, TOKEN } from './test-support.js';

interface Replica {
  app: App;
  engine: Engine;
  store: Store;
  url: string;
  dataDir: string;
  prefix: string;
}

const replicas: Replica[] = [];
const clients: LiveClient[] = [];
const databases: { drop: () => Promise<void> }[] = [];

async function replica(prefix: string, database: string, redisUrl: string | undefined): Promise<Replica> {
  const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-replica-test-'));
  const engine = new Engine({ prefix, dataDir });
  const store = await openDatabase(dataDir, database);
  const app = await buildApp({ engine, store, adminToken: TOKEN, ...(redisUrl ? { redisUrl } : {}) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const r = {
    app,
    engine,
    store,
    dataDir,
    prefix,
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
  };
  replicas.push(r);
  return r;
}

async function closeAll(): Promise<void> {
  for (const c of clients.splice(0)) c.disconnect();
  for (const r of replicas.splice(0)) {
    await r.app.close().catch(() => undefined);
    await r.engine.close().catch(() => undefined);
    await r.store.close().catch(() => undefined);
    await deleteNamespaces(await listNamespaces(r.prefix));
    rmSync(r.dataDir, { recursive: true, force: true });
  }
  for (const d of databases.splice(0)) await d.drop();
}
afterEach(closeAll);
afterAll(closeAll);

/** Two replicas on a database of their own, with or without one Redis. */
async function twoReplicas(withRedis: boolean): Promise<[Replica, Replica]> {
  const db = await freshPostgresDatabase();
  databases.push(db);
  const redisUrl = withRedis ? inject('redisUrl') : undefined;
  return [await replica('pbsxa-', db.url, redisUrl), await replica('pbsxb-', db.url, redisUrl)];
}

/** An instructor's dashboard on `r`, following session `id` (resolves once subscribed). */
async function dashboard(r: Replica, id: string): Promise<{ settings: SessionSettingsEvent[] }> {
  const c: LiveClient = io(r.url, { auth: { token: TOKEN }, transports: ['websocket'], reconnection: false });
  clients.push(c);
  const seen = { settings: [] as SessionSettingsEvent[] };
  c.on('session:settings', (e) => seen.settings.push(e));
  const ack = await c.timeout(5000).emitWithAck('session:subscribe', { session: id });
  expect(ack).toMatchObject({ ok: true });
  return seen;
}

const openSession = async (r: Replica): Promise<Session> => {
  const res = await r.app.inject({
    method: 'POST',
    url: '/api/sessions',
    headers: auth,
    payload: { scenario: 'link-down' },
  });
  expect(res.statusCode).toBe(201);
  return res.json<Session>();
};

const lock = async (r: Replica, id: string) => {
  const res = await r.app.inject({
    method: 'PATCH',
    url: `/api/sessions/${id}`,
    headers: auth,
    payload: { locked: true },
  });
  expect(res.statusCode).toBe(200);
};

const until = async (what: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return what();
};

describe('two coordinator replicas on one PostgreSQL and one Redis', () => {
  it('share sessions: what A made, B answers and changes, and A sees the change', async () => {
    const [a, b] = await twoReplicas(false);
    expect(a.store.kind).toBe('postgres');
    const session = await openSession(a);
    const onB = await b.app.inject({ method: 'GET', url: `/api/sessions/${session.id}`, headers: auth });
    expect(onB.statusCode).toBe(200);
    expect(onB.json()).toMatchObject({ id: session.id, code: session.code, locked: false });
    await lock(b, session.id);
    const onA = await a.app.inject({ method: 'GET', url: `/api/sessions/${session.id}`, headers: auth });
    expect(onA.json()).toMatchObject({ locked: true });
  });

  it("deliver a room broadcast from A to a dashboard connected to B through Redis's adapter", async () => {
    const [a, b] = await twoReplicas(true);
    const session = await openSession(a);
    const onB = await dashboard(b, session.id);
    await lock(a, session.id); // A emits session:settings to the session's room
    expect(await until(() => onB.settings.length > 0, 5000)).toBe(true);
    expect(onB.settings[0]).toMatchObject({ session: session.id, locked: true });
  });

  it('tell each other who is connected: a dashboard open on A counts on B (its idle reaper), and not once it closed', async () => {
    const [a, b] = await twoReplicas(true);
    const session = await openSession(a);
    expect(b.app.exercises.hasDashboard(session.id)).toBe(false);
    await dashboard(a, session.id);
    expect(await until(() => b.app.exercises.hasDashboard(session.id), 5000)).toBe(true);
    for (const c of clients.splice(0)) c.disconnect();
    expect(await until(() => !b.app.exercises.hasDashboard(session.id), 5000)).toBe(true);
    expect(a.app.exercises.hasDashboard(session.id)).toBe(false);
  });

  it('without Redis the broadcast stays on A: a dashboard on B hears nothing, one on A hears it', async () => {
    const [a, b] = await twoReplicas(false);
    const session = await openSession(a);
    const onB = await dashboard(b, session.id);
    const onA = await dashboard(a, session.id);
    await lock(a, session.id);
    expect(await until(() => onA.settings.length > 0, 5000)).toBe(true);
    await new Promise((r) => setTimeout(r, 500)); // long enough for Redis to have carried it, had there been one
    expect(onB.settings).toEqual([]);
  });
});
