// What `state` shows of a running lab, in lab terms: the kernel observed in the lab's namespaces,
// with kernel names mapped back to the lab's node and interface names. The JSON of `labState` is
// the stable `state --json` output; `namespaceView` is one namespace of it (the live tables).
import {
  type BridgeView,
  type InterfaceView,
  type Lab,
  type LabStateView,
  type LinkState,
  type NodeView,
  type NamespaceState,
  type KernelState,
  type DesiredState,
  type EbtablesState,
  IMPLICIT_HOST,
  bridgeEbtables,
  compile,
  hasIPv6Address,
  isBridge,
  resolveVethPeers,
} from '@patchbay/topology';
import { listNamespaces, mapLimit, readLinkNames, readResolvConf, type LiveTables } from '@patchbay/kernel';
import type { Engine } from './engine.js';
import { cniViews } from './cni-attachments.js';
import { processViews } from './run-processes.js';

/** The node's resolver file (lab `dns:`), when it has one. */
const resolvConfOf = (ns: string): { resolvConf?: string } => {
  const text = readResolvConf(ns);
  return text === undefined ? {} : { resolvConf: text };
};

// The view types are the pure core's (one definition for the engine, the server and the web app).
export type {
  BridgeView,
  FdbEntryView,
  InterfaceView,
  LabStateView,
  NeighbourView,
  NodeView,
  RouteView,
  RuleView,
  VlanView,
} from '@patchbay/topology';

function ebtablesView(state: EbtablesState | undefined, device: string, ports: string[]): Pick<BridgeView, 'ebtables'> {
  const mine = state && bridgeEbtables(state, device, ports);
  return mine ? { ebtables: mine } : {};
}

function hostOf(lab: Lab, node: string): string {
  const spec = lab.nodes[node];
  return spec && isBridge(spec) ? (spec.host ?? IMPLICIT_HOST) : node;
}

export async function labState(engine: Engine, name: string): Promise<LabStateView> {
  return buildViews(engine, name);
}

/** One namespace's part of `labState`: its node and the bridges it hosts (the live tables' deltas). */
export interface NamespaceView {
  lab: string;
  revision: number;
  namespace: string;
  /** Missing when `namespace` is neither desired nor present. */
  node?: NodeView;
  bridges: BridgeView[];
}

/** Reads just namespace `ns` of lab `name` again, built exactly as `labState` builds it. */
export async function namespaceView(engine: Engine, name: string, ns: string): Promise<NamespaceView> {
  const state = await buildViews(engine, name, ns);
  return { lab: name, revision: state.revision, namespace: ns, node: state.nodes[0], bridges: state.bridges };
}

/**
 * A namespace read alone (the live tables' delta) has its veths' peers in namespaces not read: the
 * kernel names the peer's namespace (link-netnsid) and ifindex. A watching engine names the peer
 * from its observation cache (a namespace is kept there until the kernel reports a change in it,
 * so the name is the kernel's; a delta then costs no process per peer namespace); otherwise one
 * `ip link show` in each such namespace of the lab names it.
 */
async function namePeersElsewhere(
  engine: Engine,
  namespaces: Record<string, NamespaceState>,
  labNamespaces: ReadonlySet<string>,
): Promise<void> {
  const unnamed = Object.values(namespaces).flatMap((s) =>
    Object.values(s.links).filter(
      (l) =>
        l.veth &&
        !l.veth.peerName &&
        l.peerIfindex !== undefined &&
        l.peerNamespace !== undefined &&
        l.peerNamespace !== s.name &&
        labNamespaces.has(l.peerNamespace),
    ),
  );
  const wanted = [...new Set(unnamed.map((l) => l.peerNamespace!))];
  if (wanted.length === 0) return;
  const names = new Map<string, Map<number, string>>();
  if (engine.cache.watching) {
    const observed = await engine.cache.observe(wanted).catch(() => ({ namespaces: {} }));
    for (const [ns, state] of Object.entries(observed.namespaces))
      names.set(
        ns,
        new Map(
          Object.values(state.links)
            .filter((l) => l.ifindex !== undefined)
            .map((l) => [l.ifindex!, l.name]),
        ),
      );
  } else {
    await mapLimit(wanted, engine.settings.concurrency, async (ns) => {
      names.set(ns, await readLinkNames(ns).catch(() => new Map<number, string>()));
    });
  }
  for (const l of unnamed) {
    const peerName = names.get(l.peerNamespace!)?.get(l.peerIfindex!);
    if (peerName) l.veth = { peerNs: l.peerNamespace!, peerName };
  }
}

/**
 * The desired state of a journal entry's lab (the shared, frozen object: the same one while the
 * journal file is unchanged), compiled once per revision instead of once per view. Read-only.
 */
const compiledLabs = new WeakMap<Lab, { prefix: string; desired: DesiredState }>();
function compiledOnce(lab: Lab, prefix: string): DesiredState {
  const kept = compiledLabs.get(lab);
  if (kept?.prefix === prefix) return kept.desired;
  const desired = compile(lab, prefix);
  compiledLabs.set(lab, { prefix, desired });
  return desired;
}

/** `labState`, or with `only`, just that namespace's node and bridges. */
async function buildViews(engine: Engine, name: string, only?: string): Promise<LabStateView> {
  const entry = await engine.sharedEntry(name);
  const lab = entry.lab ?? entry.pending!;
  const desired = compiledOnce(lab, engine.prefix);
  const present = await listNamespaces(engine.labNamespacePrefix(name));
  const labNamespaces = [...new Set([...Object.keys(desired.namespaces), ...present])].sort();
  const nsNames = labNamespaces.filter((n) => only === undefined || n === only);
  const presentSet = new Set(present);
  // Every bridge host's ebtables, managed or not: rules a student adds by hand show too.
  const bridgeHosts = new Set(
    Object.entries(lab.nodes)
      .filter(([, spec]) => isBridge(spec))
      .map(([node]) => desired.names.nodeNamespace[node]!),
  );
  // ip6tables where the lab writes IPv6 rules or gives IPv6 addresses (one process more per read).
  const ip6Namespaces = new Set(
    Object.values(desired.namespaces)
      .filter((n) => n.ip6tables || hasIPv6Address(n))
      .map((n) => n.name),
  );
  const reads = await engine.liveViews.read(
    nsNames.filter((n) => presentSet.has(n)),
    engine.settings.concurrency,
    bridgeHosts,
    ip6Namespaces,
  );
  const observed: KernelState = { namespaces: {} };
  const tables = new Map<string, LiveTables>();
  for (const n of [...reads.keys()].sort()) {
    observed.namespaces[n] = reads.get(n)!.state;
    tables.set(n, reads.get(n)!.tables);
  }
  // among the namespaces read together, as observeNamespaces does (a namespace kept from an earlier
  // read names its peers afresh: the peer may have changed since)
  resolveVethPeers(observed, { complete: false });
  if (only !== undefined) await namePeersElsewhere(engine, observed.namespaces, new Set(labNamespaces));

  // (namespace, interface) → lab (node, interface)
  const endOwner = new Map<string, { node: string; interface: string }>();
  for (const link of lab.links) {
    for (const end of [link.a, link.b]) {
      endOwner.set(`${desired.names.nodeNamespace[end.node]}/${end.interface}`, {
        node: end.node,
        interface: end.interface,
      });
    }
  }
  // (namespace, macvlan) → its parent in lab names, as the lab says (the kernel gives only an ifindex)
  const macvlanParent = new Map<string, string>();
  for (const m of lab.macvlans ?? [])
    macvlanParent.set(
      `${desired.names.nodeNamespace[m.node]}/${m.interface}`,
      `${m.parent.node}/${m.parent.interface}`,
    );
  const iface = (ns: NamespaceState, l: LinkState): InterfaceView => {
    const floods = ns.floods.filter((f) => f.dev === l.name).map((f) => f.dst);
    return {
      name: l.name,
      kind: l.kind,
      up: l.up,
      mtu: l.mtu,
      mac: l.mac,
      master: l.master || undefined,
      addresses: l.addresses,
      peer: l.veth ? endOwner.get(`${l.veth.peerNs}/${l.veth.peerName}`) : undefined,
      vxlan: l.vxlan ? { vni: l.vxlan.vni, port: l.vxlan.port, local: l.vxlan.local, remotes: floods } : undefined,
      macvlan: l.macvlan ? { mode: l.macvlan.mode, parent: macvlanParent.get(`${ns.name}/${l.name}`) } : undefined,
      port: l.port,
    };
  };

  const processes = processViews(engine, lab);
  const cni = cniViews(engine, lab);
  const nodes: NodeView[] = [];
  for (const ns of nsNames) {
    const d = desired.namespaces[ns];
    const o = observed.namespaces[ns];
    const node = d?.node ?? ns.slice(engine.labNamespacePrefix(name).length);
    const spec = lab.nodes[node];
    nodes.push({
      node,
      kind: spec && !isBridge(spec) ? spec.kind : 'implicit-host',
      namespace: ns,
      present: !!o,
      forwarding: o ? o.sysctls['net.ipv4.ip_forward'] === '1' : undefined,
      interfaces: o ? Object.values(o.links).map((l) => iface(o, l)) : [],
      // The live read's routes (every table, kernel-made ones included), not the desired-state
      // read's (main table, kernel-made ones left out for the diff).
      routes: tables.get(ns)?.routes ?? [],
      rules: tables.get(ns)?.rules ?? [],
      neighbours: tables.get(ns)?.neighbours ?? [],
      nat: o?.iptables,
      ...(o?.ip6tables ? { nat6: o.ip6tables } : {}),
      ...(processes.has(node) ? { processes: processes.get(node)! } : {}),
      ...resolvConfOf(ns),
      ...(cni.has(node) ? { cni: cni.get(node)! } : {}),
    });
  }

  const bridges: BridgeView[] = [];
  for (const [node, spec] of Object.entries(lab.nodes).sort(([a], [b]) => a.localeCompare(b))) {
    if (!isBridge(spec)) continue;
    const ns = desired.names.nodeNamespace[node]!;
    if (only !== undefined && ns !== only) continue;
    const device = desired.names.bridgeDevice[node]!;
    const o = observed.namespaces[ns];
    const br = o?.links[device];
    const t = tables.get(ns);
    const ports = o
      ? Object.values(o.links)
          .filter((l) => l.master === device)
          .map((l) => l.name)
          .sort()
      : [];
    const portSet = new Set(ports);
    bridges.push({
      bridge: node,
      host: hostOf(lab, node),
      namespace: ns,
      device,
      present: !!br,
      up: br?.up ?? false,
      stp: br?.bridge?.stp ?? false,
      vlanFiltering: br?.bridge?.vlanFiltering ?? false,
      ...(br?.bridge?.fdbMaxLearned !== undefined ? { fdbMaxLearned: br.bridge.fdbMaxLearned } : {}),
      ...(br?.bridge?.fdbLearned !== undefined ? { fdbLearned: br.bridge.fdbLearned } : {}),
      addresses: br?.addresses ?? [],
      ports,
      fdb: (t?.fdb ?? [])
        .filter((e) => e.master === device || (portSet.has(e.dev) && e.dst !== undefined))
        .map((e) => ({ mac: e.mac, port: e.dev, dst: e.dst, vlan: e.vlan, flags: e.flags, state: e.state })),
      vlans: (t?.vlans ?? []).filter((v) => portSet.has(v.dev) || v.dev === device),
      ...ebtablesView(o?.ebtables, device, ports),
    });
  }
  return { lab: name, revision: entry.revision, nodes, bridges };
}
