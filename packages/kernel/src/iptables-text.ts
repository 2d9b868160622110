// Reading iptables-save output into the canonical IptablesState (writing is topology's
// iptablesRestoreText, which the planner uses).

import type { IptablesState } from '@patchbay/topology';

import { FILTER_CHAINS, NAT_CHAINS, defaultIptablesState } from '@patchbay/topology';

export type IptablesTable = 'nat' | 'filter';

/** Built-in chains of each managed table, in iptables-save's order. */
const BUILTIN_CHAINS: Readonly<Record<IptablesTable, readonly string[]>> = { nat: NAT_CHAINS, filter: FILTER_CHAINS };

const TABLES: readonly IptablesTable[] = ['nat', 'filter'];

/**
 * Canonical form of `iptables-save` output for the nat and filter tables: per table the built-in
 * chains' ":CHAIN POLICY" lines (counters dropped, in iptables-save's order, ACCEPT when missing),
 * then user-defined chains (":NAME -"), then the "-A …" lines in order. A table absent from the
 * output (never loaded in this namespace) gets the defaults. Other tables are ignored.
 */
export function parseIptablesSave(text: string): IptablesState {
  const chains: Record<IptablesTable, Map<string, string>> = { nat: new Map(), filter: new Map() };
  const rules: Record<IptablesTable, string[]> = { nat: [], filter: [] };
  let table: IptablesTable | undefined;
  let inOther = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      const name = line.slice(1);
      table = name === 'nat' || name === 'filter' ? name : undefined;
      inOther = table === undefined;
      continue;
    }
    if (line === 'COMMIT') {
      table = undefined;
      inOther = false;
      continue;
    }
    if (inOther || table === undefined) continue;
    if (line.startsWith(':')) {
      const [chain, policy] = line.slice(1).split(/\s+/);
      if (chain) chains[table].set(chain, policy ?? '-');
    } else if (line.startsWith('-A ')) {
      rules[table].push(line.replace(/\s+/g, ' '));
    }
  }
  const out = defaultIptablesState();
  for (const t of TABLES) {
    const builtin = BUILTIN_CHAINS[t];
    const lines = builtin.map((c) => `:${c} ${chains[t].get(c) ?? 'ACCEPT'}`);
    for (const [c, policy] of chains[t]) if (!builtin.includes(c)) lines.push(`:${c} ${policy}`);
    out[t] = [...lines, ...rules[t]];
  }
  return out;
}
