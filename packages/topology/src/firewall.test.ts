import { describe, expect, it } from 'vitest';
import { compile } from './compile.js';
import { firewallRuleLine } from './firewall-rule.js';
import { iptablesChange } from './iptables.js';
import type { FirewallRuleSpec, Lab } from './model.js';
import { validateLab } from './validate.js';

function lab(firewall: FirewallRuleSpec[], policies: Lab['policies'] = []): Lab {
  return {
    name: 'fw',
    nodes: {
      h: { kind: 'host', firewall },
      br0: { kind: 'bridge', host: 'h', addresses: ['10.0.0.1/24'] },
      a: { kind: 'netns', labels: { app: 'client' } },
      b: { kind: 'netns', labels: { app: 'web' } },
      r: { kind: 'router' },
      p: { kind: 'netns', labels: { app: 'web' } },
    },
    links: [
      { a: { node: 'a', interface: 'eth0', addresses: ['10.0.0.10/24'] }, b: { node: 'br0', interface: 'va' } },
      { a: { node: 'b', interface: 'eth0', addresses: ['10.0.0.11/24'] }, b: { node: 'br0', interface: 'vb' } },
      {
        a: { node: 'p', interface: 'eth0', addresses: ['10.0.1.2/24'] },
        b: { node: 'r', interface: 'vp', addresses: ['10.0.1.1/24'] },
      },
    ],
    policies,
  };
}
const codes = (l: Lab) => validateLab(l).map((p) => `${p.path} ${p.code}`);

describe('firewall rules', () => {
  it('compile to the lines iptables-save prints', () => {
    expect(
      firewallRuleLine({
        chain: 'FORWARD',
        source: '10.0.0.5/24',
        destination: '10.0.0.11',
        protocol: 'tcp',
        sport: '1000-2000',
        dport: 80,
        in: 'br0',
        out: 'br0',
        physdevIn: 'va',
        physdevOut: 'vb',
        state: ['NEW'],
        action: 'REJECT',
        rejectWith: 'tcp-reset',
        comment: 'no web',
      }),
    ).toBe(
      '-A FORWARD -s 10.0.0.0/24 -d 10.0.0.11/32 -i br0 -o br0 -p tcp -m physdev --physdev-in va --physdev-out vb --physdev-is-bridged -m conntrack --ctstate NEW -m comment --comment "no web" -m tcp --sport 1000:2000 --dport 80 -j REJECT --reject-with tcp-reset',
    );
    expect(
      firewallRuleLine({
        table: 'nat',
        chain: 'PREROUTING',
        protocol: 'tcp',
        dport: 80,
        action: 'REDIRECT',
        toPort: 15001,
      }),
    ).toBe('-A PREROUTING -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 15001');
    expect(firewallRuleLine({ chain: 'INPUT', action: 'LOG', logPrefix: 'in: ' })).toBe(
      '-A INPUT -j LOG --log-prefix "in: "',
    );
  });

  it('every field is checked, with a problem code', () => {
    expect(codes(lab([{ chain: 'INPUT', action: 'ACCEPT', in: 'va', physdevIn: 'vb' }]))).toEqual([]);
    expect(
      codes(
        lab([
          { chain: 'PREROUTING', action: 'DROP' },
          { chain: 'INPUT', source: '10.0.0.300', action: 'DROP' },
          { chain: 'INPUT', dport: 80, action: 'DROP' },
          { chain: 'INPUT', in: 'eth9', physdevIn: 'vp', action: 'DROP' },
          { chain: 'OUTPUT', in: 'br0', action: 'DROP' },
          { table: 'nat', chain: 'PREROUTING', protocol: 'tcp', action: 'REDIRECT' },
          { chain: 'INPUT', protocol: 'tcp', action: 'DNAT', toDestination: '10.0.0.11:80' },
          { chain: 'INPUT', action: 'DROP', comment: 'bad "quote"' },
        ]),
      ),
    ).toEqual([
      'nodes.h.firewall[0].chain firewall.chain',
      'nodes.h.firewall[1].source firewall.address',
      'nodes.h.firewall[2].dport firewall.port-protocol',
      'nodes.h.firewall[3].in firewall.iface',
      'nodes.h.firewall[3].physdevIn firewall.iface',
      'nodes.h.firewall[4].in firewall.iface-chain',
      'nodes.h.firewall[5].toPort firewall.param',
      'nodes.h.firewall[6].action firewall.action-table',
      'nodes.h.firewall[7].comment firewall.text',
    ]);
  });

  it('a changed rule rewrites only its chain', () => {
    const one = compile(lab([{ chain: 'INPUT', protocol: 'icmp', action: 'DROP' }]), 'pb-').namespaces['pb-fw.h']!
      .iptables!;
    const two = compile(lab([{ chain: 'INPUT', protocol: 'icmp', action: 'ACCEPT' }]), 'pb-').namespaces['pb-fw.h']!
      .iptables!;
    expect(iptablesChange(two, one)).toEqual({
      chains: ['filter/INPUT'],
      input: '*filter\n:INPUT ACCEPT [0:0]\n-F INPUT\n-A INPUT -p icmp -j ACCEPT\nCOMMIT\n',
    });
    expect(iptablesChange(one, one).chains).toEqual([]);
  });
});

describe('NetworkPolicies', () => {
  const webIngress = {
    name: 'web-ingress',
    podSelector: { matchLabels: { app: 'web' } },
    ingress: [{ from: [{ podSelector: { nodes: ['a'] } }], ports: [{ port: 80 }] }],
  };
  it('compile to Calico-style chains on the node owning each pod interface (bridge ports by physdev, veths by -o)', () => {
    const d = compile(lab([], [webIngress]), 'pb-');
    const h = d.namespaces['pb-fw.h']!.iptables!.filter;
    expect(h).toContain('-A cali-to-wl-dispatch -o br0 -m physdev --physdev-out vb --physdev-is-bridged -j cali-tw-vb');
    expect(h).toContain(
      '-A cali-to-wl-dispatch -d 10.0.0.11/32 -o br0 -m physdev ! --physdev-is-bridged -j cali-tw-vb',
    );
    expect(h.filter((l) => l.startsWith('-A cali-tw-vb'))).toEqual([
      '-A cali-tw-vb -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A cali-tw-vb -m conntrack --ctstate INVALID -j DROP',
      '-A cali-tw-vb -s 10.0.0.10/32 -p tcp -m comment --comment "policy web-ingress ingress[0]" -m tcp --dport 80 -j RETURN',
      '-A cali-tw-vb -m comment --comment "default deny: no ingress policy allowed it" -j DROP',
    ]);
    expect(h.some((l) => l.includes('cali-tw-va'))).toBe(false); // a is selected by no policy
    const r = d.namespaces['pb-fw.r']!.iptables!.filter;
    expect(r).toContain('-A cali-to-wl-dispatch -o vp -j cali-tw-vp');
  });
  it('default deny egress: only replies go out', () => {
    const deny = { name: 'deny-out', podSelector: { nodes: ['a'] }, policyTypes: ['Egress' as const] };
    const h = compile(lab([], [deny]), 'pb-').namespaces['pb-fw.h']!.iptables!.filter;
    expect(h).toContain('-A cali-from-wl-dispatch -m physdev --physdev-in va -j cali-fw-va');
    expect(h.filter((l) => l.startsWith('-A cali-fw-va')).at(-1)).toBe(
      '-A cali-fw-va -m comment --comment "default deny: no egress policy allowed it" -j DROP',
    );
  });
  it('selectors, peers and names are checked', () => {
    expect(codes(lab([], [webIngress]))).toEqual([]);
    expect(
      codes(
        lab(
          [],
          [
            { name: 'Bad_Name', podSelector: { nodes: ['r', 'zz'] } },
            {
              name: 'x',
              podSelector: {},
              ingress: [{ from: [{}, { ipBlock: { cidr: '10.0.0.0' } }], ports: [{ port: 90, endPort: 80 }] }],
            },
          ],
        ),
      ),
    ).toEqual([
      'policies[0].name policy.name',
      'policies[0].podSelector.nodes[0] policy.pod',
      'policies[0].podSelector.nodes[1] ref.unknown',
      'policies[1].ingress[0].from[0] policy.peer',
      'policies[1].ingress[0].from[1].ipBlock.cidr policy.cidr',
      'policies[1].ingress[0].ports[0].endPort policy.port',
    ]);
  });
});
