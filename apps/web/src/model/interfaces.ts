// A node's interfaces as the inspector lists them: what the kernel will call each one, the other end
// of its veth, its addresses, its MAC (the lab's, or the kernel's once applied), and the link to
// select. Without this list a netns's addresses were only on the canvas labels (issue 13).
import { deviceName, isBridge, type Lab, type NodeView, type BridgeView } from '@patchbay/topology';
import { linkId } from './lab-edit';
import { macvlanId } from './macvlan-ids';

export interface InterfaceRow {
  /** The interface's name in its namespace, as `ip link` shows it. */
  name: string;
  kind: 'veth' | 'bridge' | 'macvlan';
  /** The other end of the veth, in lab names. */
  peer?: { node: string; interface: string };
  /** A macvlan's parent, in lab names, and its mode. */
  macvlan?: { parent: { node: string; interface: string }; mode: string };
  addresses: string[];
  /** The MAC the lab sets; the kernel's (`liveMac`) when it sets none. */
  mac?: string;
  /** The link to select (a veth), or the node (a bridge device listed in its host). */
  select: { link: string } | { node: string } | undefined;
}

export function nodeInterfaces(lab: Lab, node: string): InterfaceRow[] {
  const spec = lab.nodes[node];
  if (!spec) return [];
  const rows: InterfaceRow[] = [];
  if (isBridge(spec))
    rows.push({ name: deviceName(node), kind: 'bridge', addresses: spec.addresses ?? [], select: undefined });
  for (const l of lab.links) {
    for (const [mine, other] of [
      [l.a, l.b],
      [l.b, l.a],
    ] as const) {
      if (mine.node !== node) continue;
      rows.push({
        name: mine.interface,
        kind: 'veth',
        peer: { node: other.node, interface: other.interface },
        addresses: mine.addresses ?? [],
        ...(mine.mac ? { mac: mine.mac } : {}),
        select: { link: linkId(l) },
      });
    }
  }
  for (const m of lab.macvlans ?? [])
    if (m.node === node)
      rows.push({
        name: m.interface,
        kind: 'macvlan',
        macvlan: { parent: m.parent, mode: m.mode ?? 'bridge' },
        addresses: m.addresses ?? [],
        ...(m.mac ? { mac: m.mac } : {}),
        select: { link: macvlanId(m) },
      });
  // A host's namespace also holds the devices of the bridges that live in it.
  if (spec.kind === 'host')
    for (const [name, b] of Object.entries(lab.nodes))
      if (isBridge(b) && b.host === node)
        rows.push({ name: deviceName(name), kind: 'bridge', addresses: b.addresses ?? [], select: { node: name } });
  return rows;
}

/**
 * The MAC the kernel reports for interface `name` of `node` in a running lab: a node's own
 * interfaces are in its view, a bridge's device and ports in the view of the host it lives in.
 */
export function liveMac(
  lab: Lab,
  node: string,
  name: string,
  live: { nodes: Record<string, NodeView>; bridges: Record<string, BridgeView> },
): string | undefined {
  const spec = lab.nodes[node];
  const holder = spec && isBridge(spec) ? live.bridges[node]?.host : node;
  if (holder === undefined) return undefined;
  return live.nodes[holder]?.interfaces.find((i) => i.name === name)?.mac;
}
