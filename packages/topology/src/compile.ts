// compile: a valid lab → the kernel state it wants. Pure and deterministic: the same lab and prefix
// always give the same namespaces, device names and settings. Call only on a lab `validateLab`
// accepted; compile does not re-check what validation guarantees.
import { cidrContains, cidrNetwork, normalizeMac } from './addr.js';
import { canonicalCidr, canonicalIp, looksIPv6 } from './addr6.js';
import { compileIPv6, compileIp6tables } from './compile-ipv6.js';
import { compileBridgePorts, compileMacvlans } from './compile-macvlan.js';
import { serviceChains } from './compile-service.js';
import { iptablesByNamespace } from './compile-firewall.js';
import {
  type BridgeSpec,
  DEFAULT_FDB_MAX_LEARNED,
  type Lab,
  type LinkEndSpec,
  type LinkSpec,
  type NetNodeSpec,
  isBridge,
  isBridgeMember,
  isViaRoute,
} from './model.js';
import { IMPLICIT_HOST, deviceName, implicitHostNamespace, namespaceName, ownershipMarker } from './naming.js';
import type { DesiredState, LinkState, NamespaceState, RouteState } from './state.js';

export const DEFAULT_MTU = 1500;
export const VXLAN_OVERHEAD = 50;
export const DEFAULT_VXLAN_PORT = 4789;

export function forwardKey(): string {
  return 'net.ipv4.ip_forward';
}
export function proxyArpKey(iface: string): string {
  return `net.ipv4.conf.${iface}.proxy_arp`;
}

/** The namespace a link end or bridge lands in. */
function endNamespace(lab: Lab, prefix: string, nodeName: string): string {
  const node = lab.nodes[nodeName]!;
  if (isBridge(node)) return bridgeNamespace(lab, prefix, node);
  return namespaceName(prefix, lab.name, nodeName);
}

function bridgeNamespace(lab: Lab, prefix: string, bridge: BridgeSpec): string {
  return bridge.host ? namespaceName(prefix, lab.name, bridge.host) : implicitHostNamespace(prefix, lab.name);
}

function emptyNamespace(prefix: string, lab: string, ns: string, node: string): NamespaceState {
  return {
    name: ns,
    node,
    links: {
      lo: { name: 'lo', kind: 'loopback', up: true, addresses: [], alias: ownershipMarker(prefix, lab, node) },
    },
    routes: [],
    sysctls: {},
    floods: [],
  };
}

/** Every (node, interface, addresses, mtu, up) of the lab's link ends, for lookups. */
export interface EndInfo {
  link: LinkSpec;
  end: LinkEndSpec;
  ns: string;
}

export function linkEnds(lab: Lab, prefix: string): EndInfo[] {
  const out: EndInfo[] = [];
  for (const link of lab.links) {
    for (const end of [link.a, link.b]) out.push({ link, end, ns: endNamespace(lab, prefix, end.node) });
  }
  return out;
}

const endMtu = (e: EndInfo) => e.end.mtu ?? e.link.mtu;
const ipOf = (cidr: string) => cidr.split('/')[0]!;

/** DEFAULT_FDB_MAX_LEARNED, or twice the bridge's ports when that is more. */
export function defaultFdbMaxLearned(lab: Lab, bridge: string): number {
  const ports = lab.links.filter((l) => l.a.node === bridge || l.b.node === bridge).length;
  const overlays = (lab.overlays ?? []).filter((o) =>
    o.members.some((m) => isBridgeMember(m) && m.bridge === bridge),
  ).length;
  return Math.max(DEFAULT_FDB_MAX_LEARNED, 2 * (ports + overlays));
}

export function compile(lab: Lab, prefix: string): DesiredState {
  const state: DesiredState = {
    lab: lab.name,
    prefix,
    namespaces: {},
    names: { nodeNamespace: {}, bridgeDevice: {}, overlayDevice: {} },
  };
  const nsOf = (ns: string, node: string) => (state.namespaces[ns] ??= emptyNamespace(prefix, lab.name, ns, node));

  const nodeNames = Object.keys(lab.nodes).sort();
  const services = serviceChains(lab, 4);
  for (const name of nodeNames) {
    const node = lab.nodes[name]!;
    if (isBridge(node)) {
      const ns = bridgeNamespace(lab, prefix, node);
      nsOf(ns, node.host ?? IMPLICIT_HOST);
      state.names.nodeNamespace[name] = ns;
      state.names.bridgeDevice[name] = deviceName(name);
    } else {
      const ns = namespaceName(prefix, lab.name, name);
      const nsState = nsOf(ns, name);
      if (node.kind === 'netns' || node.kind === 'router') nsState.owned = true;
      state.names.nodeNamespace[name] = ns;
      const forwarding = node.forwarding ?? (node.kind === 'host' || node.kind === 'router');
      nsState.sysctls[forwardKey()] = forwarding ? '1' : '0';
    }
  }
  const implicitServices = services.get(IMPLICIT_HOST);
  if (implicitServices) {
    // A Kubernetes node forwards: connections to a ClusterIP are routed on to the chosen pod.
    const implicit = nsOf(implicitHostNamespace(prefix, lab.name), IMPLICIT_HOST);
    implicit.sysctls[forwardKey()] = '1';
  }

  // iptables: NAT, port forwards, kube-proxy's Service chains, NetworkPolicy chains, firewall rules
  // (compile-firewall.ts).
  const tablesByNs = iptablesByNamespace(lab, prefix, (n) => state.names.nodeNamespace[n]!, services);
  for (const [ns, tables] of Object.entries(tablesByNs))
    if (state.namespaces[ns]) state.namespaces[ns].iptables = tables;
  compileIp6tables(state, lab, prefix);

  // Bridges
  for (const name of nodeNames) {
    const node = lab.nodes[name]!;
    if (!isBridge(node)) continue;
    const ns = state.names.nodeNamespace[name]!;
    const dev = deviceName(name);
    state.namespaces[ns]!.links[dev] = {
      name: dev,
      kind: 'bridge',
      up: node.up ?? true,
      mtu: node.mtu,
      master: '',
      addresses: sortedCidrs(node.addresses ?? []),
      addrgenNone: true,
      bridge: {
        stp: node.stp ?? false,
        vlanFiltering: node.vlanFiltering ?? false,
        fdbMaxLearned: node.fdbMaxLearned ?? defaultFdbMaxLearned(lab, name),
      },
    };
  }

  // Veth pairs (each end's namespace name made once per node, not four times per link)
  const ends = linkEnds(lab, prefix);
  const namespaceOfNode = new Map<string, string>();
  const nsOfEnd = (nodeName: string) => {
    let ns = namespaceOfNode.get(nodeName);
    if (ns === undefined) namespaceOfNode.set(nodeName, (ns = endNamespace(lab, prefix, nodeName)));
    return ns;
  };
  for (const link of lab.links) {
    const sides = [link.a, link.b] as const;
    sides.forEach((end, i) => {
      const other = sides[1 - i]!;
      const ns = nsOfEnd(end.node);
      const node = lab.nodes[end.node]!;
      const linkState: LinkState = {
        name: end.interface,
        kind: 'veth',
        up: end.up ?? true,
        mtu: end.mtu ?? link.mtu,
        mac: end.mac ? normalizeMac(end.mac) : undefined,
        master: isBridge(node) ? deviceName(end.node) : '',
        addresses: sortedCidrs(end.addresses ?? []),
        addrgenNone: true,
        veth: { peerNs: nsOfEnd(other.node), peerName: other.interface },
      };
      const nsState = state.namespaces[ns]!;
      nsState.links[end.interface] = linkState;
      nsState.sysctls[proxyArpKey(end.interface)] = end.proxyArp ? '1' : '0';
    });
  }

  compileMacvlans(lab, prefix, state);
  compileBridgePorts(lab, prefix, state);
  compileOverlays(lab, prefix, state, ends);
  compileRoutes(lab, prefix, state, ends);
  compileIPv6(state, forwardKey());
  return state;
}

function compileOverlays(lab: Lab, prefix: string, state: DesiredState, ends: EndInfo[]): void {
  for (const overlay of lab.overlays ?? []) {
    const dev = deviceName(overlay.name);
    state.names.overlayDevice[overlay.name] = dev;
    const port = overlay.port ?? DEFAULT_VXLAN_PORT;
    const members = overlay.members.map((m) => {
      const hostNode = isBridgeMember(m) ? (lab.nodes[m.bridge] as BridgeSpec).host! : m.host;
      const ns = namespaceName(prefix, lab.name, hostNode);
      const hostEnds = ends.filter((e) => e.ns === ns && (e.end.addresses?.length ?? 0) > 0);
      const local =
        m.local ?? ipOf(hostEnds.flatMap((e) => (e.end.addresses ?? []).filter((a) => !looksIPv6(a)))[0] ?? '');
      const underlay = hostEnds.find((e) => (e.end.addresses ?? []).some((a) => ipOf(a) === local));
      return { member: m, ns, local, underlay };
    });
    for (const { member, ns, local, underlay } of members) {
      const underlayMtu = (underlay && endMtu(underlay)) ?? DEFAULT_MTU;
      state.namespaces[ns]!.links[dev] = {
        name: dev,
        kind: 'vxlan',
        up: true,
        mtu: overlay.mtu ?? underlayMtu - VXLAN_OVERHEAD,
        master: isBridgeMember(member) ? deviceName(member.bridge) : '',
        addresses: isBridgeMember(member) ? [] : sortedCidrs(member.addresses ?? []),
        addrgenNone: true,
        vxlan: { vni: overlay.vni, port, local, dev: underlay?.end.interface, learning: true },
      };
      const floods = members.filter((o) => o.ns !== ns).map((o) => ({ dev, dst: o.local }));
      state.namespaces[ns]!.floods.push(...floods);
    }
  }
  for (const ns of Object.values(state.namespaces)) {
    if (ns.floods.length > 1) ns.floods.sort((a, b) => (a.dev + ' ' + a.dst).localeCompare(b.dev + ' ' + b.dst));
  }
}

/**
 * Routes, minus those the kernel cannot hold right now: a route whose way out is a link the lab sets
 * down is left out (the kernel deletes routes of a downed device), and comes back when it is up.
 */
function compileRoutes(lab: Lab, prefix: string, state: DesiredState, ends: EndInfo[]): void {
  for (const [name, node] of Object.entries(lab.nodes)) {
    if (isBridge(node)) continue;
    const ns = namespaceName(prefix, lab.name, name);
    const nsState = state.namespaces[ns]!;
    if (!node.routes?.length) {
      nsState.routes = [];
      continue;
    }
    const downLinks = new Set(
      Object.values(nsState.links)
        .filter((l) => !l.up)
        .map((l) => l.name),
    );
    const routes: RouteState[] = [];
    for (const r of node.routes ?? []) {
      // IPv6's default is ::/0 (an IPv4 "default" and an IPv6 one are two routes).
      const v6Default = r.to === 'default' && isViaRoute(r) && looksIPv6(r.via);
      const to = v6Default ? '::/0' : r.to === 'default' ? 'default' : (cidrNetwork(r.to) ?? r.to);
      if (isViaRoute(r)) {
        const egress = r.dev ?? egressFor(nsState, r.via, node);
        if (egress && downLinks.has(egress)) continue;
        routes.push(
          r.dev === undefined ? { to, via: canonicalIp(r.via) } : { to, via: canonicalIp(r.via), dev: r.dev },
        );
      } else {
        if (downLinks.has(r.dev)) continue;
        routes.push({ to, dev: r.dev });
      }
    }
    nsState.routes = sortRoutes(routes);
  }
  void ends;
}

/** The interface a gateway is reached through: a connected subnet, or an on-link `dev` route. */
function egressFor(ns: NamespaceState, gateway: string, node: NetNodeSpec): string | undefined {
  for (const link of Object.values(ns.links)) {
    if (link.addresses.some((a) => cidrContains(a, gateway))) return link.name;
  }
  for (const r of node.routes ?? []) {
    if (!isViaRoute(r) && r.to !== 'default' && cidrContains(r.to, gateway)) return r.dev;
  }
  return undefined;
}

/** On-link (`dev`) routes first: a `via` route may need one of them to reach its gateway. */
export function sortRoutes(routes: RouteState[]): RouteState[] {
  return [...routes].sort((a, b) => {
    const ra = a.dev !== undefined && a.via === undefined ? 0 : 1;
    const rb = b.dev !== undefined && b.via === undefined ? 0 : 1;
    return ra - rb || a.to.localeCompare(b.to);
  });
}

function sortedCidrs(cidrs: string[]): string[] {
  if (cidrs.length <= 1) return cidrs.map(canonicalCidr); // most ends: nothing to sort or merge
  return [...new Set(cidrs.map(canonicalCidr))].sort();
}
