// Live tables over socket.io against the real kernel: subscribe, get the snapshot, ping, and see
// the bridge's FDB delta arrive; the tables, the exercise watch and the engine share one watcher
// (one helper, each namespace watched once); then destroy the lab and check nothing of it (or of
// its watcher) remains.
import { existsSync } from 'node:fs';
import type { LabStateView, NodeView } from '@patchbay/engine';
import { childProcesses, execInNamespace, listNamespaces } from '@patchbay/kernel';
import type { TablesCounters, TablesDelta, TablesSnapshot } from '@patchbay/protocol';
import { describe, expect, it } from 'vitest';
import { TABLES_INFLIGHT } from './live/tables.js';
import { auth, liveServer, type LiveClient } from './test-support.js';

type Client = LiveClient;
const live = liveServer('pbs4-');

async function connect(): Promise<Client> {
  const c = live.client();
  await new Promise<void>((resolve, reject) => {
    c.once('connect', resolve);
    c.once('connect_error', reject);
  });
  return c;
}

/** Namespace-watcher helpers (nswatch.py) that are children of this process (the server's). */
const watcherProcesses = (): number[] => childProcesses(process.pid, 'nswatch.py');

function waitFor<T>(what: string, ms: number, check: () => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const v = check();
      if (v !== undefined) return resolve(v);
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 25);
    };
    tick();
  });
}

describe('live tables over socket.io', () => {
  it('refuses unknown labs and bad payloads', async () => {
    const c = await connect();
    expect(await c.emitWithAck('tables:subscribe', { lab: 'nope' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('nope'),
    });
    expect(await c.emitWithAck('tables:subscribe', {} as never)).toMatchObject({ ok: false });
    expect(live.server.app.tables.watchedNamespaces('nope')).toBeUndefined();
  });

  it('a client that does not acknowledge gets a bounded number of deltas, then the latest state, with the count coalesced', async () => {
    const c = await connect();
    const held: { e: TablesDelta; ack: () => void }[] = [];
    c.on('tables:delta', (e, ack) => held.push({ e, ack }));
    expect(await c.emitWithAck('tables:subscribe', { lab: 'two-containers' })).toMatchObject({ ok: true });
    const ns = 'pbs4-two-containers.ns-web';
    // 30 changes of one namespace, far enough apart (beyond the 20 ms read interval) that each is
    // normally read on its own, even on a loaded machine.
    for (let i = 1; i <= 30; i++) {
      await execInNamespace(ns, ['ip', 'addr', 'add', `10.77.0.${i}/32`, 'dev', 'lo'], { stdio: 'pipe' });
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(held.length).toBe(TABLES_INFLIGHT);
    // Taking them lets the one waiting delta through: ns-web's latest state, with all 30 addresses.
    for (const h of held.splice(0)) h.ack();
    const latest = await waitFor('the latest delta', 5000, () => held.find((h) => h.e.node === 'ns-web')?.e);
    const addrs = (latest.state.node as NodeView).interfaces.find((i) => i.name === 'lo')!.addresses;
    expect(addrs.filter((a) => a.startsWith('10.77.0.'))).toHaveLength(30);
    expect(latest.coalesced).toBeGreaterThan(0);
    c.emit('tables:unsubscribe', { lab: 'two-containers' });
    for (let i = 1; i <= 30; i++)
      await execInNamespace(ns, ['ip', 'addr', 'del', `10.77.0.${i}/32`, 'dev', 'lo'], { stdio: 'pipe' });
  });

  it("samples interface counters once per second: a ping shows in ns-web's veth-web", async () => {
    const c = await connect();
    const samples: TablesCounters[] = [];
    c.on('tables:counters', (e) => samples.push(e));
    c.on('tables:delta', (_e, ack) => ack());
    expect(await c.emitWithAck('tables:subscribe', { lab: 'two-containers' })).toMatchObject({ ok: true });
    const tx = (e: TablesCounters) => e.nodes['ns-web']?.['veth-web']?.txPackets;
    const first = await waitFor('a first counters sample', 5000, () => samples.find((e) => tx(e) !== undefined));
    expect(first).toMatchObject({ lab: 'two-containers', at: expect.any(Number) });
    expect(first.nodes._host).toMatchObject({
      'veth-web-br': { rxPackets: expect.any(Number) },
      'veth-db-br': { txDropped: expect.any(Number) },
    });
    expect(first.nodes['ns-db']?.['veth-db']).toBeDefined();
    const ping = await execInNamespace(
      'pbs4-two-containers.ns-web',
      ['ping', '-n', '-c', '5', '-i', '0.2', '-W', '2', '192.168.100.20'],
      { stdio: 'pipe' },
    );
    expect(ping.code).toBe(0);
    const later = await waitFor("a sample with the ping's packets", 5000, () =>
      samples.find((e) => e.at > first.at && tx(e)! >= tx(first)! + 5),
    );
    expect(
      later.nodes._host!['veth-web-br']!.rxPackets - first.nodes._host!['veth-web-br']!.rxPackets,
    ).toBeGreaterThanOrEqual(5);
    c.emit('tables:unsubscribe', { lab: 'two-containers' });
    await waitFor('the tables watch to end', 5000, () =>
      live.server.app.tables.watchedNamespaces('two-containers') === undefined ? true : undefined,
    );
    // No more samples once unsubscribed.
    const n = samples.length;
    await new Promise((r) => setTimeout(r, 1300));
    expect(samples.length).toBe(n);
    // Forget what the ping taught the nodes: the next test expects a ping to teach it again.
    await execInNamespace('pbs4-two-containers.ns-web', ['ip', 'neigh', 'flush', 'dev', 'veth-web'], { stdio: 'pipe' });
    await execInNamespace('pbs4-two-containers.ns-db', ['ip', 'neigh', 'flush', 'dev', 'veth-db'], { stdio: 'pipe' });
  });

  it('sends a snapshot, then the FDB delta of a ping; the watcher dies with the lab', async () => {
    const c = await connect();
    const snapshots: TablesSnapshot[] = [];
    const deltas: TablesDelta[] = [];
    c.on('tables:snapshot', (e) => snapshots.push(e));
    c.on('tables:delta', (e, ack) => {
      deltas.push(e);
      ack();
    });
    const ack = await c.emitWithAck('tables:subscribe', { lab: 'two-containers' });
    expect(ack).toMatchObject({ ok: true });
    const snap = await waitFor('the snapshot', 5000, () => snapshots[0]);
    const state = snap.state;
    expect(snap.lab).toBe('two-containers');
    expect(state.nodes.map((n) => n.node)).toEqual(expect.arrayContaining(['ns-web', 'ns-db']));
    expect(state.bridges.map((b) => b.bridge)).toEqual(['br0']);
    const db = state.nodes.find((n) => n.node === 'ns-db')!;
    const dbMac = db.interfaces.find((i) => i.name === 'veth-db')!.mac!;
    expect(dbMac).toMatch(/^[0-9a-f:]{17}$/);
    const br0 = state.bridges[0]!;
    const watches = live.server.engine.watches;
    await waitFor('the tables watch', 5000, () =>
      live.server.app.tables.watchedNamespaces('two-containers')?.length === 3 ? true : undefined,
    );
    const pid = watches.helperPid!;
    expect(existsSync(`/proc/${pid}`)).toBe(true);

    // The MAC may already be learned (IPv6 DAD, …): forget it, so the ping must teach it again.
    await execInNamespace(br0.namespace, ['bridge', 'fdb', 'del', dbMac, 'dev', 'veth-db-br', 'master'], {
      stdio: 'pipe',
    });
    await new Promise((r) => setTimeout(r, 200));
    deltas.length = 0;

    const ping = await execInNamespace(web(state).namespace, ['ping', '-n', '-c', '1', '-W', '2', '192.168.100.20'], {
      stdio: 'pipe',
    });
    expect(ping.code).toBe(0);
    const delta = await waitFor("an FDB delta with ns-db's MAC", 5000, () =>
      deltas.find((d) => d.state.bridges.some((b) => b.bridge === 'br0' && b.fdb.some((e) => e.mac === dbMac))),
    );
    expect(delta).toMatchObject({ lab: 'two-containers', namespace: br0.namespace });
    // ns-web learned ns-db's address: a neighbour delta for ns-web too.
    await waitFor('a neighbour delta for ns-web', 5000, () =>
      deltas.find(
        (d) => d.node === 'ns-web' && (d.state.node as NodeView).neighbours.some((n) => n.dst === '192.168.100.20'),
      ),
    );

    // The snapshot and the deltas carry every route (the connected one with its source) and the
    // rules; a blackhole route added by hand arrives in a delta, with its type and peers still named.
    expect(web(state).routes).toContainEqual(
      expect.objectContaining({ to: '192.168.100.0/24', protocol: 'kernel', scope: 'link', src: '192.168.100.10' }),
    );
    expect(web(state).rules).toContainEqual({ priority: 32766, from: 'all', action: 'lookup', table: 'main' });
    await execInNamespace(web(state).namespace, ['ip', 'route', 'add', 'blackhole', '10.50.0.0/16'], { stdio: 'pipe' });
    const blackhole = await waitFor('a route delta for ns-web', 5000, () =>
      deltas.find(
        (d) =>
          d.node === 'ns-web' &&
          (d.state.node as NodeView).routes.some((r) => r.to === '10.50.0.0/16' && r.type === 'blackhole'),
      ),
    );
    expect((blackhole.state.node as NodeView).interfaces.find((i) => i.name === 'veth-web')!.peer).toEqual({
      node: 'br0',
      interface: 'veth-web-br',
    });
    await execInNamespace(web(state).namespace, ['ip', 'route', 'del', 'blackhole', '10.50.0.0/16'], { stdio: 'pipe' });

    // The exercise watch follows the same lab: still one helper, each namespace watched once, by
    // one socket, with a reference per subscriber (tables, exercise watch, and the engine's own cache).
    const namespaces = live.server.app.tables.watchedNamespaces('two-containers')!;
    const tablesOnly = namespaces.map((ns) => watches.refCount(ns));
    await live.server.app.exercises.watch.set('two-containers', true);
    expect(namespaces.map((ns) => watches.refCount(ns))).toEqual(tablesOnly.map((n) => n + 1));
    expect(namespaces.every((ns) => watches.isWatching(ns))).toBe(true);
    expect(watcherProcesses()).toEqual([pid]);
    await live.server.app.exercises.watch.set('two-containers', false);
    expect(namespaces.map((ns) => watches.refCount(ns))).toEqual(tablesOnly);

    c.emit('tables:unsubscribe', { lab: 'two-containers' });
    await waitFor('the tables watch to end', 5000, () =>
      live.server.app.tables.watchedNamespaces('two-containers') === undefined ? true : undefined,
    );
    await waitFor("the tables' references to go", 5000, () =>
      namespaces.every((ns, i) => watches.refCount(ns) === tablesOnly[i]! - 1) ? true : undefined,
    );

    // Subscribed again, then destroyed: every watch of the lab is released before its namespaces
    // go, the helper exits (it watches nothing else), and no namespace lingers.
    expect(await c.emitWithAck('tables:subscribe', { lab: 'two-containers' })).toMatchObject({ ok: true });
    await waitFor('the tables watch', 5000, () =>
      live.server.app.tables.watchedNamespaces('two-containers')?.length === 3 ? true : undefined,
    );
    const res = await live.server.app.inject({ method: 'DELETE', url: '/api/labs/two-containers', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(live.server.app.tables.watchedNamespaces('two-containers')).toBeUndefined();
    expect(watches.watched()).toEqual([]);
    await waitFor('the watcher to exit', 5000, () =>
      !existsSync(`/proc/${pid}`) && watcherProcesses().length === 0 ? true : undefined,
    );
    expect(await listNamespaces('pbs4-')).toEqual([]);
  });
});

function web(state: LabStateView): NodeView {
  return state.nodes.find((n) => n.node === 'ns-web')!;
}
