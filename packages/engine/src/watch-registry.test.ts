// The shared namespace watcher on the real kernel: one helper process however many subscribe,
// ref-counted namespaces, desired-state changes and other activity told apart, lab subscriptions
// that follow their lab, and a release before deletion that lets the namespace really go.
// Prefix pblc6-.
import { afterEach, describe, expect, it } from 'vitest';
import { childProcesses, listNamespaces, runInNamespace } from '@patchbay/kernel';
import type { Lab } from '@patchbay/topology';
import { Engine } from './engine.js';
import { exampleLab, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pblc6-';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Namespace-watcher helpers (nswatch.py) that are children of this process. */
const watcherProcesses = (): number[] => childProcesses(process.pid, 'nswatch.py');

async function until<T>(what: string, fn: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('WatchRegistry', () => {
  let t: TestEngine | undefined;
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    await t?.cleanup();
    expect(watcherProcesses()).toEqual([]);
  });

  function watchingEngine(): Engine {
    t = testEngine(PREFIX);
    engine = new Engine({ prefix: PREFIX, dataDir: t.dataDir, watch: true });
    return engine;
  }

  it('one helper and one watch per namespace, however many subscribe; the helper exits with the last', async () => {
    const e = watchingEngine();
    await e.apply(exampleLab('two-containers.yaml')); // the engine's cache holds the namespaces it read
    const all = await listNamespaces(`${PREFIX}two-containers.`);
    const engineOwn = all.map((ns) => e.watches.refCount(ns));
    const changes: string[] = [];
    const activity: string[] = [];
    const tables = await e.watches.watchLab('two-containers', { activity: (ns) => void activity.push(ns) });
    const checks = await e.watches.watchLab('two-containers', { change: (ns) => void changes.push(ns) });
    expect(tables.namespaces).toEqual(all);
    expect(checks.namespaces).toEqual(all);
    expect(all.map((ns) => e.watches.refCount(ns))).toEqual(engineOwn.map((n) => n + 2));
    expect(all.every((ns) => e.watches.isWatching(ns))).toBe(true);
    expect(watcherProcesses()).toEqual([e.watches.helperPid]);
    expect(e.watches.helpersStarted).toBe(1);

    // A ping makes ARP entries: activity for the tables, no change for the checks.
    const web = `${PREFIX}two-containers.ns-web`;
    expect((await runInNamespace(web, 'ping', ['-c', '1', '-w', '2', '192.168.100.20'])).code).toBe(0);
    await e.watches.sync();
    expect(activity).toContain(web);
    expect(changes).toEqual([]);
    // An address added by hand is a change for both.
    await runInNamespace(web, 'ip', ['addr', 'add', '192.168.100.99/24', 'dev', 'veth-web']);
    await e.watches.sync();
    expect(changes).toEqual([web]);

    await tables.close();
    expect(all.map((ns) => e.watches.refCount(ns))).toEqual(engineOwn.map((n) => n + 1));
    await checks.close();
    expect(all.map((ns) => e.watches.refCount(ns))).toEqual(engineOwn);
    expect(all.filter((ns) => e.watches.isWatching(ns))).toEqual(all.filter((_, i) => engineOwn[i]! > 0));
    await e.destroy('two-containers');
    expect(e.watches.watched()).toEqual([]);
    await until('the helper to exit', () => watcherProcesses().length === 0);
  });

  it('a lab subscription follows its lab: nodes added and removed, destroyed and made again', async () => {
    const e = watchingEngine();
    const base = exampleLab('two-containers.yaml');
    await e.apply(base);
    const sub = await e.watches.watchLab('two-containers', {});
    const bigger: Lab = structuredClone(base);
    bigger.nodes['ns-cache'] = { kind: 'netns' };
    bigger.links.push({
      a: { node: 'ns-cache', interface: 'eth0', addresses: ['192.168.100.30/24'] },
      b: { node: 'br0', interface: 'veth-cache-br' },
    });
    await e.apply(bigger);
    const cache = `${PREFIX}two-containers.ns-cache`;
    expect(sub.namespaces).toContain(cache);
    await e.apply(base);
    expect(sub.namespaces).not.toContain(cache);
    expect(e.watches.refCount(cache)).toBe(0);
    expect(await listNamespaces(`${PREFIX}two-containers.`)).not.toContain(cache);

    await e.destroy('two-containers');
    expect(sub.namespaces).toEqual([]);
    expect(e.watches.labs()).toEqual(['two-containers']); // still subscribed: the lab may come back
    await e.apply(base);
    expect(sub.namespaces).toEqual(await listNamespaces(`${PREFIX}two-containers.`));
    expect(watcherProcesses()).toHaveLength(1);
    await sub.close();
    expect(e.watches.labs()).toEqual([]);
  });

  it('a helper that dies is replaced: subscribers hear lost, and the same namespaces are watched again', async () => {
    const e = watchingEngine();
    await e.apply(exampleLab('two-containers.yaml'));
    const lost: string[] = [];
    const changes: string[] = [];
    const sub = await e.watches.watchLab('two-containers', {
      lost: (reason) => void lost.push(reason),
      change: (ns) => void changes.push(ns),
    });
    const first = e.watches.helperPid!;
    process.kill(first, 'SIGKILL');
    await until('lost', () => lost.length > 0);
    await until('a new helper watching the lab', () => {
      const pid = e.watches.helperPid;
      return (
        pid !== undefined &&
        pid !== first &&
        sub.namespaces.length === 3 &&
        sub.namespaces.every((ns) => e.watches.isWatching(ns))
      );
    });
    expect(watcherProcesses()).toEqual([e.watches.helperPid]);
    const web = `${PREFIX}two-containers.ns-web`;
    await runInNamespace(web, 'ip', ['addr', 'add', '192.168.100.98/24', 'dev', 'veth-web']);
    await e.watches.sync();
    expect(changes).toEqual([web]);
    await sub.close();
  });

  it('a released namespace is fenced: nobody watches it again until its deletion is over', async () => {
    const e = watchingEngine();
    await e.apply(exampleLab('two-containers.yaml'));
    const web = `${PREFIX}two-containers.ns-web`;
    const sub = e.watches.subscribe({});
    await sub.watch([web]);
    await e.watches.release([web]);
    expect(e.watches.isWatching(web)).toBe(false);
    expect(sub.namespaces).toEqual([]);
    await sub.watch([web]); // e.g. a lab subscription refreshing at the wrong moment
    expect(e.watches.isWatching(web)).toBe(false);
    e.watches.unfence([web]);
    await sub.watch([web]);
    expect(e.watches.isWatching(web)).toBe(true);
    await sub.close();
  });
});
