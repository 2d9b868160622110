// IPv6 and dual-stack on the real kernel (prefix pbv6k-): the dual-stack Docker bridge example —
// containers reach the upstream network over IPv6 through the host (their default route a global
// next hop, the upstream's route back a link-local one with its interface), NDP neighbours are seen
// in the tables, an address changed in the lab is swapped in place, a lab without IPv6 gets no IPv6
// settings, and destroy leaves nothing, in the machine's own namespace either.
import { afterEach, describe, expect, it } from 'vitest';
import { listNamespaces, readLiveTables, runInNamespace } from '@patchbay/kernel';
import type { Lab, LinkSpec } from '@patchbay/topology';
import { exampleLab, namespaceInode, ping, rootSnapshot, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbv6k-';
const ns = (node: string) => `${PREFIX}dual-stack.${node}`;

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  await t?.cleanup();
  t = undefined;
});

/** The example with container a's IPv6 address replaced. */
function withAddressOfA(lab: Lab, v6: string): Lab {
  const links: LinkSpec[] = lab.links.map((l) =>
    l.a.node === 'a' ? { ...l, a: { ...l.a, addresses: ['172.17.0.2/16', v6] } } : l,
  );
  return { ...lab, links };
}

const sysctl = async (namespace: string, key: string) =>
  (await runInNamespace(namespace, 'sysctl', ['-n', key])).stdout.trim();

describe('dual-stack Docker bridge on the real kernel', () => {
  it('ping -6 across the host (global and link-local next hops), NDP, an address changed in place, destroy', async () => {
    const before = await rootSnapshot();
    t = testEngine(PREFIX);
    const lab = exampleLab('dual-stack-docker.yaml');
    const first = await t.engine.apply(lab);
    expect(first.drift).toEqual([]);
    // Every IPv6 address without duplicate address detection (else tentative for a second or more).
    const v6Adds = first.ops.filter((o) => o.kind === 'address' && o.args[2]!.includes(':'));
    expect(v6Adds.length).toBe(8);
    for (const o of v6Adds) expect(o.args.at(-1)).toBe('nodad');
    expect(await sysctl(ns('host'), 'net.ipv6.conf.all.forwarding')).toBe('1');
    expect(await sysctl(ns('upstream'), 'net.ipv6.conf.all.forwarding')).toBe('0');

    // a → upstream: a's default (::/0) via the host's global address on docker0; the reply comes back
    // by the upstream's route to 2001:db8:1::/64 via the host's link-local fe80::1 on eth0.
    expect(await ping(ns('a'), '2001:db8:ff::1', 1, 3)).toBe(true);
    expect(await ping(ns('upstream'), '2001:db8:1::3', 1, 3)).toBe(true);
    expect(await ping(ns('a'), '2001:db8:1::3')).toBe(true); // same bridge: no router
    expect(await ping(ns('a'), '203.0.113.1')).toBe(true); // IPv4 still through the masquerade

    // NDP: the neighbours the pings resolved, with the routers' MACs, in the tables view's read.
    const macOf = async (namespace: string, dev: string) =>
      (
        JSON.parse((await runInNamespace(namespace, 'ip', ['-j', 'link', 'show', 'dev', dev])).stdout) as {
          address: string;
        }[]
      )[0]!.address;
    const aTables = await readLiveTables(ns('a'));
    const gw = aTables.neighbours.find((n) => n.dst === '2001:db8:1::1');
    expect(gw?.lladdr).toBe(await macOf(ns('host'), 'docker0'));
    const upTables = await readLiveTables(ns('upstream'));
    expect(upTables.neighbours.find((n) => n.dst === 'fe80::1')?.lladdr).toBe(await macOf(ns('host'), 'eth0'));
    expect(upTables.routes).toContainEqual(
      expect.objectContaining({ to: '2001:db8:1::/64', via: 'fe80::1', dev: 'eth0', table: 'main' }),
    );
    expect(aTables.routes).toContainEqual(expect.objectContaining({ to: '::/0', via: '2001:db8:1::1' }));
    // Observed state equals the lab: nothing to do.
    expect((await t.engine.apply(lab)).ops).toEqual([]);

    // A changed address: swapped on the interface, the namespace and link stay.
    const inode = await namespaceInode(ns('a'));
    const moved = withAddressOfA(lab, '2001:db8:1::20/64');
    const change = await t.engine.apply(moved);
    expect(change.drift).toEqual([]);
    expect(change.ops.filter((o) => o.kind === 'address').map((o) => `${o.ns} ${o.args.join(' ')}`)).toEqual([
      `${ns('a')} addr del 2001:db8:1::2/64 dev eth0`,
      `${ns('a')} addr add 2001:db8:1::20/64 dev eth0 nodad`,
    ]);
    expect(change.ops.some((o) => o.phase === 'link' || o.phase === 'namespace')).toBe(false);
    expect(await namespaceInode(ns('a'))).toBe(inode);
    expect(await ping(ns('upstream'), '2001:db8:1::20', 1, 3)).toBe(true);
    expect(await ping(ns('upstream'), '2001:db8:1::2')).toBe(false);
    expect((await t.engine.apply(moved)).ops).toEqual([]);

    await t.engine.destroy('dual-stack');
    expect(await listNamespaces(PREFIX)).toEqual([]);
    expect(await rootSnapshot()).toBe(before);
  });

  it('an IPv4-only lab gets no IPv6 setting at all', async () => {
    t = testEngine(PREFIX);
    const lab = exampleLab('two-containers.yaml');
    const r = await t.engine.apply(lab);
    expect(r.drift).toEqual([]);
    expect(r.ops.some((o) => o.args.join(' ').includes('ipv6') || o.args.includes('nodad'))).toBe(false);
    await t.engine.destroy(lab.name);
    expect(await listNamespaces(PREFIX)).toEqual([]);
  });
});
