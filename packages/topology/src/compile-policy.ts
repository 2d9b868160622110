// Kubernetes NetworkPolicies (`policies:`) compiled the way Calico's iptables mode does (felix's
// rule renderer): on the node that owns each selected pod's interface, a chain per interface —
// `cali-tw-IFACE` ("to workload": the pod's ingress) and `cali-fw-IFACE` ("from workload": its
// egress) — reached from `cali-FORWARD` (and `cali-INPUT`, traffic to the node itself) through
// `cali-to-wl-dispatch` / `cali-from-wl-dispatch`. Each chain lets replies through (conntrack
// RELATED,ESTABLISHED), drops INVALID, has one rule per allowed (peer, port) of each policy that
// selects the pod (a comment names the policy and its rule), and ends with a DROP: default deny.
//
// Differences from Calico, and why: Calico marks an allowed packet (0x10000) and ACCEPTs it at the
// end of cali-FORWARD; here a new connection a policy allows RETURNs, goes on to the other pod's check and then
// through the rest of the chain (the node's own `firewall:` rules and forwardPolicy still apply),
// with no marks, so every verdict is one named rule (the why walk reads it without a mark model).
// Peers are the pods' addresses (Calico uses ipsets).
//
// Both families: the same chains are written in ip6tables (family 6) on a node whose pods have IPv6
// addresses, with the IPv6 peers (an ipBlock of the other family, or a pod with no address of this
// one, allows nothing in that family), as Calico does for a dual-stack pod.
//
// Pods on one bridge: their traffic is bridged, not routed, and reaches iptables' FORWARD only through
// br_netfilter (bridge-nf-call-iptables, 1 in every namespace here: shared research,
// kernel-and-sandbox-facts §"More lab objects"); it is told apart with the physdev match: the
// bridge port it came in by (`--physdev-in`) and leaves by (`--physdev-out … --physdev-is-bridged`).
import { ruleBody, saveString } from './firewall-rule.js';
import {
  type Lab,
  type NetworkPolicySpec,
  type PodSelectorSpec,
  type PolicyPeerSpec,
  type PolicyPortSpec,
  isBridge,
} from './model.js';
import { deviceName, implicitHostNamespace, namespaceName } from './naming.js';
import { cidrNetwork } from './addr.js';
import { cidr6Network, looksIPv6, parseCidr6 } from './addr6.js';
import type { IpFamily } from './compile-service.js';

/** Where a pod's interface meets its node: a bridge port, or the node's end of a veth. */
export interface PodAttachment {
  pod: string;
  /** The namespace holding the node's side (a bridge's host, or the host/router node). */
  ns: string;
  /** The node owning that namespace (a bridge's host; "" for the lab's implicit bridge host). */
  hostNode: string;
  /** The interface on the node's side: a bridge port, or the node's veth end. */
  iface: string;
  /** The bridge device the port belongs to (bridged attachments). */
  bridge?: string;
  /** The pod's addresses on this link, without prefix length. */
  ips: string[];
}

export const toWorkloadChain = (iface: string) => `cali-tw-${iface}`;
export const fromWorkloadChain = (iface: string) => `cali-fw-${iface}`;

/** The pods (netns nodes) a selector picks, sorted. `{}` picks them all. */
export function selectPods(lab: Lab, sel: PodSelectorSpec | undefined): string[] {
  const labels = Object.entries(sel?.matchLabels ?? {});
  return Object.entries(lab.nodes)
    .filter(([name, n]) => {
      if (n.kind !== 'netns') return false;
      if (sel?.nodes && !sel.nodes.includes(name)) return false;
      return labels.every(([k, v]) => n.labels?.[k] === v);
    })
    .map(([name]) => name)
    .sort();
}

/** Every attachment of the lab's pods to a bridge, host or router. */
export function podAttachments(lab: Lab, prefix: string): PodAttachment[] {
  const out: PodAttachment[] = [];
  for (const link of lab.links) {
    for (const [podEnd, nodeEnd] of [
      [link.a, link.b],
      [link.b, link.a],
    ] as const) {
      if (lab.nodes[podEnd.node]?.kind !== 'netns') continue;
      const node = lab.nodes[nodeEnd.node];
      if (!node || node.kind === 'netns') continue;
      const ips = (podEnd.addresses ?? []).map((a) => a.split('/')[0]!);
      if (isBridge(node)) {
        const ns = node.host ? namespaceName(prefix, lab.name, node.host) : implicitHostNamespace(prefix, lab.name);
        out.push({
          pod: podEnd.node,
          ns,
          hostNode: node.host ?? '',
          iface: nodeEnd.interface,
          bridge: deviceName(nodeEnd.node),
          ips,
        });
      } else {
        out.push({
          pod: podEnd.node,
          ns: namespaceName(prefix, lab.name, nodeEnd.node),
          hostNode: nodeEnd.node,
          iface: nodeEnd.interface,
          ips,
        });
      }
    }
  }
  return out;
}

const policyTypes = (p: NetworkPolicySpec) =>
  p.policyTypes ?? (p.egress !== undefined ? ['Ingress', 'Egress'] : ['Ingress']);

/** The policies that isolate `pod` in one direction, in lab order. */
export function policiesFor(lab: Lab, pod: string, dir: 'Ingress' | 'Egress'): NetworkPolicySpec[] {
  return (lab.policies ?? []).filter(
    (p) => policyTypes(p).includes(dir) && selectPods(lab, p.podSelector).includes(pod),
  );
}

const familyOf = (address: string): IpFamily => (looksIPv6(address) ? 6 : 4);
/** A host address as iptables prints it: /32, or /128 in canonical IPv6 text. */
export const hostCidr = (ip: string): string => {
  const c = looksIPv6(ip) ? parseCidr6(`${ip}/128`) : undefined;
  return c ? cidr6Network(c) : `${ip}/32`;
};

/** A peer's addresses of `family` as iptables CIDRs; undefined: any address. */
function peerCidrs(lab: Lab, peers: PolicyPeerSpec[] | undefined, family: IpFamily): (string | undefined)[] {
  if (!peers || peers.length === 0) return [undefined];
  const out: string[] = [];
  for (const peer of peers) {
    const cidr = peer.ipBlock?.cidr;
    if (cidr && familyOf(cidr) === family) {
      const c6 = family === 6 ? parseCidr6(cidr) : undefined;
      out.push(c6 ? cidr6Network(c6) : (cidrNetwork(cidr) ?? cidr));
    }
    if (peer.podSelector) {
      const pods = new Set(selectPods(lab, peer.podSelector));
      for (const ip of podAddresses(lab, pods)) if (familyOf(ip) === family) out.push(hostCidr(ip));
    }
  }
  return [...new Set(out)];
}

/** The addresses of `pods` on any of their links (a pod linked to another pod directly counts too). */
function podAddresses(lab: Lab, pods: Set<string>): string[] {
  const ips: string[] = [];
  for (const link of lab.links)
    for (const end of [link.a, link.b])
      if (pods.has(end.node)) ips.push(...(end.addresses ?? []).map((a) => a.split('/')[0]!));
  return [...new Set(ips)].sort();
}

function portMatches(ports: PolicyPortSpec[] | undefined): { protocol?: 'tcp' | 'udp'; dport?: string }[] {
  if (!ports || ports.length === 0) return [{}];
  return ports.map((p) => {
    const protocol = (p.protocol ?? 'TCP') === 'UDP' ? 'udp' : 'tcp';
    if (p.port === undefined) return { protocol };
    return { protocol, dport: p.endPort !== undefined ? `${p.port}-${p.endPort}` : String(p.port) };
  });
}

/** The rules of one pod chain (ingress: peers are sources; egress: destinations). */
function podChainRules(lab: Lab, pod: string, dir: 'Ingress' | 'Egress', chain: string, family: IpFamily): string[] {
  const lines = [
    `-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A ${chain} -m conntrack --ctstate INVALID -j DROP`,
  ];
  // IPv6 needs neighbour discovery to reach a pod at all (router and neighbour solicitations and
  // advertisements, ICMPv6 133–136; conntrack does not track them): Felix lets them through too.
  if (family === 6)
    for (const type of [133, 134, 135, 136])
      lines.push(`-A ${chain} -p ipv6-icmp -m icmp6 --icmpv6-type ${type} -j ACCEPT`);
  for (const p of policiesFor(lab, pod, dir)) {
    const rules = dir === 'Ingress' ? (p.ingress ?? []) : (p.egress ?? []);
    rules.forEach((r, i) => {
      const peers = 'from' in r ? r.from : 'to' in r ? r.to : undefined;
      const comment = `policy ${p.name} ${dir === 'Ingress' ? 'ingress' : 'egress'}[${i}]`;
      for (const cidr of peerCidrs(lab, peers, family))
        for (const port of portMatches(r.ports)) {
          const body = ruleBody(
            {
              chain,
              action: 'RETURN',
              ...(cidr ? (dir === 'Ingress' ? { source: cidr } : { destination: cidr }) : {}),
              ...(port.protocol ? { protocol: port.protocol } : {}),
              ...(port.dport ? { dport: port.dport } : {}),
              comment,
            },
            family,
          );
          lines.push(`-A ${chain} ${body}`);
        }
    });
  }
  lines.push(
    `-A ${chain} -m comment --comment ${saveString(`default deny: no ${dir.toLowerCase()} policy allowed it`)} -j DROP`,
  );
  return lines;
}

/**
 * The policy chains (filter table lines) of every namespace that owns a selected pod's interface;
 * `family` 6: the ip6tables ones, for the attachments with an IPv6 address.
 */
export function policyTablesFor(lab: Lab, prefix: string, family: IpFamily = 4): Record<string, string[]> {
  if (!lab.policies?.length) return {};
  const all = podAttachments(lab, prefix).filter((a) => family === 4 || a.ips.some((ip) => familyOf(ip) === 6));
  const byNs = new Map<string, { from: string[]; to: string[]; chains: string[] }>();
  for (const a of all) {
    const ingress = policiesFor(lab, a.pod, 'Ingress').length > 0;
    const egress = policiesFor(lab, a.pod, 'Egress').length > 0;
    if (!ingress && !egress) continue;
    const ns = byNs.get(a.ns) ?? { from: [], to: [], chains: [] };
    byNs.set(a.ns, ns);
    if (egress) {
      const chain = fromWorkloadChain(a.iface);
      const match = a.bridge ? `-m physdev --physdev-in ${a.iface}` : `-i ${a.iface}`;
      ns.from.push(`-A cali-from-wl-dispatch ${match} -j ${chain}`);
      ns.chains.push(`:${chain} -`, ...podChainRules(lab, a.pod, 'Egress', chain, family));
    }
    if (ingress) {
      const chain = toWorkloadChain(a.iface);
      if (a.bridge) {
        ns.to.push(
          `-A cali-to-wl-dispatch -o ${a.bridge} -m physdev --physdev-out ${a.iface} --physdev-is-bridged -j ${chain}`,
        );
        // Routed to the pod through the bridge device: the port is not known yet in FORWARD.
        for (const ip of a.ips.filter((i) => familyOf(i) === family))
          ns.to.push(
            `-A cali-to-wl-dispatch -d ${hostCidr(ip)} -o ${a.bridge} -m physdev ! --physdev-is-bridged -j ${chain}`,
          );
      } else {
        ns.to.push(`-A cali-to-wl-dispatch -o ${a.iface} -j ${chain}`);
      }
      ns.chains.push(`:${chain} -`, ...podChainRules(lab, a.pod, 'Ingress', chain, family));
    }
  }
  const out: Record<string, string[]> = {};
  for (const [ns, parts] of byNs) {
    out[ns] = [
      ':cali-FORWARD -',
      ':cali-INPUT -',
      ':cali-from-wl-dispatch -',
      ':cali-to-wl-dispatch -',
      '-A INPUT -j cali-INPUT',
      '-A FORWARD -j cali-FORWARD',
      '-A cali-FORWARD -j cali-from-wl-dispatch',
      '-A cali-FORWARD -j cali-to-wl-dispatch',
      '-A cali-INPUT -j cali-from-wl-dispatch',
      ...parts.from,
      ...parts.to,
      ...parts.chains,
    ];
  }
  return out;
}
