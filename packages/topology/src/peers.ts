// Which veth is whose peer, from the kernel's own numbers: each end reports its ifindex and its
// peer's ifindex (and whether the peer is in another namespace), and, when the read resolved it,
// the namespace that holds its peer (`peerNamespace`: link-netnsid named by `ip netns list-id`).
// Two ends that point at each other, each in the namespace the other names, are a pair.
// Ifindexes alone are ambiguous when two pairs share the same two numbers (pairs made by older
// versions or by hand, numbered per namespace); every veth Patchbay makes gets ifindexes from ranges
// of its own (LINK_INDEX_BASE in diff.ts), unique in the lab, so the apply path reads no peer
// namespaces (`ip netns list-id` opens every named namespace of the machine: O(N²) for a lab),
// while the views, which must be right for any pair, do. An ambiguous or missing match is left
// unresolved rather than guessed.
import type { KernelState } from './state.js';

/** Set on a veth whose peer is in no namespace of a complete observation: not a lab peer. */
export const FOREIGN_PEER = '(outside the lab)';

export interface ResolveOptions {
  /**
   * The state holds every namespace of the lab: an unmatched peer is outside the lab
   * (FOREIGN_PEER). Otherwise it may be in a namespace not read, and stays unknown ("").
   */
  complete: boolean;
}

export function resolveVethPeers(state: KernelState, opts: ResolveOptions): void {
  const byIndex = new Map<
    number,
    { ns: string; name: string; peerIfindex?: number; elsewhere: boolean; peerNamespace?: string }[]
  >();
  for (const [ns, s] of Object.entries(state.namespaces)) {
    for (const l of Object.values(s.links)) {
      if (l.kind !== 'veth' || l.ifindex === undefined) continue;
      const list = byIndex.get(l.ifindex) ?? [];
      list.push({
        ns,
        name: l.name,
        peerIfindex: l.peerIfindex,
        elsewhere: !!l.peerElsewhere,
        peerNamespace: l.peerNamespace,
      });
      byIndex.set(l.ifindex, list);
    }
  }
  for (const [ns, s] of Object.entries(state.namespaces)) {
    for (const l of Object.values(s.links)) {
      if (l.kind !== 'veth' || l.ifindex === undefined || l.peerIfindex === undefined) continue;
      const matches = (byIndex.get(l.peerIfindex) ?? []).filter(
        (m) =>
          m.peerIfindex === l.ifindex &&
          (l.peerElsewhere ? m.ns !== ns : m.ns === ns) &&
          (l.peerNamespace === undefined || m.ns === l.peerNamespace) &&
          (m.peerNamespace === undefined || m.peerNamespace === ns) &&
          !(m.ns === ns && m.name === l.name),
      );
      const only = matches.length === 1 ? matches[0]! : undefined;
      if (only) l.veth = { peerNs: only.ns, peerName: only.name };
      else
        l.veth =
          opts.complete && matches.length === 0 ? { peerNs: FOREIGN_PEER, peerName: '' } : { peerNs: '', peerName: '' };
    }
  }
}
