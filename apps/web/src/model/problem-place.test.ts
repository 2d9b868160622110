import type { Lab } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { problemPlace } from './problem-place';

const lab: Lab = {
  name: 'class',
  nodes: { ns4: { kind: 'netns' }, r1: { kind: 'router' }, br0: { kind: 'bridge' } },
  links: [
    { a: { node: 'ns4', interface: 'eth0', addresses: ['10.0.0.4/24'] }, b: { node: 'br0', interface: 'p0' } },
    { a: { node: 'r1', interface: 'eth1' }, b: { node: 'br0', interface: 'p1' } },
  ],
  overlays: [{ name: 'ov', vni: 7, members: [{ bridge: 'br0' }] }],
};

describe('problemPlace', () => {
  it('names a link end by its node and interface, an index as an ordinal', () => {
    expect(problemPlace(lab, 'links[0].a.addresses[0]')).toBe('ns4 eth0 address 1');
    expect(problemPlace(lab, 'links[1].b')).toBe('br0 p1');
    expect(problemPlace(lab, 'links[1].a.mtu')).toBe('r1 eth1 mtu');
    expect(problemPlace(lab, 'links[1]')).toBe('link r1 eth1 – br0 p1');
  });

  it('names nodes, their rows, overlays and the lab', () => {
    expect(problemPlace(lab, 'nodes.r1')).toBe('r1');
    expect(problemPlace(lab, 'nodes.r1.routes[2].via')).toBe('r1 route 3 via');
    expect(problemPlace(lab, 'overlays[0].members[0]')).toBe('overlay ov member 1');
    expect(problemPlace(lab, '')).toBe('the lab');
  });

  it('keeps the path when it points at nothing the lab has', () => {
    expect(problemPlace(lab, 'links[9].a.addresses[0]')).toBe('links[9].a.addresses[0]');
    expect(problemPlace(lab, 'nodes.ghost.kind')).toBe('nodes.ghost.kind');
    expect(problemPlace(lab, 'name')).toBe('name');
  });
});
