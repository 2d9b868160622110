// Reads the state of named namespaces as JSON and maps it to @patchbay/topology's KernelState.
// Per namespace: one `ip -j -d -batch -` (links, addresses, routes, netconf),
// plus `bridge -j -batch -` when it has VXLAN devices and `iptables-save` / `ebtables-save` when asked.

import {
  DEFAULT_PORT_FLAGS,
  MACVLAN_MODES,
  type MacvlanInfo,
  type MacvlanMode,
  type PortFlags,
  parseOwnershipMarker,
  resolveVethPeers,
  type FloodEntry,
  type KernelState,
  type LinkKind,
  type LinkState,
  type NamespaceState,
  type RouteState,
} from '@patchbay/topology';
import { readBridgeFdbAttrs } from './bridge-attrs.js';
import { parseEbtablesSave } from './ebtables-text.js';
import { parseIptablesSave } from './iptables-text.js';
import { parseConcatenatedJson } from './json.js';
import { listNamespaces } from './namespaces.js';
import { assertNamespaceName, mapLimit, runInNamespace } from './process.js';

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
interface RawLink {
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
const IP_BATCH = READ_COMMANDS.map((c) => `${c}\n`).join('');

function asArray<T>(v: unknown, ns: string, what: string): T[] {
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

function isMissingNamespace(stderr: string): boolean {
  return /No such file or directory|Cannot open network namespace/i.test(stderr) && /nsenter|netns/i.test(stderr);
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

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function readIptables(ns: string, cmd: 'iptables-save' | 'ip6tables-save' = 'iptables-save') {
  const r = await runInNamespace(ns, cmd, []);
  if (r.code !== 0) throw new ObserveError(ns, `${cmd} failed: ${r.stderr.trim()}`);
  return parseIptablesSave(r.stdout);
}

async function readEbtables(ns: string) {
  const r = await runInNamespace(ns, 'ebtables-save', []);
  if (r.code !== 0) throw new ObserveError(ns, `ebtables-save failed: ${r.stderr.trim()}`);
  return parseEbtablesSave(r.stdout);
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

async function readNamespace(
  ns: string,
  withIptables: boolean,
  withPeerNamespaces: boolean,
  withEbtables: boolean | 'if-available' = false,
  withIp6tables = false,
): Promise<NamespaceState | undefined> {
  // The peer namespaces' ids ride in the same `ip -batch` (one process, not two): its last value.
  const [r, iptables, ebtables, ip6tables] = await Promise.all([
    runInNamespace(ns, 'ip', ['-j', '-d', '-batch', '-'], {
      input: withPeerNamespaces ? `${IP_BATCH}netns list-id\n` : IP_BATCH,
    }),
    withIptables ? readIptables(ns).catch((e: unknown) => e as Error) : Promise.resolve(undefined),
    withEbtables
      ? readEbtables(ns).catch((e: unknown) => (withEbtables === 'if-available' ? undefined : (e as Error)))
      : Promise.resolve(undefined),
    withIp6tables ? readIptables(ns, 'ip6tables-save').catch((e: unknown) => e as Error) : Promise.resolve(undefined),
  ]);
  if (r.code !== 0) {
    if (isMissingNamespace(r.stderr)) return undefined;
    throw new ObserveError(ns, `ip -batch failed (${r.code}): ${r.stderr.trim()}`);
  }
  if (iptables instanceof Error) throw iptables;
  if (ebtables instanceof Error) throw ebtables;
  if (ip6tables instanceof Error) throw ip6tables;
  const values = parseConcatenatedJson(r.stdout);
  const ids = withPeerNamespaces ? namespaceIdsFromJson(ns, values.pop()) : undefined;
  const state = namespaceFromJson(ns, values);
  if (ids) setPeerNamespaces(state, asArray<RawLink>(values[0], ns, 'link show'), ids);
  const [floods] = await Promise.all([readFloodsOf(state), addBridgeFdbAttrs(state)]);
  state.floods = floods;
  if (iptables) state.iptables = iptables;
  if (ebtables) state.ebtables = ebtables;
  if (ip6tables) state.ip6tables = ip6tables;
  return state;
}

/** Each veth's `peerNamespace`: its own namespace, or the one its link-netnsid names (unknown: left out). */
function setPeerNamespaces(state: NamespaceState, links: RawLink[], ids: Map<number, string>): void {
  for (const raw of links) {
    const link = state.links[raw.ifname];
    if (link?.kind !== 'veth') continue;
    const peerNs = raw.link_netnsid === undefined ? state.name : ids.get(raw.link_netnsid);
    if (peerNs !== undefined) link.peerNamespace = peerNs;
  }
}

/**
 * The state of the named namespaces that exist (absent ones are simply not in the result).
 * Veth peers are resolved among the namespaces read; a peer elsewhere stays unknown ("").
 */
export async function observeNamespaces(names: readonly string[], opts: ObserveOptions = {}): Promise<KernelState> {
  const wanted = [...new Set(names)];
  wanted.forEach(assertNamespaceName);
  const present = new Set(await listNamespaces());
  const targets = wanted.filter((n) => present.has(n));
  const results = await mapLimit(targets, opts.concurrency ?? 4, (ns) =>
    readNamespace(
      ns,
      opts.iptables?.has(ns) ?? false,
      opts.peerNamespaces ?? false,
      opts.ebtables?.has(ns) ? true : opts.ebtablesIfAvailable?.has(ns) ? 'if-available' : false,
      opts.ip6tables?.has(ns) ?? false,
    ),
  );
  const namespaces: Record<string, NamespaceState> = {};
  for (const r of results.filter((x): x is NamespaceState => x !== undefined).sort((a, b) => cmp(a.name, b.name))) {
    namespaces[r.name] = r;
  }
  const state: KernelState = { namespaces };
  resolveVethPeers(state, { complete: false });
  return state;
}
