import { afterEach, describe, expect, it } from 'vitest';
import { defaultIptablesState, iptablesRestoreText } from '@patchbay/topology';
import { executePlan, observeNamespaces, type ProgressEvent } from './index.js';
import { cleanup, ip, isRoot, netnsAdd, op } from '../test/helpers.js';

const P = 'pbk1-';
const A = `${P}lab.a`;
const B = `${P}lab.b`;
const MAC = expect.stringMatching(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);

const NAT_RULE = '-A POSTROUTING -s 10.0.0.0/24 -o eth0 -j MASQUERADE';
const iptablesA = {
  nat: [...defaultIptablesState().nat, NAT_RULE],
  filter: [':INPUT ACCEPT', ':FORWARD DROP', ':OUTPUT ACCEPT'],
};

function plan() {
  return [
    netnsAdd(A),
    netnsAdd(B),
    ip('mark', A, `link set dev lo alias patchbay:v1:${P}:lab:a`),
    ip('mark', A, 'link set lo up'),
    ip('mark', B, `link set dev lo alias patchbay:v1:${P}:lab:_host`),
    ip('link', A, `link add eth0 type veth peer name p0 netns ${B}`),
    ip('link', B, 'link add br0 type bridge stp_state 0'),
    ip('tunnel', B, 'link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.2 nolearning'),
    ip('configure', A, 'link set dev eth0 addrgenmode none'),
    ip('configure', A, 'addr add 10.0.0.1/24 dev eth0'),
    ip('configure', A, 'link set eth0 up'),
    ip('configure', B, 'link set p0 master br0'),
    ip('configure', B, 'link set vx0 master br0'),
    ip('configure', B, 'addr add 10.0.0.2/24 dev br0'),
    ip('configure', B, 'link set p0 up'),
    ip('configure', B, 'link set vx0 up'),
    ip('configure', B, 'link set br0 up'),
    op('sysctl', 'sysctl', A, ['net.ipv4.ip_forward=1']),
    op('sysctl', 'sysctl', A, ['net.ipv4.conf.eth0.proxy_arp=1']),
    ip('route', A, 'route add default via 10.0.0.2'),
    ip('route', A, 'route add 10.9.0.5/32 via 10.0.0.2'),
    ip('route', A, 'route add 10.8.0.0/16 dev eth0'),
    op('fdb', 'bridge', B, ['fdb', 'append', '00:00:00:00:00:00', 'dev', 'vx0', 'dst', '192.0.2.7']),
    op('fdb', 'bridge', B, ['fdb', 'append', '00:00:00:00:00:00', 'dev', 'vx0', 'dst', '192.0.2.3']),
    op('iptables', 'iptables', A, [], iptablesRestoreText(iptablesA)),
  ];
}

describe.skipIf(!isRoot)('executePlan + observeNamespaces on the real kernel', () => {
  afterEach(() => cleanup(P));

  it('builds a two-namespace lab and observes exactly what was built', async () => {
    const ops = plan();
    const progress: ProgressEvent[] = [];
    const result = await executePlan(ops, { onProgress: (e) => progress.push(e) });
    expect(result.failed).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.done).toHaveLength(ops.length);
    expect(progress.filter((e) => e.done === e.total).map((e) => e.stage)).toEqual([
      'unnamespace+namespace',
      'link',
      'unroute+unaddress+mark+tunnel+configure+route+sysctl+iptables',
      'unfdb+fdb+neigh',
    ]);

    const state = await observeNamespaces([A, B, `${P}lab.absent`], { iptables: new Set([A, B]) });
    expect(Object.keys(state.namespaces)).toEqual([A, B]);
    // ifindexes are the kernel's choice; check they are there, then compare the rest exactly.
    for (const nsState of Object.values(state.namespaces)) {
      for (const link of Object.values(nsState.links)) {
        expect(link.ifindex).toBeGreaterThan(0);
        if (link.kind === 'veth') expect(link.peerIfindex).toBeGreaterThan(0);
        delete link.ifindex;
        delete link.peerIfindex;
        delete link.peerElsewhere;
      }
    }
    expect(state.namespaces[A]).toEqual({
      name: A,
      node: 'a',
      links: {
        lo: {
          name: 'lo',
          kind: 'loopback',
          up: true,
          mtu: 65536,
          mac: '00:00:00:00:00:00',
          addresses: ['127.0.0.1/8'],
          addrgenNone: false,
          alias: `patchbay:v1:${P}:lab:a`,
        },
        eth0: {
          name: 'eth0',
          kind: 'veth',
          up: true,
          mtu: 1500,
          mac: MAC,
          addresses: ['10.0.0.1/24'],
          addrgenNone: true,
          veth: { peerNs: B, peerName: 'p0' },
        },
      },
      routes: [
        { to: 'default', via: '10.0.0.2', dev: 'eth0' },
        { to: '10.8.0.0/16', dev: 'eth0' },
        { to: '10.9.0.5/32', via: '10.0.0.2', dev: 'eth0' },
      ],
      sysctls: { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.eth0.proxy_arp': '1' },
      iptables: iptablesA,
      floods: [],
    });
    expect(state.namespaces[B]).toEqual({
      name: B,
      node: '_host',
      links: {
        lo: {
          name: 'lo',
          kind: 'loopback',
          up: false,
          mtu: 65536,
          mac: '00:00:00:00:00:00',
          addresses: [],
          addrgenNone: false,
          alias: `patchbay:v1:${P}:lab:_host`,
        },
        p0: {
          name: 'p0',
          kind: 'veth',
          up: true,
          mtu: 1500,
          mac: MAC,
          master: 'br0',
          addresses: [],
          addrgenNone: false,
          // a bridge port's flags as the kernel reports them: its defaults
          port: { flood: true, hairpin: false, isolated: false, learning: true },
          veth: { peerNs: A, peerName: 'eth0' },
        },
        br0: {
          name: 'br0',
          kind: 'bridge',
          up: true,
          mtu: 1500,
          mac: MAC,
          addresses: ['10.0.0.2/24'],
          addrgenNone: false,
          // cap and count as the kernel reports them (bridge-attrs.ts): no cap set here; the count depends on traffic
          bridge: { stp: false, vlanFiltering: false, fdbMaxLearned: 0, fdbLearned: expect.any(Number) as number },
        },
        vx0: {
          name: 'vx0',
          kind: 'vxlan',
          up: true,
          mtu: 1500,
          mac: MAC,
          master: 'br0',
          addresses: [],
          addrgenNone: false,
          port: { flood: true, hairpin: false, isolated: false, learning: true },
          vxlan: { vni: 42, port: 4789, local: '10.0.0.2', learning: false },
        },
      },
      routes: [],
      sysctls: {
        'net.ipv4.ip_forward': '0',
        'net.ipv4.conf.p0.proxy_arp': '0',
        'net.ipv4.conf.br0.proxy_arp': '0',
        'net.ipv4.conf.vx0.proxy_arp': '0',
      },
      iptables: defaultIptablesState(),
      floods: [
        { dev: 'vx0', dst: '192.0.2.3' },
        { dev: 'vx0', dst: '192.0.2.7' },
      ],
    });

    // Observing one side only: the peer is unknown (its namespace was not read), not guessed.
    const onlyA = await observeNamespaces([A]);
    expect(onlyA.namespaces[A]!.links['eth0']!.veth).toEqual({ peerNs: '', peerName: '' });
    expect(onlyA.namespaces[A]!.links['eth0']!.peerElsewhere).toBe(true);
    expect(onlyA.namespaces[A]!.iptables).toBeUndefined();
  });

  it('observes nothing for namespaces that do not exist', async () => {
    expect(await observeNamespaces([`${P}nope`])).toEqual({ namespaces: {} });
  });
});
