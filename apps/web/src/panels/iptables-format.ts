// A node's iptables tables (iptables-save lines) as the tables view shows them: per table, each
// chain that holds rules or a policy other than ACCEPT, in iptables-save's order, and the rules
// without the "-A CHAIN" every line repeats. kube-proxy's chains (KUBE-*) are marked, so a
// Service's path reads KUBE-SERVICES → KUBE-SVC-… → KUBE-SEP-….

export interface ChainView {
  table: 'nat' | 'filter';
  chain: string;
  /** ACCEPT / DROP for a built-in chain, "-" for a user-defined one. */
  policy: string;
  /** The rules' text after "-A CHAIN". */
  rules: string[];
  /** One of kube-proxy's chains (a Service's). */
  kube: boolean;
}

export function iptablesChains(tables: { nat: readonly string[]; filter: readonly string[] } | undefined): ChainView[] {
  if (!tables) return [];
  const out: ChainView[] = [];
  for (const table of ['nat', 'filter'] as const) {
    const chains = new Map<string, ChainView>();
    for (const line of tables[table]) {
      if (line.startsWith(':')) {
        const [chain = '', policy = '-'] = line.slice(1).split(/\s+/);
        chains.set(chain, { table, chain, policy, rules: [], kube: chain.startsWith('KUBE-') });
      } else if (line.startsWith('-A ')) {
        const rest = line.slice(3);
        const space = rest.indexOf(' ');
        const chain = space < 0 ? rest : rest.slice(0, space);
        chains.get(chain)?.rules.push(space < 0 ? '' : rest.slice(space + 1));
      }
    }
    for (const c of chains.values()) if (c.rules.length > 0 || (c.policy !== 'ACCEPT' && c.policy !== '-')) out.push(c);
  }
  return out;
}

/** The endpoint a KUBE-SEP rule sends to, or the chance a KUBE-SVC rule picks its endpoint ("50%"). */
export function kubeRuleNote(rule: string): string | undefined {
  const dnat = /-j DNAT --to-destination (\S+)/.exec(rule);
  if (dnat) return `→ ${dnat[1]}`;
  const p = /--probability ([0-9.]+)/.exec(rule);
  if (p) return `picked with probability ${Number(p[1]).toFixed(2)} of what reaches it`;
  return undefined;
}
