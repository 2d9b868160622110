// Maps a namespace's JSON (READ_COMMANDS as `ip -j -d` prints them, or the rtnetlink executor's read
// in the same shape) to @patchbay/topology's NamespaceState, and the reads around it (VXLAN floods,
// bridges' FDB attributes, tables). observe-namespaces.ts reads whole namespaces with these.

import {
  DEFAULT_PORT_FLAGS,
  MACVLAN_MODES,
  type MacvlanInfo,
  type MacvlanMode,
  type PortFlags,
  parseOwnershipMarker,
  type FloodEntry,
  type LinkKind,
  type LinkState,
  type NamespaceState,
  type RouteState,
} from '@patchbay/topology';
import { readBridgeFdbAttrs } from './bridge-attrs.js';
import { parseConcatenatedJson } from './json.js';
import { runInNamespace } from './process.js';

export interface ObserveOptions {
  /** Namespaces whose iptables (nat and filter) to read. */
  iptables?: ReadonlySet<string>;
  /** Namespaces whose ip6tables (nat and filter) to read. */
  ip6tables?: ReadonlySet<string>;
  /** Namespaces whose ebtables filter table to read (bridge hosts with anti-spoofing ports). */
  ebtables?: ReadonlySet<string>;
  /**
   * Namespaces whose ebtables to read if the machine can (the tables view of every bridge host):
   * an `ebtables-save` that fails (no ebtables here) leaves `ebtables` unset instead of failing the read.
   */
  ebtablesIfAvailable?: ReadonlySet<string>;
  /** Namespaces read at once. Default 4. */
  concurrency?: number;
  /**
   * Also resolve each veth's peer namespace (`peerNamespace`: its link-netnsid named through
   * `ip netns list-id`, one more process per namespace, which opens every named namespace of the
   * machine). The views want it; the apply path, whose ifindexes are unique in a lab, does not.
   */
  peerNamespaces?: boolean;
}

export class ObserveError extends Error {
  constructor(
    readonly ns: string,
    message: string,
  ) {
    super(`observe ${ns}: ${message}`);
    this.name = 'ObserveError';
  }
}

// Raw iproute2 JSON, only the fields used here.
export interface RawAddrInfo {
  family?: string;
  local?: string;
  prefixlen?: number;
  scope?: string;
  nodad?: boolean;
}
export interface RawLink {
  ifindex: number;
  ifname: string;
  /** The lower device's name: printed instead of link_index when it is in the same namespace. */
  link?: string;
  link_index?: number;
  link_netnsid?: number;
  flags?: string[];
  mtu?: number;
  master?: string;
  address?: string;
  link_type?: string;
  ifalias?: string;
  inet6_addr_gen_mode?: string;
  linkinfo?: {
    info_kind?: string;
    info_data?: Record<string, unknown>;
    info_slave_kind?: string;
    info_slave_data?: Record<string, unknown>;
  };
  addr_info?: RawAddrInfo[];
}
interface RawRoute {
  type?: string;
  dst?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  /** Absent for the main table in `table all` listings. */
  table?: string;
}
interface RawNetconf {
  family?: string;
  interface?: string;
  forwarding?: boolean | number;
  proxy_neigh?: boolean | number;
}
interface RawFdb {
  mac?: string;
  dst?: string;
}

/** What one namespace's read asks `ip -j -d -batch -` for (also appended to configure batches). */
// `route show` is IPv4's main table; the batch takes no -6, but a root prefix of ::/0 over all tables
// lists IPv6 routes only (shared research, kernel-and-sandbox-facts §routes: main table only otherwise).
export const READ_COMMANDS = [
  'link show',
  'addr show',
  'route show',
  'netconf show',
  'route show table all root ::/0',
] as const;
export const IP_BATCH = READ_COMMANDS.map((c) => `${c}\n`).join('');

export function asArray<T>(v: unknown, ns: string, what: string): T[] {
  if (!Array.isArray(v)) throw new ObserveError(ns, `expected a JSON array for ${what}`);
  return v as T[];
}

function truthy(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 'on';
}

function linkKind(l: RawLink): LinkKind {
  if (l.link_type === 'loopback' || l.ifname === 'lo') return 'loopback';
  const k = l.linkinfo?.info_kind;
  return k === 'veth' || k === 'bridge' || k === 'vxlan' || k === 'macvlan' ? k : 'other';
}

/** "10.0.1.2" → "10.0.1.2/32"; "default" and CIDRs unchanged. */
export function normalizeRouteDst(dst: string): string {
  if (dst === 'default' || dst.includes('/')) return dst;
  return dst.includes(':') ? `${dst}/128` : `${dst}/32`;
}

/**
 * An IPv6 address a lab (or a student) added, not one the kernel made: not lo's ::1 (scope host),
 * and a link-local one only when added with nodad as Patchbay adds them — an interface the lab did
 * not create, or one up before its address generation was switched off, has a kernel-made fe80::.
 */
export function isLabIPv6(a: RawAddrInfo): boolean {
  if (a.scope === 'host') return false;
  return a.scope !== 'link' || a.nodad === true;
}

function mapLink(l: RawLink, addrs: RawAddrInfo[]): LinkState {
  const kind = linkKind(l);
  const link: LinkState = {
    name: l.ifname,
    kind,
    up: (l.flags ?? []).includes('UP'),
    addresses: addrs
      // IPv6 too: lab links have address generation off, so every inet6 address is one a lab (or a
      // student) added; the kernel prints them in canonical form, as compile writes them.
      .filter(
        (a) =>
          (a.family === 'inet' || (a.family === 'inet6' && isLabIPv6(a))) &&
          a.local !== undefined &&
          a.prefixlen !== undefined,
      )
      .map((a) => `${a.local}/${a.prefixlen}`)
      .sort(),
  };
  if (l.mtu !== undefined) link.mtu = l.mtu;
  if (l.address) link.mac = l.address.toLowerCase();
  if (l.master) link.master = l.master;
  link.addrgenNone = l.inet6_addr_gen_mode === 'none';
  if (l.ifalias !== undefined) link.alias = l.ifalias;
  const data = l.linkinfo?.info_data ?? {};
  if (kind === 'bridge') {
    link.bridge = {
      stp: Number(data['stp_state'] ?? 0) !== 0,
      vlanFiltering: Number(data['vlan_filtering'] ?? 0) === 1,
    };
  } else if (kind === 'vxlan') {
    const local = data['local'] ?? data['local6'];
    link.vxlan = {
      vni: Number(data['id'] ?? 0),
      port: Number(data['port'] ?? 0),
      local: typeof local === 'string' ? local : '',
      learning: truthy(data['learning']),
    };
    if (typeof data['link'] === 'string') link.vxlan.dev = data['link'];
  } else if (kind === 'veth') {
    link.veth = { peerNs: '', peerName: '' };
  } else if (kind === 'macvlan') {
    link.macvlan = macvlanInfo(l, data);
  }
  if (l.linkinfo?.info_slave_kind === 'bridge') link.port = portFlags(l.linkinfo.info_slave_data ?? {});
  return link;
}

/** A macvlan's mode and its parent as the kernel names it: an ifindex, maybe in another namespace. */
function macvlanInfo(l: RawLink, data: Record<string, unknown>): MacvlanInfo {
  const mode = data['mode'];
  const info: MacvlanInfo = {
    mode: MACVLAN_MODES.includes(mode as MacvlanMode) ? (mode as MacvlanMode) : 'bridge',
    parentElsewhere: l.link_netnsid !== undefined,
  };
  if (l.link_index !== undefined) info.parentIfindex = l.link_index;
  return info;
}

/** A bridge port's flags from `info_slave_data` (iproute2 6.1 prints booleans; missing: the default). */
function portFlags(data: Record<string, unknown>): PortFlags {
  const flag = (key: keyof PortFlags) => (data[key] === undefined ? DEFAULT_PORT_FLAGS[key] : truthy(data[key]));
  return { hairpin: flag('hairpin'), learning: flag('learning'), flood: flag('flood'), isolated: flag('isolated') };
}

function mapRoutes(routes: RawRoute[]): RouteState[] {
  const out: RouteState[] = [];
  for (const r of routes) {
    if (r.protocol === 'kernel') continue;
    if (r.type !== undefined && r.type !== 'unicast') continue;
    if (!r.dst) continue;
    const route: RouteState = { to: normalizeRouteDst(r.dst) };
    if (r.gateway) route.via = r.gateway;
    if (r.dev) route.dev = r.dev;
    out.push(route);
  }
  return out;
}

/** IPv6 routes of the main table a lab or student made (kernel-made prefix and multicast ones left out). */
function mapRoutes6(routes: RawRoute[]): RouteState[] {
  const main = routes.filter((r) => r.table === undefined || r.table === 'main');
  // IPv6's default is "::/0" in the state: "default" alone means IPv4's.
  return mapRoutes(main).map((r) => (r.to === 'default' ? { ...r, to: '::/0' } : r));
}

function mapSysctls(netconf: RawNetconf[]): Record<string, string> {
  const sysctls: Record<string, string> = {};
  for (const c of netconf) {
    if (c.family === 'inet6' && c.interface === 'all')
      sysctls['net.ipv6.conf.all.forwarding'] = truthy(c.forwarding) ? '1' : '0';
    if (c.family !== 'inet' || !c.interface) continue;
    if (c.interface === 'all') sysctls['net.ipv4.ip_forward'] = truthy(c.forwarding) ? '1' : '0';
    else if (c.interface !== 'default' && c.interface !== 'lo') {
      sysctls[`net.ipv4.conf.${c.interface}.proxy_arp`] = truthy(c.proxy_neigh) ? '1' : '0';
    }
  }
  return sysctls;
}

async function readFloods(ns: string, devices: string[]): Promise<FloodEntry[]> {
  if (devices.length === 0) return [];
  const r = await runInNamespace(ns, 'bridge', ['-j', '-batch', '-'], {
    input: devices.map((d) => `fdb show dev ${d}\n`).join(''),
  });
  if (r.code !== 0) throw new ObserveError(ns, `bridge fdb show failed: ${r.stderr.trim()}`);
  const arrays = parseConcatenatedJson(r.stdout);
  if (arrays.length !== devices.length)
    throw new ObserveError(ns, `bridge printed ${arrays.length} arrays for ${devices.length} devices`);
  const floods: FloodEntry[] = [];
  devices.forEach((dev, i) => {
    for (const e of asArray<RawFdb>(arrays[i], ns, 'fdb')) {
      if (e.mac === '00:00:00:00:00:00' && e.dst) floods.push({ dev, dst: e.dst });
    }
  });
  return floods.sort((a, b) => (a.dev === b.dev ? cmp(a.dst, b.dst) : cmp(a.dev, b.dev)));
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A namespace's state from the JSON arrays of READ_COMMANDS (in that order), without floods and
 * iptables. Veth peers are left to `resolveVethPeers`: each veth carries its ifindex and its peer's.
 */
export function namespaceFromJson(ns: string, values: unknown[]): NamespaceState {
  if (values.length !== READ_COMMANDS.length) {
    throw new ObserveError(ns, `ip printed ${values.length} JSON values, expected ${READ_COMMANDS.length}`);
  }
  const links = asArray<RawLink>(values[0], ns, 'link show');
  const addrLinks = asArray<RawLink>(values[1], ns, 'addr show');
  const routes = asArray<RawRoute>(values[2], ns, 'route show');
  const netconf = asArray<RawNetconf>(values[3], ns, 'netconf show');
  const routes6 = asArray<RawRoute>(values[4], ns, 'route show (IPv6)');
  const addrsByIndex = new Map<number, RawAddrInfo[]>();
  for (const l of addrLinks) addrsByIndex.set(l.ifindex, l.addr_info ?? []);
  const state: NamespaceState = {
    name: ns,
    node: '',
    links: {},
    routes: [...mapRoutes(routes), ...mapRoutes6(routes6)],
    sysctls: mapSysctls(netconf),
    floods: [],
  };
  for (const l of links) {
    const link = mapLink(l, addrsByIndex.get(l.ifindex) ?? []);
    link.ifindex = l.ifindex;
    if (link.kind === 'veth') {
      link.veth = { peerNs: '', peerName: '' };
      if (l.link_index !== undefined) link.peerIfindex = l.link_index;
      link.peerElsewhere = l.link_netnsid !== undefined;
    }
    state.links[l.ifname] = link;
  }
  // A macvlan whose parent is in its own namespace (a host's shim): iproute2 names the parent
  // (`link`) instead of giving its ifindex, so the ifindex is taken from that link.
  for (const l of links) {
    const m = state.links[l.ifname]?.macvlan;
    const parent = l.link === undefined ? undefined : state.links[l.link];
    if (m && m.parentIfindex === undefined && !m.parentElsewhere && parent?.ifindex !== undefined)
      m.parentIfindex = parent.ifindex;
  }
  // IPv6 forwarding is a setting of namespaces with IPv6 (compile-ipv6): elsewhere it is not reported.
  if (!Object.values(state.links).some((l) => l.addresses.some((a) => a.includes(':'))))
    delete state.sysctls['net.ipv6.conf.all.forwarding'];
  // The marker names the node; a lab's implicit bridge host is IMPLICIT_HOST ("_host").
  const marker = parseOwnershipMarker(state.links['lo']?.alias);
  if (marker) state.node = marker.node;
  return state;
}

/** The VXLAN flood entries of a namespace whose links are known (one `bridge` process, if any VXLAN). */
export function readFloodsOf(state: NamespaceState): Promise<FloodEntry[]> {
  const vxlans = Object.values(state.links)
    .filter((l) => l.kind === 'vxlan')
    .map((l) => l.name)
    .sort();
  return readFloods(state.name, vxlans);
}

/**
 * The FDB cap and count of each bridge in `state` (iproute2 6.1's JSON has neither: bridge-attrs.ts).
 * A namespace without bridges costs nothing.
 */
export async function addBridgeFdbAttrs(state: NamespaceState): Promise<void> {
  const bridges = Object.values(state.links).filter((l) => l.bridge);
  if (bridges.length === 0) return;
  const attrs = await readBridgeFdbAttrs(state.name);
  for (const l of bridges) {
    const a = attrs?.[l.name];
    if (a?.fdbMaxLearned !== undefined) l.bridge!.fdbMaxLearned = a.fdbMaxLearned;
    if (a?.fdbLearned !== undefined) l.bridge!.fdbLearned = a.fdbLearned;
  }
}

/**
 * The namespaces `ns` knows by id (link-netnsid → name), from the JSON of `ip -j netns list-id` run inside it.
 * An id whose namespace has no name under /run/netns is left out.
 */
export function namespaceIdsFromJson(ns: string, json: unknown): Map<number, string> {
  const ids = new Map<number, string>();
  for (const e of asArray<{ nsid?: number; name?: string }>(json ?? [], ns, 'netns list-id')) {
    if (typeof e.nsid === 'number' && typeof e.name === 'string') ids.set(e.nsid, e.name);
  }
  return ids;
}

/** ifindex → interface name of the links of `ns` (one `ip -j link show`): names a peer known by its ifindex. */
export async function readLinkNames(ns: string): Promise<Map<number, string>> {
  const r = await runInNamespace(ns, 'ip', ['-j', 'link', 'show']);
  if (r.code !== 0) throw new ObserveError(ns, `ip link show failed: ${r.stderr.trim()}`);
  const names = new Map<number, string>();
  for (const l of asArray<RawLink>(parseConcatenatedJson(r.stdout)[0] ?? [], ns, 'link show'))
    names.set(l.ifindex, l.ifname);
  return names;
}

/**
 * Each bridge's FDB cap and count from a link read of the rtnetlink executor (`info_data.fdb_max_learned`,
 * `fdb_n_learned`), as addBridgeFdbAttrs sets them from bridge-attrs.ts.
 */
export function addFdbAttrs(state: NamespaceState, links: unknown): void {
  if (!Array.isArray(links)) return;
  for (const l of links as { ifname?: string; linkinfo?: { info_data?: Record<string, unknown> } }[]) {
    const bridge = l.ifname === undefined ? undefined : state.links[l.ifname]?.bridge;
    const data = l.linkinfo?.info_data;
    if (!bridge || !data) continue;
    if (typeof data['fdb_max_learned'] === 'number') bridge.fdbMaxLearned = data['fdb_max_learned'];
    if (typeof data['fdb_n_learned'] === 'number') bridge.fdbLearned = data['fdb_n_learned'];
  }
}
