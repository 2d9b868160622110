// A node's `firewall:` rules as iptables-save lines (the exact form it prints, so desired and
// observed compare line by line), and the node's whole iptables state: NAT and port forwards
// (compile-nat.ts), NetworkPolicy chains (compile-policy.ts), then its firewall rules.
import { cidrNetwork } from './addr.js';
import { iptablesForNode } from './compile-nat.js';
import { policyTablesFor } from './compile-policy.js';
import { canonicalTable, defaultIptablesState, tableLines } from './iptables.js';
import type { FirewallRuleSpec, FirewallTable, Lab, NetNodeSpec } from './model.js';
import type { IptablesState } from './state.js';

/** A string as iptables-save prints it: in double quotes when it holds a space or a quote. */
export const saveString = (s: string) => (/[\s"'\\]/.test(s) ? `"${s.replace(/(["\\])/g, '\\$1')}"` : s);

/** "10.0.0.3" → "10.0.0.3/32"; a CIDR → its network ("10.0.0.5/24" → "10.0.0.0/24"), as iptables stores it. */
export function iptablesAddress(a: string): string {
  return a.includes('/') ? (cidrNetwork(a) ?? a) : `${a}/32`;
}

/** A port or "lo-hi" range as iptables prints it ("lo:hi"). */
const portText = (p: number | string) => String(p).replace('-', ':');

/** The rule's matches and target, without "-A CHAIN" (shared with the NetworkPolicy chains). */
export function ruleBody(
  r: Omit<FirewallRuleSpec, 'action'> & { action: FirewallRuleSpec['action'] | 'RETURN' },
): string {
  const w: string[] = [];
  if (r.source) w.push('-s', iptablesAddress(r.source));
  if (r.destination) w.push('-d', iptablesAddress(r.destination));
  if (r.in) w.push('-i', r.in);
  if (r.out) w.push('-o', r.out);
  if (r.protocol) w.push('-p', r.protocol);
  if (r.physdevIn || r.physdevOut) {
    w.push('-m', 'physdev');
    if (r.physdevIn) w.push('--physdev-in', r.physdevIn);
    // Only bridged traffic has an output port in FORWARD (a routed packet's port is chosen later).
    if (r.physdevOut) w.push('--physdev-out', r.physdevOut, '--physdev-is-bridged');
  }
  if (r.state?.length) w.push('-m', 'conntrack', '--ctstate', r.state.join(','));
  if (r.comment) w.push('-m', 'comment', '--comment', saveString(r.comment));
  if ((r.protocol === 'tcp' || r.protocol === 'udp') && (r.sport !== undefined || r.dport !== undefined)) {
    w.push('-m', r.protocol);
    if (r.sport !== undefined) w.push('--sport', portText(r.sport));
    if (r.dport !== undefined) w.push('--dport', portText(r.dport));
  }
  w.push('-j', r.action);
  switch (r.action) {
    case 'REJECT':
      w.push('--reject-with', r.rejectWith ?? 'icmp-port-unreachable');
      break;
    case 'DNAT':
      w.push('--to-destination', r.toDestination ?? '');
      break;
    case 'SNAT':
      w.push('--to-source', r.toSource ?? '');
      break;
    case 'REDIRECT':
      w.push('--to-ports', String(r.toPort ?? ''));
      break;
    case 'LOG':
      if (r.logPrefix) w.push('--log-prefix', saveString(r.logPrefix));
      break;
  }
  return w.join(' ');
}

/** The rule as iptables-save prints it. */
export function firewallRuleLine(r: FirewallRuleSpec): string {
  return `-A ${r.chain} ${ruleBody(r)}`;
}

/** Lines of one table: what came before (NAT, policies), then the firewall rules of that table. */
function withRules(table: FirewallTable, before: string[], rules: FirewallRuleSpec[]): string[] {
  const mine = rules.filter((r) => (r.table ?? 'filter') === table).map(firewallRuleLine);
  return canonicalTable(table, [...before, ...mine]);
}

/**
 * The iptables state of a node's namespace: NAT/port forwards/FORWARD policy, the NetworkPolicy
 * chains of the pods whose interfaces are here, then `firewall:`. undefined when the namespace asks
 * for none of these (its tables are then left as the kernel has them).
 */
export function iptablesForNamespace(
  node: NetNodeSpec | undefined,
  policyLines: string[] | undefined,
): IptablesState | undefined {
  const base = node ? iptablesForNode(node) : undefined;
  const rules = node?.firewall ?? [];
  if (!base && !policyLines && rules.length === 0) return undefined;
  const start = base ?? defaultIptablesState();
  const out: IptablesState = {
    nat: withRules('nat', tableLines(start, 'nat'), rules),
    filter: withRules('filter', [...tableLines(start, 'filter'), ...(policyLines ?? [])], rules),
  };
  if (rules.some((r) => r.table === 'mangle')) out.mangle = withRules('mangle', tableLines(start, 'mangle'), rules);
  return out;
}

/** The iptables state of every namespace of `lab` that manages its tables, by namespace name. */
export function iptablesByNamespace(
  lab: Lab,
  prefix: string,
  nodeNamespace: (node: string) => string,
): Record<string, IptablesState> {
  const policies = policyTablesFor(lab, prefix);
  const out: Record<string, IptablesState> = {};
  for (const [name, node] of Object.entries(lab.nodes)) {
    if (node.kind === 'bridge') continue;
    const ns = nodeNamespace(name);
    const tables = iptablesForNamespace(node, policies[ns]);
    if (tables) out[ns] = tables;
  }
  // The implicit bridge host (a lab without host nodes) has no node spec: policies only.
  for (const [ns, policy] of Object.entries(policies)) if (!out[ns]) out[ns] = iptablesForNamespace(undefined, policy)!;
  return out;
}
