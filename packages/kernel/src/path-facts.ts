// What `why` needs of one namespace beyond the desired-state read (observe.ts): each link's flags
// and operational state (carrier), the neighbour table, each interface's netconf (forwarding,
// rp_filter, proxy ARP), and the bridges' port states and FDB. Two processes per namespace:
// one `ip -j -batch -`, one `bridge -j -batch -`.
import { parseConcatenatedJson } from './json.js';
import { runInNamespace } from './process.js';

export interface PathLink {
  name: string;
  flags: string[];
  /** UP, DOWN, LOWERLAYERDOWN, UNKNOWN, … */
  operstate: string;
  mtu?: number;
  mac?: string;
  master?: string;
}

export interface PathNeighbour {
  dst: string;
  dev: string;
  lladdr?: string;
  state: string[];
}

export interface PathNetconf {
  forwarding: boolean;
  /** "off", "strict" or "loose" (iproute2's words). */
  rpFilter: string;
  proxyArp: boolean;
}

export interface PathBridgePort {
  name: string;
  master: string;
  /** forwarding, learning, listening, blocking, disabled. */
  state: string;
  flags: string[];
}

export interface PathFdbEntry {
  mac: string;
  dev: string;
  master?: string;
  dst?: string;
  flags: string[];
  state?: string;
}

export interface PathFacts {
  links: Record<string, PathLink>;
  neighbours: PathNeighbour[];
  /** Keyed by interface name, plus "all". */
  netconf: Record<string, PathNetconf>;
  ports: Record<string, PathBridgePort>;
  fdb: PathFdbEntry[];
  /** The commands read, as a learner would type them. */
  commands: string[];
}

type Raw = Record<string, unknown>;
const arr = (v: unknown): Raw[] => (Array.isArray(v) ? (v as Raw[]) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export async function readPathFacts(ns: string): Promise<PathFacts> {
  const [ip, br] = await Promise.all([
    runInNamespace(ns, 'ip', ['-j', '-4', '-batch', '-'], { input: 'link show\nneigh show\nnetconf show\n' }),
    runInNamespace(ns, 'bridge', ['-j', '-batch', '-'], { input: 'link show\nfdb show\n' }),
  ]);
  if (ip.code !== 0) throw new Error(`ip link/neigh/netconf in ${ns}: ${ip.stderr.trim()}`);
  const [links, neigh, netconf] = parseConcatenatedJson(ip.stdout);
  const [ports, fdb] = br.code === 0 ? parseConcatenatedJson(br.stdout) : [[], []];
  const facts: PathFacts = {
    links: {},
    neighbours: arr(neigh).map((n) => ({
      dst: str(n.dst) ?? '',
      dev: str(n.dev) ?? '',
      lladdr: str(n.lladdr),
      state: strs(n.state),
    })),
    netconf: {},
    ports: {},
    fdb: arr(fdb).map((e) => ({
      mac: str(e.mac) ?? '',
      dev: str(e.ifname) ?? '',
      master: str(e.master),
      dst: str(e.dst),
      flags: strs(e.flags),
      state: str(e.state),
    })),
    commands: [
      `ip -n ${ns} link show`,
      `ip -n ${ns} neigh show`,
      `ip -n ${ns} netconf show`,
      `bridge -n ${ns} fdb show`,
    ],
  };
  for (const l of arr(links)) {
    const name = str(l.ifname);
    if (!name) continue;
    facts.links[name] = {
      name,
      flags: strs(l.flags),
      operstate: str(l.operstate) ?? 'UNKNOWN',
      mtu: typeof l.mtu === 'number' ? l.mtu : undefined,
      mac: str(l.address),
      master: str(l.master),
    };
  }
  for (const c of arr(netconf)) {
    const name = str(c.interface);
    if (!name) continue;
    facts.netconf[name] = {
      forwarding: c.forwarding === true,
      rpFilter: str(c.rp_filter) ?? 'off',
      proxyArp: c.proxy_neigh === true,
    };
  }
  for (const p of arr(ports)) {
    const name = str(p.ifname);
    if (!name) continue;
    facts.ports[name] = { name, master: str(p.master) ?? '', state: str(p.state) ?? 'unknown', flags: strs(p.flags) };
  }
  return facts;
}

export interface ListeningSocket {
  /** The bound address: "*" or "0.0.0.0" for any, otherwise an IPv4 address. */
  address: string;
  port: number;
}

/** The sockets listening for `proto` in `ns` (`ss -Hlnt` / `-Hlnu`; a socket on [::] takes IPv4 too). */
export async function readListening(ns: string, proto: 'tcp' | 'udp'): Promise<ListeningSocket[]> {
  const r = await runInNamespace(ns, 'ss', ['-Hln', proto === 'tcp' ? '-t' : '-u']);
  if (r.code !== 0) throw new Error(`ss in ${ns}: ${r.stderr.trim()}`);
  const sockets: ListeningSocket[] = [];
  for (const line of r.stdout.split('\n')) {
    // State Recv-Q Send-Q Local-Address:Port Peer-Address:Port
    const local = line.trim().split(/\s+/)[3];
    if (!local) continue;
    const colon = local.lastIndexOf(':');
    const port = Number(local.slice(colon + 1));
    const address = local.slice(0, colon).replace(/%.*$/, '');
    if (Number.isInteger(port)) sockets.push({ address, port });
  }
  return sockets;
}
