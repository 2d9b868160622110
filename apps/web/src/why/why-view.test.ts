import { describe, expect, it } from 'vitest';
import { linkId } from '../model/lab-edit';
import { whyNodeClass } from './canvas-marks';
import { chainLab, dockerLab, natReachable, replyLost } from './why-fixtures';
import { edgeBetween, visitsOf, whyHighlight } from './why-view';

describe('whyHighlight', () => {
  it('numbers the request’s nodes in order, marks the edges between them, and the dead hop with its reason', () => {
    const h = whyHighlight(chainLab, replyLost);
    expect(h.nodes).toEqual({
      a: { forward: [1], reply: [] },
      r: { forward: [2], reply: [] },
      b: { forward: [3], reply: [1], dead: replyLost.blocked },
    });
    expect(h.edges).toEqual({
      [linkId(chainLab.links[0]!)]: 'forward',
      [linkId(chainLab.links[1]!)]: 'forward',
    });
  });

  it('goes through a bridge to its host by the hosted tie; one visit for NAT then route at the same node', () => {
    const h = whyHighlight(dockerLab, natReachable);
    expect(Object.fromEntries(Object.entries(h.nodes).map(([n, m]) => [n, [m.forward, m.reply]]))).toEqual({
      a: [[1], [4]],
      docker0: [[2], [3]],
      host: [[3], [2]],
      upstream: [[4], [1]],
    });
    expect(h.edges).toEqual({
      [linkId(dockerLab.links[0]!)]: 'forward',
      'hosted:docker0': 'forward',
      [linkId(dockerLab.links[1]!)]: 'forward',
    });
    expect(Object.values(h.nodes).some((m) => m.dead)).toBe(false);
  });

  it('marks edges the reply alone takes as reply, and leaves out hops at nodes not in the lab', () => {
    const lab = {
      ...chainLab,
      links: [
        ...chainLab.links,
        {
          a: { node: 'b', interface: 'eth9', addresses: ['10.0.9.2/24'] },
          b: { node: 'a', interface: 'eth9', addresses: ['10.0.9.1/24'] },
        },
      ],
    };
    const result = {
      ...replyLost,
      blocked: undefined,
      reachable: true,
      reverse: [
        { node: 'b', out: 'eth9', action: 'send' as const, detail: 'via eth9' },
        { node: '_host', action: 'switch' as const, detail: 'not a lab node' },
        { node: 'a', in: 'eth9', action: 'deliver' as const, detail: 'delivered' },
      ],
    };
    const h = whyHighlight(lab, result);
    expect(h.edges[linkId(lab.links[2]!)]).toBe('reply');
    expect(h.nodes['_host']).toBeUndefined();
  });

  it('paints the link red where an interface on it is down', () => {
    const result = {
      ...replyLost,
      forward: replyLost.forward.slice(0, 2),
      reverse: [],
      blocked: {
        direction: 'forward' as const,
        node: 'r',
        interface: 'eth1',
        reason: 'link-down' as const,
        detail: 'eth1 is down',
      },
    };
    const h = whyHighlight(chainLab, result);
    expect(h.edges[linkId(chainLab.links[1]!)]).toBe('dead');
    expect(h.nodes['r']?.dead?.reason).toBe('link-down');
    // A filter names an interface too, but the cable is not at fault.
    const filtered = whyHighlight(chainLab, { ...result, blocked: { ...result.blocked, reason: 'filtered' } });
    expect(filtered.edges[linkId(chainLab.links[1]!)]).toBeUndefined();
  });
});

describe('edgeBetween', () => {
  it('picks, of two veths between the same nodes, the one whose interfaces the packet used', () => {
    const lab = {
      ...chainLab,
      links: [
        { a: { node: 'a', interface: 'eth0' }, b: { node: 'r', interface: 'eth0' } },
        { a: { node: 'r', interface: 'eth5' }, b: { node: 'a', interface: 'eth5' } },
      ],
    };
    expect(edgeBetween(lab, { node: 'a', out: 'eth5' }, { node: 'r', in: 'eth5' })).toBe(linkId(lab.links[1]!));
    expect(edgeBetween(lab, { node: 'a', out: 'eth0' }, { node: 'r' })).toBe(linkId(lab.links[0]!));
  });

  it('joins two overlay members by the overlay edge drawn from the first member', () => {
    const lab = {
      name: 'vx',
      nodes: {
        h1: { kind: 'host' as const },
        h2: { kind: 'host' as const },
        br1: { kind: 'bridge' as const },
        br2: { kind: 'bridge' as const },
      },
      links: [],
      overlays: [{ name: 'ov', vni: 42, members: [{ bridge: 'br1' }, { bridge: 'br2' }] }],
    };
    expect(edgeBetween(lab, { node: 'br2' }, { node: 'br1' })).toBe('overlay:ov:1');
    expect(edgeBetween(lab, { node: 'h1' }, { node: 'h2' })).toBeUndefined();
  });

  it('merges consecutive hops at one node into one visit (in from the first, out from the last)', () => {
    expect(visitsOf(dockerLab, natReachable.reverse)).toEqual([
      { node: 'upstream', out: 'eth0' },
      { node: 'host', in: 'eth0', out: 'docker0' },
      { node: 'docker0', out: 'veth-a' },
      { node: 'a', in: 'eth0' },
    ]);
  });
});

describe('whyNodeClass', () => {
  it('classes a node by its part in the answer: the request’s path, the reply’s only, the dead hop', () => {
    expect(whyNodeClass(undefined)).toBe('');
    expect(whyNodeClass({ forward: [1], reply: [3] })).toBe('why-forward');
    expect(whyNodeClass({ forward: [], reply: [2] })).toBe('why-reply');
    expect(whyNodeClass({ forward: [3], reply: [], dead: replyLost.blocked! })).toBe('why-forward why-dead');
  });
});
