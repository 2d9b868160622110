// What the tables view notes beside a rule of kube-proxy's chains (KUBE-*, marked by
// tables-format.ts's iptablesChains), so a Service's path reads KUBE-SERVICES → KUBE-SVC-… →
// KUBE-SEP-… with where each endpoint rule sends and how likely each pick is.

/** The endpoint a KUBE-SEP rule sends to, or the chance a KUBE-SVC rule picks its endpoint ("50%"). */
export function kubeRuleNote(rule: string): string | undefined {
  const dnat = /-j DNAT --to-destination (\S+)/.exec(rule);
  if (dnat) return `→ ${dnat[1]}`;
  const p = /--probability ([0-9.]+)/.exec(rule);
  if (p) return `picked with probability ${Number(p[1]).toFixed(2)} of what reaches it`;
  return undefined;
}
