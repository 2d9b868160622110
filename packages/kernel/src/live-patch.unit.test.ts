// The watcher's decoder (helpers/nldecode.py) on rtnetlink messages captured from the kernel
// (6.18, a namespace with a bridge br0 (ifindex 2) and a port d0 (ifindex 4)), and patchLiveRead
// on hand-made reads. No root needed.
import { fileURLToPath } from 'node:url';
import type { NamespaceState } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { patchLiveRead, type DecodedObject } from './live-patch.js';
import { run } from './process.js';
import type { LiveTables } from './tables.js';

const DECODER = fileURLToPath(new URL('../helpers/nldecode.py', import.meta.url));

async function decode(...datagrams: string[]): Promise<{ objects: DecodedObject[]; opaque: number }[]> {
  const r = await run('python3', [DECODER], { input: datagrams.map((d) => `${d}\n`).join('') });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { objects: DecodedObject[]; opaque: number });
}

// `ip addr add 10.1.2.3/24 dev d0`: RTM_NEWADDR
const NEWADDR =
  '4c00000014000000bcc7136b146800000218800004000000080001000a010203080002000a0102030700030064300000080008008000000014000600ffffffffffffffff24234a0024234a00';
// the same address deleted: RTM_DELADDR
const DELADDR =
  '4c00000015000000bcc7136b196800000218800004000000080001000a010203080002000a0102030700030064300000080008008000000014000600ffffffffffffffff24234a0024234a00';
// `ip route add 10.9.0.0/16 via 10.1.2.1 metric 7`: RTM_NEWROUTE
const NEWROUTE =
  '4400000018000006bcc7136b1568000002100000fe0300010000000008000f00fe000000080001000a0900000800060007000000080005000a0102010800040004000000';
// the kernel's local route for the address: RTM_NEWROUTE, table local
const LOCALROUTE =
  '3c00000018000006000000000000000002200000ff02fe020000000008000f00ff000000080001000a010203080007000a0102030800040004000000';
// the address deleted: its local route goes last (RTM_DELROUTE), then routes using it, silently
const DELLOCALROUTE = LOCALROUTE.replace(/^3c00000018000006/, '3c00000019000000');
// `ip neigh add 10.1.2.9 lladdr 02:00:00:00:00:09 dev d0`: RTM_NEWNEIGH
const NEWNEIGH =
  '4c0000001c0000000000000016680000020000000400000080000001080001000a0102090a000200020000000009000008000400000000001400030000000000000000000000000001000000';
// `bridge fdb add 02:00:00:00:00:77 dev d0 master static`: RTM_NEWNEIGH, AF_BRIDGE
const NEWFDB =
  '4c0000001c00000000000000000000000700000004000000400000000a0002000200000000770000080009000200000008000f00000000001400030000000000000000000000000000000000';
// `ip -6 addr add 2001:db8::5/64 dev d0 nodad`: RTM_NEWADDR
const NEWADDR6 =
  '480000001400000000000000000000000a408200040000001400010020010db800000000000000000000000514000600ffffffffffffffff3a234a003a234a000800080082000000';

/** A decoded route message: 10.9.0.0/16 via 10.1.2.1 on ifindex 4, unless `over` says otherwise. */
const routeMessage = (over: Partial<Extract<DecodedObject, { t: 'route' }>>): DecodedObject => ({
  t: 'route',
  op: 'new',
  replace: false,
  family: 'inet',
  dst_len: 16,
  table: 254,
  protocol: 3,
  scope: 0,
  type: 1,
  flags: 0,
  dst: '10.9.0.0',
  gateway: '10.1.2.1',
  oif: 4,
  ...over,
});

describe('nldecode.py on captured messages', () => {
  it('decodes addresses, routes, neighbours and FDB entries', async () => {
    const [addr, route, local, neigh, fdb, addr6] = await decode(
      NEWADDR,
      NEWROUTE,
      LOCALROUTE,
      NEWNEIGH,
      NEWFDB,
      NEWADDR6,
    );
    expect(addr).toEqual({
      objects: [
        { t: 'addr', op: 'new', family: 'inet', ifindex: 4, local: '10.1.2.3', prefixlen: 24, scope: 0, flags: 128 },
      ],
      opaque: 0,
    });
    expect(route!.objects).toEqual([routeMessage({ metric: 7 })]);
    expect(local!.objects[0]).toMatchObject({ table: 255, type: 2, scope: 254, dst: '10.1.2.3', prefsrc: '10.1.2.3' });
    expect(neigh!.objects).toEqual([
      {
        t: 'neigh',
        op: 'new',
        family: 'inet',
        ifindex: 4,
        state: 0x80,
        flags: 0,
        dst: '10.1.2.9',
        lladdr: '02:00:00:00:00:09',
      },
    ]);
    expect(fdb!.objects).toEqual([
      {
        t: 'neigh',
        op: 'new',
        family: 'bridge',
        ifindex: 4,
        state: 0x40,
        flags: 0,
        lladdr: '02:00:00:00:00:77',
        master: 2,
      },
    ]);
    // IFA_FLAGS (0x82: permanent, nodad) rather than the header's byte
    expect(addr6!.objects).toEqual([
      { t: 'addr', op: 'new', family: 'inet6', ifindex: 4, local: '2001:db8::5', prefixlen: 64, scope: 0, flags: 0x82 },
    ]);
  });

  it('counts what it does not decode: a deleted address and its local route, a truncated message; decodes every message of a datagram', async () => {
    const [del, local, cut, both] = await decode(DELADDR, DELLOCALROUTE, NEWROUTE.slice(0, 40), NEWROUTE + NEWNEIGH);
    expect(del).toEqual({ objects: [], opaque: 1 });
    expect(local).toEqual({ objects: [], opaque: 1 });
    expect(cut).toEqual({ objects: [], opaque: 1 });
    expect(both!.objects.map((o) => o.t)).toEqual(['route', 'neigh']);
    expect(both!.opaque).toBe(0);
  });
});

function kept(): { state: NamespaceState; tables: LiveTables } {
  const link = (name: string, ifindex: number, addresses: string[]) => ({
    name,
    ifindex,
    kind: 'veth' as const,
    up: true,
    addresses,
  });
  return {
    state: {
      name: 'ns',
      node: 'n',
      links: {
        lo: { ...link('lo', 1, ['127.0.0.1/8']), kind: 'loopback' },
        br0: {
          ...link('br0', 2, []),
          kind: 'bridge',
          bridge: { stp: false, vlanFiltering: false, fdbMaxLearned: 0, fdbLearned: 1 },
        },
        d0: { ...link('d0', 4, ['10.1.2.3/24']), master: 'br0' },
      },
      routes: [],
      sysctls: {},
      floods: [],
    },
    tables: {
      neighbours: [],
      routes: [
        {
          to: '10.1.2.0/24',
          table: 'main',
          type: 'unicast',
          protocol: 'kernel',
          scope: 'link',
          dev: 'd0',
          src: '10.1.2.3',
        },
      ],
      rules: [],
      fdb: [{ mac: '02:00:00:00:00:01', dev: 'd0', master: 'br0', flags: [], state: '' }],
      vlans: [],
    },
  };
}

describe('patchLiveRead', () => {
  it('adds, replaces and deletes routes; the desired-state routes follow the main table', () => {
    const k = kept();
    expect(patchLiveRead(k.state, k.tables, [routeMessage({})])).toBe(true);
    expect(k.state.routes).toEqual([{ to: '10.9.0.0/16', via: '10.1.2.1', dev: 'd0' }]);
    expect(patchLiveRead(k.state, k.tables, [routeMessage({ replace: true, gateway: '10.1.2.2' })])).toBe(true);
    expect(k.state.routes).toEqual([{ to: '10.9.0.0/16', via: '10.1.2.2', dev: 'd0' }]);
    expect(k.tables.routes.map((r) => r.to)).toEqual(['10.1.2.0/24', '10.9.0.0/16']);
    // a deleted route kept otherwise than the message says: read instead
    expect(patchLiveRead(k.state, k.tables, [routeMessage({ op: 'del', gateway: '10.1.2.7' })])).toBe(false);
    const k2 = kept();
    patchLiveRead(k2.state, k2.tables, [routeMessage({})]);
    expect(patchLiveRead(k2.state, k2.tables, [routeMessage({ op: 'del' })])).toBe(true);
    expect(k2.state.routes).toEqual([]);
    // routes of table local come after main's, and are not desired state
    expect(
      patchLiveRead(k2.state, k2.tables, [
        routeMessage({ table: 255, type: 2, dst: '10.1.2.3', dst_len: 32, gateway: undefined, protocol: 2 }),
        routeMessage({ dst: '10.8.0.0' }),
      ]),
    ).toBe(true);
    expect(k2.tables.routes.map((r) => `${r.table} ${r.to}`)).toEqual([
      'main 10.1.2.0/24',
      'main 10.8.0.0/16',
      'local 10.1.2.3/32',
    ]);
  });

  it('adds addresses; the first IPv6 one, an unknown interface and a deleted address are left to a read', () => {
    const k = kept();
    const addr = (over: object): DecodedObject => ({
      t: 'addr',
      op: 'new',
      family: 'inet',
      ifindex: 4,
      local: '10.5.0.1',
      prefixlen: 16,
      scope: 0,
      flags: 0x80,
      ...over,
    });
    expect(patchLiveRead(k.state, k.tables, [addr({})])).toBe(true);
    expect(k.state.links['d0']!.addresses).toEqual(['10.1.2.3/24', '10.5.0.1/16']);
    expect(
      patchLiveRead(k.state, k.tables, [addr({ family: 'inet6', local: '2001:db8::1', prefixlen: 64, flags: 0x82 })]),
    ).toBe(false);
    // a kernel-made link-local address is not the lab's: nothing to do
    expect(
      patchLiveRead(k.state, k.tables, [addr({ family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 253 })]),
    ).toBe(true);
    expect(patchLiveRead(k.state, k.tables, [addr({ ifindex: 99 })])).toBe(false);
    expect(patchLiveRead(k.state, k.tables, [addr({ op: 'del' })])).toBe(false);
  });

  it('neighbours as `ip neigh` lists them, FDB entries as `bridge fdb`, with the learned count', () => {
    const k = kept();
    const neigh = (over: object): DecodedObject => ({
      t: 'neigh',
      op: 'new',
      family: 'inet',
      ifindex: 4,
      state: 0x02,
      flags: 0,
      dst: '10.1.2.9',
      lladdr: '02:00:00:00:00:09',
      ...over,
    });
    expect(patchLiveRead(k.state, k.tables, [neigh({})])).toBe(true);
    expect(k.tables.neighbours).toEqual([
      { dst: '10.1.2.9', dev: 'd0', lladdr: '02:00:00:00:00:09', state: ['REACHABLE'] },
    ]);
    expect(patchLiveRead(k.state, k.tables, [neigh({ state: 0x04 })])).toBe(true);
    expect(k.tables.neighbours[0]!.state).toEqual(['STALE']);
    expect(patchLiveRead(k.state, k.tables, [neigh({ state: 0x40, dst: '10.1.2.10' })])).toBe(true); // NOARP: not listed
    expect(patchLiveRead(k.state, k.tables, [neigh({ op: 'del' })])).toBe(true);
    expect(k.tables.neighbours).toEqual([]);

    const fdb = (over: object): DecodedObject =>
      neigh({ family: 'bridge', dst: undefined, master: 2, lladdr: '02:00:00:00:00:02', ...over });
    expect(patchLiveRead(k.state, k.tables, [fdb({})])).toBe(true);
    expect(k.tables.fdb[1]).toEqual({ mac: '02:00:00:00:00:02', dev: 'd0', master: 'br0', flags: [], state: '' });
    expect(k.state.links['br0']!.bridge!.fdbLearned).toBe(2);
    expect(patchLiveRead(k.state, k.tables, [fdb({ state: 0x04 })])).toBe(true); // aged to stale: still counted once
    expect(k.state.links['br0']!.bridge!.fdbLearned).toBe(2);
    expect(
      patchLiveRead(k.state, k.tables, [fdb({ op: 'del' }), fdb({ lladdr: '33:33:00:00:00:01', state: 0x80 })]),
    ).toBe(true);
    expect(k.tables.fdb.map((e) => e.mac)).toEqual(['02:00:00:00:00:01']);
    expect(k.state.links['br0']!.bridge!.fdbLearned).toBe(1);
  });
});
