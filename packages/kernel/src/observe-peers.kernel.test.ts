// Veth peers on the real kernel when two pairs share the same two ifindexes (2 ↔ 5): only the
// peer's namespace (link-netnsid, named by `ip netns list-id`) tells them apart.
import { afterEach, describe, expect, it } from 'vitest';
import { executePlan, observeNamespaces } from './index.js';
import { cleanup, ip, isRoot, netnsAdd } from '../test/helpers.js';

const P = 'pbkpeer-';
const [A, HOST, UPSTREAM, B] = ['a', 'host', 'upstream', 'b'].map((n) => `${P}lab.${n}`) as [
  string,
  string,
  string,
  string,
];

describe.skipIf(!isRoot)('observeNamespaces: veth peers', () => {
  afterEach(() => cleanup(P));

  it("pairs two pairs with the same two ifindexes by each end's peer namespace", async () => {
    const r = await executePlan([
      netnsAdd(A),
      netnsAdd(HOST),
      netnsAdd(UPSTREAM),
      netnsAdd(B),
      ip('link', A, `link add eth0 index 2 type veth peer index 5 name veth-a netns ${HOST}`),
      ip('link', UPSTREAM, `link add eth0 index 2 type veth peer index 5 name x netns ${B}`),
    ]);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const names = [A, HOST, UPSTREAM, B];
    const state = await observeNamespaces(names, { peerNamespaces: true });
    const peer = (ns: string, name: string) => state.namespaces[ns]!.links[name]!.veth;
    expect(state.namespaces[A]!.links['eth0']!.ifindex).toBe(2);
    expect(state.namespaces[B]!.links['x']!.ifindex).toBe(5);
    expect(peer(A, 'eth0')).toEqual({ peerNs: HOST, peerName: 'veth-a' });
    expect(peer(HOST, 'veth-a')).toEqual({ peerNs: A, peerName: 'eth0' });
    expect(peer(UPSTREAM, 'eth0')).toEqual({ peerNs: B, peerName: 'x' });
    expect(peer(B, 'x')).toEqual({ peerNs: UPSTREAM, peerName: 'eth0' });

    // Without the peer namespaces, the ifindexes alone are ambiguous: left unknown, never guessed.
    const blind = await observeNamespaces(names);
    expect(blind.namespaces[A]!.links['eth0']!.veth).toEqual({ peerNs: '', peerName: '' });
  });
});
