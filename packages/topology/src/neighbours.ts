// Neighbour (ARP) entries an apply would leave stale. When an address gets a new owner — its node
// deleted and made again, its interface re-created, the address moved, or the interface given
// another MAC — the nodes on its subnet still map it to the old MAC: a REACHABLE entry is trusted
// for ~30 s, then DELAY and unicast PROBEs to the old MAC take seconds more, and every packet sent
// meanwhile is lost (the first pings to a re-created node: 3 of 3). Nothing announces the new MAC
// (no gratuitous ARP), so the apply flushes those entries in the neighbours that keep their
// interface; their next packet asks again. The bridges' FDB needs nothing: a deleted port takes
// its learned MACs with it, and an old MAC on a port that stays ages out unused.
//
// Planned for every address an apply adds, not only for one that existed before: the kernel state
// an apply starts from does not say what an earlier apply removed (delete, apply, re-add, apply),
// and a flush that finds no entry changes nothing.
import { cidrContains, parseIPv4 } from './addr.js';
import type { DesiredState, KernelState, LinkState } from './state.js';

/** What is read of diff's link changes (diff's `kind: 'link'` changes; no import of diff: no cycle). */
export interface LinkChangeView {
  action: 'add' | 'remove' | 'change';
  ns: string;
  node: string;
  name: string;
  desired?: LinkState;
  observed?: LinkState;
  fields: string[];
}

/** A neighbour's ARP entry for `address` on `dev` to forget: the address has a new MAC. One of diff's changes. */
export interface NeighbourChange {
  kind: 'neigh';
  action: 'change';
  ns: string;
  node: string;
  dev: string;
  address: string;
  owner: { node: string; iface: string };
  why: 'new-owner' | 'new-mac';
}

interface NewMapping {
  ns: string;
  node: string;
  iface: string;
  /** The address without its prefix length. */
  ip: string;
  why: 'new-owner' | 'new-mac';
}

/** Addresses this apply puts on an interface, or whose interface gets another MAC. */
function newMappings(changes: readonly LinkChangeView[]): NewMapping[] {
  const out: NewMapping[] = [];
  for (const c of changes) {
    const { desired, observed } = c;
    if (c.action !== 'change' || !desired || !observed) continue;
    const mac = c.fields.includes('mac');
    const added = c.fields.includes('addresses')
      ? desired.addresses.filter((a) => !observed.addresses.includes(a))
      : [];
    const addresses = mac ? desired.addresses : added;
    for (const a of addresses) {
      const ip = a.split('/')[0]!;
      out.push({ ns: c.ns, node: c.node, iface: c.name, ip, why: added.includes(a) ? 'new-owner' : 'new-mac' });
    }
  }
  return out;
}

/**
 * One `neigh` change per (neighbour namespace, interface, address): the neighbours are the
 * interfaces that exist before and after the apply (in `observed`, after replaced namespaces were
 * taken out, and not in `removedLinks`) and whose desired addresses have a subnet holding the new
 * mapping's address. The owner's own interface, and one holding the very same address, are not
 * neighbours. Sorted by namespace, interface and address.
 */
export function staleNeighbours(
  desired: DesiredState,
  observed: KernelState,
  linkChanges: readonly LinkChangeView[],
  removedLinks: ReadonlySet<string>,
): NeighbourChange[] {
  const mappings = newMappings(linkChanges);
  if (mappings.length === 0) return [];
  const out = new Map<string, NeighbourChange>();
  for (const ns of Object.keys(desired.namespaces).sort()) {
    const d = desired.namespaces[ns]!;
    const o = observed.namespaces[ns];
    if (!o) continue; // a new namespace: its tables are empty
    for (const dev of Object.keys(d.links).sort()) {
      if (!o.links[dev] || removedLinks.has(`${ns}/${dev}`)) continue; // new: nothing learned yet
      const own = d.links[dev]!.addresses;
      for (const m of mappings) {
        if (m.ns === ns && m.iface === dev) continue;
        if (own.some((a) => a.split('/')[0] === m.ip) || !own.some((a) => cidrContains(a, m.ip))) continue;
        const key = `${ns}/${dev}/${m.ip}`;
        if (out.has(key)) continue;
        out.set(key, {
          kind: 'neigh',
          action: 'change',
          ns,
          node: d.node,
          dev,
          address: m.ip,
          owner: { node: m.node, iface: m.iface },
          why: m.why,
        });
      }
    }
  }
  return [...out.values()].sort((a, b) => a.ns.localeCompare(b.ns) || a.dev.localeCompare(b.dev) || cmpIp(a, b));
}

const cmpIp = (a: NeighbourChange, b: NeighbourChange) => (parseIPv4(a.address) ?? 0) - (parseIPv4(b.address) ?? 0);
