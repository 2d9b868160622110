// Live tables of one namespace as the views show them: neighbours, every route of every table
// (kernel-made ones included: the desired-state read leaves them out), the policy rules, the bridge
// FDB and bridge VLANs. Two processes: one `ip -j -batch -`, one `bridge -j -batch -`. Neighbours
// are ARP's and NDP's (IPv6).
import type { RouteView, RuleView } from '@patchbay/topology';
import { parseConcatenatedJson } from './json.js';
import { runInNamespace } from './process.js';
import { parseRouteTable, parseRules } from './route-table.js';

export interface NeighbourEntry {
  dst: string;
  dev: string;
  lladdr?: string;
  state: string[];
}

export interface FdbEntry {
  mac: string;
  /** The port (or VXLAN device) the entry points at. */
  dev: string;
  /** The bridge, when the entry is a bridge's. */
  master?: string;
  /** Remote VTEP, for VXLAN devices' own entries. */
  dst?: string;
  vlan?: number;
  flags: string[];
  state?: string;
}

export interface VlanEntry {
  dev: string;
  vlans: { vlan: number; vlanEnd?: number; flags: string[] }[];
}

export interface LiveTables {
  neighbours: NeighbourEntry[];
  /** Every IPv4 route of every table (main first, local last), then IPv6's main table. */
  routes: RouteView[];
  /** The IPv4 policy rules, in priority order. */
  rules: RuleView[];
  fdb: FdbEntry[];
  vlans: VlanEntry[];
}

type Raw = Record<string, unknown>;
const arr = (v: unknown): Raw[] => (Array.isArray(v) ? (v as Raw[]) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export async function readLiveTables(ns: string): Promise<LiveTables> {
  const [ip, br] = await Promise.all([
    // No -4: `neigh show` then lists NDP neighbours beside ARP ones. Routes are picked by family with
    // a root prefix (IPv4: every table; IPv6: the main table's, not the kernel's multicast routes of
    // every device); `rule show` is IPv4's by default.
    runInNamespace(ns, 'ip', ['-j', '-batch', '-'], {
      input: 'neigh show\nroute show table all root 0.0.0.0/0\nrule show\nroute show table all root ::/0\n',
    }),
    runInNamespace(ns, 'bridge', ['-j', '-batch', '-'], { input: 'fdb show\nvlan show\n' }),
  ]);
  if (ip.code !== 0) throw new Error(`ip neigh in ${ns}: ${ip.stderr.trim()}`);
  const [neigh, routes, rules, routes6] = parseConcatenatedJson(ip.stdout);
  const [fdb, vlan] = br.code === 0 ? parseConcatenatedJson(br.stdout) : [[], []];
  return {
    neighbours: arr(neigh).map((n) => ({
      dst: str(n.dst) ?? '',
      dev: str(n.dev) ?? '',
      lladdr: str(n.lladdr),
      state: strs(n.state),
    })),
    routes: [
      ...parseRouteTable(routes),
      ...parseRouteTable(routes6)
        .filter((r) => r.table === 'main')
        .map((r) => (r.to === 'default' ? { ...r, to: '::/0' } : r)),
    ],
    rules: parseRules(rules),
    fdb: arr(fdb)
      // The kernel lists its own multicast entries for every port; they say nothing a learner needs.
      .filter((e) => !(str(e.mac) ?? '').startsWith('33:33:') && !(str(e.mac) ?? '').startsWith('01:00:5e:'))
      .map((e) => ({
        mac: str(e.mac) ?? '',
        dev: str(e.ifname) ?? '',
        master: str(e.master),
        dst: str(e.dst),
        vlan: typeof e.vlan === 'number' ? e.vlan : undefined,
        flags: strs(e.flags),
        state: str(e.state),
      })),
    vlans: arr(vlan).map((v) => ({
      dev: str(v.ifname) ?? '',
      vlans: arr(v.vlans).map((x) => ({
        vlan: Number(x.vlan),
        vlanEnd: typeof x.vlanEnd === 'number' ? x.vlanEnd : undefined,
        flags: strs(x.flags),
      })),
    })),
  };
}
