// Per-node rules of host/netns/router nodes: routes, NAT and port forwards. They run last, once
// every interface and address of every namespace is known, because a gateway is reachable through
// any connected subnet of the node's namespace (for a host: also its bridges and layer 3 VTEPs).

import { cidrContains, cidrNetwork, isNetworkCidr, parseCidr, parseIPv4, type Cidr } from './addr.js';
import type { NetNodeSpec } from './model.js';
import { Ctx, arr, isInt, listAddresses, type Namespace } from './validate-context.js';
import { checkGateway6, parseNetwork6, routeFamilyProblem, type Network6 } from './validate-routes6.js';
import { looksIPv6, parseIPv6 } from './addr6.js';

export function checkNodeRules(ctx: Ctx): void {
  for (const [name, node] of ctx.nodes) {
    if (node.kind === 'bridge') continue;
    const ns = ctx.nsOf(name);
    if (!ns) continue;
    checkRoutes(ctx, name, node, ns);
    checkNat(ctx, name, node, ns);
    checkPortForwards(ctx, name, node);
  }
}

function hasIface(ns: Namespace, name: unknown): boolean {
  // `lo` exists in every namespace without being declared.
  return typeof name === 'string' && (name === 'lo' || ns.ifaces.has(name));
}

function ifaceList(ns: Namespace): string {
  const names = [...ns.ifaces.keys()];
  return names.length ? `its interfaces: ${names.join(', ')}` : 'it has no interfaces yet; add a link to it';
}

/** Parses a route or NAT destination; "default" is 0.0.0.0/0. Reports and returns undefined if invalid. */
function parseNetwork(
  ctx: Ctx,
  path: string,
  to: unknown,
  invalidCode: string,
  hostBitsCode: string,
  allowDefault: boolean,
): Cidr | Network6 | undefined {
  if (allowDefault && to === 'default') return { addr: 0, len: 0 };
  if (looksIPv6(to)) return parseNetwork6(ctx, path, to, invalidCode, hostBitsCode);
  const c = typeof to === 'string' ? parseCidr(to) : undefined;
  if (!c) {
    const form = allowDefault
      ? '"default" or a network in CIDR form (IPv4 a.b.c.d/len or IPv6 like 2001:db8::/64)'
      : 'a network in CIDR form (IPv4 a.b.c.d/len or IPv6 like 2001:db8::/64)';
    ctx.add(path, invalidCode, `${String(to)} is not ${form}`);
    return undefined;
  }
  if (!isNetworkCidr(c)) {
    ctx.add(path, hostBitsCode, `${String(to)} has host bits set; did you mean ${cidrNetwork(c)}?`);
    return undefined;
  }
  return c;
}

function checkRoutes(ctx: Ctx, name: string, node: NetNodeSpec, ns: Namespace): void {
  const routes = arr(node.routes);
  // On-link routes make their destination directly reachable, so a gateway inside one is valid
  // (Calico: `169.254.1.1/32 dev eth0`, then `default via 169.254.1.1`).
  const onLink: Cidr[] = [];
  const onLink6: Network6[] = [];
  const seen = new Map<string, number>();
  const parsed = routes.map((r, i) => {
    const path = `nodes.${name}.routes[${i}]`;
    const hasVia = 'via' in r && r.via !== undefined;
    const hasDev = 'dev' in r && r.dev !== undefined;
    // An IPv6 gateway may name its interface too: a link-local one must (see validate-routes6).
    const v6Via = hasVia && looksIPv6((r as { via: unknown }).via);
    if (hasVia === hasDev && !(v6Via && hasDev)) {
      ctx.add(
        path,
        'route.invalid',
        hasVia
          ? 'a route takes via (a gateway) or dev (an interface), not both (both only for an IPv6 gateway)'
          : 'a route needs via (a gateway address) or dev (an interface of this node)',
      );
    }
    const to = parseNetwork(ctx, `${path}.to`, r.to, 'addr.invalid', 'route.host-bits', true);
    const familyProblem = to && routeFamilyProblem(r.to, hasVia ? (r as { via: unknown }).via : undefined);
    if (familyProblem) ctx.add(`${path}.via`, 'route.family', familyProblem);
    if (to) {
      // "default" with an IPv6 gateway is ::/0, a destination of its own beside IPv4's default.
      const key = 'family' in to ? to.key : r.to === 'default' && v6Via ? '::/0' : cidrNetwork(to)!;
      const prev = seen.get(key);
      if (prev !== undefined) {
        ctx.add(
          `${path}.to`,
          'route.duplicate',
          `${name} already has a route to ${r.to} (nodes.${name}.routes[${prev}]); a node has one route per destination`,
        );
      } else seen.set(key, i);
    }
    if (hasDev && !hasVia) {
      const dev = (r as { dev: unknown }).dev;
      if (!hasIface(ns, dev))
        ctx.add(`${path}.dev`, 'ref.unknown', `${String(dev)} is not an interface of ${name} (${ifaceList(ns)})`);
      else if (to && 'family' in to) onLink6.push(to);
      else if (to) onLink.push(to);
    }
    return { r, path, hasVia, hasDev };
  });

  for (const { r, path, hasVia, hasDev } of parsed) {
    const via = (r as { via: unknown }).via;
    if (hasVia && looksIPv6(via)) {
      checkGateway6(ctx, name, ns, path, via, hasDev ? (r as { dev: unknown }).dev : undefined, onLink6);
      continue;
    }
    if (!hasVia || hasDev) continue;
    const ip = typeof via === 'string' ? parseIPv4(via) : undefined;
    if (ip === undefined) {
      ctx.add(`${path}.via`, 'addr.invalid', `${String(via)} is not an IPv4 address`);
      continue;
    }
    const connected = ns.addresses.some((a) => cidrContains(a.parsed, ip)) || onLink.some((c) => cidrContains(c, ip));
    if (!connected) {
      const addrs = ns.addresses.length ? listAddresses(ns.addresses) : 'it has no addresses';
      ctx.add(
        `${path}.via`,
        'route.unreachable',
        `gateway ${String(via)} is not on any subnet connected to ${name} (${addrs})`,
      );
    }
  }
}

function checkNat(ctx: Ctx, name: string, node: NetNodeSpec, ns: Namespace): void {
  arr(node.nat).forEach((rule, i) => {
    const path = `nodes.${name}.nat[${i}]`;
    // An IPv6 network is masqueraded by ip6tables (compile-nat.ts), as Docker's ip6tables mode does.
    parseNetwork(ctx, `${path}.masquerade`, rule.masquerade, 'nat.invalid', 'nat.invalid', false);
    const hasOut = rule.out !== undefined;
    const hasNotOut = rule.notOut !== undefined;
    if (hasOut === hasNotOut) {
      ctx.add(
        path,
        'nat.invalid',
        hasOut
          ? 'a NAT rule takes out or notOut, not both'
          : 'a NAT rule needs out (masquerade traffic leaving by this interface) or notOut (leaving by any other interface)',
      );
    }
    for (const field of ['out', 'notOut'] as const) {
      const iface = rule[field];
      if (iface !== undefined && !hasIface(ns, iface)) {
        ctx.add(`${path}.${field}`, 'nat.interface', `${iface} is not an interface of ${name} (${ifaceList(ns)})`);
      }
    }
  });
}

function checkPortForwards(ctx: Ctx, name: string, node: NetNodeSpec): void {
  const seen = new Map<string, number>();
  arr(node.portForwards).forEach((pf, i) => {
    const path = `nodes.${name}.portForwards[${i}]`;
    if (pf.proto !== 'tcp' && pf.proto !== 'udp')
      ctx.add(`${path}.proto`, 'portforward.invalid', `proto must be tcp or udp, not ${String(pf.proto)}`);
    if (!isInt(pf.port, 1, 65535))
      ctx.add(`${path}.port`, 'portforward.invalid', `port ${String(pf.port)} must be a whole number from 1 to 65535`);
    else {
      const key = `${pf.proto}/${pf.port}`;
      const prev = seen.get(key);
      if (prev !== undefined)
        ctx.add(
          `${path}.port`,
          'portforward.duplicate',
          `${key} is already forwarded by nodes.${name}.portForwards[${prev}]`,
        );
      else seen.set(key, i);
    }
    if (typeof pf.to === 'string' && (pf.to.startsWith('[') || pf.to.split(':').length > 2)) {
      // IPv6: "[ADDR]:PORT", DNAT in ip6tables (compile-nat.ts).
      const m6 = /^\[([^\]]+)\]:([0-9]+)$/.exec(pf.to);
      if (!m6 || parseIPv6(m6[1]!) === undefined || !isInt(Number(m6[2]), 1, 65535) || /^0/.test(m6[2]!))
        ctx.add(
          `${path}.to`,
          'portforward.invalid',
          `${pf.to} is not [IPv6]:PORT (e.g. [fd00::2]:80, port 1 to 65535; an IPv6 address is written in brackets)`,
        );
      return;
    }
    const m = typeof pf.to === 'string' ? /^([^:]+):([0-9]+)$/.exec(pf.to) : null;
    if (!m || parseIPv4(m[1]!) === undefined || !isInt(Number(m[2]), 1, 65535) || /^0/.test(m[2]!)) {
      ctx.add(
        `${path}.to`,
        'portforward.invalid',
        `${String(pf.to)} is not IPv4:PORT or [IPv6]:PORT (e.g. 172.17.0.2:80, [fd00::2]:80, port 1 to 65535)`,
      );
    }
  });
}
