// The kernel's own route decision for one packet: `ip -j route get`, with the packet's source,
// input interface and protocol/port, so policy rules, rp_filter and forwarding all count. The
// kernel's refusal is an answer too (its errno, in words), not a failure of the read.
import { runInNamespace } from './process.js';

export interface RouteQuery {
  dst: string;
  /** The packet's source address (with `iif`: as received; without: a local address of the node). */
  from?: string;
  /** The interface the packet came in on (a forwarded or received packet); none: sent from here. */
  iif?: string;
  proto?: 'icmp' | 'tcp' | 'udp';
  dport?: number;
  /** The firewall mark the lookup carries (policy rules on fwmark). */
  mark?: number;
}

export type RouteAnswer =
  | {
      ok: true;
      /** unicast, local, broadcast, blackhole, unreachable, prohibit, … (unicast when iproute2 omits it). */
      type: string;
      dev?: string;
      gateway?: string;
      prefsrc?: string;
      table?: string;
      /** The command, as a learner would type it. */
      command: string;
    }
  | { ok: false; error: string; command: string };

/** The arguments of `ip route get` for `q`, validated values only (addresses and names come from the engine). */
export function routeGetArgs(q: RouteQuery): string[] {
  const args = ['route', 'get', q.dst];
  if (q.from) args.push('from', q.from);
  if (q.iif) args.push('iif', q.iif);
  if (q.mark !== undefined) args.push('mark', String(q.mark));
  if (q.proto) args.push('ipproto', q.proto);
  if (q.dport !== undefined && q.proto !== 'icmp') args.push('dport', String(q.dport));
  return args;
}

export async function routeGet(ns: string, q: RouteQuery): Promise<RouteAnswer> {
  const args = routeGetArgs(q);
  const command = `ip -n ${ns} ${args.join(' ')}`;
  const r = await runInNamespace(ns, 'ip', ['-j', ...args]);
  if (r.code !== 0) {
    const error = r.stderr.replace(/^RTNETLINK answers:\s*/m, '').trim() || `ip exited with ${r.code}`;
    return { ok: false, error, command };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    return { ok: false, error: `unreadable answer: ${r.stdout.slice(0, 200)}`, command };
  }
  const first = (Array.isArray(parsed) ? parsed[0] : undefined) as Record<string, unknown> | undefined;
  const s = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    ok: true,
    type: s(first?.['type']) ?? 'unicast',
    dev: s(first?.['dev']),
    gateway: s(first?.['gateway']),
    prefsrc: s(first?.['prefsrc']),
    table: s(first?.['table']),
    command,
  };
}

export interface MatchingRoute {
  /** "default" or the route's prefix. */
  dst: string;
  /** unicast, blackhole, unreachable, prohibit, local, broadcast, … */
  type: string;
  table: string;
  dev?: string;
  gateway?: string;
  prefixLength: number;
}

/**
 * Every route of every table whose prefix covers `dst` (`ip -j route show table all match DST`),
 * longest prefix first: what the kernel refused to route with (a blackhole, unreachable or
 * prohibit route answers `ip route get` with an error, not with the route).
 */
export async function routesMatching(ns: string, dst: string): Promise<MatchingRoute[]> {
  const r = await runInNamespace(ns, 'ip', ['-j', '-4', 'route', 'show', 'table', 'all', 'match', dst]);
  if (r.code !== 0) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    return [];
  }
  const s = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const routes = (Array.isArray(parsed) ? (parsed as Record<string, unknown>[]) : []).map((x) => {
    const to = s(x['dst']) ?? 'default';
    const len = to === 'default' ? 0 : to.includes('/') ? Number(to.split('/')[1]) : 32;
    return {
      dst: to,
      type: s(x['type']) ?? 'unicast',
      table: s(x['table']) ?? 'main',
      dev: s(x['dev']),
      gateway: s(x['gateway']),
      prefixLength: len,
    };
  });
  return routes.sort((a, b) => b.prefixLength - a.prefixLength);
}
