// Subnets shared by two interfaces of one namespace. The kernel accepts them, but its connected
// route for the subnet then leaves by one interface only, so half of the neighbours cannot be
// reached (a router with 192.168.100.2/24 on both sides forwards nothing between them). A warning,
// not an error: a lab may be broken this way on purpose (an exercise), and still has to apply.

import { cidrNetwork, prefixMask, type Cidr } from './addr.js';
import type { Ctx, Namespace, NsAddress } from './validate-context.js';

import { SUBNET_OVERLAP, checkLinkLocal6, checkSubnets6 } from './validate-addr6.js';
export { SUBNET_OVERLAP };

/** Whether two subnets share an address: the shorter prefix contains the other's network. */
export function subnetsOverlap(a: Cidr, b: Cidr): boolean {
  const m = prefixMask(Math.min(a.len, b.len));
  return (a.addr & m) >>> 0 === (b.addr & m) >>> 0;
}

export function checkSubnets(ctx: Ctx): void {
  for (const ns of ctx.allNamespaces()) {
    checkNamespace(ctx, ns);
    checkSubnets6(ctx, ns);
    checkLinkLocal6(ctx, ns, forwards(ctx, ns));
  }
}

function checkNamespace(ctx: Ctx, ns: Namespace): void {
  // One warning per pair of interfaces, on the later address (the one most likely just typed).
  const reported = new Set<string>();
  const addrs = ns.addresses;
  for (let j = 1; j < addrs.length; j++) {
    const b = addrs[j]!;
    for (let i = 0; i < j; i++) {
      const a = addrs[i]!;
      if (a.iface === b.iface) continue;
      // A /32 is one address, not a subnet reached through its interface: the same /32 on several
      // interfaces is Calico's gateway (see addr.duplicate), a /32 inside the pod subnet is Flannel's VTEP.
      if (a.parsed.len === 32 || b.parsed.len === 32) continue;
      if (!subnetsOverlap(a.parsed, b.parsed)) continue;
      const pair = [a.iface, b.iface].sort().join('\u0000');
      if (reported.has(pair)) continue;
      reported.add(pair);
      ctx.warn(b.place.path, SUBNET_OVERLAP, message(ns, a, b));
    }
  }
}

function message(ns: Namespace, a: NsAddress, b: NsAddress): string {
  const where = ns.node === undefined ? ns.label : ns.node;
  const netA = cidrNetwork(a.parsed);
  const netB = cidrNetwork(b.parsed);
  const what = netA === netB ? `in one subnet (${netA})` : `in overlapping subnets (${netA} and ${netB})`;
  return `${where} has ${a.iface} ${a.cidr} and ${b.iface} ${b.cidr} ${what}: the kernel sends that subnet's traffic out of one of them only, so hosts behind the other are unreachable; give each interface its own subnet`;
}

/** Whether a namespace forwards: its node's `forwarding`, on by default for hosts and routers. */
function forwards(ctx: Ctx, ns: Namespace): boolean {
  const node = ns.node === undefined ? undefined : ctx.nodeMap.get(ns.node);
  if (!node || node.kind === 'bridge') return false;
  return node.forwarding ?? (node.kind === 'host' || node.kind === 'router');
}
