// The node's iptables in the tables view: each chain with rules (or a DROP policy), table by table,
// as iptables-save prints them; NetworkPolicy chains (Calico's cali-…) are marked as the policies',
// kube-proxy's Service chains (KUBE-…) as kube-proxy's, with where each endpoint rule sends.
// `family` 6: the node's ip6tables (shown when the lab has IPv6 addresses or IPv6 rules).
import type { NodeView } from '@patchbay/topology';
import { kubeRuleNote } from './iptables-format';
import { iptablesChains } from './tables-format';

export function IptablesSection({ node, family = 4 }: { node: NodeView; family?: 4 | 6 }) {
  const chains = iptablesChains(family === 6 ? node.nat6 : node.nat);
  return (
    <section className="pb-table-section" data-testid={family === 6 ? 'ip6tables-section' : 'iptables-section'}>
      <h3>
        {family === 6 ? 'ip6tables' : 'iptables'}{' '}
        <span className="badge">{chains.reduce((n, c) => n + c.rules.length, 0)}</span>
      </h3>
      {chains.length === 0 && <p className="pb-muted">no rules (every chain ACCEPT)</p>}
      {chains.map((c) => (
        <div key={`${c.table}/${c.chain}`} data-testid="iptables-chain" data-chain={c.chain} data-table={c.table}>
          <p className="pb-muted pb-table-sub">
            <span className="mono">
              {c.table} {c.chain}
            </span>
            {c.policy !== '-' && <> · policy {c.policy}</>}
            {c.policyChain && <> · NetworkPolicy chain</>}
            {c.kube && <> · kube-proxy</>}
          </p>
          <ul className="pb-rules mono">
            {c.rules.map((r, k) => (
              <li key={`${k}|${r}`}>
                {r}
                {c.kube && kubeRuleNote(r) ? <span className="pb-muted"> ({kubeRuleNote(r)})</span> : null}
              </li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}
