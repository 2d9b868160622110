// The rtnetlink executor (nlexec.ts, helpers/nlexec.py) against `ip` on the real kernel: its read
// of a namespace maps to the same state as `ip -j -d`'s, a batch run through it leaves the kernel as
// `ip -batch` leaves it (failures included), a batch with a line it does not know goes to `ip`
// whole, and the namespaces it creates are the ones nsowner.py and `ip netns add` make.

import { afterEach, describe, expect, it } from 'vitest';
import type { NamespaceState, Op } from '@patchbay/topology';
import {
  isOwnedNamespace,
  netlinkExecutorEnabled,
  ownedNamespaceUid,
  readViaNetlink,
  READ_COMMANDS,
  namespaceFromJson,
} from './index.js';
import { BRIDGEATTR_SCRIPT } from './bridge-attrs.js';
import { parseConcatenatedJson } from './json.js';
import { run, runInNamespace } from './process.js';
import { cleanup, executeEither, ip, isRoot, netnsAdd, op } from '../test/helpers.js';

const P = 'pbknl-';
const A = `${P}a`;
const B = `${P}b`;

async function ipRead(ns: string): Promise<NamespaceState> {
  const input = READ_COMMANDS.map((c) => `${c}\n`).join('');
  const r = await runInNamespace(ns, 'ip', ['-j', '-d', '-batch', '-'], { input });
  expect(r.stderr).toBe('');
  return namespaceFromJson(ns, parseConcatenatedJson(r.stdout));
}

async function netlinkRead(ns: string): Promise<NamespaceState> {
  const values = await readViaNetlink(ns);
  expect(values).toBeDefined();
  return namespaceFromJson(ns, values!);
}

/** A state without what the kernel picks (ifindexes, MACs) and with the namespace renamed. */
function comparable(s: NamespaceState, as: string): unknown {
  const links = Object.fromEntries(
    Object.entries(s.links).map(([name, l]) => {
      const { ifindex: _i, peerIfindex: _p, mac: _m, ...rest } = l;
      return [name, rest];
    }),
  );
  return { ...s, name: as, links };
}

/** Two namespaces: A (a node: veth, macvlan, IPv4 and IPv6 addresses and routes, sysctls) and B (a bridge host). */
function richLab(a: string, b: string): Op[] {
  return [
    netnsAdd(a),
    netnsAdd(b),
    ip('link', a, `link add eth0 type veth peer name p0 netns ${b}`),
    ip('link', b, 'link add br0 type bridge stp_state 0'),
    ip('link', b, 'link add x0 type veth peer name x1'), // both ends in one namespace: `link` by name
    ip('link', a, 'link add mv0 link eth0 type macvlan mode private'),
    ip('tunnel', b, 'link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.2 nolearning'),
    ip('mark', a, `link set dev lo alias patchbay:v1:${P}:lab:a`),
    ip('mark', a, 'link set dev lo up'),
    ip('configure', a, 'link set dev eth0 addrgenmode none'),
    ip('configure', a, 'link set dev eth0 mtu 1400'),
    ip('configure', a, 'link set dev eth0 address 02:00:00:00:00:01'),
    ip('configure', a, 'addr add 10.0.0.1/24 dev eth0'),
    ip('configure', a, 'addr add fd00::1/64 dev eth0 nodad'),
    ip('configure', a, 'addr add fe80::1/64 dev eth0 nodad'),
    ip('configure', a, 'link set dev eth0 up'),
    ip('configure', a, 'link set dev mv0 up'),
    ip('configure', b, 'link set dev br0 addrgenmode none'),
    ip('configure', b, 'link set dev p0 master br0'),
    ip('configure', b, 'link set dev x0 master br0'),
    ip('configure', b, 'link set dev vx0 master br0'),
    ip('configure', b, 'addr add 10.0.0.2/24 dev br0'),
    ip('configure', b, 'link set dev p0 up'),
    ip('configure', b, 'link set dev br0 up'),
    op('configure', 'netlink', b, 'link set dev br0 type bridge fdb_max_learned 77'.split(' ')),
    ip('route', a, 'route add default via 10.0.0.2'),
    ip('route', a, 'route add 10.9.0.5/32 via 10.0.0.2 dev eth0'),
    ip('route', a, 'route add 10.8.0.0/16 dev eth0 scope link'),
    ip('route', a, 'route add fd01::/64 via fd00::2 dev eth0'),
    ip('route', a, 'route replace ::/0 via fd00::2'),
    op('sysctl', 'sysctl', a, ['net.ipv4.ip_forward=1']),
    op('sysctl', 'sysctl', a, ['net.ipv4.conf.eth0.proxy_arp=1']),
    op('sysctl', 'sysctl', a, ['net.ipv6.conf.all.forwarding=1']),
  ];
}

describe.skipIf(!isRoot)('the rtnetlink executor on the real kernel', () => {
  afterEach(() => cleanup(P));

  it('is on here (python3 is installed), and reads a namespace as `ip -j -d` does', async () => {
    expect(netlinkExecutorEnabled()).toBe(true);
    const r = await executeEither(richLab(A, B), false);
    expect(r.failed).toBeUndefined();
    // The port's bridge flags are only set by `ip` (a line the executor leaves to it).
    const port = await runInNamespace(B, 'ip', ['link', 'set', 'dev', 'p0', 'type', 'bridge_slave', 'hairpin', 'on']);
    expect(port.code).toBe(0);
    for (const ns of [A, B]) {
      const viaIp = await ipRead(ns);
      expect(await netlinkRead(ns)).toEqual(viaIp);
    }
    // The read covers what the lab built (so the comparison above compares something).
    const a = await netlinkRead(A);
    expect(a.links['eth0']).toMatchObject({ kind: 'veth', up: true, mtu: 1400, mac: '02:00:00:00:00:01' });
    expect(a.links['eth0']!.addresses).toEqual(['10.0.0.1/24', 'fd00::1/64', 'fe80::1/64']);
    expect(a.links['mv0']!.macvlan).toMatchObject({ mode: 'private' });
    expect(a.routes).toEqual(
      expect.arrayContaining([
        { to: 'default', via: '10.0.0.2', dev: 'eth0' },
        { to: '10.8.0.0/16', dev: 'eth0' },
        { to: 'fd01::/64', via: 'fd00::2', dev: 'eth0' },
        { to: '::/0', via: 'fd00::2', dev: 'eth0' },
      ]),
    );
    expect(a.sysctls).toMatchObject({ 'net.ipv4.ip_forward': '1', 'net.ipv6.conf.all.forwarding': '1' });
    const b = await netlinkRead(B);
    expect(b.links['p0']!.port).toMatchObject({ hairpin: true });
    expect(b.links['vx0']!.vxlan).toMatchObject({ vni: 42, port: 4789, local: '10.0.0.2', learning: false });
    expect(b.links['x0']!.master).toBe('br0');
  });

  it('leaves the kernel as `ip -batch` does, and reads back what it did', async () => {
    const viaIp = await executeEither(richLab(`${P}i.a`, `${P}i.b`), false);
    const viaNl = await executeEither(richLab(A, B), true);
    expect(viaIp.ok && viaNl.ok).toBe(true);
    expect(viaNl.done).toHaveLength(viaIp.done.length);
    for (const [ns, other] of [
      [A, `${P}i.a`],
      [B, `${P}i.b`],
    ] as const) {
      const mine = await ipRead(ns);
      expect(comparable(mine, 'x')).toEqual(comparable(await ipRead(other), 'x'));
    }
    // A's configure batch ran in the executor and read A back (its sysctls run in a process of their
    // own, at the same time: left out). B's batch creates a VXLAN device, a line left to `ip`.
    const withoutSysctls = (s: NamespaceState) => ({ ...(comparable(s, 'x') as object), sysctls: {} });
    expect(withoutSysctls(viaNl.readBack.get(A)!)).toEqual(withoutSysctls(await ipRead(A)));
    const capNl = await runInNamespace(B, 'python3', [BRIDGEATTR_SCRIPT, 'get']);
    expect(JSON.parse(capNl.stdout)).toMatchObject({ bridges: { br0: { fdbMaxLearned: 77 } } });
  });

  it('stops at the first failing line as `ip -batch` does, with the same failing op', async () => {
    const setup = [netnsAdd(A), ip('link', A, 'link add d0 type bridge')];
    expect((await executeEither(setup, true)).ok).toBe(true);
    const batch = [
      ip('configure', A, 'addr add 10.1.0.1/24 dev d0'),
      ip('configure', A, 'addr add 10.1.0.1/24 dev d0'), // already there: fails
      ip('configure', A, 'link set dev d0 up'), // never runs
    ];
    const r = await executeEither(batch, true);
    expect(r.ok).toBe(false);
    expect(r.done).toEqual([batch[0]]);
    expect(r.failed?.op).toBe(batch[1]);
    expect(r.failed?.error).toMatch(/already assigned|File exists/);
    expect((await ipRead(A)).links['d0']!.up).toBe(false);
    const missing = await executeEither([ip('configure', A, 'link set dev nope up')], true);
    expect(missing.failed?.error).toBe('Cannot find device "nope"');
  });

  it('creates bridges and veth pairs with the ifindexes asked for, and refuses an existing name', async () => {
    const ops = [
      netnsAdd(A),
      netnsAdd(B),
      ip('link', B, 'link add br0 index 4000 type bridge stp_state 1'),
      ip('link', B, `link add h1 index 1000000 type veth peer index 2000000 name eth0 netns ${A}`),
    ];
    expect((await executeEither(ops, true)).ok).toBe(true);
    const a = await ipRead(A);
    const b = await ipRead(B);
    expect(b.links['br0']).toMatchObject({ kind: 'bridge', ifindex: 4000, bridge: { stp: true } });
    expect(b.links['h1']).toMatchObject({ kind: 'veth', ifindex: 1000000, peerIfindex: 2000000 });
    expect(a.links['eth0']).toMatchObject({ kind: 'veth', ifindex: 2000000, peerIfindex: 1000000 });
    const again = await executeEither([ip('link', B, 'link add br0 type bridge')], true);
    expect(again.failed?.error).toBe('RTNETLINK answers: File exists');
    const noNs = await executeEither([ip('link', B, `link add h2 type veth peer name eth0 netns ${P}absent`)], true);
    expect(noNs.failed?.error).toMatch(/Invalid "netns" value/);
  });

  it("runs a namespace's `netlink` ops in its `ip` batch and reads the bridge's FDB cap back with it", async () => {
    const ops = [
      netnsAdd(B),
      ip('link', B, 'link add br0 type bridge'),
      ip('configure', B, 'link set dev br0 addrgenmode none'),
      op('configure', 'netlink', B, 'link set dev br0 type bridge fdb_max_learned 99'.split(' ')),
      ip('configure', B, 'link set dev br0 up'),
    ];
    const r = await executeEither(ops, true);
    expect(r.ok).toBe(true);
    expect(r.readBackWhole.has(B)).toBe(true);
    expect(r.readBack.get(B)!.links['br0']).toMatchObject({ up: true, bridge: { fdbMaxLearned: 99, fdbLearned: 0 } });
    // Without the executor, the two tools run as two processes: the read-back is not whole.
    const off = await executeEither([ip('configure', B, 'link set dev br0 down'), ops[3]!], false);
    expect(off.ok).toBe(true);
    expect(off.readBackWhole.size).toBe(0);
  });

  it('hands a batch with a line it does not carry out to `ip`, whole', async () => {
    expect((await executeEither([netnsAdd(A), ip('link', A, 'link add d0 type bridge')], true)).ok).toBe(true);
    const batch = [
      ip('configure', A, 'addr add 10.2.0.1/24 dev d0'),
      ip('configure', A, 'link set dev d0 type bridge stp_state 1'), // not a line the executor knows
      ip('configure', A, 'link set dev d0 up'),
    ];
    const r = await executeEither(batch, true);
    expect(r.ok).toBe(true);
    const s = await ipRead(A);
    expect(s.links['d0']).toMatchObject({ up: true, addresses: ['10.2.0.1/24'], bridge: { stp: true } });
  });

  it('creates owned and plain namespaces as nsowner.py and `ip netns add` do', async () => {
    const owned: Op = { ...netnsAdd(A), owned: true };
    const r = await executeEither([owned, netnsAdd(B)], true);
    expect(r.ok).toBe(true);
    expect(isOwnedNamespace(A)).toBe(true);
    expect(isOwnedNamespace(B)).toBe(false);
    const uid = await ownedNamespaceUid(A);
    expect(uid).toBeGreaterThanOrEqual(300_000);
    // Inside: uid 1000 maps to that host uid, and nested user namespaces are off.
    const inside = await run('nsenter', [
      `--user=/run/patchbay/userns/${A}`,
      `--net=/run/netns/${A}`,
      '-S',
      '1000',
      '-G',
      '1000',
      'sh',
      '-c',
      'cat /proc/self/uid_map /proc/sys/user/max_user_namespaces',
    ]);
    expect(inside.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '))).toEqual([`1000 ${uid} 1`, '0', '']);
    // Both are real network namespaces of their own.
    for (const ns of [A, B]) expect(Object.keys((await ipRead(ns)).links)).toEqual(['lo']);
    const again = await executeEither([{ ...netnsAdd(A), owned: true }], true);
    expect(again.failed?.error).toMatch(/already exists/);
    const plainAgain = await executeEither([netnsAdd(B)], true);
    expect(plainAgain.failed?.error).toMatch(/File exists/);
  });
});
