// Pure edits of a node's firewall rules, labels and the lab's NetworkPolicies as the inspector makes
// them: a new rule (filter INPUT, DROP), a field changed (a chain that the new table lacks is reset
// to the table's first), labels written as "app=web, tier=db", a policy made for a pod, and which
// policies select a pod (shown on the pods they select).
import {
  FIREWALL_CHAINS,
  type FirewallRuleSpec,
  type Lab,
  type NetworkPolicySpec,
  selectPods,
} from '@patchbay/topology';

export function newFirewallRule(): FirewallRuleSpec {
  return { chain: 'INPUT', action: 'DROP' };
}

/** The rule with `key` set (undefined/"": removed); a table change keeps the chain only if the table has it. */
export function setRuleField<K extends keyof FirewallRuleSpec>(
  rule: FirewallRuleSpec,
  key: K,
  value: FirewallRuleSpec[K] | undefined,
): FirewallRuleSpec {
  const next = { ...rule };
  if (value === undefined || value === '') delete next[key];
  else next[key] = value;
  if (key === 'table') {
    const table = next.table ?? 'filter';
    if (!FIREWALL_CHAINS[table].includes(next.chain)) next.chain = FIREWALL_CHAINS[table][0]!;
    if (table === 'filter') delete next.table;
  }
  return next;
}

/** A port field as typed: "80" → 80, "1000-2000" kept, "" → undefined; anything else kept for validation to name. */
export function portValue(text: string): number | string | undefined {
  const t = text.trim();
  if (!t) return undefined;
  return /^\d+$/.test(t) ? Number(t) : t;
}

/** "app=web, tier=db" → { app: 'web', tier: 'db' }; undefined when empty. A key without = gets "". */
export function parseLabels(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) out[p] = '';
    else out[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  return Object.keys(out).length ? out : undefined;
}

export function labelsText(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** The policies whose podSelector picks `pod`, with the directions they isolate. */
export function policiesSelecting(lab: Lab, pod: string): { name: string; index: number; types: string[] }[] {
  return (lab.policies ?? []).flatMap((p, index) =>
    selectPods(lab, p.podSelector).includes(pod)
      ? [
          {
            name: p.name,
            index,
            types: p.policyTypes ?? (p.egress !== undefined ? ['Ingress', 'Egress'] : ['Ingress']),
          },
        ]
      : [],
  );
}

/** A new default-deny ingress policy selecting `pod` by name (a free name: POD-ingress, POD-ingress-2…). */
export function addPolicyFor(lab: Lab, pod: string): { lab: Lab; name: string } {
  const taken = new Set((lab.policies ?? []).map((p) => p.name));
  const base = `${pod}-ingress`.slice(0, 18).replace(/-+$/, '');
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  const policy: NetworkPolicySpec = { name, podSelector: { nodes: [pod] }, policyTypes: ['Ingress'], ingress: [] };
  return { lab: { ...lab, policies: [...(lab.policies ?? []), policy] }, name };
}

export function removePolicy(lab: Lab, index: number): Lab {
  const policies = (lab.policies ?? []).filter((_, i) => i !== index);
  const { policies: _, ...rest } = lab;
  return policies.length ? { ...rest, policies } : rest;
}
