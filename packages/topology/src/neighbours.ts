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
import { type Cidr, cidrContains, parseCidr, parseIPv4 } from './addr.js';
import { looksIPv6 } from './addr6.js';
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
  // Every link of the lab is looked at (199 neighbours for one address of a 200-leaf star): each
  // address is parsed once per call, not once per (link, mapping). The order of the walk does not
  // matter: the result is sorted, and for one key the first mapping wins whatever the walk.
  const parsedCidrs = new Map<string, Cidr | undefined>();
  const cidrOf = (a: string) => {
    let c = parsedCidrs.get(a);
    if (c === undefined && !parsedCidrs.has(a)) parsedCidrs.set(a, (c = looksIPv6(a) ? undefined : parseCidr(a)));
    return c;
  };
  const holds = (a: string, ip: string, ip4: number | undefined) => {
    const c = ip4 === undefined ? undefined : cidrOf(a);
    return c ? cidrContains(c, ip4!) : cidrContains(a, ip);
  };
  const ips = mappings.map((m) => (looksIPv6(m.ip) ? undefined : parseIPv4(m.ip)));
  for (const ns in desired.namespaces) {
    const d = desired.namespaces[ns]!;
    const o = observed.namespaces[ns];
    if (!o) continue; // a new namespace: its tables are empty
    for (const dev in d.links) {
      if (!o.links[dev] || (removedLinks.size > 0 && removedLinks.has(`${ns}/${dev}`))) continue; // new: nothing learned yet
      const own = d.links[dev]!.addresses;
      if (own.length === 0) continue;
      for (let i = 0; i < mappings.length; i++) {
        const m = mappings[i]!;
        if (m.ns === ns && m.iface === dev) continue;
        if (own.some((a) => a.split('/')[0] === m.ip) || !own.some((a) => holds(a, m.ip, ips[i]))) continue;
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
  // each address parsed once, not once per comparison (199 changes: ~1,500 comparisons)
  const keyed = [...out.values()].map((c) => ({ c, ip: parseIPv4(c.address) ?? 0 }));
  keyed.sort((a, b) => collator.compare(a.c.ns, b.c.ns) || collator.compare(a.c.dev, b.c.dev) || a.ip - b.ip);
  return keyed.map((k) => k.c);
}

/** What `localeCompare` without arguments compares with, made once (it builds one per call). */
const collator = new Intl.Collator();
