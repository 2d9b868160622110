// ip6tables: IPv6 Services, NAT, port forwards, NetworkPolicy chains and firewall rules compile to
// each namespace's `ip6tables` (the same canonical iptables-save form), diff and plan to an
// `ip6tables-restore --noflush`, and an IPv4-only lab has none.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from './compile.js';
import { diff } from './diff.js';
import { firewallRuleLine, ruleFamilies } from './firewall-rule.js';
import type { FirewallRuleSpec, Lab } from './model.js';
import { parseLabText } from './parse.js';
import { opCommand } from './plan-types.js';
import { plan } from './plan.js';
import { validateLab } from './validate.js';

const ROOT = join(import.meta.dirname, '../../..');
const example = (f: string) => parseLabText(readFileSync(join(ROOT, 'examples', f), 'utf8')).lab!;
const NODE1 = 'pb-dual-stack-svc.node1';
const codes = (lab: Lab) => validateLab(lab).map((p) => `${p.path} ${p.code}`);
const withRules = (rules: FirewallRuleSpec[]): Lab => {
  const lab = example('dual-stack-services.yaml');
  (lab.nodes.node1 as { firewall?: FirewallRuleSpec[] }).firewall = rules;
  return lab;
};

describe('firewall rules by family', () => {
  it('goes to ip6tables when an address is IPv6, to both with family both, and speaks ICMPv6', () => {
    expect(ruleFamilies({ source: 'fd00::/64' })).toEqual([6]);
    expect(ruleFamilies({})).toEqual([4]);
    expect(ruleFamilies({ family: 'both' })).toEqual([4, 6]);
    const reject: FirewallRuleSpec = { chain: 'INPUT', protocol: 'icmp', action: 'REJECT', family: 'both' };
    expect(firewallRuleLine(reject, 6)).toBe('-A INPUT -p ipv6-icmp -j REJECT --reject-with icmp6-port-unreachable');
    expect(firewallRuleLine(reject, 4)).toBe('-A INPUT -p icmp -j REJECT --reject-with icmp-port-unreachable');
    expect(
      firewallRuleLine(
        { chain: 'INPUT', source: 'FD00:0::5', action: 'REJECT', rejectWith: 'icmp-admin-prohibited' },
        6,
      ),
    ).toBe('-A INPUT -s fd00::5/128 -j REJECT --reject-with icmp6-adm-prohibited');
    expect(
      firewallRuleLine(
        {
          table: 'nat',
          chain: 'PREROUTING',
          protocol: 'tcp',
          dport: 80,
          action: 'DNAT',
          toDestination: '[fd00::2]:8080',
        },
        6,
      ),
    ).toBe('-A PREROUTING -p tcp -m tcp --dport 80 -j DNAT --to-destination [fd00::2]:8080');
  });

  it('writes the node’s rules in the table of their family', () => {
    const d = compile(
      withRules([
        { chain: 'INPUT', protocol: 'tcp', dport: 22, action: 'DROP', family: 'both' },
        { chain: 'INPUT', source: '10.0.0.0/8', action: 'ACCEPT' },
      ]),
      'pb-',
    );
    const v4 = d.namespaces[NODE1]!.iptables!.filter;
    const v6 = d.namespaces[NODE1]!.ip6tables!.filter;
    expect(v4).toContain('-A INPUT -p tcp -m tcp --dport 22 -j DROP');
    expect(v6).toContain('-A INPUT -p tcp -m tcp --dport 22 -j DROP');
    expect(v4).toContain('-A INPUT -s 10.0.0.0/8 -j ACCEPT');
    expect(v6.join('\n')).not.toContain('10.0.0.0');
  });

  it('refuses rules that mix families, and both with an address', () => {
    expect(
      codes(withRules([{ chain: 'INPUT', source: 'fd00::/64', destination: '10.0.0.1', action: 'ACCEPT' }])),
    ).toEqual(['nodes.node1.firewall[0].destination firewall.family']);
    expect(codes(withRules([{ chain: 'INPUT', source: '10.0.0.1', family: 'both', action: 'ACCEPT' }]))).toEqual([
      'nodes.node1.firewall[0].source firewall.family',
    ]);
    expect(codes(withRules([{ chain: 'INPUT', source: 'fd00::1::2', action: 'ACCEPT' }]))).toEqual([
      'nodes.node1.firewall[0].source firewall.address',
    ]);
    expect(
      codes(
        withRules([
          { table: 'nat', chain: 'PREROUTING', protocol: 'tcp', action: 'DNAT', toDestination: '[fd00::2]:99999' },
        ]),
      ),
    ).toEqual(['nodes.node1.firewall[0].toDestination firewall.address']);
  });
});

describe('IPv6 Services and policies', () => {
  it('kube-proxy chains for the IPv6 ClusterIP in ip6tables, the IPv4 one in iptables', () => {
    const n = compile(example('dual-stack-services.yaml'), 'pb-').namespaces[NODE1]!;
    expect(n.ip6tables!.nat.some((l) => l.startsWith('-A KUBE-SERVICES -d fd00:96::20/128'))).toBe(true);
    expect(n.ip6tables!.nat.join('\n')).not.toContain('10.96.0.20');
    expect(n.iptables!.nat.some((l) => l.startsWith('-A KUBE-SERVICES -d 10.96.0.20/32'))).toBe(true);
    expect(n.iptables!.nat.join('\n')).not.toContain('fd00:96::20');
    expect(n.sysctls['net.ipv6.conf.all.forwarding']).toBe('1');
  });

  it('policy chains in both families, each with its own peers; ND let through in IPv6', () => {
    const n = compile(example('dual-stack-services.yaml'), 'pb-').namespaces[NODE1]!;
    const tw = (lines: string[]) => lines.filter((l) => l.startsWith('-A cali-tw-veth-web-a '));
    expect(tw(n.iptables!.filter)).toContain(
      '-A cali-tw-veth-web-a -s 10.244.2.4/32 -p tcp -m comment --comment "policy web-ingress ingress[0]" -m tcp --dport 8080 -j RETURN',
    );
    const v6 = tw(n.ip6tables!.filter);
    expect(v6).toContain(
      '-A cali-tw-veth-web-a -s fd00:244::4/128 -p tcp -m comment --comment "policy web-ingress ingress[0]" -m tcp --dport 8080 -j RETURN',
    );
    expect(v6).toContain('-A cali-tw-veth-web-a -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT');
    expect(v6.join('\n')).not.toContain('10.244');
  });

  it('an ipBlock of one family allows nothing in the other', () => {
    const lab = example('dual-stack-services.yaml');
    lab.policies![0]!.ingress = [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }];
    const n = compile(lab, 'pb-').namespaces[NODE1]!;
    expect(n.iptables!.filter.some((l) => l.includes('-s 10.0.0.0/8'))).toBe(true);
    expect(n.ip6tables!.filter.some((l) => l.includes('RETURN'))).toBe(false);
    lab.policies![0]!.ingress = [{ from: [{ ipBlock: { cidr: 'fd00:244::/64' } }] }];
    expect(codes(lab)).toEqual([]);
  });
});

describe('ip6tables in diff and plan', () => {
  it('an IPv4-only lab has no ip6tables; a dual-stack one plans ip6tables-restore --noflush', () => {
    for (const ns of Object.values(compile(example('network-policy.yaml'), 'pb-').namespaces))
      expect(ns.ip6tables).toBeUndefined();
    const d = compile(example('dual-stack-services.yaml'), 'pb-');
    const observed = structuredClone(d);
    delete observed.namespaces[NODE1]!.ip6tables;
    const changes = diff(d, observed).changes;
    expect(changes.map((c) => `${c.kind} ${'family' in c ? c.family : ''}`)).toEqual(['iptables 6']);
    const ops = plan(diff(d, observed)).ops;
    expect(ops.map((o) => o.args.join(' '))).toEqual(['ip6tables-restore --noflush']);
    expect(opCommand(ops[0]!)).toMatch(/^ip netns exec pb-dual-stack-svc.node1 ip6tables-restore --noflush <<'EOF'/);
    expect(plan(diff(d, d)).ops).toEqual([]);
  });
});
