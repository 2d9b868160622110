// iptables rules in the exact canonical form `iptables-save` prints, so that desired and observed
// tables compare line by line. Only the built-in chains of `nat` and `filter` are managed.
import type { IptablesState } from './state.js';

export const NAT_CHAINS = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'] as const;
export const FILTER_CHAINS = ['INPUT', 'FORWARD', 'OUTPUT'] as const;

export function defaultIptablesState(): IptablesState {
  return {
    nat: NAT_CHAINS.map((c) => `:${c} ACCEPT`),
    filter: FILTER_CHAINS.map((c) => `:${c} ACCEPT`),
  };
}

export function iptablesEqual(a: IptablesState, b: IptablesState): boolean {
  const same = (x: string[], y: string[]) => x.length === y.length && x.every((l, i) => l === y[i]);
  return same(a.nat, b.nat) && same(a.filter, b.filter);
}

/** Input for `iptables-restore` that replaces the nat and filter tables with `state`. */
export function iptablesRestoreText(state: IptablesState): string {
  const table = (name: string, lines: string[]) =>
    [`*${name}`, ...lines.map((l) => (l.startsWith(':') ? `${l} [0:0]` : l)), 'COMMIT'].join('\n');
  return `${table('nat', state.nat)}\n${table('filter', state.filter)}\n`;
}
