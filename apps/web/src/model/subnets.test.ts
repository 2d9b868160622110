import { checkLab, type Lab } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { addNode, connect, emptyLab } from './lab-edit';
import { bridgeSubnet, freeSubnet, segmentBridges } from './subnets';

const addressOf = (lab: Lab, node: string, iface: string) =>
  lab.links.flatMap((l) => [l.a, l.b]).find((e) => e.node === node && e.interface === iface)?.addresses;

describe('each bridge its own subnet (issue 13)', () => {
  it('a router drawn between two fresh bridges gets a different /24 on each side, and no warning', () => {
    let lab = emptyLab('class');
    for (const k of ['bridge', 'bridge', 'router', 'netns', 'netns'] as const) lab = addNode(lab, k);
    lab = connect(lab, 'ns1', 'br0').lab;
    lab = connect(lab, 'r1', 'br0').lab;
    lab = connect(lab, 'r1', 'br1').lab;
    lab = connect(lab, 'ns2', 'br1').lab;
    expect(addressOf(lab, 'ns1', 'eth0')).toEqual(['192.168.100.1/24']);
    expect(addressOf(lab, 'r1', 'eth0')).toEqual(['192.168.100.2/24']);
    expect(addressOf(lab, 'r1', 'eth1')).toEqual(['192.168.101.1/24']);
    expect(addressOf(lab, 'ns2', 'eth0')).toEqual(['192.168.101.2/24']);
    expect(checkLab(lab)).toEqual({ problems: [], warnings: [] });
  });

  it('a free subnet overlaps no address, route destination or NAT source of the lab', () => {
    const lab: Lab = {
      name: 'x',
      nodes: {
        a: {
          kind: 'router',
          routes: [{ to: '192.168.100.0/23', via: '10.0.0.2' }],
          nat: [{ masquerade: '192.168.102.0/24', out: 'eth0' }],
        },
        b: { kind: 'netns' },
        br0: { kind: 'bridge', addresses: ['192.168.103.1/24'] },
      },
      links: [{ a: { node: 'a', interface: 'eth0', addresses: ['10.0.0.1/16'] }, b: { node: 'b', interface: 'eth0' } }],
    };
    expect(freeSubnet(lab, 'bridge')).toBe('192.168.104.0/24');
    expect(freeSubnet(lab)).toBe('10.1.0.0/24');
  });

  it('bridges cabled together or joined by an overlay are one segment, with one subnet', () => {
    let lab = emptyLab('seg');
    for (const k of ['bridge', 'bridge', 'netns', 'netns'] as const) lab = addNode(lab, k);
    lab = connect(lab, 'br0', 'br1').lab;
    lab = connect(lab, 'ns1', 'br0').lab;
    lab = connect(lab, 'ns2', 'br1').lab;
    expect(segmentBridges(lab, 'br1').sort()).toEqual(['br0', 'br1']);
    expect(bridgeSubnet(lab, 'br1')).toBe('192.168.100.1/24');
    expect(addressOf(lab, 'ns2', 'eth0')).toEqual(['192.168.100.2/24']);
    const overlaid: Lab = {
      ...emptyLab('ov'),
      nodes: { br0: { kind: 'bridge', addresses: ['10.9.0.1/24'] }, br1: { kind: 'bridge' } },
      overlays: [{ name: 'ov', vni: 42, members: [{ bridge: 'br0' }, { bridge: 'br1' }] }],
    };
    expect(bridgeSubnet(overlaid, 'br1')).toBe('10.9.0.1/24');
  });
});
