import { describe, expect, it } from 'vitest';
import linkDownText from '../../../../packages/scenarios/library/link-down.yaml?raw';
import { labFacts, networkOf } from './lab-facts';
import { draftFromText } from './scenario-draft';

describe('lab facts', () => {
  it('lists what the pickers offer: nodes, senders, bridges, interfaces, ports, addresses', () => {
    const f = labFacts(draftFromText(linkDownText).draft!.lab);
    expect(f.nodes).toEqual(['br0', 'web', 'db']);
    expect(f.senders).toEqual(['web', 'db']);
    expect(f.bridges).toEqual(['br0']);
    expect(f.interfaces('db')).toEqual(['eth0', 'lo']);
    expect(f.interfaces('br0')).toEqual(['br0', 'veth-db', 'veth-web']);
    expect(f.ports('br0')).toEqual(['veth-db', 'veth-web']);
    expect(f.addressesOf('br0')).toEqual([
      { node: 'br0', interface: 'br0', ip: '192.168.100.1', cidr: '192.168.100.1/24' },
    ]);
    expect(f.addresses.map((a) => a.ip)).toEqual(['192.168.100.1', '192.168.100.10', '192.168.100.20']);
  });

  it('turns an address into its network', () => {
    expect(networkOf('192.168.100.20/24')).toBe('192.168.100.0/24');
    expect(networkOf('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(networkOf('10.1.2.3/0')).toBe('0.0.0.0/0');
    expect(networkOf('10.1.2.3/32')).toBe('10.1.2.3/32');
  });
});
