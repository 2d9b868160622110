// Text of the live tables that is worth a test of its own.
import {
  type BridgeView,
  DEFAULT_PORT_FLAGS,
  type InterfaceView,
  type RouteView,
  routeGroups,
} from '@patchbay/topology';

export interface FdbCapText {
  text: string;
  /** The bridge learns no more: new source MACs are flooded, not learned. */
  full: boolean;
}

/**
 * The bridge's learned-entry count against its cap (the kernel's fdb_max_learned), e.g.
 * "learned 64 of 64 (full: new MACs are flooded)"; undefined when the kernel reports neither.
 */
export function fdbCapText(bridge: Pick<BridgeView, 'fdbMaxLearned' | 'fdbLearned'>): FdbCapText | undefined {
  const { fdbMaxLearned: cap, fdbLearned: learned } = bridge;
  if (cap === undefined && learned === undefined) return undefined;
  if (!cap) return { text: `learned ${learned ?? '?'} (no cap)`, full: false };
  const full = learned !== undefined && learned >= cap;
  return { text: `learned ${learned ?? '?'} of ${cap}${full ? ' (full: new MACs are flooded)' : ''}`, full };
}

/** The cells of one route row: type, to, via, dev, protocol, scope, source (blank where none). */
export interface RouteRow {
  key: string;
  cells: [type: string, to: string, via: string, dev: string, protocol: string, scope: string, src: string];
  /** blackhole, unreachable, prohibit, throw: traffic to it is dropped or refused here. */
  drops: boolean;
}

export interface RouteSection {
  table: string;
  /** "table main (4)"; the local table says what it holds. */
  title: string;
  rows: RouteRow[];
  /** Shown folded until opened (the local table: the node's own addresses and broadcasts). */
  folded: boolean;
}

const DROPPING = new Set(['blackhole', 'unreachable', 'prohibit', 'throw']);

/** A node's routes as the routes table shows them: one section per kernel table. */
export function routeSections(routes: readonly RouteView[]): RouteSection[] {
  const seen = new Map<string, number>();
  // A table may list the same route twice (the kernel keeps both): keys made unique by a counter.
  const unique = (key: string) => {
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return n ? `${key}#${n}` : key;
  };
  return routeGroups(routes).map((g) => ({
    table: g.table,
    title:
      g.table === 'local'
        ? `table local (${g.routes.length}: the node's own and broadcast addresses)`
        : `table ${g.table} (${g.routes.length})`,
    folded: g.folded,
    rows: g.routes.map((r) => {
      const type = r.type ?? 'unicast';
      return {
        key: unique(`${g.table}|${type}|${r.to}|${r.via ?? ''}|${r.dev ?? ''}|${r.src ?? ''}|${r.metric ?? ''}`),
        cells: [type, r.to, r.via ?? '', r.dev ?? '', r.protocol ?? '', r.scope ?? '', r.src ?? ''],
        drops: DROPPING.has(type),
      };
    }),
  }));
}

/**
 * A bridge port's flags that differ from a new port's, as the kernel has them ("hairpin on,
 * learning off"); "" for a port with the defaults, or an interface that is no port.
 */
export function portFlagsText(i: Pick<InterfaceView, 'port'>): string {
  if (!i.port) return '';
  const keys = ['hairpin', 'learning', 'flood', 'isolated'] as const;
  return keys
    .filter((k) => i.port![k] !== DEFAULT_PORT_FLAGS[k])
    .map((k) => `${k} ${i.port![k] ? 'on' : 'off'}`)
    .join(', ');
}

/** "macvlan bridge on host:eth0": a macvlan's mode and parent; "" for any other interface. */
export function macvlanText(i: Pick<InterfaceView, 'macvlan'>): string {
  if (!i.macvlan) return '';
  return `macvlan ${i.macvlan.mode}${i.macvlan.parent ? ` on ${i.macvlan.parent.replace('/', ':')}` : ''}`;
}

export interface EbtablesChainView {
  chain: string;
  policy: string;
  /** The chain's rules without the `-A CHAIN` prefix, as `ebtables -L` lists them. */
  rules: string[];
}

/**
 * A bridge's ebtables lines (ebtables-save's form) grouped by chain, in the table's order. A
 * built-in chain with the ACCEPT policy and no rule is left out; none at all: no rules.
 */
export function ebtablesChains(ebtables: BridgeView['ebtables']): EbtablesChainView[] {
  if (!ebtables) return [];
  const chains: EbtablesChainView[] = [];
  for (const line of ebtables.filter) {
    if (line.startsWith(':')) {
      const [chain = '', policy = 'ACCEPT'] = line.slice(1).split(' ');
      chains.push({ chain, policy, rules: [] });
    } else if (line.startsWith('-A ')) {
      const [, chain = '', ...rest] = line.split(' ');
      chains.find((c) => c.chain === chain)?.rules.push(rest.join(' '));
    }
  }
  const builtin = new Set(['INPUT', 'FORWARD', 'OUTPUT']);
  return chains.filter((c) => !builtin.has(c.chain) || c.policy !== 'ACCEPT' || c.rules.length > 0);
}
