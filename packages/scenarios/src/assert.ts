// Pure judges: facts gathered from the live kernel (by a probe, later) → a check result. Each
// result says pass or fail, why (the first mismatch, precisely), and what was seen. The fact types
// below are the contract for that probe: plain data, with kernel device names translated back to
// lab names where the lab and the kernel differ (a long bridge name is shortened by deviceName).

import { canonicalCidr, canonicalIp, deviceName, normalizeMac } from '@patchbay/topology';
import type {
  CommandCheck,
  FdbCheck,
  InterfaceCheck,
  NeighborCheck,
  PingCheck,
  RouteCheck,
  SysctlCheck,
  TcpCheck,
} from './model.js';

export interface CheckResult {
  id: string;
  title: string;
  pass: boolean;
  /** Why it passed or, on failure, the first thing that does not match. */
  reason: string;
  /** What was observed, in the form of the tool a student would use (`ping: 2 sent, 0 received`). */
  seen: string;
}

/** `ping -c COUNT [-s SIZE] [-M do] TO` in `from`. */
export interface PingFacts {
  sent: number;
  received: number;
  /** ping's own complaint when it could not send at all, e.g. "connect: Network is unreachable". */
  error?: string;
}

/** A TCP connect from `from` to `to:port`, against the checker's own listener. */
export interface TcpFacts {
  connected: boolean;
  /** e.g. "Connection refused", "timed out". */
  error?: string;
}

/** One interface as `ip -j addr show DEV` sees it; undefined (or exists: false) when absent. */
export interface InterfaceFacts {
  exists: boolean;
  up: boolean;
  mtu: number;
  /** IPv4 addresses in CIDR form. */
  addresses: string[];
  /** Master device (lab name or kernel device name), or null when the interface has none. */
  master: string | null;
}

/** A route as `ip -j route` lists it; `to` is "default" or CIDR (a host route as a.b.c.d/32). */
export interface RouteEntry {
  to: string;
  via?: string;
  dev?: string;
}
export interface RouteFacts {
  routes: RouteEntry[];
}

/** Learned (non-permanent) entries of `bridge fdb show br BRIDGE`. */
export interface FdbEntry {
  mac: string;
  port: string;
}
export interface FdbFacts {
  entries: FdbEntry[];
}

/** `ip -j neigh` in a node; `mac` absent for INCOMPLETE or FAILED entries. */
export interface NeighborEntry {
  ip: string;
  mac?: string;
  state?: string;
}
export interface NeighborFacts {
  entries: NeighborEntry[];
}

/** `sysctl -n KEY` in a node; value undefined when the key does not exist. */
export interface SysctlFacts {
  value: string | undefined;
}

/** The result of running a command in a node. */
export interface CommandFacts {
  code: number;
  stdout: string;
  stderr?: string;
}

const result = (c: { id: string; title: string }, pass: boolean, reason: string, seen: string): CheckResult => ({
  id: c.id,
  title: c.title,
  pass,
  reason,
  seen,
});

export function judgePing(check: PingCheck, facts: PingFacts): CheckResult {
  const seen = `ping: ${facts.sent} sent, ${facts.received} received${facts.error ? ` (${facts.error})` : ''}`;
  const reached = facts.received > 0;
  if ((check.expect ?? 'pass') === 'fail') {
    return reached
      ? result(check, false, `${check.from} reaches ${check.to}, but it should not`, seen)
      : result(check, true, `${check.from} cannot reach ${check.to}, as expected`, seen);
  }
  return reached
    ? result(check, true, `${check.from} reaches ${check.to}`, seen)
    : result(check, false, `${check.from} gets no reply from ${check.to}`, seen);
}

export function judgeTcp(check: TcpCheck, facts: TcpFacts): CheckResult {
  const target = `${check.to}:${check.port}`;
  if (facts.connected) return result(check, true, `${check.from} connects to ${target}`, 'tcp: connected');
  return result(check, false, `${check.from} cannot connect to ${target}`, `tcp: ${facts.error ?? 'not connected'}`);
}

export function judgeInterface(check: InterfaceCheck, facts: InterfaceFacts | undefined): CheckResult {
  const name = check.interface;
  if (!facts || !facts.exists)
    return result(check, false, `${name} does not exist in ${check.node}`, `${check.node}: no interface ${name}`);
  const state = facts.up ? 'UP' : 'DOWN';
  const seen = `${name}: ${state}, mtu ${facts.mtu}, ${facts.addresses.length ? facts.addresses.join(' ') : 'no addresses'}, ${facts.master ? `master ${facts.master}` : 'no master'}`;
  const fail = (reason: string) => result(check, false, reason, seen);
  if (check.up !== undefined && check.up !== facts.up)
    return fail(`${name} is ${state}, expected ${check.up ? 'UP' : 'DOWN'}`);
  if (check.mtu !== undefined && check.mtu !== facts.mtu)
    return fail(`${name} has MTU ${facts.mtu}, expected ${check.mtu}`);
  if (check.addresses !== undefined) {
    const missing = check.addresses.find((a) => !facts.addresses.includes(a));
    if (missing) return fail(`${name} lacks address ${missing}`);
    const extra = facts.addresses.find((a) => !check.addresses!.includes(a));
    if (extra) return fail(`${name} has unexpected address ${extra}`);
  }
  if (check.master !== undefined && facts.master !== check.master && facts.master !== deviceName(check.master)) {
    return fail(
      facts.master
        ? `${name} is attached to ${facts.master}, expected ${check.master}`
        : `${name} is attached to no bridge, expected ${check.master}`,
    );
  }
  return result(check, true, `${name} in ${check.node} is as expected`, seen);
}

const routeDest = (to: string) => (to === '0.0.0.0/0' ? 'default' : to);
const formatRoute = (r: RouteEntry) =>
  [routeDest(r.to), r.via ? `via ${r.via}` : '', r.dev ? `dev ${r.dev}` : ''].filter(Boolean).join(' ');

export function judgeRoute(check: RouteCheck, facts: RouteFacts): CheckResult {
  // IPv6 text in any spelling compares in the canonical form the kernel prints.
  const to = routeDest(canonicalCidr(check.to));
  const via = check.via === undefined ? undefined : canonicalIp(check.via);
  const seen = facts.routes.length ? `routes: ${facts.routes.map(formatRoute).join('; ')}` : 'routes: none';
  const candidates = facts.routes.filter((r) => routeDest(r.to) === to);
  const first = candidates[0];
  if (!first) return result(check, false, `${check.node} has no route to ${to}`, seen);
  const ok = (r: RouteEntry) =>
    (via === undefined || r.via === via) && (check.dev === undefined || r.dev === check.dev);
  const match = candidates.find(ok);
  if (match) return result(check, true, `${check.node} has a route: ${formatRoute(match)}`, seen);
  if (via !== undefined && first.via !== via) {
    return result(
      check,
      false,
      first.via
        ? `route to ${to} goes via ${first.via}, expected via ${check.via}`
        : `route to ${to} has no gateway, expected via ${check.via}`,
      seen,
    );
  }
  return result(
    check,
    false,
    `route to ${to} leaves by ${first.dev ?? 'no device'}, expected dev ${String(check.dev)}`,
    seen,
  );
}

/** `expectedMac` is the live MAC of `check.mac` (undefined when that interface could not be found). */
export function judgeFdb(check: FdbCheck, facts: FdbFacts, expectedMac: string | undefined): CheckResult {
  const seen = facts.entries.length
    ? `fdb ${check.bridge}: ${facts.entries
        .slice(0, 8)
        .map((e) => `${normalizeMac(e.mac)} on ${e.port}`)
        .join(', ')}${facts.entries.length > 8 ? `, … (${facts.entries.length} entries)` : ''}`
    : `fdb ${check.bridge}: no learned entries`;
  if (expectedMac === undefined)
    return result(
      check,
      false,
      `${check.mac.node} has no interface ${check.mac.interface}, so its MAC is unknown`,
      seen,
    );
  const mac = normalizeMac(expectedMac);
  const hits = facts.entries.filter((e) => normalizeMac(e.mac) === mac);
  const first = hits[0];
  if (!first) return result(check, false, `fdb ${check.bridge}: no entry for ${mac}`, seen);
  if (check.port !== undefined && !hits.some((e) => e.port === check.port)) {
    return result(check, false, `fdb ${check.bridge}: ${mac} is on ${first.port}, expected ${check.port}`, seen);
  }
  const port = check.port ?? first.port;
  return result(check, true, `fdb ${check.bridge}: ${mac} learned on ${port}`, seen);
}

/** `expectedMac` is the live MAC of `check.mac` (undefined when that interface could not be found). */
export function judgeNeighbor(
  check: NeighborCheck,
  facts: NeighborFacts,
  expectedMac: string | undefined,
): CheckResult {
  const entry = facts.entries.find((e) => e.ip === check.ip);
  const seen = entry
    ? `neigh ${check.ip}: ${entry.mac ? normalizeMac(entry.mac) : 'no MAC'}${entry.state ? ` ${entry.state}` : ''}`
    : `neigh ${check.ip}: no entry`;
  if (expectedMac === undefined)
    return result(
      check,
      false,
      `${check.mac.node} has no interface ${check.mac.interface}, so its MAC is unknown`,
      seen,
    );
  const mac = normalizeMac(expectedMac);
  if (!entry) return result(check, false, `${check.node} has no neighbour entry for ${check.ip}`, seen);
  if (!entry.mac)
    return result(
      check,
      false,
      `${check.node} has not resolved ${check.ip}${entry.state ? ` (${entry.state})` : ''}`,
      seen,
    );
  if (normalizeMac(entry.mac) !== mac)
    return result(check, false, `${check.node} maps ${check.ip} to ${normalizeMac(entry.mac)}, expected ${mac}`, seen);
  return result(check, true, `${check.node} maps ${check.ip} to ${mac}`, seen);
}

const collapse = (s: string) => s.trim().replace(/\s+/g, ' ');

export function judgeSysctl(check: SysctlCheck, facts: SysctlFacts): CheckResult {
  const want = collapse(String(check.value));
  if (facts.value === undefined)
    return result(check, false, `${check.node}: ${check.key} does not exist`, `${check.key}: no such key`);
  const got = collapse(facts.value);
  const seen = `${check.key} = ${got}`;
  if (got !== want) return result(check, false, `${check.node}: ${check.key} is ${got}, expected ${want}`, seen);
  return result(check, true, `${check.node}: ${check.key} is ${want}`, seen);
}

const MAX_SEEN_OUTPUT = 200;

export function judgeCommand(check: CommandCheck, facts: CommandFacts): CheckResult {
  const out = collapse(facts.stdout);
  const seen = `exit ${facts.code}; output: ${out.length > MAX_SEEN_OUTPUT ? `${out.slice(0, MAX_SEEN_OUTPUT)}…` : out || '(none)'}`;
  if (facts.code !== 0)
    return result(check, false, `\`${check.run}\` exited with ${facts.code} in ${check.node}`, seen);
  if (check.match !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(check.match, 'm');
    } catch {
      return result(check, false, `match /${check.match}/ is not a valid regular expression`, seen);
    }
    if (!re.test(facts.stdout))
      return result(check, false, `output of \`${check.run}\` does not match /${check.match}/`, seen);
  }
  return result(check, true, `\`${check.run}\` succeeded in ${check.node}`, seen);
}
