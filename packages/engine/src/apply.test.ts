// Apply on the real kernel: incremental applies change only what they should, overlays grow in
// place, port forwards work, applies of different labs run at once, a long-lived engine re-reads
// only what changed. (A failure mid-apply: converge-back.test.ts.) Prefix pbe1-.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listNamespaces, observeNamespaces, runInNamespace } from '@patchbay/kernel';
import type { Lab } from '@patchbay/topology';
import { Engine } from './engine.js';
import { exampleLab, namespaceInode, ping, rootSnapshot, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbe1-';
let t: TestEngine;
let rootBefore: string;

beforeAll(async () => {
  rootBefore = await rootSnapshot();
});
afterEach(async () => {
  await t?.cleanup();
});
afterAll(async () => {
  expect(await listNamespaces(PREFIX)).toEqual([]);
  expect(await rootSnapshot()).toBe(rootBefore);
});

const ns = (lab: string, node: string) => `${PREFIX}${lab}.${node}`;
const inodes = async (names: string[]) =>
  Object.fromEntries(await Promise.all(names.map(async (n) => [n, await namespaceInode(n)])));
const touched = (ops: { ns: string; args: string[]; tool: string }[]) =>
  [...new Set(ops.map((o) => (o.tool === 'netns' ? o.args[2]! : o.ns)))].sort();

describe('incremental apply on two-containers', () => {
  const base = () => exampleLab('two-containers.yaml');
  const all = ['_host', 'ns-db', 'ns-web'].map((n) => ns('two-containers', n));

  it('re-applying the same lab plans nothing', async () => {
    t = testEngine(PREFIX);
    const first = await t.engine.apply(base());
    expect(first.ops.length).toBeGreaterThan(0);
    expect(first.drift).toEqual([]);
    const again = await t.engine.apply(base());
    expect(again.ops).toEqual([]);
    expect(await ping(ns('two-containers', 'ns-web'), '192.168.100.20')).toBe(true);
  });

  it('adding a node touches only the new node and its bridge host; other namespaces keep their identity', async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(base());
    const before = await inodes(all);
    const lab = base();
    lab.nodes['ns-cache'] = { kind: 'netns', routes: [{ to: 'default', via: '192.168.100.1' }] };
    lab.links.push({
      a: { node: 'ns-cache', interface: 'eth0', addresses: ['192.168.100.30/24'] },
      b: { node: 'br0', interface: 'veth-cache-br' },
    });
    const r = await t.engine.apply(lab);
    const flushes = r.ops.filter((o) => o.kind === 'neigh');
    expect(touched(r.ops.filter((o) => o.kind !== 'neigh'))).toEqual([
      ns('two-containers', '_host'),
      ns('two-containers', 'ns-cache'),
    ]);
    // The others on its subnet only forget any old MAC of its address (see neighbours.test.ts).
    expect(flushes.map((o) => `${o.ns} ${o.args.join(' ')}`)).toEqual([
      `${ns('two-containers', '_host')} neigh flush to 192.168.100.30 dev br0`,
      `${ns('two-containers', 'ns-db')} neigh flush to 192.168.100.30 dev veth-db`,
      `${ns('two-containers', 'ns-web')} neigh flush to 192.168.100.30 dev veth-web`,
    ]);
    expect(r.ops.some((o) => o.action === 'remove')).toBe(false);
    expect(await inodes(all)).toEqual(before);
    expect(await ping(ns('two-containers', 'ns-cache'), '192.168.100.10')).toBe(true);
    expect(r.drift).toEqual([]);
    // …and removing it again deletes its namespace, and only that.
    const back = await t.engine.apply(base());
    expect(back.drift).toEqual([]);
    expect(back.ops.map((o) => o.args.join(' '))).toEqual([
      'link del dev veth-cache-br',
      `netns del ${ns('two-containers', 'ns-cache')}`,
    ]);
    expect(await listNamespaces(PREFIX)).toEqual(all);
  });

  it('removing a link deletes only that veth pair', async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(base());
    const before = await inodes(all);
    const lab = base();
    lab.links.splice(1, 1);
    delete (lab.nodes['ns-db'] as { routes?: unknown }).routes;
    const r = await t.engine.apply(lab);
    expect(r.ops.map((o) => o.args.join(' '))).toEqual(['link del dev veth-db-br']); // its routes go with it
    expect(await inodes(all)).toEqual(before);
    const db = await observeNamespaces([ns('two-containers', 'ns-db')]);
    expect(Object.keys(db.namespaces[ns('two-containers', 'ns-db')]!.links)).toEqual(['lo']);
    expect(await ping(ns('two-containers', 'ns-web'), '192.168.100.1')).toBe(true);
  });

  it('changing an address changes only that address', async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(base());
    const lab = base();
    lab.links[0]!.a.addresses = ['192.168.100.11/24'];
    const r = await t.engine.apply(lab);
    expect(r.ops.map((o) => `${o.ns} ${o.args.join(' ')}`)).toEqual([
      `${ns('two-containers', 'ns-web')} addr del 192.168.100.10/24 dev veth-web`,
      `${ns('two-containers', 'ns-web')} addr add 192.168.100.11/24 dev veth-web`,
      `${ns('two-containers', 'ns-web')} route replace default via 192.168.100.1`, // the kernel dropped it with .10
      `${ns('two-containers', '_host')} neigh flush to 192.168.100.11 dev br0`, // any old MAC of .11 forgotten
      `${ns('two-containers', 'ns-db')} neigh flush to 192.168.100.11 dev veth-db`,
    ]);
    expect(r.drift).toEqual([]);
    expect(await ping(ns('two-containers', 'ns-db'), '192.168.100.11')).toBe(true);
    expect(await ping(ns('two-containers', 'ns-db'), '192.168.100.10')).toBe(false);
  });

  it('changing an MTU sets it on that end, in place', async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(base());
    const lab = base();
    lab.links[0]!.mtu = 1400;
    const r = await t.engine.apply(lab);
    expect(r.ops.map((o) => o.args.join(' ')).sort()).toEqual([
      'link set dev veth-web mtu 1400',
      'link set dev veth-web-br mtu 1400',
    ]);
    const seen = await observeNamespaces([ns('two-containers', 'ns-web')]);
    expect(seen.namespaces[ns('two-containers', 'ns-web')]!.links['veth-web']!.mtu).toBe(1400);
  });

  it('setting a link down downs it, drops its routes, and bringing it up restores both', async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(base());
    const lab = base();
    lab.links[0]!.a.up = false;
    const down = await t.engine.apply(lab);
    expect(down.drift).toEqual([]);
    const web = ns('two-containers', 'ns-web');
    const seen = (await observeNamespaces([web])).namespaces[web]!;
    expect(seen.links['veth-web']!.up).toBe(false);
    expect(seen.routes).toEqual([]);
    expect(await ping(ns('two-containers', 'ns-db'), '192.168.100.10')).toBe(false);
    const up = await t.engine.apply(base());
    expect(up.ops.map((o) => o.args.join(' '))).toEqual([
      'link set dev veth-web up',
      'route replace default via 192.168.100.1',
    ]);
    // ns-db's ARP entry for .10 failed while it was down; the kernel retries it within ~3 s.
    expect(await ping(ns('two-containers', 'ns-db'), '192.168.100.10', 1, 5)).toBe(true);
  });

  it('repairs drift: a link deleted behind its back is re-created by the next apply', async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(base());
    await runInNamespace(ns('two-containers', 'ns-web'), 'ip', ['link', 'del', 'veth-web']);
    const r = await t.engine.apply(base());
    expect(r.ops.some((o) => o.args.includes('type') && o.args.includes('veth'))).toBe(true);
    expect(await ping(ns('two-containers', 'ns-web'), '192.168.100.20')).toBe(true);
  });
});

describe('overlays', () => {
  it('adding an overlay member adds a VTEP and floods, leaving the existing ones in place', async () => {
    t = testEngine(PREFIX);
    const lab = exampleLab('vxlan-two-hosts.yaml');
    await t.engine.apply(lab);
    const c1 = ns('vxlan-two-hosts', 'c1');
    expect(await ping(c1, '10.1.0.3')).toBe(true);
    const hostA = ns('vxlan-two-hosts', 'host-a');
    const before = await inodes([hostA, ns('vxlan-two-hosts', 'host-b')]);

    const bigger: Lab = structuredClone(lab);
    // host-c's underlay is a second subnet behind host-a (a host forwards), routed both ways.
    bigger.nodes['host-c'] = { kind: 'host', routes: [{ to: '192.168.1.0/24', via: '192.168.2.10' }] };
    bigger.nodes['host-b'] = { kind: 'host', routes: [{ to: '192.168.2.0/24', via: '192.168.1.10' }] };
    bigger.nodes['br-c'] = { kind: 'bridge', host: 'host-c' };
    bigger.nodes.c3 = { kind: 'netns' };
    bigger.links.push(
      {
        a: { node: 'host-c', interface: 'eth0', addresses: ['192.168.2.12/24'] },
        b: { node: 'host-a', interface: 'eth1', addresses: ['192.168.2.10/24'] },
      },
      { a: { node: 'c3', interface: 'eth0', addresses: ['10.1.0.4/24'] }, b: { node: 'br-c', interface: 'veth-c3' } },
    );
    bigger.overlays![0]!.members.push({ bridge: 'br-c', local: '192.168.2.12' });
    const r = await t.engine.apply(bigger);
    expect(r.ops.filter((o) => o.action === 'remove')).toEqual([]);
    expect(r.ops.filter((o) => o.ns === hostA).map((o) => o.args.join(' '))).toContain(
      'fdb append 00:00:00:00:00:00 dev ov42 dst 192.168.2.12',
    );
    expect(await inodes([hostA, ns('vxlan-two-hosts', 'host-b')])).toEqual(before);
    expect(await ping(ns('vxlan-two-hosts', 'c3'), '10.1.0.2')).toBe(true);
    expect(await ping(ns('vxlan-two-hosts', 'c3'), '10.1.0.3')).toBe(true);
  });
});

describe('port forwards', () => {
  it("publishes a port like docker run -p: the host's address and port reach the container", async () => {
    t = testEngine(PREFIX);
    const lab = exampleLab('docker-bridge-nat.yaml');
    (lab.nodes.host as { portForwards?: unknown }).portForwards = [{ proto: 'tcp', port: 8080, to: '172.17.0.2:80' }];
    await t.engine.apply(lab);
    const a = ns('docker-bridge', 'a');
    // A one-shot TCP server in container a (destroy kills whatever still runs in the lab).
    const server = runInNamespace(
      a,
      'python3',
      [
        '-c',
        [
          'import socket',
          's=socket.socket()',
          's.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)',
          "s.bind(('0.0.0.0',80))",
          's.listen()',
          'c,_=s.accept()',
          "c.sendall(b'hello from a')",
          'c.close()',
        ].join('\n'),
      ],
      { timeoutMs: 20_000 },
    );
    const client = [
      'import socket,time',
      'for i in range(50):',
      ' try:',
      "  s=socket.create_connection(('203.0.113.10',8080),timeout=1); print(s.recv(100).decode()); break",
      ' except OSError: time.sleep(0.1)',
    ].join('\n');
    const got = await runInNamespace(ns('docker-bridge', 'upstream'), 'python3', ['-c', client]);
    expect(got.stdout.trim()).toBe('hello from a');
    expect((await server).code).toBe(0);
  });
});

describe('locking', () => {
  it('applies to different labs run concurrently; the same lab queues', async () => {
    t = testEngine(PREFIX);
    const [a, b] = await Promise.all([
      t.engine.apply(exampleLab('two-containers.yaml')),
      t.engine.apply(exampleLab('routed-pods.yaml')),
    ]);
    expect(a.ops.length).toBeGreaterThan(0);
    expect(b.ops.length).toBeGreaterThan(0);
    const same = await Promise.all([
      t.engine.apply(exampleLab('two-containers.yaml')),
      t.engine.apply(exampleLab('two-containers.yaml')),
    ]);
    expect(same.map((r) => r.ops.length)).toEqual([0, 0]);
    expect(await ping(ns('routed-pods', 'pod-a'), '10.0.2.2')).toBe(true);
  });
});

describe('a long-lived engine (watching namespaces)', () => {
  it('reads only changed namespaces, and still sees changes made behind its back', async () => {
    const dataDir = testEngine(PREFIX);
    t = dataDir;
    const engine = new Engine({ prefix: PREFIX, dataDir: dataDir.dataDir, watch: true });
    try {
      await engine.apply(exampleLab('two-containers.yaml'));
      const lab = exampleLab('two-containers.yaml');
      lab.links[0]!.a.addresses = ['192.168.100.11/24'];
      const changed = await engine.apply(lab);
      // the address, the route the kernel dropped with the old one, and the neighbours' entries for the new one
      expect(changed.ops.map((o) => o.kind)).toEqual(['address', 'address', 'route', 'neigh', 'neigh']);
      expect(changed.drift).toEqual([]);
      expect(await ping(ns('two-containers', 'ns-db'), '192.168.100.11')).toBe(true);
      // Someone downs a link by hand: the watcher reports it, the next apply repairs it.
      await runInNamespace(ns('two-containers', 'ns-db'), 'ip', ['link', 'set', 'veth-db', 'down']);
      await new Promise((r) => setTimeout(r, 50));
      const repaired = await engine.apply(lab);
      expect(repaired.ops.map((o) => o.args.join(' '))).toEqual([
        'link set dev veth-db up',
        'route replace default via 192.168.100.1',
      ]);
      expect((await engine.apply(lab)).ops).toEqual([]);
      await engine.destroy('two-containers');
      expect(await listNamespaces(PREFIX)).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});
