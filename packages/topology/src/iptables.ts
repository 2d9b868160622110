// iptables rules in the exact canonical form `iptables-save` prints, so that desired and observed
// tables compare line by line: per table the built-in chains' policy lines, user chains' lines
// (sorted by name), then the rules grouped chain by chain (built-ins first, then user chains by
// name), in order within a chain. The nat, filter and mangle tables are managed.
import type { IptablesState } from './state.js';

export const NAT_CHAINS = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'] as const;
export const FILTER_CHAINS = ['INPUT', 'FORWARD', 'OUTPUT'] as const;
export const MANGLE_CHAINS = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;

export type IptablesTable = 'nat' | 'filter' | 'mangle';
export const IPTABLES_TABLES: readonly IptablesTable[] = ['nat', 'filter', 'mangle'];
/** Built-in chains of each managed table, in iptables-save's order. */
export const BUILTIN_CHAINS: Readonly<Record<IptablesTable, readonly string[]>> = {
  nat: NAT_CHAINS,
  filter: FILTER_CHAINS,
  mangle: MANGLE_CHAINS,
};

const defaultTable = (t: IptablesTable) => BUILTIN_CHAINS[t].map((c) => `:${c} ACCEPT`);

export function defaultIptablesState(): IptablesState {
  return { nat: defaultTable('nat'), filter: defaultTable('filter') };
}

/** The lines of `table` in `state` (mangle: the defaults when the state has none). */
export function tableLines(state: IptablesState, table: IptablesTable): string[] {
  return state[table] ?? defaultTable(table);
}

interface ChainContent {
  policy: string;
  rules: string[];
}

/** The chains of a table's lines: name → policy ("-" for user chains) and rules in order. */
function chainsOf(table: IptablesTable, lines: readonly string[]): Map<string, ChainContent> {
  const chains = new Map<string, ChainContent>();
  for (const c of BUILTIN_CHAINS[table]) chains.set(c, { policy: 'ACCEPT', rules: [] });
  for (const line of lines) {
    if (line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(/\s+/);
      if (name) chains.set(name, { policy: policy ?? '-', rules: chains.get(name)?.rules ?? [] });
    } else if (line.startsWith('-A ')) {
      const name = line.split(' ')[1]!;
      const c = chains.get(name) ?? { policy: '-', rules: [] };
      c.rules.push(line);
      chains.set(name, c);
    }
  }
  return chains;
}

/** The chain names of a table in canonical order: built-ins, then user chains by name. */
function chainOrder(table: IptablesTable, chains: Map<string, ChainContent>): string[] {
  const builtin = BUILTIN_CHAINS[table];
  const user = [...chains.keys()].filter((c) => !builtin.includes(c)).sort();
  return [...builtin, ...user];
}

/** `lines` (chain lines and rules, in any chain order) in the canonical order described above. */
export function canonicalTable(table: IptablesTable, lines: readonly string[]): string[] {
  const chains = chainsOf(table, lines);
  const order = chainOrder(table, chains);
  return [...order.map((c) => `:${c} ${chains.get(c)!.policy}`), ...order.flatMap((c) => chains.get(c)!.rules)];
}

export function iptablesEqual(a: IptablesState, b: IptablesState): boolean {
  const same = (x: string[], y: string[]) => x.length === y.length && x.every((l, i) => l === y[i]);
  return IPTABLES_TABLES.every((t) => same(tableLines(a, t), tableLines(b, t)));
}

/** Input for `iptables-restore` that replaces the nat and filter (and mangle, when set) tables with `state`. */
export function iptablesRestoreText(state: IptablesState): string {
  const table = (name: string, lines: string[]) =>
    [`*${name}`, ...lines.map((l) => (l.startsWith(':') ? `${l} [0:0]` : l)), 'COMMIT'].join('\n');
  const tables = IPTABLES_TABLES.filter((t) => t !== 'mangle' || state.mangle);
  return `${tables.map((t) => table(t, tableLines(state, t))).join('\n')}\n`;
}

/** What an incremental restore changes: "filter/cali-tw-veth1"-style names, and its input. */
export interface IptablesChange {
  chains: string[];
  /** Input for `iptables-restore --noflush`: only the chains that differ are rewritten. */
  input: string;
}

/**
 * The `iptables-restore --noflush` input that turns `observed` into `desired` chain by chain: a
 * chain whose policy and rules are already right is not touched (its counters and the rules'
 * places stay), so changing one rule rewrites only its chain. With --noflush, declaring a user chain
 * creates or flushes it, a built-in chain needs `-F`, and a chain no longer wanted is flushed and
 * deleted after every chain that jumped to it has been rewritten (one transaction: measured with
 * iptables-nft 1.8.9 on this kernel).
 */
export function iptablesChange(desired: IptablesState, observed: IptablesState): IptablesChange {
  const changed: string[] = [];
  const parts: string[] = [];
  for (const t of IPTABLES_TABLES) {
    const want = chainsOf(t, tableLines(desired, t));
    const have = chainsOf(t, tableLines(observed, t));
    const builtin = BUILTIN_CHAINS[t];
    const differs = (c: string) => {
      const w = want.get(c)!;
      const h = have.get(c);
      return (
        !h || h.policy !== w.policy || h.rules.length !== w.rules.length || h.rules.some((r, i) => r !== w.rules[i])
      );
    };
    const rewrite = chainOrder(t, want).filter(differs);
    const remove = chainOrder(t, have).filter((c) => !want.has(c));
    if (rewrite.length === 0 && remove.length === 0) continue;
    changed.push(...rewrite.map((c) => `${t}/${c}`), ...remove.map((c) => `${t}/${c} (removed)`));
    parts.push(
      [
        `*${t}`,
        ...rewrite.map((c) => `:${c} ${want.get(c)!.policy} [0:0]`),
        ...rewrite.filter((c) => builtin.includes(c)).map((c) => `-F ${c}`),
        ...rewrite.flatMap((c) => want.get(c)!.rules),
        ...remove.map((c) => `-F ${c}`),
        ...remove.map((c) => `-X ${c}`),
        'COMMIT',
      ].join('\n'),
    );
  }
  return { chains: changed, input: parts.length ? `${parts.join('\n')}\n` : '' };
}
