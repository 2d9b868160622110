// Reading ebtables-save output (ebtables-nft 1.8.9) into the canonical EbtablesState (writing is
// topology's ebtablesRestoreText, which the planner uses). Only the filter table is managed.
import { EBTABLES_CHAINS, type EbtablesState, defaultEbtablesState } from '@patchbay/topology';

/**
 * The filter table as ":CHAIN POLICY" lines (built-in chains first, ACCEPT when missing, then user
 * chains in the order printed) followed by the "-A …" lines in order. A table never loaded in the
 * namespace (ebtables-save prints nothing) is the default: three empty ACCEPT chains.
 */
export function parseEbtablesSave(text: string): EbtablesState {
  const chains = new Map<string, string>();
  const rules: string[] = [];
  let inFilter = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      inFilter = line === '*filter';
      continue;
    }
    if (line === 'COMMIT') {
      inFilter = false;
      continue;
    }
    if (!inFilter) continue;
    if (line.startsWith(':')) {
      const [chain, policy] = line.slice(1).split(/\s+/);
      if (chain) chains.set(chain, policy ?? 'ACCEPT');
    } else if (line.startsWith('-A ')) rules.push(line.replace(/\s+/g, ' '));
  }
  if (chains.size === 0 && rules.length === 0) return defaultEbtablesState();
  const builtin: readonly string[] = EBTABLES_CHAINS;
  const lines = builtin.map((c) => `:${c} ${chains.get(c) ?? 'ACCEPT'}`);
  for (const [c, policy] of chains) if (!builtin.includes(c)) lines.push(`:${c} ${policy}`);
  return { filter: [...lines, ...rules] };
}
