// The IPv6 parts of route checks: destinations, and gateways — global ones must lie on a subnet of
// the node (as in IPv4), link-local ones (fe80::/10) exist on every link at once, so the route must
// name the interface (`dev`) to say which link; the kernel refuses `via fe80::1` alone.

import {
  cidr6Contains,
  cidr6Network,
  isLinkLocal6,
  isMulticast6,
  isNetworkCidr6,
  looksIPv6,
  parseCidr6,
  parseIPv6,
  type Cidr6,
} from './addr6.js';
import type { Ctx, Namespace } from './validate-context.js';
import { listAddresses } from './validate-context.js';

/** A parsed IPv6 route/NAT destination; `key` is its canonical network ("::/0" for default). */
export interface Network6 extends Cidr6 {
  family: 6;
  key: string;
}

export function parseNetwork6(
  ctx: Ctx,
  path: string,
  to: string,
  invalidCode: string,
  hostBitsCode: string,
): Network6 | undefined {
  const c = parseCidr6(to);
  if (!c) {
    ctx.add(path, invalidCode, `${to} is not an IPv6 network in CIDR form (e.g. 2001:db8:2::/64, or ::/0)`);
    return undefined;
  }
  if (!isNetworkCidr6(c)) {
    ctx.add(path, hostBitsCode, `${to} has host bits set; did you mean ${cidr6Network(c)}?`);
    return undefined;
  }
  return { ...c, family: 6, key: cidr6Network(c) };
}

/** A gateway of the other family than the destination ("10.0.0.0/8 via 2001:db8::1"); the kernel refuses it. */
export function routeFamilyProblem(to: unknown, via: unknown): string | undefined {
  if (typeof to !== 'string' || typeof via !== 'string' || to === 'default') return undefined;
  if (looksIPv6(to) === looksIPv6(via)) return undefined;
  return `${to} is ${looksIPv6(to) ? 'IPv6' : 'IPv4'} but gateway ${via} is ${looksIPv6(via) ? 'IPv6' : 'IPv4'}; a route's gateway is of its destination's family`;
}

export function checkGateway6(
  ctx: Ctx,
  name: string,
  ns: Namespace,
  path: string,
  via: string,
  dev: unknown,
  onLink6: Cidr6[],
): void {
  const ip = parseIPv6(via);
  if (ip === undefined || ip === 0n || isMulticast6(ip)) {
    ctx.add(`${path}.via`, 'addr.invalid', `${via} is not a unicast IPv6 address`);
    return;
  }
  if (dev !== undefined && (typeof dev !== 'string' || !(dev === 'lo' || ns.ifaces.has(dev)))) {
    const names = [...ns.ifaces.keys()];
    ctx.add(
      `${path}.dev`,
      'ref.unknown',
      `${typeof dev === 'string' ? dev : JSON.stringify(dev)} is not an interface of ${name} (${names.length ? `its interfaces: ${names.join(', ')}` : 'it has no interfaces yet'})`,
    );
    return;
  }
  if (isLinkLocal6(ip)) {
    if (dev === undefined)
      ctx.add(
        `${path}.dev`,
        'route.link-local-dev',
        `gateway ${via} is link-local (fe80::/10): every link has such addresses, so name the interface it is reached by, e.g. { to: …, via: ${via}, dev: eth0 }`,
      );
    return;
  }
  const connected =
    ns.addresses6.some((a) => (dev === undefined || a.iface === dev) && cidr6Contains(a.parsed, ip)) ||
    onLink6.some((c) => cidr6Contains(c, ip));
  if (!connected) {
    const addrs = ns.addresses6.length ? listAddresses(ns.addresses6) : 'it has no IPv6 addresses';
    ctx.add(
      `${path}.via`,
      'route.unreachable',
      `gateway ${via} is not on any IPv6 subnet connected to ${name}${dev === undefined ? '' : ` by ${String(dev)}`} (${addrs})`,
    );
  }
}
