// Pure edits of a lab document, as the editor makes them: each takes a lab and returns a new one
// (never mutates), so the store can keep the previous one for undo. Proposals (names, addresses)
// follow what a person would type: eth0, eth1… in a node; ports named after what they connect;
// an address in the bridge's subnet, or a fresh /24 between two nodes (./subnets).
import {
  IMPLICIT_HOST,
  isBridge,
  type Lab,
  type LinkEndSpec,
  type LinkSpec,
  type NodeKind,
  type NodeSpec,
} from '@patchbay/topology';
import { macvlanId, withMacvlans } from './macvlan-ids';
import { bridgeSubnet, freeSubnet, nextAddressIn, usedAddresses } from './subnets';
import { pruneServices } from './service-edit';

export { bridgeSubnet, freeSubnet, nextAddressIn, usedAddresses } from './subnets';

export const emptyLab = (name = 'lab1'): Lab => ({ name, nodes: {}, links: [] });

/** A stable id for a link: its two ends. */
export const linkId = (l: LinkSpec): string => `${l.a.node}:${l.a.interface}--${l.b.node}:${l.b.interface}`;

const KIND_PREFIX: Record<NodeKind, string> = { host: 'host', netns: 'ns', router: 'r', bridge: 'br' };

/** The first free name `prefix1`, `prefix2`, … (bridges: br0, br1, …). */
export function nextNodeName(lab: Lab, kind: NodeKind): string {
  const prefix = KIND_PREFIX[kind];
  for (let i = kind === 'bridge' ? 0 : 1; ; i++) if (!Object.hasOwn(lab.nodes, `${prefix}${i}`)) return `${prefix}${i}`;
}

export function addNode(lab: Lab, kind: NodeKind, name = nextNodeName(lab, kind)): Lab {
  const spec: NodeSpec = kind === 'bridge' ? { kind } : { kind };
  return { ...lab, nodes: { ...lab.nodes, [name]: spec } };
}

/** Removes nodes, every link touching them, bridges hosted by them, and their overlay memberships. */
export function removeNodes(lab: Lab, names: readonly string[]): Lab {
  const gone = new Set(names);
  for (const [n, spec] of Object.entries(lab.nodes))
    if (isBridge(spec) && spec.host && gone.has(spec.host)) gone.add(n);
  const nodes = Object.fromEntries(Object.entries(lab.nodes).filter(([n]) => !gone.has(n)));
  const links = lab.links.filter((l) => !gone.has(l.a.node) && !gone.has(l.b.node));
  const overlays = lab.overlays
    ?.map((o) => ({ ...o, members: o.members.filter((m) => !gone.has('bridge' in m ? m.bridge : m.host)) }))
    .filter((o) => o.members.length > 0);
  const macvlans = lab.macvlans?.filter((m) => !gone.has(m.node) && !gone.has(m.parent.node));
  return pruneServices(withMacvlans({ ...lab, nodes, links, ...(overlays ? { overlays } : {}) }, macvlans), names);
}

/** Removes links and macvlans (both are edges of the drawing) by id; a link's macvlans go with it. */
export function removeLinks(lab: Lab, ids: readonly string[]): Lab {
  const gone = new Set(ids);
  const links = lab.links.filter((l) => !gone.has(linkId(l)));
  const parents = new Set(links.flatMap((l) => [l.a, l.b]).map((e) => `${e.node}/${e.interface}`));
  const macvlans = lab.macvlans?.filter(
    (m) => !gone.has(macvlanId(m)) && parents.has(`${m.parent.node}/${m.parent.interface}`),
  );
  return withMacvlans({ ...lab, links }, macvlans);
}

/** Renames a node everywhere it is named (links, routes stay: they name interfaces, not nodes). */
export function renameNode(lab: Lab, from: string, to: string): Lab {
  if (from === to || !Object.hasOwn(lab.nodes, from)) return lab;
  const nodes = Object.fromEntries(
    Object.entries(lab.nodes).map(([n, spec]) => {
      const s = isBridge(spec) && spec.host === from ? { ...spec, host: to } : spec;
      return [n === from ? to : n, s];
    }),
  );
  const end = (e: LinkEndSpec): LinkEndSpec => (e.node === from ? { ...e, node: to } : e);
  const links = lab.links.map((l) => ({ ...l, a: end(l.a), b: end(l.b) }));
  const overlays = lab.overlays?.map((o) => ({
    ...o,
    members: o.members.map((m) =>
      'bridge' in m ? (m.bridge === from ? { ...m, bridge: to } : m) : m.host === from ? { ...m, host: to } : m,
    ),
  }));
  const node = (n: string) => (n === from ? to : n);
  const macvlans = lab.macvlans?.map((m) => ({
    ...m,
    node: node(m.node),
    parent: { ...m.parent, node: node(m.parent.node) },
  }));
  return withMacvlans({ ...lab, nodes, links, ...(overlays ? { overlays } : {}) }, macvlans);
}

/** Which namespace group an interface of `node` lives in: a bridge's ports live in its host. */
export function namespaceGroup(lab: Lab, node: string): string {
  const spec = lab.nodes[node];
  return spec && isBridge(spec) ? (spec.host ?? IMPLICIT_HOST) : node;
}

/** Interface names already used in the namespace `node`'s interfaces live in (bridge devices included). */
export function usedInterfaceNames(lab: Lab, node: string): Set<string> {
  const group = namespaceGroup(lab, node);
  const used = new Set<string>(['lo']);
  for (const l of lab.links)
    for (const e of [l.a, l.b]) if (namespaceGroup(lab, e.node) === group) used.add(e.interface);
  for (const [n, spec] of Object.entries(lab.nodes))
    if (isBridge(spec) && namespaceGroup(lab, n) === group) used.add(n);
  for (const m of lab.macvlans ?? []) if (namespaceGroup(lab, m.node) === group) used.add(m.interface);
  return used;
}

const IFNAMSIZ = 15;

/** eth0, eth1… in a node; for a bridge port, `<bridge>-<peer>` (shortened to 15 characters), made unique. */
export function proposeInterface(
  lab: Lab,
  node: string,
  peer: string,
  taken: Set<string> = usedInterfaceNames(lab, node),
): string {
  const spec = lab.nodes[node];
  if (spec && isBridge(spec)) {
    const base = `${node}-${peer}`.slice(0, IFNAMSIZ);
    if (!taken.has(base)) return base;
    for (let i = 1; ; i++) {
      const c = `${base.slice(0, IFNAMSIZ - String(i).length)}${i}`;
      if (!taken.has(c)) return c;
    }
  }
  for (let i = 0; ; i++) if (!taken.has(`eth${i}`)) return `eth${i}`;
}

/**
 * Connects two nodes with a veth pair, proposing interface names and addresses: a node on a bridge
 * gets the next address of the subnet of the bridge's segment (a bridge's own address, or that of
 * another port), or, on a bridge with nothing yet, of a free /24 from 192.168.100.0; two nodes get
 * .1 and .2 of a free /24 from 10.0.0.0. Free: overlapping no address, route or NAT source of the
 * lab. Bridge ports get no address.
 */
export function connect(lab: Lab, a: string, b: string): { lab: Lab; link: LinkSpec } {
  const aIsBridge = isBridge(lab.nodes[a]!);
  const bIsBridge = isBridge(lab.nodes[b]!);
  const ifA = proposeInterface(lab, a, b);
  const takenB = usedInterfaceNames(lab, b);
  if (namespaceGroup(lab, a) === namespaceGroup(lab, b)) takenB.add(ifA);
  const ifB = proposeInterface(lab, b, a, takenB);
  const used = usedAddresses(lab);
  let addrA: string | undefined;
  let addrB: string | undefined;
  if (aIsBridge !== bIsBridge) {
    // A bridge with nothing on it yet gets a subnet of its own, overlapping nothing in the lab.
    const bridge = aIsBridge ? a : b;
    const subnetOf = bridgeSubnet(lab, bridge) ?? freeSubnet(lab, 'bridge');
    const addr = nextAddressIn(subnetOf, used);
    if (aIsBridge) addrB = addr;
    else addrA = addr;
  } else if (!aIsBridge && !bIsBridge) {
    const net = freeSubnet(lab);
    addrA = nextAddressIn(net, used);
    if (addrA) used.add(addrA.split('/')[0]!);
    addrB = addrA ? nextAddressIn(net, used) : undefined;
  }
  const link: LinkSpec = {
    a: { node: a, interface: ifA, ...(addrA ? { addresses: [addrA] } : {}) },
    b: { node: b, interface: ifB, ...(addrB ? { addresses: [addrB] } : {}) },
  };
  return { lab: { ...lab, links: [...lab.links, link] }, link };
}

export function updateNode(lab: Lab, name: string, spec: NodeSpec): Lab {
  return { ...lab, nodes: { ...lab.nodes, [name]: spec } };
}

export function updateLink(lab: Lab, id: string, link: LinkSpec): Lab {
  return { ...lab, links: lab.links.map((l) => (linkId(l) === id ? link : l)) };
}

/** The first VNI from 42 no overlay of the lab uses. */
export function nextVni(lab: Lab): number {
  const used = new Set((lab.overlays ?? []).map((o) => o.vni));
  let vni = 42;
  while (used.has(vni)) vni++;
  return vni;
}

/** A host's underlay address: the first address on one of its own links. */
export function underlayAddress(lab: Lab, host: string): string | undefined {
  for (const l of lab.links)
    for (const e of [l.a, l.b]) if (e.node === host && e.addresses?.[0]) return e.addresses[0].split('/')[0];
  return undefined;
}

/** Whether two bridges live in different hosts: joining them takes an overlay, not a cable. */
export function bridgesOnDifferentHosts(lab: Lab, a: string, b: string): boolean {
  const sa = lab.nodes[a];
  const sb = lab.nodes[b];
  return !!sa && !!sb && isBridge(sa) && isBridge(sb) && namespaceGroup(lab, a) !== namespaceGroup(lab, b);
}

/**
 * Joins two bridges with a VXLAN overlay (or adds the second bridge to an overlay the first is in):
 * the next free VNI, each member's `local` proposed from its host's underlay address.
 */
export function joinOverlay(lab: Lab, a: string, b: string): { lab: Lab; overlay: string } {
  const member = (bridge: string) => {
    const spec = lab.nodes[bridge];
    const host = spec && isBridge(spec) ? spec.host : undefined;
    const local = host ? underlayAddress(lab, host) : undefined;
    return { bridge, ...(local ? { local } : {}) };
  };
  const overlays = lab.overlays ?? [];
  const existing = overlays.find((o) => o.members.some((m) => 'bridge' in m && m.bridge === a));
  if (existing) {
    if (existing.members.some((m) => 'bridge' in m && m.bridge === b)) return { lab, overlay: existing.name };
    const updated = { ...existing, members: [...existing.members, member(b)] };
    return { lab: { ...lab, overlays: overlays.map((o) => (o === existing ? updated : o)) }, overlay: existing.name };
  }
  const vni = nextVni(lab);
  const overlay = { name: `ov${vni}`, vni, members: [member(a), member(b)] };
  return { lab: { ...lab, overlays: [...overlays, overlay] }, overlay: overlay.name };
}
