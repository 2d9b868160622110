// diff: desired kernel state vs observed kernel state → what must be added, changed or removed.
// Pure. `observed` holds only the namespaces of this lab (the engine finds them by name and marker).
import { cidrContains } from './addr.js';
import { defaultEbtablesState, ebtablesEqual } from './compile-ebtables.js';
import { defaultIptablesState, iptablesEqual } from './iptables.js';
import { macvlanMustRecreate, portFlagChanges } from './macvlan.js';
import { parseOwnershipMarker } from './naming.js';
import { staleNeighbours, type NeighbourChange } from './neighbours.js';
import type {
  DesiredState,
  EbtablesState,
  FloodEntry,
  IptablesState,
  KernelState,
  LinkState,
  NamespaceState,
  RouteState,
} from './state.js';

interface Where {
  ns: string;
  node: string;
}
export type Change =
  | (Where & {
      kind: 'namespace';
      action: 'add' | 'remove';
      owned?: boolean;
      /** remove only: the namespace is made again right after (DiffOptions.replace). */
      replace?: boolean;
    })
  | (Where & { kind: 'marker'; action: 'change'; desired: LinkState; observed?: LinkState })
  | (Where & {
      kind: 'link';
      action: 'add' | 'remove' | 'change';
      name: string;
      desired?: LinkState;
      observed?: LinkState;
      /** for `change`: the fields that differ; for a remove before an add: ["recreate"]; a veth of a replaced namespace: ["replace"] */
      fields: string[];
      /** for adding a veth: the ifindexes of its near and far end (see LINK_INDEX_BASE) */
      index?: number;
      peerIndex?: number;
    })
  | (Where & { kind: 'route'; action: 'add' | 'remove' | 'change'; desired?: RouteState; observed?: RouteState })
  | (Where & { kind: 'sysctl'; action: 'change'; key: string; desired: string; observed: string })
  | (Where & { kind: 'fdb'; action: 'add' | 'remove'; entry: FloodEntry })
  | (Where & {
      kind: 'iptables';
      action: 'change';
      desired: IptablesState;
      observed: IptablesState;
      /** 6: the namespace's ip6tables (absent: iptables). */
      family?: 6;
    })
  | (Where & { kind: 'ebtables'; action: 'change'; desired: EbtablesState; observed: EbtablesState })
  | NeighbourChange;

export interface Conflict {
  ns: string;
  message: string;
}

export interface Diff {
  lab: string;
  changes: Change[];
  /** Objects that exist under this lab's names but belong to someone else: never clobbered. */
  conflicts: Conflict[];
}

/** First ifindex given to the near and the far end of a new veth (distinct ranges: never equal). */
export const LINK_INDEX_BASE = 1_000_000;
export const PEER_INDEX_BASE = 2_000_000;

/** Devices the kernel makes in every namespace when some tunnel driver is loaded; never ours to remove. */
const KERNEL_FALLBACK_DEVICES = new Set([
  'tunl0',
  'sit0',
  'gre0',
  'gretap0',
  'erspan0',
  'ip_vti0',
  'ip6_vti0',
  'ip6tnl0',
  'ip6gre0',
]);

/** A link as a freshly created one looks before `configure` touches it: kernel-chosen mtu and mac. */
export function freshLink(d: LinkState): LinkState {
  const fresh: LinkState = { name: d.name, kind: d.kind, up: false, master: '', addresses: [], addrgenNone: false };
  // stp and vlan filtering are set when the bridge is created; the FDB cap only afterwards (no cap: 0).
  if (d.bridge) fresh.bridge = { stp: d.bridge.stp, vlanFiltering: d.bridge.vlanFiltering, fdbMaxLearned: 0 };
  return fresh;
}

function pairKey(ns: string, link: LinkState): string {
  const own = `${ns}/${link.name}`;
  if (!link.veth || !link.veth.peerName) return own;
  const peer = `${link.veth.peerNs}/${link.veth.peerName}`;
  return own < peer ? `${own}|${peer}` : `${peer}|${own}`;
}

/** A link that exists but cannot be changed into the desired one in place. */
function mustRecreate(d: LinkState, o: LinkState): boolean {
  if (d.kind !== o.kind) return true;
  // An empty observed peer means its namespace was not read (a partial observation): unknown, so
  // not a reason to re-create. A complete observation marks peers outside the lab FOREIGN_PEER.
  if (d.veth) {
    const peer = o.veth ?? { peerNs: '', peerName: '' };
    if (
      peer.peerNs !== '' &&
      (peer.peerNs !== d.veth.peerNs || (peer.peerName !== '' && peer.peerName !== d.veth.peerName))
    )
      return true;
  }
  if (d.vxlan && o.vxlan) {
    return d.vxlan.vni !== o.vxlan.vni || d.vxlan.port !== o.vxlan.port || d.vxlan.local !== o.vxlan.local;
  }
  return false;
}

/** Fields of an existing link that differ from the desired one (undefined desired = don't care). */
export function linkFieldChanges(d: LinkState, o: LinkState): string[] {
  const fields: string[] = [];
  if (d.mtu !== undefined && d.mtu !== o.mtu) fields.push('mtu');
  if (d.mac !== undefined && d.mac !== o.mac) fields.push('mac');
  if (d.master !== undefined && (d.master || '') !== (o.master || '')) fields.push('master');
  if (d.addrgenNone && !o.addrgenNone) fields.push('addrgenmode');
  if (d.kind !== 'loopback' && d.addresses.join() !== o.addresses.join()) fields.push('addresses');
  if (d.bridge && o.bridge && d.bridge.stp !== o.bridge.stp) fields.push('stp');
  if (d.bridge && o.bridge && d.bridge.vlanFiltering !== o.bridge.vlanFiltering) fields.push('vlanFiltering');
  // An observed cap of undefined was not read (or the kernel has none): not a difference.
  const cap = d.bridge?.fdbMaxLearned;
  if (cap !== undefined && o.bridge?.fdbMaxLearned !== undefined && cap !== o.bridge.fdbMaxLearned)
    fields.push('fdbMaxLearned');
  if (d.port && portFlagChanges(d.port, o.port).length > 0) fields.push('port');
  if (d.up !== o.up) fields.push('up');
  return fields;
}

/**
 * "ns/name" of the far end of veth `l` of namespace `ns`. Resolved peers say it; an unresolved one
 * (two pairs of a lab can carry the same ifindexes: see peers.ts) is found among the veths that
 * point back at `l`: the only one, or those the lab wants as `l`'s peer.
 */
function vethFarEnds(desired: DesiredState, observed: KernelState, ns: string, l: LinkState): string[] {
  if (l.kind !== 'veth') return [];
  if (l.veth?.peerName) return [`${l.veth.peerNs}/${l.veth.peerName}`];
  if (l.ifindex === undefined || l.peerIfindex === undefined || !l.peerElsewhere) return [];
  const candidates: string[] = [];
  for (const [other, s] of Object.entries(observed.namespaces)) {
    if (other === ns) continue;
    for (const m of Object.values(s.links)) {
      if (m.kind === 'veth' && m.ifindex === l.peerIfindex && m.peerIfindex === l.ifindex && m.peerElsewhere)
        candidates.push(`${other}/${m.name}`);
    }
  }
  if (candidates.length <= 1) return candidates;
  return candidates.filter((c) => {
    const [other, name] = c.split('/') as [string, string];
    const want = desired.namespaces[other]?.links[name]?.veth;
    return want?.peerNs === ns && want.peerName === l.name;
  });
}

const routeKey = (r: RouteState) => r.to;
function routeMatches(d: RouteState, o: RouteState): boolean {
  if (d.via !== undefined) return o.via === d.via && (d.dev === undefined || d.dev === o.dev);
  return o.via === undefined && o.dev === d.dev;
}

/** Unmarked (half-made by us) or marked with this prefix and lab. Anything else is never touched. */
function isOurs(desired: DesiredState, o: NamespaceState): boolean {
  const owner = parseOwnershipMarker(o.links.lo?.alias);
  return !owner || (owner.prefix === desired.prefix && owner.lab === desired.lab);
}

export interface DiffOptions {
  /**
   * Namespaces to delete and make again even though they exist: nodes whose kind changed (a router
   * that became a netns is another machine; a netns that became a host loses its user namespace).
   * Namespaces whose observed ownership (`owned`) differs from the desired one are replaced too.
   */
  replace?: ReadonlySet<string>;
}

/** Whether an existing namespace must be made again: asked to, or owned differently than desired. */
function mustReplace(ns: string, d: NamespaceState, o: NamespaceState, opts: DiffOptions): boolean {
  if (opts.replace?.has(ns)) return true;
  return o.owned !== undefined && o.owned !== !!d.owned;
}

export function diff(desired: DesiredState, observedState: KernelState, opts: DiffOptions = {}): Diff {
  const changes: Change[] = [];
  const conflicts: Conflict[] = [];
  const nsNames = [...new Set([...Object.keys(desired.namespaces), ...Object.keys(observedState.namespaces)])]
    .sort()
    .filter((ns) => desired.namespaces[ns] || isOurs(desired, observedState.namespaces[ns]!));
  const removedNs = new Set(nsNames.filter((n) => !desired.namespaces[n]));

  // Namespaces
  const replaced = new Set<string>();
  for (const ns of nsNames) {
    const d = desired.namespaces[ns];
    const o = observedState.namespaces[ns];
    const add = () =>
      changes.push({ kind: 'namespace', action: 'add', ns, node: d!.node, ...(d!.owned ? { owned: true } : {}) });
    if (d && !o) add();
    if (!d && o) changes.push({ kind: 'namespace', action: 'remove', ns, node: o.node });
    if (d && o) {
      // the same marker text is the same owner: parsed only when they differ
      const same = o.links.lo?.alias === d.links.lo!.alias;
      const owner = same ? undefined : parseOwnershipMarker(o.links.lo?.alias);
      const want = same ? undefined : parseOwnershipMarker(d.links.lo!.alias);
      if (owner && want && (owner.prefix !== want.prefix || owner.lab !== want.lab || owner.node !== want.node)) {
        conflicts.push({ ns, message: `namespace ${ns} belongs to ${o.links.lo?.alias}, not to this lab` });
      } else if (mustReplace(ns, d, o, opts)) {
        replaced.add(ns);
        changes.push({ kind: 'namespace', action: 'remove', ns, node: d.node, replace: true });
        add();
      }
    }
  }
  if (conflicts.length) return { lab: desired.lab, changes: [], conflicts };
  // From here on a replaced namespace is planned as a new, empty one.
  const observed: KernelState = replaced.size
    ? {
        namespaces: Object.fromEntries(Object.entries(observedState.namespaces).filter(([n]) => !replaced.has(n))),
      }
    : observedState;

  // Links that must go: not desired, or not changeable in place. Veth pairs are removed once.
  const removedLinks = new Set<string>(); // "ns/name" of every link that will no longer exist
  const removedPairs = new Set<string>();
  // A replaced namespace takes its links with it, and its veths take their far ends. The kernel
  // destroys a deleted namespace in its own time, after `netns del` returns, so its veths are deleted
  // first (stage 1): their far ends' names and ifindexes are free when the new pairs are made.
  for (const ns of [...replaced].sort()) {
    const links = observedState.namespaces[ns]!.links;
    for (const name of Object.keys(links).sort()) {
      const l = links[name]!;
      const key = `${ns}/${name}`;
      const gone = removedLinks.has(key); // the far end of a veth deleted just before
      removedLinks.add(key);
      const far = vethFarEnds(desired, observedState, ns, l);
      for (const f of far) removedLinks.add(f);
      if (l.kind !== 'veth' || gone || removedPairs.has(pairKey(ns, l))) continue;
      removedPairs.add(pairKey(ns, l));
      changes.push({
        kind: 'link',
        action: 'remove',
        ns,
        node: desired.namespaces[ns]!.node,
        name,
        observed: l,
        fields: ['replace'],
      });
    }
  }
  for (const ns of nsNames) {
    if (removedNs.has(ns)) continue;
    const d = desired.namespaces[ns]!;
    const o = observed.namespaces[ns];
    if (!o) continue;
    // The links that must go, found before sorting (a 200-port host has none to sort, usually).
    const going: string[] = [];
    for (const name in o.links) {
      const ol = o.links[name]!;
      if (ol.kind === 'loopback' || KERNEL_FALLBACK_DEVICES.has(name)) continue;
      const dl = d.links[name];
      if (dl && !mustRecreate(dl, ol) && !macvlanMustRecreate(ns, dl, ol, observed)) continue;
      going.push(name);
    }
    for (const name of going.sort()) {
      const ol = o.links[name]!;
      const dl = d.links[name];
      if (removedLinks.has(`${ns}/${name}`)) continue; // gone with a replaced namespace
      const key = pairKey(ns, ol);
      if (removedPairs.has(key)) continue;
      removedPairs.add(key);
      removedLinks.add(`${ns}/${name}`);
      if (ol.veth?.peerName) removedLinks.add(`${ol.veth.peerNs}/${ol.veth.peerName}`);
      changes.push({
        kind: 'link',
        action: 'remove',
        ns,
        node: d.node,
        name,
        observed: ol,
        fields: dl ? ['recreate'] : [],
      });
    }
  }

  // A macvlan goes with its parent: one whose parent is deleted (or re-created) is deleted first,
  // explicitly (plan: `unmacvlan`, before `unlink`), and made again on the new parent.
  for (const ns of removedLinks.size > 0 ? nsNames : []) {
    const o = observed.namespaces[ns];
    const d = desired.namespaces[ns];
    if (!o || !d || removedNs.has(ns)) continue;
    const macvlans: string[] = [];
    for (const name in o.links) if (d.links[name]?.macvlan) macvlans.push(name);
    for (const name of macvlans.sort()) {
      const dl = d.links[name];
      const parent = dl?.macvlan ? `${dl.macvlan.parentNs}/${dl.macvlan.parent}` : undefined;
      if (!parent || !removedLinks.has(parent) || removedLinks.has(`${ns}/${name}`)) continue;
      removedLinks.add(`${ns}/${name}`);
      changes.push({
        kind: 'link',
        action: 'remove',
        ns,
        node: d.node,
        name,
        observed: o.links[name],
        fields: ['recreate'],
      });
    }
  }

  // A veth whose two ends have the same ifindex (both the first link of a fresh namespace) gets
  // its carrier-up event delayed by the kernel's linkwatch for up to a second: linkwatch treats a
  // device whose ifindex equals its iflink as non-urgent. New far ends therefore get an explicit
  // ifindex from a range the kernel's own counter never reaches in a lab's life, and so does the
  // near end (the kernel only honours a peer's ifindex when the device's own is given too).
  // The indexes are unique in the whole lab, not just in each namespace: two pairs with the same
  // (near, far) numbers in four namespaces could not be told apart when peers are resolved
  // from the kernel's numbers (peers.ts).
  // Gathered on the first new veth only: walking every link of a 200-node lab was a tenth of
  // diffing a change that adds none.
  let used: Set<number> | undefined;
  // Where the search for a free index from each base resumes: every index below it is taken (a set
  // only grows), so a new lab's N veth pairs cost N steps, not N²/2 (12 ms of diffing N=1000).
  const resumeAt = new Map<number, number>();
  const nextIndex = (base: number): number => {
    used ??= new Set<number>(
      Object.values(observedState.namespaces).flatMap((n) => Object.values(n.links).map((l) => l.ifindex ?? 0)),
    );
    let i = resumeAt.get(base) ?? base;
    while (used.has(i)) i++;
    used.add(i);
    resumeAt.set(base, i + 1);
    return i;
  };
  const addedPairs = new Set<string>();
  for (const ns of nsNames) {
    const d = desired.namespaces[ns];
    if (!d) continue;
    const o: NamespaceState | undefined = observed.namespaces[ns];
    const node = d.node;

    // Marker and loopback
    const lo = d.links.lo!;
    const olo = o?.links.lo;
    if (!olo || olo.alias !== lo.alias || !olo.up) {
      changes.push({ kind: 'marker', action: 'change', ns, node, desired: lo, observed: olo });
    }

    // Links: those with something to do are found first, then sorted (the order of the changes,
    // and of the ifindexes new veths get); sorting all 201 names of a star's host each apply was
    // a fifth of diffing it.
    const live = (name: string) =>
      o && (removedLinks.size === 0 || !removedLinks.has(`${ns}/${name}`)) ? o.links[name] : undefined;
    const linkWork: { name: string; dl: LinkState; ol?: LinkState; fields?: string[] }[] = [];
    for (const name in d.links) {
      const dl = d.links[name]!;
      if (dl.kind === 'loopback' || dl.kind === 'other') continue; // 'other': a kind we cannot create
      if (dl.kind === 'macvlan' && !dl.macvlan?.parent) continue; // a parent the kernel did not name: cannot be made
      const ol = live(name);
      if (!ol) {
        linkWork.push({ name, dl });
        continue;
      }
      const fields = linkFieldChanges(dl, ol);
      if (fields.length) linkWork.push({ name, dl, ol, fields });
    }
    linkWork.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const { name, dl, ol, fields } of linkWork) {
      if (ol) {
        changes.push({ kind: 'link', action: 'change', ns, node, name, desired: dl, observed: ol, fields: fields! });
        continue;
      }
      const key = pairKey(ns, dl);
      if (!addedPairs.has(key)) {
        addedPairs.add(key);
        const add: Change = { kind: 'link', action: 'add', ns, node, name, desired: dl, fields: [] };
        if (dl.veth) {
          add.index = nextIndex(LINK_INDEX_BASE);
          add.peerIndex = nextIndex(PEER_INDEX_BASE);
        }
        changes.push(add);
      }
      const freshFields = linkFieldChanges(dl, freshLink(dl));
      if (freshFields.length)
        changes.push({
          kind: 'link',
          action: 'change',
          ns,
          node,
          name,
          desired: dl,
          observed: freshLink(dl),
          fields: freshFields,
        });
    }

    // Sysctls (a key the kernel does not show yet belongs to a new interface: kernel default 0;
    // so does the key of an interface that is re-created). Those that differ are sorted.
    const sysctlWork: string[] = [];
    for (const key in d.sysctls) {
      const want = d.sysctls[key]!;
      const iface = removedLinks.size > 0 ? /^net\.ipv4\.conf\.(.+)\.[a-z_]+$/.exec(key)?.[1] : undefined;
      const have = iface !== undefined && removedLinks.has(`${ns}/${iface}`) ? '0' : (o?.sysctls[key] ?? '0');
      if (want !== have) sysctlWork.push(key);
    }
    for (const key of sysctlWork.sort()) {
      const want = d.sysctls[key]!;
      const iface = /^net\.ipv4\.conf\.(.+)\.[a-z_]+$/.exec(key)?.[1];
      const have = iface !== undefined && removedLinks.has(`${ns}/${iface}`) ? '0' : (o?.sysctls[key] ?? '0');
      changes.push({ kind: 'sysctl', action: 'change', ns, node, key, desired: want, observed: have });
    }

    // Routes (those through a removed link are gone with it)
    const egress = (r: RouteState) =>
      r.dev ??
      (r.via
        ? Object.values(o?.links ?? {}).find((l) => l.addresses.some((a) => cidrContains(a, r.via!)))?.name
        : undefined);
    // Removing an address makes the kernel drop routes that used it (as their source), so routes
    // out of a link that loses an address are planned again (`route replace` is idempotent).
    // (Only looked for when the namespace has routes: a bridge host's 201 links, for none.)
    const losingAddress = new Set(
      o?.routes.length
        ? Object.values(o.links)
            .filter((l) => d.links[l.name] && l.addresses.some((a) => !d.links[l.name]!.addresses.includes(a)))
            .map((l) => l.name)
        : [],
    );
    const observedRoutes = (o?.routes ?? []).filter((r) => {
      const dev = egress(r);
      return !dev || (!removedLinks.has(`${ns}/${dev}`) && !losingAddress.has(dev));
    });
    const oByKey = new Map(observedRoutes.map((r) => [routeKey(r), r]));
    const dKeys = new Set(d.routes.map(routeKey));
    for (const r of observedRoutes) {
      if (!dKeys.has(routeKey(r))) changes.push({ kind: 'route', action: 'remove', ns, node, observed: r });
    }
    for (const r of d.routes) {
      const or = oByKey.get(routeKey(r));
      if (!or) changes.push({ kind: 'route', action: 'add', ns, node, desired: r });
      else if (!routeMatches(r, or))
        changes.push({ kind: 'route', action: 'change', ns, node, desired: r, observed: or });
    }

    // VXLAN flood entries (gone with a re-created device)
    const fkey = (f: FloodEntry) => `${f.dev} ${f.dst}`;
    const observedFloods = (o?.floods ?? []).filter((f) => !removedLinks.has(`${ns}/${f.dev}`));
    const dFloods = new Set(d.floods.map(fkey));
    const oFloods = new Set(observedFloods.map(fkey));
    for (const f of observedFloods)
      if (!dFloods.has(fkey(f))) changes.push({ kind: 'fdb', action: 'remove', ns, node, entry: f });
    for (const f of d.floods)
      if (!oFloods.has(fkey(f))) changes.push({ kind: 'fdb', action: 'add', ns, node, entry: f });

    // ebtables (bridge hosts with anti-spoofing ports)
    if (d.ebtables) {
      const have = o?.ebtables ?? defaultEbtablesState();
      if (!ebtablesEqual(d.ebtables, have))
        changes.push({ kind: 'ebtables', action: 'change', ns, node, desired: d.ebtables, observed: have });
    }

    // iptables
    if (d.iptables) {
      const have = o?.iptables ?? defaultIptablesState();
      if (!iptablesEqual(d.iptables, have)) {
        changes.push({ kind: 'iptables', action: 'change', ns, node, desired: d.iptables, observed: have });
      }
    }
    if (d.ip6tables) {
      const have = o?.ip6tables ?? defaultIptablesState();
      if (!iptablesEqual(d.ip6tables, have))
        changes.push({ kind: 'iptables', family: 6, action: 'change', ns, node, desired: d.ip6tables, observed: have });
    }
  }
  const linkChanges = changes.flatMap((c) => (c.kind === 'link' ? [c] : []));
  changes.push(...staleNeighbours(desired, observed, linkChanges, removedLinks));
  return { lab: desired.lab, changes, conflicts };
}
