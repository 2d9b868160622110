// Fixes and commands rewritten for a student's terminal inside the node (pure).
import { describe, expect, it } from 'vitest';
import type { WhyResult } from '@patchbay/topology';
import { whyInNodeTerms } from './node-terms.js';

const base: WhyResult = {
  lab: 's1-01',
  query: { from: 'web', to: 'db', src: '10.0.0.1', dst: '10.0.0.2', proto: 'icmp', size: 84, df: false },
  reachable: false,
  forward: [
    {
      node: 'web',
      out: 'eth0',
      action: 'send',
      detail: 'on the link',
      commands: ['ip -n pb-s1-01.web route get 10.0.0.2'],
    },
    {
      node: 'br0',
      in: 'veth-web',
      action: 'switch',
      detail: 'flood',
      commands: ['bridge -n pb-s1-01._host fdb show br br0'],
    },
  ],
  reverse: [],
  blocked: {
    direction: 'forward',
    node: 'db',
    interface: 'eth0',
    reason: 'link-down',
    detail: 'db/eth0 is administratively down',
    fix: 'bring eth0 up: ip -n pb-s1-01.db link set eth0 up (in the lab file: no up: false)',
  },
};

describe('whyInNodeTerms', () => {
  it("rewrites ip -n / bridge -n / ip netns exec of the lab's namespaces, naming the node's terminal", () => {
    const r = whyInNodeTerms(base, 'pb-');
    expect(r.blocked!.fix).toBe(
      'bring eth0 up: ip link set eth0 up (in the lab file: no up: false) — in the terminal of db',
    );
    expect(r.forward[0]!.commands).toEqual(['ip route get 10.0.0.2 — in the terminal of web']);
    // the implicit bridge host has no terminal: left in the machine's terms
    expect(r.forward[1]!.commands).toEqual(['bridge -n pb-s1-01._host fdb show br br0']);
    const nat = whyInNodeTerms(
      {
        ...base,
        blocked: { ...base.blocked!, fix: 'ip netns exec pb-s1-01.r iptables -t nat -A POSTROUTING -j MASQUERADE' },
      },
      'pb-',
    );
    expect(nat.blocked!.fix).toBe('iptables -t nat -A POSTROUTING -j MASQUERADE — in the terminal of r');
  });

  it("leaves other labs' and other prefixes' namespaces alone", () => {
    const r = whyInNodeTerms(
      { ...base, blocked: { ...base.blocked!, fix: 'ip -n pb-other.db link set eth0 up; ip -n qq-s1-01.db link' } },
      'pb-',
    );
    expect(r.blocked!.fix).toBe('ip -n pb-other.db link set eth0 up; ip -n qq-s1-01.db link');
  });
});
