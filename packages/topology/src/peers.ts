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
  /** Resolve only the links of these namespaces (the others' peers are looked up, not set). */
  only?: ReadonlySet<string>;
}

interface VethEnd {
  ns: string;
  name: string;
  peerIfindex?: number;
  elsewhere: boolean;
  peerNamespace?: string;
}

/**
 * Fills in each veth's `veth` (its peer) from the kernel's numbers. Runs twice per apply over
 * every link of the lab (observe, verify): it allocates nothing for a veth whose peer is the one
 * it already names.
 */
export function resolveVethPeers(state: KernelState, opts: ResolveOptions): void {
  // by ifindex: one end, or (pairs numbered alike in several namespaces) a list of them
  const byIndex = new Map<number, VethEnd | VethEnd[]>();
  for (const ns in state.namespaces) {
    const links = state.namespaces[ns]!.links;
    for (const name in links) {
      const l = links[name]!;
      if (l.kind !== 'veth' || l.ifindex === undefined) continue;
      const end: VethEnd = {
        ns,
        name: l.name,
        peerIfindex: l.peerIfindex,
        elsewhere: !!l.peerElsewhere,
        peerNamespace: l.peerNamespace,
      };
      const seen = byIndex.get(l.ifindex);
      if (seen === undefined) byIndex.set(l.ifindex, end);
      else if (Array.isArray(seen)) seen.push(end);
      else byIndex.set(l.ifindex, [seen, end]);
    }
  }
  for (const ns in state.namespaces) {
    if (opts.only && !opts.only.has(ns)) continue;
    const links = state.namespaces[ns]!.links;
    for (const name in links) {
      const l = links[name]!;
      if (l.kind !== 'veth' || l.ifindex === undefined || l.peerIfindex === undefined) continue;
      const candidates = byIndex.get(l.peerIfindex);
      let only: VethEnd | undefined;
      let matches = 0;
      for (const m of candidates === undefined ? [] : Array.isArray(candidates) ? candidates : [candidates]) {
        if (
          m.peerIfindex === l.ifindex &&
          (l.peerElsewhere ? m.ns !== ns : m.ns === ns) &&
          (l.peerNamespace === undefined || m.ns === l.peerNamespace) &&
          (m.peerNamespace === undefined || m.peerNamespace === ns) &&
          !(m.ns === ns && m.name === l.name)
        ) {
          matches++;
          only = m;
        }
      }
      const [peerNs, peerName] =
        matches === 1 ? [only!.ns, only!.name] : opts.complete && matches === 0 ? [FOREIGN_PEER, ''] : ['', ''];
      if (l.veth?.peerNs !== peerNs || l.veth.peerName !== peerName) l.veth = { peerNs, peerName };
    }
  }
}
