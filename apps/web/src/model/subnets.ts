// Address proposals of the editor: which subnet a bridge's segment uses, which subnets the lab
// already uses, and the next free subnet or address. Each bridge gets a subnet of its own, so a
// router drawn between two bridges never ends up with one subnet on both sides (issue 13: every
// fresh bridge used to start at 192.168.100.0/24).
import { isBridge, parseCidr, subnetsOverlap, type Cidr, type Lab } from '@patchbay/topology';

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}
function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** Every IPv4 address written in the lab (links, bridges, layer 3 VTEPs, macvlans), without prefix length. */
export function usedAddresses(lab: Lab): Set<string> {
  return new Set(addressesOf(lab).map((cidr) => cidr.split('/')[0]!));
}

function addressesOf(lab: Lab): string[] {
  const out: string[] = [];
  for (const l of lab.links) for (const e of [l.a, l.b]) out.push(...(e.addresses ?? []));
  for (const spec of Object.values(lab.nodes)) if (isBridge(spec)) out.push(...(spec.addresses ?? []));
  for (const o of lab.overlays ?? []) for (const m of o.members) if ('addresses' in m) out.push(...(m.addresses ?? []));
  for (const m of lab.macvlans ?? []) out.push(...(m.addresses ?? []));
  return out;
}

/**
 * The subnets the lab already uses: those of its addresses, its routes' destinations (not
 * `default`) and its NAT sources. A proposed subnet overlaps none of them.
 */
export function usedNetworks(lab: Lab): Cidr[] {
  const texts = [...addressesOf(lab)];
  for (const spec of Object.values(lab.nodes)) {
    if (isBridge(spec)) continue;
    for (const r of spec.routes ?? []) if (r.to !== 'default') texts.push(r.to);
    for (const n of spec.nat ?? []) texts.push(n.masquerade);
  }
  return texts.map((t) => parseCidr(t)).filter((c): c is Cidr => c !== undefined);
}

/** The next free host address in `cidr`'s subnet (e.g. 192.168.100.1/24 → 192.168.100.2/24), or undefined. */
export function nextAddressIn(cidr: string, used: Set<string>): string | undefined {
  const [ip, lenText] = cidr.split('/');
  const len = Number(lenText);
  if (!ip || !/^\d+\.\d+\.\d+\.\d+$/.test(ip) || !(len >= 8 && len <= 30)) return undefined;
  const size = 2 ** (32 - len);
  const network = ipToInt(ip) - (ipToInt(ip) % size);
  for (let h = 1; h < size - 1; h++) {
    const candidate = intToIp(network + h);
    if (!used.has(candidate)) return `${candidate}/${len}`;
  }
  return undefined;
}

/** Where proposals start: links between two nodes in 10.0.0.0/16, bridge segments from 192.168.100.0/24. */
export type SubnetPool = 'link' | 'bridge';

function* candidates(pool: SubnetPool): Generator<string> {
  if (pool === 'bridge') for (let x = 100; x < 256; x++) yield `192.168.${x}.0/24`;
  for (let x = 0; x < 256; x++) yield `10.0.${x}.0/24`;
  for (let y = 1; y < 256; y++) for (let x = 0; x < 256; x++) yield `10.${y}.${x}.0/24`;
}

/** The first /24 of the pool that overlaps no subnet, address, route or NAT source of the lab. */
export function freeSubnet(lab: Lab, pool: SubnetPool = 'link'): string {
  const used = usedNetworks(lab);
  for (const c of candidates(pool)) {
    const net = parseCidr(c)!;
    if (!used.some((u) => subnetsOverlap(u, net))) return c;
  }
  return '10.255.255.0/24';
}

/**
 * The bridges of one layer 2 segment: `bridge`, the bridges cabled to it, and the bridges of the
 * layer 2 overlays they are in (and so on). Nodes on any of them share one subnet.
 */
export function segmentBridges(lab: Lab, bridge: string): string[] {
  const isBridgeNode = (n: string) => {
    const s = lab.nodes[n];
    return s !== undefined && isBridge(s);
  };
  const seen = new Set([bridge]);
  const todo = [bridge];
  while (todo.length) {
    const b = todo.pop()!;
    const next: string[] = [];
    for (const l of lab.links) {
      if (l.a.node === b && isBridgeNode(l.b.node)) next.push(l.b.node);
      if (l.b.node === b && isBridgeNode(l.a.node)) next.push(l.a.node);
    }
    for (const o of lab.overlays ?? [])
      if (o.members.some((m) => 'bridge' in m && m.bridge === b))
        for (const m of o.members) if ('bridge' in m) next.push(m.bridge);
    for (const n of next) {
      if (seen.has(n) || !isBridgeNode(n)) continue;
      seen.add(n);
      todo.push(n);
    }
  }
  return [...seen];
}

/** An address that says which subnet a bridge's segment uses: a bridge's own, or one of a node on it. */
export function bridgeSubnet(lab: Lab, bridge: string): string | undefined {
  const segment = segmentBridges(lab, bridge);
  for (const b of segment) {
    const spec = lab.nodes[b];
    if (spec && isBridge(spec) && spec.addresses?.[0]) return spec.addresses[0];
  }
  const onSegment = new Set(segment);
  for (const l of lab.links) {
    const [, other] = onSegment.has(l.a.node) ? [l.a, l.b] : onSegment.has(l.b.node) ? [l.b, l.a] : [];
    if (other?.addresses?.[0]) return other.addresses[0];
  }
  return undefined;
}
