// Pure edits of a lab's macvlans, as the editor makes them: drawn from a node to a host node, a
// macvlan stacks on one of the host's interfaces (made by a link); it is an edge of the drawing
// (`macvlan:NODE:INTERFACE`), selected, inspected and deleted like a link.
import { isBridge, type Lab, type MacvlanMode, type MacvlanSpec } from '@patchbay/topology';
import { proposeInterface } from './lab-edit';
import { macvlanId } from './macvlan-ids';
import { nextAddressIn, usedAddresses } from './subnets';

export { isMacvlanId, macvlanId, withMacvlans } from './macvlan-ids';

/** The interfaces links give `host` (what a macvlan may stack on), with their first address. */
export function hostInterfaces(lab: Lab, host: string): { name: string; address?: string }[] {
  const out: { name: string; address?: string }[] = [];
  for (const l of lab.links)
    for (const e of [l.a, l.b])
      if (e.node === host && !out.some((o) => o.name === e.interface))
        out.push({ name: e.interface, ...(e.addresses?.[0] ? { address: e.addresses[0] } : {}) });
  return out;
}

/**
 * For a connection drawn between `a` and `b`: the node that would get a macvlan and the host whose
 * interface it would stack on, when one end is a host with interfaces and the other is not a bridge.
 */
export function macvlanCandidate(lab: Lab, a: string, b: string): { node: string; host: string } | undefined {
  const kind = (n: string) => lab.nodes[n]?.kind;
  for (const [node, host] of [
    [a, b],
    [b, a],
  ] as const) {
    const spec = lab.nodes[node];
    if (kind(host) === 'host' && spec && !isBridge(spec) && hostInterfaces(lab, host).length > 0) return { node, host };
  }
  return undefined;
}

/** A macvlan in `node` on `host`'s `parent`: the next eth name, the next address of the parent's subnet. */
export function addMacvlan(
  lab: Lab,
  node: string,
  host: string,
  parent: string,
  mode: MacvlanMode = 'bridge',
): { lab: Lab; id: string } {
  const iface = proposeInterface(lab, node, host);
  const parentAddress = hostInterfaces(lab, host).find((i) => i.name === parent)?.address;
  const address = parentAddress ? nextAddressIn(parentAddress, usedAddresses(lab)) : undefined;
  const m: MacvlanSpec = {
    node,
    interface: iface,
    parent: { node: host, interface: parent },
    mode,
    ...(address ? { addresses: [address] } : {}),
  };
  return { lab: { ...lab, macvlans: [...(lab.macvlans ?? []), m] }, id: macvlanId(m) };
}

export function updateMacvlan(lab: Lab, id: string, next: MacvlanSpec): Lab {
  return { ...lab, macvlans: (lab.macvlans ?? []).map((m) => (macvlanId(m) === id ? next : m)) };
}
