// The node's iptables in the tables view: each chain with rules (or a DROP policy), table by table,
// as iptables-save prints them; NetworkPolicy chains (Calico's cali-…) are marked as the policies',
// kube-proxy's Service chains (KUBE-…) as kube-proxy's, with where each endpoint rule sends.
import type { NodeView } from '@patchbay/topology';
import { kubeRuleNote } from './iptables-format';
import { iptablesChains } from './tables-format';

export function IptablesSection({ node }: { node: NodeView }) {
  const chains = iptablesChains(node.nat);
  return (
    <section className="pb-table-section" data-testid="iptables-section">
      <h3>
        iptables <span className="badge">{chains.reduce((n, c) => n + c.rules.length, 0)}</span>
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
