// Shared state of one `validateLab` run: the problems found so far and, per network namespace the
// lab will create, the interface names and addresses that land there. Bridges and their ports live
// in their host's namespace, so uniqueness must be checked per namespace, not per node.

import { formatIPv4, parseCidr, type Cidr } from './addr.js';
import { looksIPv6 } from './addr6.js';
import { addAddress6, type AddressSeen6, type NsAddress6 } from './validate-addr6.js';
import type { Lab, NodeSpec, Problem } from './model.js';
import { IFNAME_RE, NAME_RE } from './naming.js';

/** Where something was declared, for messages that name both places of a clash. */
export interface Place {
  path: string;
  label: string;
}

export interface NsAddress {
  iface: string;
  cidr: string;
  parsed: Cidr;
  place: Place;
}

export type { NsAddress6 };

export interface Namespace {
  /** Node name, or undefined for the lab's implicit bridge host. */
  node: string | undefined;
  label: string;
  ifaces: Map<string, Place>;
  addresses: NsAddress[];
  /** IPv6 ones apart: their checks and numbers (bigint) differ. */
  addresses6: NsAddress6[];
}

export class Ctx {
  readonly problems: Problem[] = [];
  readonly warnings: Problem[] = [];
  readonly nodes: [string, NodeSpec][];
  readonly nodeMap: Map<string, NodeSpec>;
  readonly hostNames: string[];
  private readonly namespaces = new Map<string, Namespace>();
  private implicit: Namespace | undefined;
  private readonly addressSeen6 = new Map<Namespace, AddressSeen6>();
  private readonly addressSeen = new Map<Namespace, Map<number, { place: Place; iface: string; len: number }>>();

  constructor(readonly lab: Lab) {
    const raw = lab.nodes && typeof lab.nodes === 'object' ? lab.nodes : {};
    this.nodes = Object.entries(raw).filter(([, n]) => n !== null && typeof n === 'object');
    this.nodeMap = new Map(this.nodes);
    this.hostNames = this.nodes.filter(([, n]) => n.kind === 'host').map(([name]) => name);
  }

  add(path: string, code: string, message: string): void {
    this.problems.push({ path, code, message });
  }

  /** A problem that does not stop the lab from being applied (see `Problem.severity`). */
  warn(path: string, code: string, message: string): void {
    this.warnings.push({ path, code, message, severity: 'warning' });
  }

  /** Every namespace an interface or address was recorded in, in the order they were met. */
  allNamespaces(): Namespace[] {
    return [...this.namespaces.values(), ...(this.implicit ? [this.implicit] : [])];
  }

  /**
   * The namespace a node's interfaces land in: its own, or for a bridge its host's (the implicit
   * one when the lab has no host nodes). Undefined when that cannot be decided (reported elsewhere).
   */
  nsOf(nodeName: string): Namespace | undefined {
    const node = this.nodeMap.get(nodeName);
    if (!node) return undefined;
    if (node.kind !== 'bridge') return this.ownNs(nodeName);
    if (node.host === undefined) {
      if (this.hostNames.length > 0) return undefined;
      this.implicit ??= {
        node: undefined,
        label: "the lab's implicit bridge host",
        ifaces: new Map(),
        addresses: [],
        addresses6: [],
      };
      return this.implicit;
    }
    const host = this.nodeMap.get(node.host);
    return host?.kind === 'host' ? this.ownNs(node.host) : undefined;
  }

  private ownNs(nodeName: string): Namespace {
    let ns = this.namespaces.get(nodeName);
    if (!ns) {
      ns = { node: nodeName, label: `${nodeName}'s namespace`, ifaces: new Map(), addresses: [], addresses6: [] };
      this.namespaces.set(nodeName, ns);
    }
    return ns;
  }

  /** Registers an interface name in a namespace; reports `iface.duplicate` naming both places. */
  addIface(ns: Namespace, name: string, place: Place): void {
    const prev = ns.ifaces.get(name);
    if (prev) {
      this.add(
        place.path,
        'iface.duplicate',
        `interface name ${name} is used twice in ${ns.label}: by ${prev.label} (${prev.path}) and by ${place.label} (${place.path}); names must be unique within a namespace`,
      );
      return;
    }
    ns.ifaces.set(name, place);
  }

  /** Checks one CIDR address and records it in the namespace (for duplicates and connected subnets). */
  addAddress(ns: Namespace | undefined, iface: string, cidr: unknown, place: Place): void {
    if (looksIPv6(cidr)) {
      let seen = ns && this.addressSeen6.get(ns);
      if (ns && !seen) this.addressSeen6.set(ns, (seen = new Map() as AddressSeen6));
      addAddress6(this, ns, seen, iface, cidr, place);
      return;
    }
    const parsed = typeof cidr === 'string' ? parseCidr(cidr) : undefined;
    if (!parsed) {
      this.add(place.path, 'addr.invalid', `${String(cidr)} is not an IPv4 address in CIDR form (a.b.c.d/len)`);
      return;
    }
    if (!ns) return;
    let seen = this.addressSeen.get(ns);
    if (!seen) this.addressSeen.set(ns, (seen = new Map<number, { place: Place; iface: string; len: number }>()));
    const prev = seen.get(parsed.addr);
    // The same /32 on several interfaces is the Calico pattern: every pod's gateway 169.254.1.1
    // answered by each host-side veth. Anything else repeated is a mistake.
    const calicoGateway = prev && prev.len === 32 && parsed.len === 32 && prev.iface !== iface;
    if (prev && !calicoGateway) {
      this.add(
        place.path,
        'addr.duplicate',
        `${formatIPv4(parsed.addr)} is already used in ${ns.label} by ${prev.place.label} (${prev.place.path}); an address may appear only once per namespace (except the same /32 on different interfaces)`,
      );
      return;
    }
    if (!prev) seen.set(parsed.addr, { place, iface, len: parsed.len });
    ns.addresses.push({ iface, cidr: cidr as string, parsed, place });
  }
}

/** Addresses as "eth0 192.168.1.10/24, eth1 10.0.0.1/24" for messages. */
export function listAddresses(addrs: { iface: string; cidr: string }[]): string {
  return addrs.map((a) => `${a.iface} ${a.cidr}`).join(', ');
}

export const arr = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);

/** Why a lab or node name breaks NAME_RE, in words. */
export function nameWhy(name: string): string {
  if (name.length === 0) return 'it is empty';
  if (name.length > 24) return `it is ${name.length} characters long (at most 24)`;
  if (!/^[a-z]/.test(name)) return 'it must start with a lowercase letter';
  const bad = [...name].find((c) => !/[a-z0-9-]/.test(c));
  return bad === undefined
    ? 'it does not match'
    : `it contains "${bad}"; only lowercase letters, digits and "-" are allowed`;
}

export function checkName(ctx: Ctx, path: string, what: string, name: unknown): boolean {
  if (typeof name === 'string' && NAME_RE.test(name)) return true;
  const why = typeof name === 'string' ? nameWhy(name) : 'it is not text';
  ctx.add(
    path,
    'name.invalid',
    `${what} "${String(name)}" must match [a-z][a-z0-9-]{0,23}: ${why} (names reach the kernel as namespace and device names)`,
  );
  return false;
}

/** Interface names the kernel reserves: `lo` exists in every namespace, the rest are /proc/sys/net/ipv4/conf entries. */
export const RESERVED_IFNAMES: Record<string, string> = {
  lo: 'lo is the loopback interface every namespace already has',
  all: '"all" is reserved: /proc/sys/net/ipv4/conf/all holds the settings of every interface',
  default: '"default" is reserved: /proc/sys/net/ipv4/conf/default holds the settings of new interfaces',
  '.': '"." cannot name an interface: it is a directory entry in /proc/sys/net/ipv4/conf',
  '..': '".." cannot name an interface: it is a directory entry in /proc/sys/net/ipv4/conf',
};

/** Why an interface name cannot be used, or undefined if it can. */
export function ifnameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'an interface name must be text';
  const reserved = Object.prototype.hasOwnProperty.call(RESERVED_IFNAMES, name) ? RESERVED_IFNAMES[name] : undefined;
  if (reserved) return reserved;
  if (IFNAME_RE.test(name)) return undefined;
  if (name.length === 0) return 'an interface name cannot be empty';
  if (name.length > 15) return `${name} is ${name.length} characters long; the kernel allows at most 15`;
  const bad = [...name].find((c) => !/[A-Za-z0-9_.-]/.test(c));
  return `${name} contains "${bad}"; interface names may use only letters, digits, "_", "." and "-"`;
}

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The candidate closest to `word` if it is a plausible typo of it. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** "no node named x (did you mean y?)" / "(nodes: a, b, c)". */
export function unknownNodeMessage(ctx: Ctx, name: unknown, wanted: string): string {
  const names = ctx.nodes.map(([n]) => n);
  const guess = typeof name === 'string' ? closest(name, names) : undefined;
  const hint = guess
    ? `did you mean ${guess}?`
    : names.length
      ? `nodes: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}`
      : 'the lab has no nodes';
  return `there is no node named ${String(name)}; ${wanted} (${hint})`;
}

export function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

export function checkMtu(ctx: Ctx, path: string, mtu: unknown): void {
  if (mtu === undefined || isInt(mtu, 68, 65535)) return;
  ctx.add(path, 'mtu.invalid', `mtu ${JSON.stringify(mtu)} must be a whole number from 68 (the IPv4 minimum) to 65535`);
}
