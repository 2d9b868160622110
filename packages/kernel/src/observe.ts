// Reads the state of named namespaces as JSON and maps it to @patchbay/topology's KernelState.
// Per namespace: one `ip -j -d -batch -` (links, addresses, routes, netconf, peer namespace ids),
// plus `bridge -j -batch -` when it has VXLAN devices and `iptables-save` when asked.

import {
  parseOwnershipMarker,
  type FloodEntry,
  type KernelState,
  type LinkKind,
  type LinkState,
  type NamespaceState,
  type RouteState,
} from '@patchbay/topology';
import { parseIptablesSave } from './iptables-text.js';
import { parseConcatenatedJson } from './json.js';
import { listNamespaces } from './namespaces.js';
import { assertNamespaceName, mapLimit, runInNamespace } from './process.js';

export interface ObserveOptions {
  /** Namespaces whose iptables (nat and filter) to read. */
  iptables?: ReadonlySet<string>;
  /** Namespaces read at once. Default 4. */
  concurrency?: number;
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
interface RawAddrInfo {
  family?: string;
  local?: string;
  prefixlen?: number;
}
interface RawLink {
  ifindex: number;
  ifname: string;
  link_index?: number;
  link_netnsid?: number;
  flags?: string[];
  mtu?: number;
  master?: string;
  address?: string;
  link_type?: string;
  ifalias?: string;
  inet6_addr_gen_mode?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: RawAddrInfo[];
}
interface RawRoute {
  type?: string;
  dst?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
}
interface RawNetconf {
  family?: string;
  interface?: string;
  forwarding?: boolean | number;
  proxy_neigh?: boolean | number;
}
interface RawNsid {
  nsid?: number;
  name?: string;
}
interface RawFdb {
  mac?: string;
  dst?: string;
}

/** What one namespace's read produced, before veth peers are resolved across namespaces. */
interface RawNamespace {
  state: NamespaceState;
  /** ifindex → ifname in this namespace. */
  ifnames: Map<number, string>;
  /** link name → peer reference still to resolve. */
  peers: Map<string, { nsid?: number; ifindex?: number }>;
  /** nsid → namespace name, as seen from this namespace. */
  nsids: Map<number, string>;
}

const IP_BATCH = 'link show\naddr show\nroute show\nnetconf show\nnetns list-id\n';

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
  return k === 'veth' || k === 'bridge' || k === 'vxlan' ? k : 'other';
}

/** "10.0.1.2" → "10.0.1.2/32"; "default" and CIDRs unchanged. */
export function normalizeRouteDst(dst: string): string {
  if (dst === 'default' || dst.includes('/')) return dst;
  return dst.includes(':') ? `${dst}/128` : `${dst}/32`;
}

function mapLink(l: RawLink, addrs: RawAddrInfo[]): LinkState {
  const kind = linkKind(l);
  const link: LinkState = {
    name: l.ifname,
    kind,
    up: (l.flags ?? []).includes('UP'),
    addresses: addrs
      .filter((a) => a.family === 'inet' && a.local !== undefined && a.prefixlen !== undefined)
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
    link.bridge = { stp: Number(data['stp_state'] ?? 0) !== 0, vlanFiltering: Number(data['vlan_filtering'] ?? 0) === 1 };
  } else if (kind === 'vxlan') {
    link.vxlan = {
      vni: Number(data['id'] ?? 0),
      port: Number(data['port'] ?? 0),
      local: String(data['local'] ?? data['local6'] ?? ''),
      learning: truthy(data['learning']),
    };
    if (typeof data['link'] === 'string') link.vxlan.dev = data['link'];
  } else if (kind === 'veth') {
    link.veth = { peerNs: '', peerName: '' };
  }
  return link;
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

function mapSysctls(netconf: RawNetconf[]): Record<string, string> {
  const sysctls: Record<string, string> = {};
  for (const c of netconf) {
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
  const r = await runInNamespace(ns, 'bridge', ['-j', '-batch', '-'], { input: devices.map((d) => `fdb show dev ${d}\n`).join('') });
  if (r.code !== 0) throw new ObserveError(ns, `bridge fdb show failed: ${r.stderr.trim()}`);
  const arrays = parseConcatenatedJson(r.stdout);
  if (arrays.length !== devices.length) throw new ObserveError(ns, `bridge printed ${arrays.length} arrays for ${devices.length} devices`);
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

async function readIptables(ns: string) {
  const r = await runInNamespace(ns, 'iptables-save', []);
  if (r.code !== 0) throw new ObserveError(ns, `iptables-save failed: ${r.stderr.trim()}`);
  return parseIptablesSave(r.stdout);
}

async function readNamespace(ns: string, withIptables: boolean): Promise<RawNamespace | undefined> {
  const [r, iptables] = await Promise.all([
    runInNamespace(ns, 'ip', ['-j', '-d', '-batch', '-'], { input: IP_BATCH }),
    withIptables ? readIptables(ns).catch((e: unknown) => e as Error) : Promise.resolve(undefined),
  ]);
  if (r.code !== 0) {
    if (isMissingNamespace(r.stderr)) return undefined;
    throw new ObserveError(ns, `ip -batch failed (${r.code}): ${r.stderr.trim()}`);
  }
  if (iptables instanceof Error) throw iptables;
  const values = parseConcatenatedJson(r.stdout);
  if (values.length !== 5) throw new ObserveError(ns, `ip printed ${values.length} JSON values, expected 5`);
  const links = asArray<RawLink>(values[0], ns, 'link show');
  const addrLinks = asArray<RawLink>(values[1], ns, 'addr show');
  const routes = asArray<RawRoute>(values[2], ns, 'route show');
  const netconf = asArray<RawNetconf>(values[3], ns, 'netconf show');
  const nsidList = asArray<RawNsid>(values[4], ns, 'netns list-id');

  const addrsByIndex = new Map<number, RawAddrInfo[]>();
  for (const l of addrLinks) addrsByIndex.set(l.ifindex, l.addr_info ?? []);
  const raw: RawNamespace = {
    state: { name: ns, node: '', links: {}, routes: mapRoutes(routes), sysctls: mapSysctls(netconf), floods: [] },
    ifnames: new Map(),
    peers: new Map(),
    nsids: new Map(),
  };
  for (const e of nsidList) if (e.nsid !== undefined && e.name) raw.nsids.set(e.nsid, e.name);
  for (const l of links) {
    raw.ifnames.set(l.ifindex, l.ifname);
    const link = mapLink(l, addrsByIndex.get(l.ifindex) ?? []);
    link.ifindex = l.ifindex;
    raw.state.links[l.ifname] = link;
    if (link.kind === 'veth') {
      const ref: { nsid?: number; ifindex?: number } = {};
      if (l.link_netnsid !== undefined) ref.nsid = l.link_netnsid;
      if (l.link_index !== undefined) ref.ifindex = l.link_index;
      raw.peers.set(l.ifname, ref);
    }
  }
  const marker = parseOwnershipMarker(raw.state.links['lo']?.alias);
  // The marker names the node; a lab's implicit bridge host is IMPLICIT_HOST ("_host").
  if (marker) raw.state.node = marker.node;
  const vxlans = Object.values(raw.state.links)
    .filter((l) => l.kind === 'vxlan')
    .map((l) => l.name)
    .sort();
  raw.state.floods = await readFloods(ns, vxlans);
  if (iptables) raw.state.iptables = iptables;
  return raw;
}

/**
 * The state of the named namespaces that exist (absent ones are simply not in the result).
 * Veth peers are resolved across the observed namespaces; a peer in a namespace not observed
 * gets its namespace name (when the kernel knows it) and an empty `peerName`.
 */
export async function observeNamespaces(names: readonly string[], opts: ObserveOptions = {}): Promise<KernelState> {
  const wanted = [...new Set(names)];
  wanted.forEach(assertNamespaceName);
  const present = new Set(await listNamespaces());
  const targets = wanted.filter((n) => present.has(n));
  const results = await mapLimit(targets, opts.concurrency ?? 4, (ns) => readNamespace(ns, opts.iptables?.has(ns) ?? false));
  const byName = new Map<string, RawNamespace>();
  for (const r of results) if (r) byName.set(r.state.name, r);

  for (const raw of byName.values()) {
    for (const [ifname, ref] of raw.peers) {
      const link = raw.state.links[ifname]!;
      const peerNs = ref.nsid === undefined ? raw.state.name : raw.nsids.get(ref.nsid) ?? '';
      const peer = byName.get(peerNs);
      const peerName = peer && ref.ifindex !== undefined ? peer.ifnames.get(ref.ifindex) ?? '' : '';
      link.veth = { peerNs, peerName };
    }
  }
  const namespaces: Record<string, NamespaceState> = {};
  for (const ns of [...byName.keys()].sort()) namespaces[ns] = byName.get(ns)!.state;
  return { namespaces };
}
