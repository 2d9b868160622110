// What the walk knows of a running lab: the kernel observed in every namespace of the lab (links,
// veth peers, VXLAN devices and their remotes, iptables), read once, and per namespace on the path
// the extra facts (carrier, neighbours, netconf, bridge ports and FDB), read when first needed.
// Kernel names are mapped back to lab names here, so every hop speaks the lab's language.
import {
  listNamespaces,
  observeNamespaces,
  readPathFacts,
  routeGet,
  type PathFacts,
  type RouteAnswer,
  type RouteQuery,
} from '@patchbay/kernel';
import {
  type DesiredState,
  type Lab,
  type LinkState,
  type NamespaceState,
  IMPLICIT_HOST,
  compile,
  isBridge,
} from '@patchbay/topology';
import type { Engine } from '../engine.js';

/** One interface in kernel terms. */
export interface KernelEnd {
  ns: string;
  dev: string;
}

export class LabFacts {
  private readonly extra = new Map<string, Promise<PathFacts>>();
  /** Every command whose answer was read, in order (a hop lists its own). */
  readonly commands: string[] = [];

  private constructor(
    readonly lab: Lab,
    readonly desired: DesiredState,
    readonly observed: Record<string, NamespaceState>,
    private readonly nsNode: Map<string, string>,
  ) {}

  static async read(engine: Engine, name: string, lab: Lab): Promise<LabFacts> {
    const desired = compile(lab, engine.prefix);
    const present = await listNamespaces(engine.labNamespacePrefix(name));
    const names = Object.keys(desired.namespaces).filter((ns) => present.includes(ns));
    const observed = await observeNamespaces(names, {
      iptables: new Set(names),
      concurrency: engine.settings.concurrency,
      peerNamespaces: true,
    });
    const nsNode = new Map<string, string>();
    for (const [node, ns] of Object.entries(desired.names.nodeNamespace)) {
      const spec = lab.nodes[node];
      if (spec && !isBridge(spec)) nsNode.set(ns, node);
    }
    return new LabFacts(lab, desired, ipv4Only(observed.namespaces), nsNode);
  }

  has(ns: string): boolean {
    return this.observed[ns] !== undefined;
  }

  nsOfNode(node: string): string | undefined {
    return this.desired.names.nodeNamespace[node];
  }

  /** The lab node a namespace realizes; a lab's implicit bridge host has none of its own. */
  nodeOfNs(ns: string): string {
    return this.nsNode.get(ns) ?? IMPLICIT_HOST;
  }

  /** The bridge node whose kernel device is `dev` in `ns`. */
  bridgeNode(ns: string, dev: string): string | undefined {
    for (const [node, device] of Object.entries(this.desired.names.bridgeDevice))
      if (device === dev && this.desired.names.nodeNamespace[node] === ns) return node;
    return undefined;
  }

  /** The lab's name for a hop at interface `dev` of `ns`: a bridge device is its bridge node. */
  nodeAt(ns: string, dev?: string): string {
    if (dev) {
      const bridge = this.bridgeNode(ns, dev);
      if (bridge) return bridge;
    }
    return this.nodeOfNs(ns);
  }

  /**
   * The node whose IP stack handles a packet in `ns` that came in on `dev`: the namespace's node; a
   * lab's implicit bridge host has none, so there the bridge (its device) speaks for it.
   */
  l3Node(ns: string, dev?: string): string {
    const node = this.nodeOfNs(ns);
    return node === IMPLICIT_HOST ? this.nodeAt(ns, dev) : node;
  }

  link(ns: string, dev: string): LinkState | undefined {
    return this.observed[ns]?.links[dev];
  }

  /** Every interface of the lab that holds IPv4 `addr`. */
  ownersOf(addr: string): KernelEnd[] {
    const owners: KernelEnd[] = [];
    for (const [ns, state] of Object.entries(this.observed))
      for (const l of Object.values(state.links))
        if (l.addresses.some((a) => a.split('/')[0] === addr)) owners.push({ ns, dev: l.name });
    return owners;
  }

  /** The first interface of the lab that holds IPv4 `addr`. */
  ownerOf(addr: string): KernelEnd | undefined {
    return this.ownersOf(addr)[0];
  }

  /** The node's first IPv4 address (for `to: NODE`): its first link's, in lab order. */
  firstAddressOf(node: string): string | undefined {
    for (const link of this.lab.links)
      for (const end of [link.a, link.b])
        if (end.node === node) {
          const v4 = ipv4Of(end.addresses);
          if (v4) return v4;
        }
    const spec = this.lab.nodes[node];
    if (spec && isBridge(spec) && ipv4Of(spec.addresses)) return ipv4Of(spec.addresses);
    for (const o of this.lab.overlays ?? [])
      for (const m of o.members) if ('host' in m && m.host === node && ipv4Of(m.addresses)) return ipv4Of(m.addresses);
    for (const m of this.lab.macvlans ?? []) if (m.node === node && ipv4Of(m.addresses)) return ipv4Of(m.addresses);
    return undefined;
  }

  pathFacts(ns: string): Promise<PathFacts> {
    let p = this.extra.get(ns);
    if (!p) {
      p = readPathFacts(ns);
      this.extra.set(ns, p);
    }
    return p;
  }

  async route(ns: string, q: RouteQuery): Promise<RouteAnswer> {
    const answer = await routeGet(ns, q);
    this.commands.push(answer.command);
    return answer;
  }
}

/**
 * The walk follows IPv4 (`ip route get`, ARP, iptables): IPv6 addresses and routes are left out of
 * what it sees, so a dual-stack lab walks like its IPv4 half (IPv6 destinations are refused up front).
 */
function ipv4Only(namespaces: Record<string, NamespaceState>): Record<string, NamespaceState> {
  const out: Record<string, NamespaceState> = {};
  for (const [ns, state] of Object.entries(namespaces)) {
    const links = Object.fromEntries(
      Object.entries(state.links).map(([n, l]) => [
        n,
        { ...l, addresses: l.addresses.filter((a) => !a.includes(':')) },
      ]),
    );
    const routes = state.routes.filter((r) => !r.to.includes(':') && !(r.via ?? '').includes(':'));
    out[ns] = { ...state, links, routes };
  }
  return out;
}

/** The first IPv4 address of a lab list, without its prefix length. */
function ipv4Of(cidrs: string[] | undefined): string | undefined {
  return cidrs?.find((a) => !a.includes(':'))?.split('/')[0];
}
