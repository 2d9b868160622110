// A node's whole iptables state (its rules as iptables-save prints them, firewall-rule.ts, so desired
// and observed compare line by line): NAT and port forwards
// (compile-nat.ts), NetworkPolicy chains (compile-policy.ts), then its firewall rules. The same for
// ip6tables (family 6), from the lab's IPv6 Services, NAT, forwards, policy peers and rules.
import { iptablesForNode } from './compile-nat.js';
import type { ChainRules, IpFamily } from './compile-service.js';
import { IMPLICIT_HOST, implicitHostNamespace } from './naming.js';
import { policyTablesFor } from './compile-policy.js';
import { canonicalTable, defaultIptablesState, tableLines } from './iptables.js';
import { firewallRuleLine, ruleFamilies } from './firewall-rule.js';
import type { FirewallRuleSpec, FirewallTable, Lab, NetNodeSpec } from './model.js';
import type { IptablesState } from './state.js';

/** Lines of one table: what came before (NAT, policies), then the firewall rules of that table. */
function withRules(table: FirewallTable, before: string[], rules: FirewallRuleSpec[], family: IpFamily): string[] {
  const mine = rules.filter((r) => (r.table ?? 'filter') === table).map((r) => firewallRuleLine(r, family));
  return canonicalTable(table, [...before, ...mine]);
}

/**
 * The iptables state of a node's namespace: NAT/port forwards/FORWARD policy, the NetworkPolicy
 * chains of the pods whose interfaces are here, then `firewall:`. undefined when the namespace asks
 * for none of these (its tables are then left as the kernel has them). `family` 6: its ip6tables.
 */
export function iptablesForNamespace(
  node: NetNodeSpec | undefined,
  policyLines: string[] | undefined,
  services?: ChainRules,
  family: IpFamily = 4,
): IptablesState | undefined {
  const base = node || services ? iptablesForNode(node, services, family) : undefined;
  const rules = (node?.firewall ?? []).filter((r) => ruleFamilies(r).includes(family));
  if (!base && !policyLines && rules.length === 0) return undefined;
  const start = base ?? defaultIptablesState();
  const out: IptablesState = {
    nat: withRules('nat', tableLines(start, 'nat'), rules, family),
    filter: withRules('filter', [...tableLines(start, 'filter'), ...(policyLines ?? [])], rules, family),
  };
  if (rules.some((r) => r.table === 'mangle'))
    out.mangle = withRules('mangle', tableLines(start, 'mangle'), rules, family);
  return out;
}

/**
 * The iptables state (ip6tables for `family` 6) of every namespace of `lab` that manages its
 * tables, by namespace name.
 */
export function iptablesByNamespace(
  lab: Lab,
  prefix: string,
  nodeNamespace: (node: string) => string,
  services: Map<string, ChainRules> = new Map(),
  family: IpFamily = 4,
): Record<string, IptablesState> {
  const policies = policyTablesFor(lab, prefix, family);
  const out: Record<string, IptablesState> = {};
  for (const [name, node] of Object.entries(lab.nodes)) {
    if (node.kind === 'bridge') continue;
    const ns = nodeNamespace(name);
    const tables = iptablesForNamespace(node, policies[ns], services.get(name), family);
    if (tables) out[ns] = tables;
  }
  // The implicit bridge host (a lab without host nodes) has no node spec: Services and policies only.
  const implicitNs = implicitHostNamespace(prefix, lab.name);
  const implicitServices = services.get(IMPLICIT_HOST);
  if (implicitServices && !out[implicitNs])
    out[implicitNs] = iptablesForNamespace(undefined, policies[implicitNs], implicitServices, family)!;
  for (const [ns, policy] of Object.entries(policies))
    if (!out[ns]) out[ns] = iptablesForNamespace(undefined, policy, undefined, family)!;
  return out;
}
