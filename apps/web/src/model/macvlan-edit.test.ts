import { parseLabText, type Lab } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { setPortFlag } from '../components/inspector/BridgePortFields';
import { toFlow } from './graph';
import { addNode, connect, emptyLab, removeLinks, removeNodes, renameNode } from './lab-edit';
import { addMacvlan, hostInterfaces, macvlanCandidate, macvlanId } from './macvlan-edit';

const problems = (lab: Lab) => parseLabText(JSON.stringify(lab)).problems;

/** A host linked to a router (the LAN), and two containers not yet connected. */
function drawn(): Lab {
  let lab = emptyLab('mv');
  lab = addNode(lab, 'host');
  lab = addNode(lab, 'router');
  lab = addNode(lab, 'netns');
  lab = addNode(lab, 'netns');
  return connect(lab, 'host1', 'r1').lab;
}

describe('drawing a macvlan', () => {
  it('a node drawn to a host with interfaces may get a macvlan on one of them, valid as drawn', () => {
    let lab = drawn();
    expect(hostInterfaces(lab, 'host1')).toEqual([{ name: 'eth0', address: '10.0.0.1/24' }]);
    expect(macvlanCandidate(lab, 'ns1', 'host1')).toEqual({ node: 'ns1', host: 'host1' });
    expect(macvlanCandidate(lab, 'host1', 'ns1')).toEqual({ node: 'ns1', host: 'host1' });
    expect(macvlanCandidate(lab, 'ns1', 'ns2')).toBeUndefined();
    const first = addMacvlan(lab, 'ns1', 'host1', 'eth0');
    lab = first.lab;
    expect(first.id).toBe('macvlan:ns1:eth0');
    lab = addMacvlan(lab, 'ns2', 'host1', 'eth0').lab;
    expect(lab.macvlans).toEqual([
      {
        node: 'ns1',
        interface: 'eth0',
        parent: { node: 'host1', interface: 'eth0' },
        mode: 'bridge',
        addresses: ['10.0.0.3/24'],
      },
      {
        node: 'ns2',
        interface: 'eth0',
        parent: { node: 'host1', interface: 'eth0' },
        mode: 'bridge',
        addresses: ['10.0.0.4/24'],
      },
    ]);
    expect(problems(lab)).toEqual([]);
    // a second one in the same node takes the next name; a veth drawn later does not reuse eth0
    lab = addMacvlan(lab, 'ns1', 'host1', 'eth0').lab;
    expect(lab.macvlans![2]!.interface).toBe('eth1');
    expect(connect(lab, 'ns1', 'r1').link.a.interface).toBe('eth2');
  });

  it('is an edge of the canvas from the node to the host, selectable, with its problems counted', () => {
    const lab = addMacvlan(drawn(), 'ns1', 'host1', 'eth0').lab;
    const id = macvlanId(lab.macvlans![0]!);
    const { edges } = toFlow({
      lab,
      positions: {},
      selected: { nodes: [], links: [id] },
      problemPaths: ['macvlans[0].mode'],
    });
    expect(edges.find((e) => e.id === id)).toMatchObject({
      type: 'macvlan',
      source: 'ns1',
      target: 'host1',
      selected: true,
      data: { problems: 1 },
    });
  });

  it('goes with its node, its host, its parent link, or by itself; follows a rename', () => {
    const lab = addMacvlan(drawn(), 'ns1', 'host1', 'eth0').lab;
    expect(removeNodes(lab, ['ns1']).macvlans).toBeUndefined();
    expect(removeNodes(lab, ['host1']).macvlans).toBeUndefined();
    expect(removeLinks(lab, ['host1:eth0--r1:eth0']).macvlans).toBeUndefined();
    expect(removeLinks(lab, ['macvlan:ns1:eth0']).macvlans).toBeUndefined();
    expect(removeLinks(lab, ['macvlan:ns1:eth0']).links).toHaveLength(1);
    const renamed = renameNode(renameNode(lab, 'ns1', 'c1'), 'host1', 'h');
    expect(renamed.macvlans![0]).toMatchObject({ node: 'c1', parent: { node: 'h', interface: 'eth0' } });
    expect(problems(renamed)).toEqual([]);
  });
});

describe('bridge port flags in the inspector', () => {
  it('a flag at its default is left out, and an empty bridgePort goes', () => {
    expect(setPortFlag(undefined, 'hairpin', true)).toEqual({ hairpin: true });
    expect(setPortFlag({ hairpin: true }, 'hairpin', false)).toBeUndefined();
    expect(setPortFlag(undefined, 'learning', false)).toEqual({ learning: false });
    expect(setPortFlag({ learning: false }, 'learning', true)).toBeUndefined();
    expect(setPortFlag({ hairpin: true }, 'antiSpoof', true)).toEqual({ hairpin: true, antiSpoof: true });
  });
});
