// DNS in a lab, in lab terms and as plan operations. Pure.
// * `dnsRecords(lab)`: the names the lab's DNS answers — every node with an address (ONE list, so
//   Kubernetes Service names with their ClusterIPs are added here, and any other kind of name goes here too).
// * A `dnsServer:` node runs dnsmasq (`dnsServerCommand`): the records as --host-record, no
//   upstream (--no-resolv, and --local=/#/ so any other name is NXDOMAIN, not REFUSED), every query
//   logged to its output (the node's panel), started like a `run:` process (run.ts: the node's
//   sandbox, never the machine's root) and restarted when its records change (its command changes).
// * `dns: docker` is Docker's embedded DNS: the node's resolver is 127.0.0.11, where a dnsmasq in the
//   node itself answers the lab's names (Docker's resolver is a socket of dockerd inside the
//   container's namespace; a dnsmasq listening on a loopback address of that namespace is the
//   closest thing this kernel offers: same address, same names, answered from inside the container).
// * `dns: { nameservers, search, ndots }` (and the preset) become the node's private resolv.conf,
//   /etc/netns/NS/resolv.conf: where `ip netns exec` takes it from, and what every sandbox of the node
//   (shells, `run:` processes, scenario steps) sees as /etc/resolv.conf. `planResolvFiles` writes,
//   rewrites or removes those files; the engine carries the operations out.
import { parseCidr } from './addr.js';
import type { DnsResolverSpec, Lab } from './model.js';
import { isBridge } from './model.js';
import { namespaceName } from './naming.js';
import { serviceAddresses } from './model-service.js';
import type { Op } from './plan-types.js';
import { shellQuote } from './run-command.js';

/** Docker's embedded DNS address, inside every container of a user-defined network. */
export const DOCKER_DNS_ADDRESS = '127.0.0.11';
/** glibc's limits: 3 name servers; ndots is capped at 15. */
export const MAX_NAMESERVERS = 3;
export const MAX_NDOTS = 15;
export const MAX_SEARCH_DOMAINS = 6;
/** A DNS name: dot-separated labels of letters, digits and hyphens, at most 253 characters. */
export const DOMAIN_RE =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** One name the lab's DNS answers, with its addresses (sorted, without prefix lengths). */
export interface DnsRecord {
  name: string;
  addresses: string[];
}

/** Every name of the lab with its addresses: each node that has an address, and each Service (its ClusterIP). Sorted by name. */
export function dnsRecords(lab: Lab): DnsRecord[] {
  const byNode = new Map<string, Set<string>>();
  const add = (node: string, cidr: string) => {
    const c = parseCidr(cidr);
    if (!c) return;
    const set = byNode.get(node) ?? new Set<string>();
    set.add(cidr.slice(0, cidr.indexOf('/')));
    byNode.set(node, set);
  };
  for (const link of lab.links ?? [])
    for (const end of [link.a, link.b]) for (const a of end.addresses ?? []) add(end.node, a);
  for (const m of lab.macvlans ?? []) for (const a of m.addresses ?? []) add(m.node, a);
  for (const [name, spec] of Object.entries(lab.nodes))
    if (isBridge(spec)) for (const a of spec.addresses ?? []) add(name, a);
  const known = new Set(Object.keys(lab.nodes));
  // Kubernetes Services: NAME → its ClusterIP (what CoreDNS answers for NAME.NAMESPACE.svc…)
  for (const s of serviceAddresses(lab.services)) {
    known.add(s.name);
    const set = byNode.get(s.name) ?? new Set<string>();
    set.add(s.address);
    byNode.set(s.name, set);
  }
  return [...byNode.entries()]
    .filter(([name]) => known.has(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, set]) => ({ name, addresses: [...set].sort() }));
}

/** The domain of a node's `dnsServer:` (undefined: bare names only). */
const serverDomain = (lab: Lab, node: string): string | undefined => {
  const spec = lab.nodes[node];
  if (!spec || isBridge(spec) || !spec.dnsServer || spec.dnsServer === true) return undefined;
  return spec.dnsServer.domain;
};

/** An argument as one sh word: bare when it is plain (it always is: names and addresses are validated), quoted otherwise. */
const word = (a: string): string => (/^[A-Za-z0-9=,./:_#-]+$/.test(a) ? a : shellQuote(a));

/**
 * The dnsmasq line of a DNS server answering `records` (and NAME.DOMAIN when `domain` is given):
 * in the foreground, logging each query to its output, no upstream, no /etc/hosts, no pid file;
 * `listen` binds that one address only (the docker preset's 127.0.0.11).
 */
export function dnsServerCommand(
  records: readonly DnsRecord[],
  opts: { domain?: string; listen?: string } = {},
): string {
  const args = [
    'dnsmasq',
    '--keep-in-foreground',
    '--log-facility=-',
    '--log-queries',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--pid-file=',
    '--local=/#/',
    ...(opts.listen ? [`--listen-address=${opts.listen}`, '--bind-interfaces'] : []),
    ...records.map(
      (r) =>
        `--host-record=${[r.name, ...(opts.domain ? [`${r.name}.${opts.domain}`] : []), ...r.addresses].join(',')}`,
    ),
  ];
  return `exec ${args.map(word).join(' ')}`;
}

/** A DNS server the lab wants, as a process of its node (run.ts gives it its key and merges it with `run:` lines). */
export interface DnsProcess {
  node: string;
  ns: string;
  name: 'dns-server' | 'docker-dns';
  command: string;
}

/** Whether a process name is one of a DNS server's (dnsProcesses). */
export const isDnsProcessName = (name: string | undefined): boolean => name === 'dns-server' || name === 'docker-dns';

/** The DNS servers the lab wants, by node. */
export function dnsProcesses(lab: Lab, prefix: string): DnsProcess[] {
  const out: DnsProcess[] = [];
  // most labs have no DNS server: their records are not worth computing on every apply
  if (!Object.values(lab.nodes).some((s) => !isBridge(s) && (s.dnsServer || s.dns === 'docker'))) return out;
  const records = dnsRecords(lab);
  for (const node of Object.keys(lab.nodes).sort()) {
    const spec = lab.nodes[node]!;
    if (isBridge(spec)) continue;
    const ns = namespaceName(prefix, lab.name, node);
    const push = (name: DnsProcess['name'], command: string) => out.push({ node, ns, name, command });
    if (spec.dnsServer) push('dns-server', dnsServerCommand(records, { domain: serverDomain(lab, node) }));
    if (spec.dns === 'docker') push('docker-dns', dnsServerCommand(records, { listen: DOCKER_DNS_ADDRESS }));
  }
  return out;
}

/** The resolver settings `dns:` stands for (the docker preset: 127.0.0.11, ndots 0 as Docker writes it). */
export function resolverSettings(spec: DnsResolverSpec | 'docker'): DnsResolverSpec {
  return spec === 'docker' ? { nameservers: [DOCKER_DNS_ADDRESS], ndots: 0 } : spec;
}

/** The text of a resolv.conf for these settings. */
export function resolvConfText(spec: DnsResolverSpec | 'docker'): string {
  const s = resolverSettings(spec);
  const lines = ['# written by Patchbay from the lab file (dns:)'];
  for (const n of s.nameservers ?? []) lines.push(`nameserver ${n}`);
  if (s.search && s.search.length > 0) lines.push(`search ${s.search.join(' ')}`);
  if (s.ndots !== undefined) lines.push(`options ndots:${s.ndots}`);
  return `${lines.join('\n')}\n`;
}

/** Where a node's resolver file lives: the place `ip netns exec` binds over /etc/resolv.conf. */
export const resolvConfPath = (ns: string): string => `/etc/netns/${ns}/resolv.conf`;

/** A node's resolver file the lab wants. */
export interface DesiredResolvFile {
  node: string;
  ns: string;
  content: string;
}

/** Every resolver file the lab wants (one per node with `dns:`), by node. Call only on a validated lab. */
export function desiredResolvFiles(lab: Lab, prefix: string): DesiredResolvFile[] {
  const out: DesiredResolvFile[] = [];
  for (const node of Object.keys(lab.nodes).sort()) {
    const spec = lab.nodes[node]!;
    if (isBridge(spec) || spec.dns === undefined) continue;
    out.push({ node, ns: namespaceName(prefix, lab.name, node), content: resolvConfText(spec.dns) });
  }
  return out;
}

/** A resolver file there now: its namespace, its node (when known) and its content. */
export interface CurrentResolvFile {
  ns: string;
  node?: string;
  content: string;
}

/**
 * The operations from the files there now to those wanted: a write (phase `process`, before any
 * process starts) where a file is missing, differs (a student may have edited it) or its namespace
 * is made again; a removal (phase `unprocess`) where a node no longer has `dns:`.
 */
export function planResolvFiles(
  desired: readonly DesiredResolvFile[],
  current: readonly CurrentResolvFile[],
  opts: { replaced?: ReadonlySet<string> } = {},
): Op[] {
  const replaced = opts.replaced ?? new Set<string>();
  const now = new Map(current.map((c) => [c.ns, c]));
  const wanted = new Set(desired.map((d) => d.ns));
  const removes: Op[] = current
    .filter((c) => !wanted.has(c.ns))
    .sort((a, b) => a.ns.localeCompare(b.ns))
    .map((c) => ({
      phase: 'unprocess',
      tool: 'file',
      ns: c.ns,
      args: ['remove', resolvConfPath(c.ns)],
      kind: 'dns',
      action: 'remove',
      subject: { node: c.node ?? c.ns, detail: 'resolv.conf' },
      reason: `node ${c.node ?? c.ns} no longer has dns: settings`,
    }));
  const writes: Op[] = desired
    .filter((d) => replaced.has(d.ns) || now.get(d.ns)?.content !== d.content)
    .map((d) => {
      const had = now.has(d.ns) && !replaced.has(d.ns);
      return {
        phase: 'process',
        tool: 'file',
        ns: d.ns,
        args: ['write', resolvConfPath(d.ns)],
        input: d.content,
        kind: 'dns',
        action: had ? 'change' : 'add',
        subject: { node: d.node, detail: 'resolv.conf' },
        reason: had
          ? `node ${d.node}'s resolver settings differ from its dns: (changed in the lab, or edited inside the node)`
          : `node ${d.node} resolves names with its dns: settings`,
      };
    });
  return [...removes, ...writes];
}

export { fileCommand } from './dns-command.js';
