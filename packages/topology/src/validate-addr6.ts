// IPv6 addresses of a lab: parsed, checked and recorded per namespace beside the IPv4 ones
// (validate-context's addAddress hands every text with a colon here). Problem codes are those of
// IPv4 (addr.invalid, addr.duplicate, addr.subnet-overlap) so the editor and docs treat both alike.

import { cidr6Network, formatIPv6, isLinkLocal6, isMulticast6, parseCidr6, subnets6Overlap } from './addr6.js';
import type { Cidr6 } from './addr6.js';

/** Two interfaces of one namespace in one subnet (shared with IPv4: validate-subnets re-exports it). */
export const SUBNET_OVERLAP = 'addr.subnet-overlap';

// The shapes of validate-context this file reads, spelled out here: it imports this file.
interface Place {
  path: string;
  label: string;
}
export interface NsAddress6 {
  iface: string;
  cidr: string;
  parsed: Cidr6;
  place: Place;
}
interface Namespace6 {
  node: string | undefined;
  label: string;
  addresses6: NsAddress6[];
}
interface Reporter {
  add(path: string, code: string, message: string): void;
  warn(path: string, code: string, message: string): void;
}

/** Per namespace: address (canonical text) → where it was first declared. */
export type AddressSeen6 = Map<string, { place: Place; iface: string }>;

export function addAddress6(
  ctx: Reporter,
  ns: Namespace6 | undefined,
  seen: AddressSeen6 | undefined,
  iface: string,
  cidr: string,
  place: Place,
): void {
  const parsed = parseCidr6(cidr);
  if (!parsed) {
    ctx.add(
      place.path,
      'addr.invalid',
      `${cidr} is not an IPv6 address in CIDR form (e.g. 2001:db8:1::10/64; the prefix length, 0 to 128, is required)`,
    );
    return;
  }
  const why = unusable(parsed.addr);
  if (why) {
    ctx.add(place.path, 'addr.invalid', `${cidr} cannot be an interface's address: ${why}`);
    return;
  }
  if (!ns || !seen) return;
  const key = formatIPv6(parsed.addr);
  const prev = seen.get(key);
  // A link-local address means something on its own link only: the same fe80::1 on each interface
  // is usual (a router's gateway address on every port). Anything else repeated is a mistake.
  const perLink = isLinkLocal6(parsed.addr) && prev !== undefined && prev.iface !== iface;
  if (prev && !perLink) {
    ctx.add(
      place.path,
      'addr.duplicate',
      `${key} is already used in ${ns.label} by ${prev.place.label} (${prev.place.path}); an address may appear only once per namespace (except a link-local fe80:: address on different interfaces)`,
    );
    return;
  }
  if (!prev) seen.set(key, { place, iface });
  ns.addresses6.push({ iface, cidr, parsed, place });
}

function unusable(addr: bigint): string | undefined {
  if (addr === 0n) return ':: is the unspecified address';
  if (addr === 1n) return '::1 is the loopback address every namespace already has on lo';
  if (isMulticast6(addr)) return 'ff00::/8 is multicast';
  return undefined;
}

export const NO_LINK_LOCAL = 'addr.no-link-local';

/**
 * A forwarding node's interface with IPv6 addresses but no link-local one. Lab links have address
 * generation off, so nothing makes one; yet the kernel solicits neighbours for packets it forwards
 * from the interface's link-local address only, and without one it never finds the next host (its
 * own pings still work: they solicit from their source). A warning, like a missing route.
 */
export function checkLinkLocal6(ctx: Reporter, ns: Namespace6, forwarding: boolean): void {
  if (!forwarding) return;
  const byIface = new Map<string, NsAddress6[]>();
  for (const a of ns.addresses6) byIface.set(a.iface, [...(byIface.get(a.iface) ?? []), a]);
  for (const [iface, addrs] of byIface) {
    if (addrs.some((a) => isLinkLocal6(a.parsed.addr))) continue;
    const first = addrs[0]!;
    ctx.warn(
      first.place.path,
      NO_LINK_LOCAL,
      `${ns.node ?? ns.label} forwards IPv6 but ${iface} has no link-local address (e.g. fe80::1/64): the kernel asks for the next host of a forwarded packet from it, so forwarded traffic out of ${iface} is lost`,
    );
  }
}

/** The IPv6 twin of validate-subnets: two interfaces of one namespace in one global subnet. */
export function checkSubnets6(ctx: Reporter, ns: Namespace6): void {
  const reported = new Set<string>();
  const addrs = ns.addresses6.filter((a) => !isLinkLocal6(a.parsed.addr) && a.parsed.len < 128);
  for (let j = 1; j < addrs.length; j++) {
    const b = addrs[j]!;
    for (let i = 0; i < j; i++) {
      const a = addrs[i]!;
      if (a.iface === b.iface || !subnets6Overlap(a.parsed, b.parsed)) continue;
      const pair = [a.iface, b.iface].sort().join('\u0000');
      if (reported.has(pair)) continue;
      reported.add(pair);
      ctx.warn(b.place.path, SUBNET_OVERLAP, message(ns, a, b));
    }
  }
}

function message(ns: Namespace6, a: NsAddress6, b: NsAddress6): string {
  const where = ns.node === undefined ? ns.label : ns.node;
  const netA = cidr6Network(a.parsed);
  const netB = cidr6Network(b.parsed);
  const what = netA === netB ? `in one subnet (${netA})` : `in overlapping subnets (${netA} and ${netB})`;
  return `${where} has ${a.iface} ${a.cidr} and ${b.iface} ${b.cidr} ${what}: the kernel sends that subnet's traffic out of one of them only, so hosts behind the other are unreachable; give each interface its own subnet`;
}
