// A Why? answer drawn on the canvas: which nodes the request and the reply pass, in order, which
// edges join consecutive hops, and where the packet dies. Pure (lab + answer → ids), so the canvas
// only looks its node or edge up and the mapping is unit-tested.
import { isBridge, type Lab, type WhyBlocked, type WhyHop, type WhyResult } from '@patchbay/topology';
import { linkId } from '../model/lab-edit';

/** How an edge is drawn: on the request's path, on the reply's only (where it differs), or where the packet died. */
export type WhyEdgeRole = 'forward' | 'reply' | 'dead';

export interface WhyNodeMark {
  /** The request's visits of this node, numbered from 1 (consecutive hops at one node are one visit). */
  forward: number[];
  /** The reply's visits, numbered from 1 on the reply's own path. */
  reply: number[];
  /** The packet dies here. */
  dead?: WhyBlocked;
}

export interface WhyHighlight {
  /** By lab node name; nodes of neither path are absent. */
  nodes: Record<string, WhyNodeMark>;
  /** By React Flow edge id (a link's id, `hosted:BRIDGE`, `overlay:NAME:I`). */
  edges: Record<string, WhyEdgeRole>;
}

interface Visit {
  node: string;
  /** The interface the packet came in on at its first hop there. */
  in?: string;
  /** The interface it left by at its last hop there. */
  out?: string;
}

/** The hops as visits of lab nodes: consecutive hops at one node merge (a NAT step, then the route). */
export function visitsOf(lab: Lab, hops: WhyHop[]): Visit[] {
  const out: Visit[] = [];
  for (const h of hops) {
    if (!Object.hasOwn(lab.nodes, h.node)) continue;
    const last = out[out.length - 1];
    if (last && last.node === h.node) {
      if (h.out) last.out = h.out;
      continue;
    }
    out.push({ node: h.node, ...(h.in ? { in: h.in } : {}), ...(h.out ? { out: h.out } : {}) });
  }
  return out;
}

/** The overlay members' node names (a bridge member, or a host's VTEP). */
const membersOf = (o: NonNullable<Lab['overlays']>[number]): string[] =>
  o.members.map((m) => ('bridge' in m ? m.bridge : m.host));

/**
 * The edge drawn between two consecutive visits, where one joins them: the veth between them (the one
 * whose ends are the interfaces the packet used, when there are several), a bridge's tie to its host,
 * or the overlay drawn between the two members.
 */
export function edgeBetween(lab: Lab, from: Visit, to: Visit): string | undefined {
  const links = lab.links.filter(
    (l) => (l.a.node === from.node && l.b.node === to.node) || (l.a.node === to.node && l.b.node === from.node),
  );
  const used = links.find((l) => {
    const [mine, theirs] = l.a.node === from.node ? [l.a, l.b] : [l.b, l.a];
    return mine.interface === from.out || theirs.interface === to.in;
  });
  const link = used ?? links[0];
  if (link) return linkId(link);
  for (const [bridge, host] of [
    [to.node, from.node],
    [from.node, to.node],
  ] as const) {
    const spec = lab.nodes[bridge];
    if (spec && isBridge(spec) && spec.host === host) return `hosted:${bridge}`;
  }
  for (const o of lab.overlays ?? []) {
    const members = membersOf(o).filter((m) => Object.hasOwn(lab.nodes, m));
    // The canvas draws an overlay as a star from its first member (model/graph.ts).
    for (let i = 1; i < members.length; i++)
      if ((members[0] === from.node && members[i] === to.node) || (members[0] === to.node && members[i] === from.node))
        return `overlay:${o.name}:${i}`;
  }
  return undefined;
}

/** The edges along consecutive visits. */
function edgesAlong(lab: Lab, visits: Visit[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < visits.length; i++) {
    const id = edgeBetween(lab, visits[i - 1]!, visits[i]!);
    if (id) out.push(id);
  }
  return out;
}

const LINK_REASONS = new Set<WhyBlocked['reason']>(['link-down', 'bridge-port-down', 'mtu', 'no-neighbour']);

/** The answer as marks on the canvas's nodes and edges. */
export function whyHighlight(lab: Lab, result: WhyResult): WhyHighlight {
  const nodes: Record<string, WhyNodeMark> = {};
  const mark = (node: string) => (nodes[node] ??= { forward: [], reply: [] });
  const forward = visitsOf(lab, result.forward);
  const reply = visitsOf(lab, result.reverse);
  forward.forEach((v, i) => mark(v.node).forward.push(i + 1));
  reply.forEach((v, i) => mark(v.node).reply.push(i + 1));

  const edges: Record<string, WhyEdgeRole> = {};
  for (const id of edgesAlong(lab, reply)) edges[id] = 'reply';
  for (const id of edgesAlong(lab, forward)) edges[id] = 'forward';

  const blocked = result.blocked;
  if (blocked && Object.hasOwn(lab.nodes, blocked.node)) {
    mark(blocked.node).dead = blocked;
    // The link at fault (an end down, its MTU, no neighbour answering on it): red too. A filter
    // or a missing route names an interface too, but the cable is not what failed there.
    const link =
      blocked.interface !== undefined && LINK_REASONS.has(blocked.reason)
        ? lab.links.find((l) => [l.a, l.b].some((e) => e.node === blocked.node && e.interface === blocked.interface))
        : undefined;
    if (link) edges[linkId(link)] = 'dead';
  }
  return { nodes, edges };
}
