// Routes and policy rules of the views as `ip route` and `ip rule` print them (what a learner types
// to check), shared by the CLI's `state` and the web's tables.
import type { RouteView, RuleView } from './views.js';

/** `blackhole 10.50.0.0/16`, `10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.2`: ip's words, ip's defaults left out. */
export function routeText(r: RouteView): string {
  const words: string[] = [];
  if (r.type && r.type !== 'unicast') words.push(r.type);
  words.push(r.to);
  if (r.via) words.push('via', r.via);
  if (r.dev) words.push('dev', r.dev);
  if (r.table && r.table !== 'main') words.push('table', r.table);
  if (r.protocol && r.protocol !== 'boot') words.push('proto', r.protocol);
  if (r.scope && r.scope !== 'global') words.push('scope', r.scope);
  if (r.src) words.push('src', r.src);
  if (r.metric !== undefined) words.push('metric', String(r.metric));
  if (r.flags?.length) words.push(...r.flags);
  return words.join(' ');
}

/** `100: from 10.9.0.0/24 lookup 100`, `99: from all to 10.70.0.0/16 prohibit`. */
export function ruleText(r: RuleView): string {
  const words: string[] = [`${r.priority}:`];
  if (r.not) words.push('not');
  words.push('from', r.from);
  if (r.to) words.push('to', r.to);
  if (r.fwmark) words.push('fwmark', r.fwmark);
  if (r.iif) words.push('iif', r.iif);
  if (r.oif) words.push('oif', r.oif);
  if (r.action === 'lookup') words.push('lookup', r.table ?? '?');
  else words.push(r.action);
  return words.join(' ');
}

export interface RouteGroup {
  table: string;
  routes: RouteView[];
  /** The local table (the namespace's own addresses and broadcasts): shown folded unless asked. */
  folded: boolean;
}

/** Routes by table, in the order given (the engine lists main first, local last); a missing table is main. */
export function routeGroups(routes: readonly RouteView[]): RouteGroup[] {
  const groups = new Map<string, RouteView[]>();
  for (const r of routes) {
    const table = r.table ?? 'main';
    const list = groups.get(table) ?? [];
    list.push(r);
    groups.set(table, list);
  }
  return [...groups].map(([table, list]) => ({ table, routes: list, folded: table === 'local' }));
}
