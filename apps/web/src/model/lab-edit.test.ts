import { parseLabText, type Lab } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import {
  addNode,
  connect,
  emptyLab,
  freeSubnet,
  linkId,
  nextAddressIn,
  nextNodeName,
  proposeInterface,
  removeNodes,
  renameNode,
} from './lab-edit';
import { marksFor, objectsOf } from './marks';

const valid = (lab: Lab) => parseLabText(JSON.stringify(lab)).problems;

describe('drawing a lab from nothing', () => {
  it("two namespaces and a bridge, connected: names and addresses proposed, and the server's parser accepts it", () => {
    let lab = emptyLab('demo');
    lab = addNode(lab, 'netns');
    lab = addNode(lab, 'netns');
    lab = addNode(lab, 'bridge');
    expect(Object.keys(lab.nodes)).toEqual(['ns1', 'ns2', 'br0']);
    lab = connect(lab, 'ns1', 'br0').lab;
    lab = connect(lab, 'ns2', 'br0').lab;
    expect(lab.links).toEqual([
      {
        a: { node: 'ns1', interface: 'eth0', addresses: ['192.168.100.1/24'] },
        b: { node: 'br0', interface: 'br0-ns1' },
      },
      {
        a: { node: 'ns2', interface: 'eth0', addresses: ['192.168.100.2/24'] },
        b: { node: 'br0', interface: 'br0-ns2' },
      },
    ]);
    expect(valid(lab)).toEqual([]);
  });

  it("gives the bridge's subnet when the bridge has an address, and a fresh /24 between two nodes", () => {
    let lab: Lab = {
      name: 'x',
      nodes: { br0: { kind: 'bridge', addresses: ['10.9.0.1/24'] }, a: { kind: 'netns' }, b: { kind: 'router' } },
      links: [],
    };
    lab = connect(lab, 'br0', 'a').lab;
    expect(lab.links[0]!.b.addresses).toEqual(['10.9.0.2/24']);
    lab = connect(lab, 'a', 'b').lab;
    expect(lab.links[1]).toMatchObject({
      a: { interface: 'eth1', addresses: ['10.0.0.1/24'] },
      b: { interface: 'eth0', addresses: ['10.0.0.2/24'] },
    });
    expect(freeSubnet(lab)).toBe('10.0.1.0/24');
    expect(valid(lab)).toEqual([]);
  });

  it('keeps port names unique in the host namespace and within 15 characters', () => {
    const lab: Lab = {
      name: 'x',
      nodes: { 'bridge-number-one': { kind: 'bridge' }, 'a-very-long-node': { kind: 'netns' } },
      links: [
        {
          a: { node: 'a-very-long-node', interface: 'eth0' },
          b: { node: 'bridge-number-one', interface: 'bridge-number-o' },
        },
      ],
    };
    const name = proposeInterface(lab, 'bridge-number-one', 'a-very-long-node');
    expect(name.length).toBeLessThanOrEqual(15);
    expect(name).not.toBe('bridge-number-o');
  });

  it('finds the next free address and node names', () => {
    expect(nextAddressIn('192.168.1.1/24', new Set(['192.168.1.1', '192.168.1.2']))).toBe('192.168.1.3/24');
    expect(nextAddressIn('10.0.0.1/30', new Set(['10.0.0.1', '10.0.0.2']))).toBeUndefined();
    expect(nextAddressIn('garbage', new Set())).toBeUndefined();
    expect(nextNodeName({ name: 'x', nodes: { ns1: { kind: 'netns' } }, links: [] }, 'netns')).toBe('ns2');
  });

  it('removing a node removes its links, the bridges it hosts and its overlay memberships', () => {
    const lab: Lab = {
      name: 'x',
      nodes: { h1: { kind: 'host' }, h2: { kind: 'host' }, br: { kind: 'bridge', host: 'h1' }, c: { kind: 'netns' } },
      links: [{ a: { node: 'c', interface: 'eth0' }, b: { node: 'br', interface: 'p0' } }],
      overlays: [{ name: 'ov', vni: 42, members: [{ bridge: 'br' }, { host: 'h2' }] }],
    };
    const out = removeNodes(lab, ['h1']);
    expect(Object.keys(out.nodes)).toEqual(['h2', 'c']);
    expect(out.links).toEqual([]);
    expect(out.overlays).toEqual([{ name: 'ov', vni: 42, members: [{ host: 'h2' }] }]);
  });

  it('renames a node in links, bridge hosts and overlays', () => {
    const lab: Lab = {
      name: 'x',
      nodes: { h1: { kind: 'host' }, br: { kind: 'bridge', host: 'h1' } },
      links: [{ a: { node: 'h1', interface: 'eth0' }, b: { node: 'br', interface: 'p0' } }],
      overlays: [{ name: 'ov', vni: 1, members: [{ host: 'h1' }] }],
    };
    const out = renameNode(lab, 'h1', 'server');
    expect(out.nodes['br']).toEqual({ kind: 'bridge', host: 'server' });
    expect(out.links[0]!.a.node).toBe('server');
    expect(out.overlays![0]!.members[0]).toEqual({ host: 'server' });
    expect(Object.keys(out.nodes)).toEqual(['server', 'br']);
  });
});

describe('marks of an apply', () => {
  const lab: Lab = {
    name: 'x',
    nodes: { br0: { kind: 'bridge' }, web: { kind: 'netns' } },
    links: [
      { a: { node: 'web', interface: 'eth0', addresses: ['10.0.0.2/24'] }, b: { node: 'br0', interface: 'br0-web' } },
    ],
  };
  const id = linkId(lab.links[0]!);

  it('maps operation subjects back to nodes and links (bridge ports live in the implicit host)', () => {
    expect(objectsOf(lab, { node: 'web' })).toEqual(['web']);
    expect(objectsOf(lab, { node: 'web', iface: 'eth0' })).toEqual([id]);
    expect(objectsOf(lab, { node: '_host', iface: 'br0-web' })).toEqual([id]);
    expect(objectsOf(lab, { node: '_host', iface: 'br0' })).toEqual(['br0']);
    expect(objectsOf(lab, { node: '_host' })).toEqual([]);
  });

  it('a failure wins over a change', () => {
    const m = marksFor(lab, [{ subject: { node: 'web', iface: 'eth0' }, reason: 'address' }], {
      subject: { node: 'web', iface: 'eth0' },
      error: 'File exists',
      command: 'ip addr add',
    });
    expect(m[id]).toEqual({ state: 'failed', why: 'File exists (ip addr add)' });
  });
});

import { joinOverlay, bridgesOnDifferentHosts } from './lab-edit';

describe('overlays drawn between bridges', () => {
  it("joins bridges on two hosts with the next VNI and each host's underlay address, as the VXLAN example", () => {
    let lab: Lab = {
      name: 'vx',
      nodes: {
        'host-a': { kind: 'host' },
        'host-b': { kind: 'host' },
        'br-a': { kind: 'bridge', host: 'host-a' },
        'br-b': { kind: 'bridge', host: 'host-b' },
        'br-c': { kind: 'bridge', host: 'host-a' },
      },
      links: [
        {
          a: { node: 'host-a', interface: 'eth0', addresses: ['192.168.1.10/24'] },
          b: { node: 'host-b', interface: 'eth0', addresses: ['192.168.1.11/24'] },
        },
      ],
    };
    expect(bridgesOnDifferentHosts(lab, 'br-a', 'br-b')).toBe(true);
    expect(bridgesOnDifferentHosts(lab, 'br-a', 'br-c')).toBe(false);
    lab = joinOverlay(lab, 'br-a', 'br-b').lab;
    expect(lab.overlays).toEqual([
      {
        name: 'ov42',
        vni: 42,
        members: [
          { bridge: 'br-a', local: '192.168.1.10' },
          { bridge: 'br-b', local: '192.168.1.11' },
        ],
      },
    ]);
    expect(valid(lab)).toEqual([]);
    // Joining again changes nothing; a second pair of bridges gets VNI 43.
    expect(joinOverlay(lab, 'br-a', 'br-b').lab).toBe(lab);
  });
});
