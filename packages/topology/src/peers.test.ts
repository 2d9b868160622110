import { describe, expect, it } from 'vitest';
import { resolveVethPeers } from './peers.js';
import type { KernelState, LinkState, NamespaceState } from './state.js';

function veth(name: string, ifindex: number, peerIfindex: number, peerNamespace?: string): LinkState {
  const l: LinkState = {
    name,
    kind: 'veth',
    up: true,
    addresses: [],
    ifindex,
    peerIfindex,
    peerElsewhere: true,
    veth: { peerNs: '', peerName: '' },
  };
  if (peerNamespace !== undefined) l.peerNamespace = peerNamespace;
  return l;
}

function ns(name: string, links: LinkState[]): NamespaceState {
  return {
    name,
    node: name,
    links: Object.fromEntries(links.map((l) => [l.name, l])),
    routes: [],
    sysctls: {},
    floods: [],
  };
}

/** Two pairs with the same two ifindexes (2 ↔ 5): a/eth0 ↔ host/veth-a and upstream/eth0 ↔ b/x. */
function twoPairs(withNamespaces: boolean): KernelState {
  const peer = (n: string) => (withNamespaces ? n : undefined);
  return {
    namespaces: {
      a: ns('a', [veth('eth0', 2, 5, peer('host'))]),
      host: ns('host', [veth('veth-a', 5, 2, peer('a'))]),
      upstream: ns('upstream', [veth('eth0', 2, 5, peer('b'))]),
      b: ns('b', [veth('x', 5, 2, peer('upstream'))]),
    },
  };
}

describe('resolveVethPeers', () => {
  it('leaves pairs that share the same two ifindexes unresolved when only ifindexes are known', () => {
    const s = twoPairs(false);
    resolveVethPeers(s, { complete: false });
    expect(s.namespaces['a']!.links['eth0']!.veth).toEqual({ peerNs: '', peerName: '' });
  });

  it("pairs them by the peer's namespace (link-netnsid) and ifindex", () => {
    const s = twoPairs(true);
    resolveVethPeers(s, { complete: true });
    expect(s.namespaces['a']!.links['eth0']!.veth).toEqual({ peerNs: 'host', peerName: 'veth-a' });
    expect(s.namespaces['host']!.links['veth-a']!.veth).toEqual({ peerNs: 'a', peerName: 'eth0' });
    expect(s.namespaces['upstream']!.links['eth0']!.veth).toEqual({ peerNs: 'b', peerName: 'x' });
    expect(s.namespaces['b']!.links['x']!.veth).toEqual({ peerNs: 'upstream', peerName: 'eth0' });
  });

  it('resolves only the namespaces it is told to, looking the peers up among all (`only`)', () => {
    const state = twoPairs(true);
    resolveVethPeers(state, { complete: true, only: new Set(['a']) });
    expect(state.namespaces['a']!.links['eth0']!.veth).toEqual({ peerNs: 'host', peerName: 'veth-a' });
    expect(state.namespaces['host']!.links['veth-a']!.veth).toEqual({ peerNs: '', peerName: '' });
    const unchanged = state.namespaces['a']!.links['eth0']!.veth;
    resolveVethPeers(state, { complete: true });
    expect(state.namespaces['a']!.links['eth0']!.veth).toBe(unchanged); // the same pair: not replaced
    expect(state.namespaces['host']!.links['veth-a']!.veth).toEqual({ peerNs: 'a', peerName: 'eth0' });
  });
});
