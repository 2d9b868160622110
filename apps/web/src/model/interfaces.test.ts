import type { Lab, NodeView } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { liveMac, nodeInterfaces } from './interfaces';

const lab: Lab = {
  name: 'x',
  nodes: {
    h: { kind: 'host' },
    br0: { kind: 'bridge', host: 'h', addresses: ['10.9.0.1/24'] },
    'a-bridge-with-a-long-name': { kind: 'bridge', host: 'h' },
    ns1: { kind: 'netns' },
  },
  links: [
    {
      a: { node: 'ns1', interface: 'eth0', addresses: ['10.9.0.2/24'], mac: '02:00:00:00:00:01' },
      b: { node: 'br0', interface: 'p1' },
    },
    {
      a: { node: 'ns1', interface: 'eth1', addresses: ['10.0.0.1/24'] },
      b: { node: 'h', interface: 'eth0', addresses: ['10.0.0.2/24'] },
    },
  ],
};

describe("a node's interfaces in the inspector (issue 13)", () => {
  it('lists a netns end by end: name, peer, addresses, MAC, and the link each selects', () => {
    expect(nodeInterfaces(lab, 'ns1')).toEqual([
      {
        name: 'eth0',
        kind: 'veth',
        peer: { node: 'br0', interface: 'p1' },
        addresses: ['10.9.0.2/24'],
        mac: '02:00:00:00:00:01',
        select: { link: 'ns1:eth0--br0:p1' },
      },
      {
        name: 'eth1',
        kind: 'veth',
        peer: { node: 'h', interface: 'eth0' },
        addresses: ['10.0.0.1/24'],
        select: { link: 'ns1:eth1--h:eth0' },
      },
    ]);
  });

  it('lists a bridge device under its kernel name, and a host the bridges living in it', () => {
    expect(nodeInterfaces(lab, 'br0').map((r) => [r.name, r.kind, r.addresses])).toEqual([
      ['br0', 'bridge', ['10.9.0.1/24']],
      ['p1', 'veth', []],
    ]);
    const host = nodeInterfaces(lab, 'h');
    expect(host.map((r) => r.name)).toEqual(['eth0', 'br0', expect.stringMatching(/^a-bridge-w-[0-9a-z]{4}$/)]);
    expect(host[1]!.select).toEqual({ node: 'br0' });
  });

  it("takes the kernel's MAC once the lab runs, a bridge port's from its host", () => {
    const view = (node: string, iface: string, mac: string) =>
      ({ node, interfaces: [{ name: iface, kind: 'veth', up: true, mac, addresses: [] }] }) as unknown as NodeView;
    const live = {
      nodes: { ns1: view('ns1', 'eth1', '0a:00:00:00:00:07'), h: view('h', 'p1', '0a:00:00:00:00:08') },
      bridges: { br0: { host: 'h' } as never },
    };
    expect(liveMac(lab, 'ns1', 'eth1', live)).toBe('0a:00:00:00:00:07');
    expect(liveMac(lab, 'br0', 'p1', live)).toBe('0a:00:00:00:00:08');
    expect(liveMac(lab, 'ns1', 'eth9', live)).toBeUndefined();
  });
});

describe('a node with a macvlan', () => {
  it('lists it with its mode and parent, selecting the macvlan', () => {
    const lab: Lab = {
      name: 'm',
      nodes: { h: { kind: 'host' }, r: { kind: 'router' }, c: { kind: 'netns' } },
      links: [{ a: { node: 'h', interface: 'eth0' }, b: { node: 'r', interface: 'eth0' } }],
      macvlans: [
        { node: 'c', interface: 'eth0', parent: { node: 'h', interface: 'eth0' }, addresses: ['10.0.0.5/24'] },
      ],
    };
    expect(nodeInterfaces(lab, 'c')).toEqual([
      {
        name: 'eth0',
        kind: 'macvlan',
        macvlan: { parent: { node: 'h', interface: 'eth0' }, mode: 'bridge' },
        addresses: ['10.0.0.5/24'],
        select: { link: 'macvlan:c:eth0' },
      },
    ]);
  });
});
