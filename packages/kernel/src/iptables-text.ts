// Reading iptables-save output into the canonical IptablesState (writing is topology's
// iptablesRestoreText / iptablesChange, which the planner uses).

import type { IptablesState, IptablesTable } from '@patchbay/topology';

import { IPTABLES_TABLES, canonicalTable, defaultIptablesState } from '@patchbay/topology';

export type { IptablesTable } from '@patchbay/topology';

/**
 * Canonical form of `iptables-save` output for the nat, filter and mangle tables (topology's
 * `canonicalTable`): per table the built-in chains' ":CHAIN POLICY" lines (counters dropped,
 * ACCEPT when missing), then user-defined chains (":NAME -") by name, then the "-A …" lines chain by
 * chain. A table absent from the output (never loaded in this namespace) gets the defaults (mangle:
 * left undefined). Other tables are ignored.
 */
export function parseIptablesSave(text: string): IptablesState {
  const lines: Record<IptablesTable, string[]> = { nat: [], filter: [], mangle: [] };
  const seen = new Set<IptablesTable>();
  let table: IptablesTable | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      const name = line.slice(1);
      table = (IPTABLES_TABLES as readonly string[]).includes(name) ? (name as IptablesTable) : undefined;
      if (table) seen.add(table);
      continue;
    }
    if (line === 'COMMIT') {
      table = undefined;
      continue;
    }
    if (table === undefined) continue;
    if (line.startsWith(':')) {
      const [chain, policy] = line.slice(1).split(/\s+/);
      if (chain) lines[table].push(`:${chain} ${policy ?? '-'}`);
    } else if (line.startsWith('-A ')) {
      lines[table].push(line.replace(/\s+/g, ' '));
    }
  }
  const out = defaultIptablesState();
  out.nat = canonicalTable('nat', lines.nat);
  out.filter = canonicalTable('filter', lines.filter);
  if (seen.has('mangle')) {
    const mangle = canonicalTable('mangle', lines.mangle);
    // A mangle table with only its built-in chains, all ACCEPT, is the same as none.
    const untouched = mangle.every((l) => l.startsWith(':') && l.endsWith(' ACCEPT')) && mangle.length === 5;
    if (!untouched) out.mangle = mangle;
  }
  return out;
}
