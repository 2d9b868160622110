// The IPv6 side of a compiled lab. IPv6 stays as the lab leaves it off: every lab link already has
// address generation off (no link-local address, no DAD or router solicitations), so a lab without
// IPv6 addresses costs nothing (issue 17's speed relies on it). Only namespaces the lab gives an IPv6
// address get IPv6 settings: forwarding like IPv4's. Addresses are added with `nodad` (see plan.ts):
// duplicate address detection would hold each one "tentative" for a second or more, and the first
// pings would fail at random.

import { looksIPv6 } from './addr6.js';
import type { DesiredState, NamespaceState } from './state.js';

export const IPV6_FORWARD_KEY = 'net.ipv6.conf.all.forwarding';

export function hasIPv6Address(ns: NamespaceState): boolean {
  return Object.values(ns.links).some((l) => l.addresses.some(looksIPv6));
}

export function compileIPv6(state: DesiredState, forwardKey: string): void {
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
