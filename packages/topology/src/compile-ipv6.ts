// The IPv6 side of a compiled lab. IPv6 stays as the lab leaves it off: every lab link already has
// address generation off (no link-local address, no DAD or router solicitations), so a lab without
// IPv6 addresses costs nothing (issue 17's speed relies on it). Only namespaces the lab gives an IPv6
// address get IPv6 settings: forwarding like IPv4's. Addresses are added with `nodad` (see plan.ts):
// duplicate address detection would hold each one "tentative" for a second or more, and the first
// pings would fail at random.

import { looksIPv6 } from './addr6.js';
import { iptablesByNamespace } from './compile-firewall.js';
import { serviceChains } from './compile-service.js';
import type { Lab } from './model.js';
import { IMPLICIT_HOST, implicitHostNamespace } from './naming.js';
import type { DesiredState, NamespaceState } from './state.js';

export const IPV6_FORWARD_KEY = 'net.ipv6.conf.all.forwarding';

export function hasIPv6Address(ns: NamespaceState): boolean {
  return Object.values(ns.links).some((l) => l.addresses.some(looksIPv6));
}

/** Whether any link of `state` has an IPv6 address (plain loops: every apply asks, over every link). */
function anyIPv6Address(state: DesiredState): boolean {
  for (const ns in state.namespaces) {
    const links = state.namespaces[ns]!.links;
    for (const name in links) for (const a of links[name]!.addresses) if (looksIPv6(a)) return true;
  }
  return false;
}

export function compileIPv6(state: DesiredState, forwardKey: string): void {
  // A lab with no IPv6 address anywhere (the usual case) has nothing to do here: one pass to know.
  if (!anyIPv6Address(state)) return;
  for (const ns of Object.values(state.namespaces)) {
    const v6 = hasIPv6Address(ns);
    for (const link of Object.values(ns.links)) {
      // The kernel deletes a link's IPv6 addresses when it goes down (keep_addr_on_down is 0), as it
      // deletes routes out of it: a link the lab sets down has none, and gets them back when up.
      if (!link.up) link.addresses = link.addresses.filter((a) => !looksIPv6(a));
    }
    const forward = ns.sysctls[forwardKey];
    if (v6 && forward !== undefined) ns.sysctls[IPV6_FORWARD_KEY] = forward;
  }
}

/**
 * ip6tables: kube-proxy's chains for IPv6 ClusterIPs, masquerades of IPv6 networks, forwards to
 * "[ADDR]:PORT", NetworkPolicy chains for pods with IPv6 addresses and IPv6 `firewall:` rules
 * (compile-firewall.ts with family 6). A namespace with none of these has no `ip6tables`: left alone.
 */
export function compileIp6tables(state: DesiredState, lab: Lab, prefix: string): void {
  const services = serviceChains(lab, 6);
  const implicitNs = implicitHostNamespace(prefix, lab.name);
  const nodeNamespace = (n: string) => state.names.nodeNamespace[n]!;
  for (const [ns, tables] of Object.entries(iptablesByNamespace(lab, prefix, nodeNamespace, services, 6))) {
    const target = state.namespaces[ns];
    if (!target) continue;
    target.ip6tables = tables;
    // A proxy node routes connections on to the chosen pod: IPv6 forwarding, as IPv4's for its Services.
    const proxy = ns === implicitNs ? services.has(IMPLICIT_HOST) : services.has(target.node);
    if (proxy) target.sysctls[IPV6_FORWARD_KEY] = '1';
  }
}
