// A namespace's live read (its state as observeNamespaces reads it, and its live tables) brought up
// to date from the objects the namespace watcher decoded out of the kernel's change messages
// (helpers/nldecode.py), so a change costs no `ip -j` process. Each object is written in iproute2's
// JSON shape and goes through the same parsers a read uses (parseRouteTable, the address filter of
// observe.ts), so a patched entry and a fresh read say the same thing. Interfaces are named from
// the state being patched (a new or renamed link comes with a link message, which the helper does
// not decode: the namespace is then read again). Where patching cannot be exact, patchLiveRead
// returns false and the caller reads the namespace instead.
import type { LinkState, NamespaceState, RouteView } from '@patchbay/topology';
import { isLabIPv6 } from './observe.js';
import { compareRouteTables, parseRouteTable } from './route-table.js';
import type { FdbEntry, LiveTables, NeighbourEntry } from './tables.js';

export interface DecodedAddress {
  t: 'addr';
  /** Only additions: a deleted address takes dependent routes with it, unreported (the caller reads). */
  op: 'new';
  family: 'inet' | 'inet6';
  ifindex: number;
  local: string;
  prefixlen: number;
  scope: number;
  /** IFA_F_* (IFA_FLAGS when sent, else ifa_flags). */
  flags: number;
}

export interface DecodedRoute {
  t: 'route';
  op: 'new' | 'del';
  /** NLM_F_REPLACE: the route replaced the one with the same key. */
  replace: boolean;
  family: 'inet' | 'inet6';
  dst_len: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags: number;
  dst?: string;
  gateway?: string;
  prefsrc?: string;
  oif?: number;
  metric?: number;
}

export interface DecodedNeighbour {
  t: 'neigh';
  op: 'new' | 'del';
  /** inet/inet6: ARP and NDP neighbours; bridge: FDB entries. */
  family: 'inet' | 'inet6' | 'bridge';
  ifindex: number;
  /** NUD_* bits. */
  state: number;
  /** NTF_* bits. */
  flags: number;
  dst?: string;
  lladdr?: string;
  vlan?: number;
  /** FDB: the bridge's ifindex. */
  master?: number;
}

export type DecodedObject = DecodedAddress | DecodedRoute | DecodedNeighbour;

const IFA_F_NODAD = 0x02;
const NUD_NAMES = ['INCOMPLETE', 'REACHABLE', 'STALE', 'DELAY', 'PROBE', 'FAILED', 'NOARP', 'PERMANENT'] as const;
const NUD_NOARP = 0x40;
const NUD_PERMANENT = 0x80;
const NUD_STALE = 0x04;
const NUD_REACHABLE = 0x02;
const NTF_PROXY = 0x08;
const NTF_EXT_LEARNED = 0x10;
const RTM_F_CLONED = 0x200;

// iproute2's names (lib/rt_names.c and /etc/iproute2 defaults); a number it has no name for is printed as such.
const ROUTE_TYPES = [
  'none',
  'unicast',
  'local',
  'broadcast',
  'anycast',
  'multicast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
  'xresolve',
];
const PROTOCOLS: Record<number, string> = {
  0: 'unspec',
  1: 'redirect',
  2: 'kernel',
  3: 'boot',
  4: 'static',
  8: 'gated',
  9: 'ra',
  10: 'mrt',
  11: 'zebra',
  12: 'bird',
  13: 'dnrouted',
  14: 'xorp',
  15: 'ntk',
  16: 'dhcp',
  17: 'mrouted',
  18: 'keepalived',
  42: 'babel',
  99: 'openr',
  186: 'bgp',
  187: 'isis',
  188: 'ospf',
  189: 'rip',
  192: 'eigrp',
};
const SCOPES: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };
const TABLES: Record<number, string> = { 253: 'default', 254: 'main', 255: 'local' };
/** print_rt_flags's order. */
const ROUTE_FLAGS: [number, string][] = [
  [0x01, 'dead'],
  [0x04, 'onlink'],
  [0x02, 'pervasive'],
  [0x08, 'offload'],
  [0x40, 'trap'],
  [0x100, 'notify'],
  [0x10, 'linkdown'],
  [0x20, 'unresolved'],
  [0x2000, 'rt_offload'],
  [0x4000, 'rt_trap'],
  [0x20000000, 'rt_offload_failed'],
];
/** print_fdb_flags's order. */
const FDB_FLAGS: [number, string][] = [
  [0x02, 'self'],
  [0x80, 'router'],
  [0x10, 'extern_learn'],
  [0x20, 'offload'],
  [0x04, 'master'],
  [0x40, 'sticky'],
];

const flagNames = (bits: number, table: [number, string][]) => table.filter(([b]) => bits & b).map(([, n]) => n);

/** An `ip -j route` entry for a decoded route (every field, as `ip -d` prints them). */
export function routeJson(r: DecodedRoute, dev: string | undefined): Record<string, unknown> {
  const json: Record<string, unknown> = {
    type: ROUTE_TYPES[r.type] ?? String(r.type),
    dst: r.dst_len === 0 ? 'default' : `${r.dst ?? (r.family === 'inet' ? '0.0.0.0' : '::')}/${r.dst_len}`,
    protocol: PROTOCOLS[r.protocol] ?? String(r.protocol),
    scope: SCOPES[r.scope] ?? String(r.scope),
    table: TABLES[r.table] ?? String(r.table),
    flags: flagNames(r.flags, ROUTE_FLAGS),
  };
  if (r.gateway !== undefined) json['gateway'] = r.gateway;
  if (dev !== undefined) json['dev'] = dev;
  if (r.prefsrc !== undefined) json['prefsrc'] = r.prefsrc;
  if (r.metric !== undefined) json['metric'] = r.metric;
  return json;
}

/** A neighbour as `ip -j neigh` lists it, or undefined for one it does not list (NOARP, NONE, proxy). */
export function neighbourEntry(n: DecodedNeighbour, dev: string): NeighbourEntry | undefined {
  if (n.dst === undefined || n.flags & NTF_PROXY) return undefined;
  // `ip neigh show` filters on every state but NOARP; entries with no state (NONE) are left out too.
  if (!(n.state & 0xff & ~NUD_NOARP) && !(n.flags & NTF_EXT_LEARNED)) return undefined;
  const entry: NeighbourEntry = { dst: n.dst, dev, state: NUD_NAMES.filter((_, i) => n.state & (1 << i)) };
  if (n.lladdr !== undefined) entry.lladdr = n.lladdr;
  return entry;
}

/** bridge/fdb.c's state_n2a. */
function fdbState(s: number): string {
  if (s & NUD_PERMANENT) return 'permanent';
  if (s & NUD_NOARP) return 'static';
  if (s & NUD_STALE) return 'stale';
  if (s & NUD_REACHABLE) return '';
  return `0x${s.toString(16)}`;
}

/** An FDB entry as `bridge -j fdb` lists it (as readLiveTables maps it). */
export function fdbEntry(n: DecodedNeighbour, dev: string, master: string | undefined): FdbEntry {
  return {
    mac: n.lladdr ?? '',
    dev,
    master,
    dst: n.dst,
    vlan: n.vlan,
    flags: flagNames(n.flags, FDB_FLAGS),
    state: fdbState(n.state),
  };
}

const isMulticastMac = (mac: string) => mac.startsWith('33:33:') || mac.startsWith('01:00:5e:');
const fdbKey = (e: FdbEntry) => `${e.mac}|${e.dev}|${e.vlan ?? ''}|${e.dst ?? ''}|${e.flags.includes('self')}`;
/** What the bridge counts in its learned entries (IFLA_BR_FDB_N_LEARNED): dynamic, not extern_learn. */
const looksLearned = (e: FdbEntry, bridge: string) =>
  e.master === bridge && (e.state === '' || e.state === 'stale') && !e.flags.includes('extern_learn');
const routeKey = (r: RouteView) => `${r.table}|${r.to}|${r.metric ?? 0}`;
const sameRoute = (a: RouteView, b: RouteView) => JSON.stringify(a) === JSON.stringify(b);
const isV6 = (r: RouteView) => r.to.includes(':');

/**
 * Applies `objects` (in the kernel's order) to `state` and `tables` of one namespace, in place.
 * False when one of them cannot be applied exactly (an interface the state does not know): the
 * caller must then read the namespace (what was applied so far is to be thrown away).
 */
export function patchLiveRead(state: NamespaceState, tables: LiveTables, objects: readonly DecodedObject[]): boolean {
  const byIndex = new Map<number, LinkState>();
  for (const l of Object.values(state.links)) if (l.ifindex !== undefined) byIndex.set(l.ifindex, l);
  let routesChanged = false;
  for (const o of objects) {
    if (o.t === 'addr') {
      const link = byIndex.get(o.ifindex);
      if (!link || o.op !== 'new') return false;
      const raw = {
        family: o.family,
        local: o.local,
        prefixlen: o.prefixlen,
        scope: SCOPES[o.scope] ?? String(o.scope),
        nodad: (o.flags & IFA_F_NODAD) !== 0,
      };
      if (o.family === 'inet6' && !isLabIPv6(raw)) continue;
      // The first IPv6 address makes IPv6 forwarding part of the state (observe.ts): read it.
      if (o.family === 'inet6' && !Object.values(state.links).some((l) => l.addresses.some((a) => a.includes(':'))))
        return false;
      const cidr = `${o.local}/${o.prefixlen}`;
      if (!link.addresses.includes(cidr)) link.addresses = [...link.addresses, cidr].sort();
    } else if (o.t === 'route') {
      if (o.flags & RTM_F_CLONED) continue; // route cache entries: `ip route show` leaves them out
      const dev = o.oif === undefined ? undefined : byIndex.get(o.oif)?.name;
      if (o.oif !== undefined && dev === undefined) return false;
      const view = parseRouteTable([routeJson(o, dev)])[0];
      if (!view) return false;
      if (o.family === 'inet6' && view.to === 'default') view.to = '::/0';
      // IPv6: the live tables show the main table only
      if (o.family === 'inet6' && view.table !== 'main') continue;
      if (!patchRoutes(tables, o, view)) return false;
      routesChanged = true;
    } else if (o.family === 'bridge') {
      if (!patchFdb(state, tables, o, byIndex)) return false;
    } else {
      const dev = byIndex.get(o.ifindex)?.name;
      if (dev === undefined) return false;
      const i = tables.neighbours.findIndex((n) => n.dst === o.dst && n.dev === dev);
      const entry = o.op === 'new' ? neighbourEntry(o, dev) : undefined;
      if (i >= 0 && entry) tables.neighbours[i] = entry;
      else if (i >= 0) tables.neighbours.splice(i, 1);
      else if (entry) tables.neighbours.push(entry);
    }
  }
  if (routesChanged) {
    // The desired-state read's routes: the main tables' (IPv4 then IPv6), kernel-made and non-unicast left out.
    state.routes = tables.routes
      .filter((r) => r.table === 'main' && r.protocol !== 'kernel' && r.type === 'unicast')
      .map((r) => ({ to: r.to, ...(r.via ? { via: r.via } : {}), ...(r.dev ? { dev: r.dev } : {}) }));
  }
  return true;
}

/** False when a deleted route is not kept as the message says it was, but one like it is (read instead). */
function patchRoutes(tables: LiveTables, o: DecodedRoute, view: RouteView): boolean {
  const routes = tables.routes;
  const key = routeKey(view);
  if (o.op === 'del') {
    const i = routes.findIndex((r) => sameRoute(r, view));
    if (i >= 0) routes.splice(i, 1);
    // gone already (a read after the change, before its report) — or kept otherwise than the kernel had it
    return i >= 0 || !routes.some((r) => routeKey(r) === key);
  }
  // IPv6 keeps one route per (destination, metric); IPv4's replace takes the place of the first such.
  const replacing = o.replace || o.family === 'inet6';
  const same = routes.findIndex((r) => (replacing ? routeKey(r) === key : sameRoute(r, view)));
  if (same >= 0) {
    routes[same] = view;
    return true;
  }
  // New: after the last route of its table (IPv4 tables in the views' order, IPv6's main table last).
  const v4 = routes.filter((r) => !isV6(r));
  const v6 = routes.filter(isV6);
  if (isV6(view)) v6.push(view);
  else {
    v4.push(view);
    v4.sort((a, b) => compareRouteTables(a.table!, b.table!));
  }
  routes.splice(0, routes.length, ...v4, ...v6);
  return true;
}

function patchFdb(
  state: NamespaceState,
  tables: LiveTables,
  o: DecodedNeighbour,
  byIndex: Map<number, LinkState>,
): boolean {
  const link = byIndex.get(o.ifindex);
  const master = o.master === undefined ? undefined : byIndex.get(o.master)?.name;
  if (!link || (o.master !== undefined && master === undefined)) return false;
  const entry = fdbEntry(o, link.name, master);
  if (isMulticastMac(entry.mac)) return true; // readLiveTables leaves them out
  const bridge = master === undefined ? undefined : state.links[master]?.bridge;
  const learnedBefore = bridge && master ? tables.fdb.filter((e) => looksLearned(e, master)).length : 0;
  const key = fdbKey(entry);
  const i = tables.fdb.findIndex((e) => fdbKey(e) === key);
  if (o.op === 'del') {
    if (i >= 0) tables.fdb.splice(i, 1);
  } else if (i >= 0) tables.fdb[i] = entry;
  else tables.fdb.push(entry);
  if (bridge?.fdbLearned !== undefined && master) {
    bridge.fdbLearned += tables.fdb.filter((e) => looksLearned(e, master)).length - learnedBefore;
  }
  // A VXLAN device's flood entries (all-zero MAC, a remote) are desired state.
  if (link.kind === 'vxlan' && entry.mac === '00:00:00:00:00:00' && entry.dst !== undefined) {
    const others = state.floods.filter((f) => !(f.dev === link.name && f.dst === entry.dst));
    if (o.op === 'new') others.push({ dev: link.name, dst: entry.dst });
    state.floods = others.sort((a, b) => (a.dev === b.dev ? cmp(a.dst, b.dst) : cmp(a.dev, b.dev)));
  }
  return true;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
