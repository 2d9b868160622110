// Every IPv4 route of every table and the policy rules, from iproute2's JSON, as the views show
// them. iproute2 leaves out what is the default (table main, type unicast, protocol boot, scope
// global); these fill it in, so a reader never has to know what a missing field means.
import type { RouteView, RuleView } from '@patchbay/topology';
import { normalizeRouteDst } from './observe.js';

type Raw = Record<string, unknown>;
const arr = (v: unknown): Raw[] => (Array.isArray(v) ? (v as Raw[]) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);

/** Tables in the order the views list them: main first, numbered and named ones, local last. */
function tableRank(table: string): number {
  return table === 'main' ? 0 : table === 'local' ? 3 : table === 'default' ? 2 : 1;
}

/** Two tables' order in the views (main first, local last, numbered ones by number). */
export function compareRouteTables(ta: string, tb: string): number {
  const byRank = tableRank(ta) - tableRank(tb);
  if (byRank) return byRank;
  if (ta !== tb) return Number(ta) - Number(tb) || (ta < tb ? -1 : 1);
  return 0;
}

/** `ip -j -4 route show table all` → routes, main table first and local last (kernel order within). */
export function parseRouteTable(json: unknown): RouteView[] {
  const routes = arr(json)
    .filter((r) => str(r.dst))
    .map((r): RouteView => {
      const route: RouteView = {
        to: normalizeRouteDst(str(r.dst)!),
        table: str(r.table) ?? (num(r.table) !== undefined ? String(r.table) : 'main'),
        type: str(r.type) ?? 'unicast',
        protocol: str(r.protocol) ?? (num(r.protocol) !== undefined ? String(r.protocol) : 'boot'),
        scope: str(r.scope) ?? (num(r.scope) !== undefined ? String(r.scope) : 'global'),
      };
      const via = str(r.gateway);
      if (via) route.via = via;
      const dev = str(r.dev);
      if (dev) route.dev = dev;
      const src = str(r.prefsrc);
      if (src) route.src = src;
      const metric = num(r.metric);
      if (metric !== undefined) route.metric = metric;
      const flags = Array.isArray(r.flags) ? r.flags.filter((f): f is string => typeof f === 'string') : [];
      if (flags.length) route.flags = flags;
      return route;
    });
  // A stable sort: the kernel's order within a table is kept.
  return routes
    .map((r, i) => ({ r, i }))
    .sort((a, b) => compareRouteTables(a.r.table!, b.r.table!) || a.i - b.i)
    .map(({ r }) => r);
}

/** "10.0.0.0" with length 24 → "10.0.0.0/24"; "all" stays. */
function prefix(addr: string | undefined, len: number | undefined): string | undefined {
  if (addr === undefined) return undefined;
  if (addr === 'all') return 'all';
  return normalizeRouteDst(len === undefined ? addr : `${addr}/${len}`);
}

/** `ip -j -4 rule show` → rules in priority order. */
export function parseRules(json: unknown): RuleView[] {
  return arr(json)
    .map((r): RuleView => {
      const table = str(r.table) ?? (num(r.table) !== undefined ? String(r.table) : undefined);
      const rule: RuleView = {
        priority: num(r.priority) ?? 0,
        from: prefix(str(r.src), num(r.srclen)) ?? 'all',
        action: str(r.action) ?? (table !== undefined ? 'lookup' : 'unknown'),
      };
      const to = prefix(str(r.dst), num(r.dstlen));
      if (to && to !== 'all') rule.to = to;
      const iif = str(r.iif);
      if (iif) rule.iif = iif;
      const oif = str(r.oif);
      if (oif) rule.oif = oif;
      const fwmark = str(r.fwmark);
      if (fwmark) rule.fwmark = str(r.fwmask) ? `${fwmark}/${str(r.fwmask)}` : fwmark;
      if (r.not === true || r.not === null) rule.not = true;
      if (table !== undefined) rule.table = table;
      return rule;
    })
    .sort((a, b) => a.priority - b.priority);
}
