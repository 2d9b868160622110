// When the reason is `nat`: the walk names a missing or broken translation, not the node where the
// packet happens to die, in two cases (docs/why.md says the same):
// 1. The reply dies with no route back to a private source (RFC 1918 or 100.64.0.0/10), the request
//    was never source-translated, and on its way a node forwarded it out of an interface of a
//    public network (one with no private address): that node should have masqueraded. Blocked:
//    reverse, that node and interface.
// 2. The request dies (no route, no neighbour) on its way to an address a DNAT rule chose that no
//    interface of the lab holds: the port forward points nowhere. Blocked: forward, the DNAT's node.
// Anywhere else a missing route is `no-route` (a lab of private addresses routed without NAT).
import { cidrContains, cidrNetwork, type WhyHop } from '@patchbay/topology';
import type { LabFacts } from './facts.js';
import type { Blocked, Packet, Translation } from './walk-types.js';

const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'];
export const isPrivate = (addr: string) => PRIVATE.some((c) => cidrContains(c, addr));

/** Case 1: the node that carried a private source into a public network untranslated. */
export function missingMasquerade(
  facts: LabFacts,
  forward: WhyHop[],
  translations: Translation[],
  request: Packet,
  blocked: Blocked,
): Blocked | undefined {
  if (blocked.reason !== 'no-route' || !isPrivate(request.src)) return undefined;
  if (translations.some((t) => t.kind === 'snat')) return undefined;
  for (const hop of forward) {
    if (hop.action !== 'route' || !hop.out || !hop.in) continue;
    const ns = facts.nsOfNode(hop.node);
    if (!ns) continue;
    const outAddrs = facts.link(ns, hop.out)?.addresses ?? [];
    if (outAddrs.length === 0 || outAddrs.some((a) => isPrivate(a.split('/')[0]!))) continue;
    const inside = facts.link(ns, hop.in)?.addresses.find((a) => cidrContains(a, request.src));
    const subnet = inside ? (cidrNetwork(inside) ?? inside) : `${request.src}/32`;
    return {
      node: hop.node,
      interface: hop.out,
      side: 'out',
      reason: 'nat',
      detail: `the reply cannot come back: ${blocked.node} has no route to ${request.src}, a private address. ${hop.node} forwarded the request from ${request.src} out of ${hop.out} (${outAddrs.join(', ')}, a public network) without translating its source — it should have masqueraded it, so that the reply comes back to ${outAddrs[0]!.split('/')[0]} and conntrack sends it on to ${request.src}`,
      fix: `masquerade on ${hop.node}: nat: [{ masquerade: ${subnet}, out: ${hop.out} }] in the lab file (ip netns exec ${ns} iptables -t nat -A POSTROUTING -s ${subnet} -o ${hop.out} -j MASQUERADE)`,
      commands: [`ip netns exec ${ns} iptables -t nat -S POSTROUTING`],
    };
  }
  return undefined;
}

/** Case 2: a DNAT to an address no interface of the lab holds. */
export function danglingDnat(facts: LabFacts, translations: Translation[], blocked: Blocked): Blocked | undefined {
  if (blocked.reason !== 'no-route' && blocked.reason !== 'no-neighbour') return undefined;
  const t = translations.find((x) => x.kind === 'dnat' && facts.ownersOf(x.after.dst).length === 0);
  if (!t) return undefined;
  const node = facts.nodeOfNs(t.ns);
  return {
    node,
    reason: 'nat',
    detail: `${node}'s destination NAT sends the packet to ${t.after.dst}${t.rule ? ` (\`${t.rule}\`)` : ''}, but no interface of the lab holds ${t.after.dst}: ${blocked.detail}`,
    fix: `point the port forward at an address that exists (portForwards: [{ …, to: "ADDRESS:PORT" }] on ${node} in the lab file; ip netns exec ${t.ns} iptables -t nat -S PREROUTING)`,
    commands: [`ip netns exec ${t.ns} iptables -t nat -S PREROUTING`],
  };
}
