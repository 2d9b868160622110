import { describe, expect, it } from 'vitest';
import { iptablesChains, kubeRuleNote } from './iptables-format.js';

describe('iptablesChains', () => {
  it('lists the chains with rules, kube-proxy chains marked, rules without "-A CHAIN"', () => {
    const chains = iptablesChains({
      nat: [
        ':PREROUTING ACCEPT',
        ':INPUT ACCEPT',
        ':OUTPUT ACCEPT',
        ':POSTROUTING ACCEPT',
        ':KUBE-SEP-AAA -',
        ':KUBE-SERVICES -',
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A KUBE-SEP-AAA -p tcp -m tcp -j DNAT --to-destination 10.244.1.2:8080',
        '-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-X',
      ],
      filter: [':INPUT ACCEPT', ':FORWARD DROP', ':OUTPUT ACCEPT'],
    });
    expect(chains.map((c) => `${c.table} ${c.chain} ${c.policy} ${c.kube} ${c.rules.length}`)).toEqual([
      'nat PREROUTING ACCEPT false 1',
      'nat KUBE-SEP-AAA - true 1',
      'nat KUBE-SERVICES - true 1',
      'filter FORWARD DROP false 0',
    ]);
    expect(chains[1]!.rules[0]).toBe('-p tcp -m tcp -j DNAT --to-destination 10.244.1.2:8080');
    expect(iptablesChains(undefined)).toEqual([]);
  });

  it('notes where a KUBE-SEP sends and how likely a KUBE-SVC rule is', () => {
    expect(kubeRuleNote('-p tcp -m tcp -j DNAT --to-destination 10.244.1.2:8080')).toBe('→ 10.244.1.2:8080');
    expect(kubeRuleNote('-m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A')).toBe(
      'picked with probability 0.50 of what reaches it',
    );
    expect(kubeRuleNote('-j KUBE-SEP-B')).toBeUndefined();
  });
});
