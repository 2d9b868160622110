// The walk's iptables reader, pure (no kernel, no root): rules as iptables-save prints them, one
// packet, the verdict — negations, interfaces with +, user chains, RETURN, -g, policies, conntrack
// states, addrtype, ports and ranges, NAT targets with their new addresses and ports.
import { describe, expect, it } from 'vitest';
import { evaluateRule, parseRuleTable, ruleWords, runRuleChain, type MatchContext } from './netfilter-rules.js';
import type { Packet } from './walk-types.js';

const LOCAL = new Set(['203.0.113.10', '192.168.0.1']);

function ctx(p: Partial<Packet> = {}, o: Partial<Omit<MatchContext, 'packet'>> = {}): MatchContext {
  return {
    packet: { src: '10.0.1.10', dst: '10.0.2.20', proto: 'tcp', port: 80, size: 84, df: false, ...p },
    iif: 'eth0',
    oif: 'eth1',
    state: 'NEW',
    isLocal: (a) => LOCAL.has(a),
    addressOf: (dev) => (dev === 'eth0' ? '203.0.113.10' : undefined),
    ...o,
  };
}

const table = (...lines: string[]) => parseRuleTable(lines);
const verdict = (lines: string[], chain: string, m: MatchContext) => runRuleChain(table(...lines), chain, m);

describe('ruleWords', () => {
  it('keeps a quoted string whole', () => {
    expect(ruleWords('-A INPUT -m comment --comment "a b  c" -j ACCEPT')).toEqual([
      '-A',
      'INPUT',
      '-m',
      'comment',
      '--comment',
      'a b  c',
      '-j',
      'ACCEPT',
    ]);
  });
});

describe('matches', () => {
  const matches = (rule: string, m: MatchContext) => evaluateRule(table(rule).rules[0]!, m).matches;

  it('addresses, with and without a prefix, and negated', () => {
    expect(matches('-A FORWARD -s 10.0.1.0/24 -j DROP', ctx())).toBe(true);
    expect(matches('-A FORWARD -s 10.0.1.10 -j DROP', ctx())).toBe(true);
    expect(matches('-A FORWARD ! -s 10.0.1.0/24 -j DROP', ctx())).toBe(false);
    expect(matches('-A FORWARD -d 10.0.2.0/24 -j DROP', ctx())).toBe(true);
    expect(matches('-A FORWARD ! -d 10.0.3.0/24 -j DROP', ctx())).toBe(true);
  });

  it('interfaces, exact and with +, negated, and absent on a hook without one', () => {
    expect(matches('-A FORWARD -i eth0 -o eth1 -j DROP', ctx())).toBe(true);
    expect(matches('-A FORWARD -i eth+ -j DROP', ctx())).toBe(true);
    expect(matches('-A FORWARD -i veth+ -j DROP', ctx())).toBe(false);
    expect(matches('-A FORWARD ! -o docker0 -j DROP', ctx())).toBe(true);
    expect(matches('-A FORWARD ! -o eth+ -j DROP', ctx())).toBe(false);
    expect(matches('-A OUTPUT -i eth0 -j DROP', ctx({}, { iif: undefined }))).toBe(false);
  });

  it('protocols and ports: single, range, open range, multiport, negated', () => {
    expect(matches('-A INPUT -p tcp -m tcp --dport 80 -j DROP', ctx())).toBe(true);
    expect(matches('-A INPUT -p udp -m udp --dport 80 -j DROP', ctx())).toBe(false);
    expect(matches('-A INPUT -p tcp -m tcp --dport 1:1024 -j DROP', ctx())).toBe(true);
    expect(matches('-A INPUT -p tcp -m tcp --dport 1025: -j DROP', ctx())).toBe(false);
    expect(matches('-A INPUT -p tcp -m multiport --dports 22,80,443 -j DROP', ctx())).toBe(true);
    expect(matches('-A INPUT -p tcp -m tcp ! --dport 80 -j DROP', ctx())).toBe(false);
    expect(matches('-A INPUT -p icmp -j DROP', ctx({ proto: 'icmp', port: undefined }))).toBe(true);
    expect(matches('-A INPUT -p all -j DROP', ctx())).toBe(true);
  });

  it('icmp types: the request is an echo request, the reply an echo reply', () => {
    const icmp = { proto: 'icmp' as const, port: undefined };
    expect(matches('-A INPUT -p icmp -m icmp --icmp-type 8 -j DROP', ctx(icmp))).toBe(true);
    expect(
      matches('-A INPUT -p icmp -m icmp --icmp-type echo-request -j DROP', ctx(icmp, { state: 'ESTABLISHED' })),
    ).toBe(false);
    expect(matches('-A INPUT -p icmp -m icmp --icmp-type 0 -j DROP', ctx(icmp, { state: 'ESTABLISHED' }))).toBe(true);
  });

  it('conntrack states and --syn', () => {
    const est = '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT';
    expect(matches(est, ctx())).toBe(false);
    expect(matches(est, ctx({}, { state: 'ESTABLISHED' }))).toBe(true);
    expect(matches('-A FORWARD -m state --state NEW -j DROP', ctx())).toBe(true);
    expect(matches('-A FORWARD -m conntrack ! --ctstate NEW -j DROP', ctx())).toBe(false);
    expect(matches('-A INPUT -p tcp -m tcp --syn -j DROP', ctx())).toBe(true);
    expect(matches('-A INPUT -p tcp -m tcp ! --syn -j DROP', ctx())).toBe(false);
  });

  it('addrtype LOCAL against the namespace own addresses', () => {
    const rule =
      '-A PREROUTING -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 8080 -j DNAT --to-destination 192.168.0.20:80';
    expect(matches(rule, ctx({ dst: '203.0.113.10', port: 8080 }))).toBe(true);
    expect(matches(rule, ctx({ dst: '203.0.113.99', port: 8080 }))).toBe(false);
  });

  it('a match the reader does not know: not a match, and said so', () => {
    const e = evaluateRule(table('-A FORWARD -m connbytes --connbytes 10 -j DROP').rules[0]!, ctx());
    expect(e).toMatchObject({ matches: false, unknown: true, target: 'DROP' });
    const v = verdict([':FORWARD ACCEPT [0:0]', '-A FORWARD -m connbytes --connbytes 10 -j DROP'], 'FORWARD', ctx());
    expect(v.verdict).toBe('accept');
    expect(v.unknown).toEqual(['-A FORWARD -m connbytes --connbytes 10 -j DROP']);
  });

  it('the mark (kube-proxy 0x4000): -m mark, set by -j MARK in a chain called before', () => {
    const lines = [
      ':FORWARD ACCEPT [0:0]',
      ':MARKIT - [0:0]',
      '-A FORWARD -s 10.0.1.10/32 -j MARKIT',
      '-A FORWARD -m mark --mark 0x4000/0x4000 -j DROP',
      '-A MARKIT -j MARK --set-xmark 0x4000/0x4000',
    ];
    expect(verdict(lines, 'FORWARD', ctx()).verdict).toBe('drop');
    expect(verdict(lines, 'FORWARD', ctx({ src: '10.0.1.11' })).verdict).toBe('accept');
  });
});

describe('chains', () => {
  it('the policy decides when no rule does; the first matching rule wins', () => {
    const policy = verdict([':FORWARD DROP [0:0]'], 'FORWARD', ctx());
    expect(policy).toMatchObject({ verdict: 'drop', chain: 'FORWARD' });
    expect(policy.rule).toBeUndefined();
    expect(verdict([':FORWARD ACCEPT [0:0]'], 'FORWARD', ctx()).verdict).toBe('accept');
    const v = verdict(
      [
        ':FORWARD DROP [0:0]',
        '-A FORWARD -p udp -j ACCEPT',
        '-A FORWARD -i eth0 -o eth1 -j ACCEPT',
        '-A FORWARD -j DROP',
      ],
      'FORWARD',
      ctx(),
    );
    expect(v).toMatchObject({ verdict: 'accept', rule: '-A FORWARD -i eth0 -o eth1 -j ACCEPT' });
    expect(
      verdict([':INPUT ACCEPT [0:0]', '-A INPUT -p tcp -j REJECT --reject-with tcp-reset'], 'INPUT', ctx()),
    ).toMatchObject({
      verdict: 'drop',
      rule: '-A INPUT -p tcp -j REJECT --reject-with tcp-reset',
    });
  });

  it('user chains: a verdict inside decides, its end or RETURN goes back to the caller', () => {
    const rules = [
      ':FORWARD ACCEPT [0:0]',
      ':GUARD - [0:0]',
      '-A FORWARD -i eth0 -j GUARD',
      '-A FORWARD -j DROP',
      '-A GUARD -s 10.0.9.0/24 -j DROP',
      '-A GUARD -p tcp -j RETURN',
      '-A GUARD -j ACCEPT',
    ];
    // tcp returns from GUARD, then FORWARD's own DROP
    expect(verdict(rules, 'FORWARD', ctx())).toMatchObject({
      verdict: 'drop',
      chain: 'FORWARD',
      rule: '-A FORWARD -j DROP',
    });
    // udp is accepted inside GUARD: the verdict names the user chain
    expect(verdict(rules, 'FORWARD', ctx({ proto: 'udp' }))).toMatchObject({ verdict: 'accept', chain: 'GUARD' });
    expect(verdict(rules, 'FORWARD', ctx({ src: '10.0.9.1' }))).toMatchObject({
      verdict: 'drop',
      chain: 'GUARD',
      rule: '-A GUARD -s 10.0.9.0/24 -j DROP',
    });
  });

  it("RETURN in a built-in chain and -g into a chain that ends: the built-in chain's policy", () => {
    expect(
      verdict([':FORWARD DROP [0:0]', '-A FORWARD -j RETURN', '-A FORWARD -j ACCEPT'], 'FORWARD', ctx()).verdict,
    ).toBe('drop');
    const goto = [
      ':FORWARD DROP [0:0]',
      ':SIDE - [0:0]',
      '-A FORWARD -g SIDE',
      '-A FORWARD -j ACCEPT',
      '-A SIDE -p udp -j ACCEPT',
    ];
    expect(verdict(goto, 'FORWARD', ctx()).verdict).toBe('drop');
    expect(verdict(goto, 'FORWARD', ctx({ proto: 'udp' })).verdict).toBe('accept');
  });

  it('LOG and other non-terminal targets go on to the next rule', () => {
    expect(
      verdict([':INPUT ACCEPT [0:0]', '-A INPUT -j LOG --log-prefix "in: "', '-A INPUT -j DROP'], 'INPUT', ctx())
        .verdict,
    ).toBe('drop');
  });
});

describe('NAT targets', () => {
  it('DNAT with a port: the new destination and port', () => {
    const v = verdict(
      [
        ':PREROUTING ACCEPT [0:0]',
        '-A PREROUTING -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 8080 -j DNAT --to-destination 192.168.0.20:80',
      ],
      'PREROUTING',
      ctx({ dst: '203.0.113.10', port: 8080 }),
    );
    expect(v).toMatchObject({ verdict: 'accept', translation: 'DNAT', packet: { dst: '192.168.0.20', port: 80 } });
  });

  it('DNAT without a port keeps it; MASQUERADE takes the way out address; SNAT its --to-source', () => {
    expect(
      verdict(
        [':PREROUTING ACCEPT [0:0]', '-A PREROUTING -d 10.0.2.20/32 -j DNAT --to-destination 10.0.3.3'],
        'PREROUTING',
        ctx(),
      ).packet,
    ).toMatchObject({ dst: '10.0.3.3', port: 80 });
    const masq = verdict(
      [':POSTROUTING ACCEPT [0:0]', '-A POSTROUTING -s 10.0.1.0/24 ! -o docker0 -j MASQUERADE'],
      'POSTROUTING',
      ctx({}, { oif: 'eth0' }),
    );
    expect(masq).toMatchObject({ translation: 'MASQUERADE', packet: { src: '203.0.113.10', dst: '10.0.2.20' } });
    const snat = verdict(
      [
        ':POSTROUTING ACCEPT [0:0]',
        '-A POSTROUTING -o eth1 -j SNAT --to-source 198.51.100.1-198.51.100.9:1024-2048 --random',
      ],
      'POSTROUTING',
      ctx(),
    );
    expect(snat).toMatchObject({ translation: 'SNAT', packet: { src: '198.51.100.1' } });
  });

  it('a NAT rule that does not match leaves the packet alone', () => {
    const v = verdict(
      [':POSTROUTING ACCEPT [0:0]', '-A POSTROUTING -s 172.17.0.0/16 -j MASQUERADE'],
      'POSTROUTING',
      ctx(),
    );
    expect(v).toMatchObject({ verdict: 'accept', packet: { src: '10.0.1.10' } });
    expect(v.translation).toBeUndefined();
  });
});
