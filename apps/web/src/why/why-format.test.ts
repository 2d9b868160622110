import { describe, expect, it } from 'vitest';
import { natReachable, replyLost } from './why-fixtures';
import { commandsOf, endpointTexts, fixText, hopLines, probeText, questionText, verdictText } from './why-format';

describe('the answer in words', () => {
  it('asks the question with the addresses the kernel chose', () => {
    expect(questionText(replyLost.query)).toBe('Can a (10.0.1.2) reach b (10.0.2.2)? ICMP echo, 84-byte packets.');
    expect(questionText({ ...replyLost.query, to: '10.0.2.2', proto: 'tcp', port: 80, df: true, src: '' })).toBe(
      "Can a reach 10.0.2.2? TCP to port 80, 84-byte packets, don't fragment.",
    );
  });

  it('says each hop: node, in → out, action, what the kernel said, the addresses', () => {
    expect(hopLines(replyLost.forward).map((h) => h.text)).toEqual([
      'a: → eth0 send — via 10.0.1.1 dev eth0 (10.0.1.2 → 10.0.2.2)',
      'r: eth0 → eth1 route — 10.0.2.2 is on the link dev eth1 (10.0.1.2 → 10.0.2.2)',
      'b: eth0 → deliver — 10.0.2.2 is an address of b: delivered to its ICMP echo (the kernel answers) (10.0.1.2 → 10.0.2.2)',
    ]);
    expect(hopLines(replyLost.reverse)[0]).toMatchObject({
      node: 'b',
      interfaces: '',
      action: 'drop',
      translated: false,
    });
  });

  it('shows where NAT changed the addresses, and that they stay translated after', () => {
    const lines = hopLines(natReachable.forward);
    expect(lines.map((l) => [l.node, l.addresses, l.translated])).toEqual([
      ['a', '172.17.0.2 → 203.0.113.1', false],
      ['docker0', undefined, false],
      ['host', '203.0.113.10 → 203.0.113.1', true],
      ['host', '203.0.113.10 → 203.0.113.1', false],
      ['upstream', '203.0.113.10 → 203.0.113.1', false],
    ]);
    expect(lines[2]!.text).toContain('(translated to 203.0.113.10 → 203.0.113.1)');
  });

  it('says a VXLAN hop wraps the packet in an outer header, and the inner addresses after are not translated', () => {
    const lines = hopLines([
      { node: 'c1', out: 'eth0', action: 'send', detail: 'on the link', src: '10.1.0.2', dst: '10.1.0.3' },
      { node: 'br-a', in: 'veth-c1', out: 'ov42', action: 'switch', detail: 'flooded' },
      {
        node: 'br-a',
        out: 'ov42',
        action: 'encapsulate',
        detail: 'VXLAN VNI 42',
        src: '192.168.1.10',
        dst: '192.168.1.11',
      },
      { node: 'host-a', out: 'eth0', action: 'send', detail: 'on the link', src: '192.168.1.10', dst: '192.168.1.11' },
      { node: 'host-b', in: 'eth0', action: 'deliver', detail: 'udp 4789', src: '192.168.1.10', dst: '192.168.1.11' },
      { node: 'br-b', in: 'ov42', action: 'decapsulate', detail: 'the inner frame enters br-b' },
      { node: 'c2', in: 'eth0', action: 'deliver', detail: 'delivered', src: '10.1.0.2', dst: '10.1.0.3' },
    ]);
    expect(lines.map((l) => [l.node, l.outer, l.translated])).toEqual([
      ['c1', false, false],
      ['br-a', false, false],
      ['br-a', true, false],
      ['host-a', false, false],
      ['host-b', false, false],
      ['br-b', false, false],
      ['c2', false, false],
    ]);
    expect(lines[2]!.text).toBe('br-a: → ov42 encapsulate — VXLAN VNI 42 (outer header 192.168.1.10 → 192.168.1.11)');
  });

  it('gives the verdict, the fix and the rule of a filter', () => {
    expect(verdictText(replyLost)).toBe(
      'Blocked: the reply dies at b — no-route (no route to the destination): b has no route to 10.0.1.2: the kernel answers "Network is unreachable"',
    );
    expect(fixText(replyLost)).toBe(`Fix: ${replyLost.blocked!.fix}`);
    expect(verdictText(natReachable)).toBe(
      'Reachable: the request gets to upstream (203.0.113.1) and the reply gets back to a.',
    );
    expect(fixText(natReachable)).toBeUndefined();
    const filtered = {
      ...replyLost,
      blocked: {
        direction: 'forward' as const,
        node: 'r',
        interface: 'eth0',
        reason: 'filtered' as const,
        detail: 'FORWARD drops it',
        rule: { table: 'filter', chain: 'FORWARD' },
      },
    };
    expect(verdictText(filtered)).toContain('the request dies at r (eth0) — filtered');
    expect(fixText(filtered)).toBe('Look at (the rule: table filter, chain FORWARD, its policy)');
  });

  it('says what the probe saw, and when it disagrees with the walk', () => {
    expect(probeText(undefined)).toMatch(/^No probe was sent/);
    expect(probeText(natReachable.probe)).toBe('Probe (one real packet, got its answer): The echo reply came back.');
    // The engine's detail says where it was last seen, the drop reason and the disagreement: once.
    const text = probeText({
      reachable: false,
      agrees: false,
      detail:
        'the walk and the probe disagree: the walk says b is reachable; the probe: dropped by rule "-A FORWARD -j DROP" of ip filter FORWARD in r (netfilter\'s trace); last seen on r/eth1 (coming in: ICMP echo request); the kernel\'s drop reason: NETFILTER_DROP',
      lastSeen: { node: 'r', interface: 'eth1' },
      dropReason: 'NETFILTER_DROP',
    });
    expect(text).toMatch(/^Probe \(one real packet, got no answer\): The walk and the probe disagree: /);
    expect(text).toMatch(/The probe has the last word\.$/);
    expect(text.match(/last seen/gi)).toHaveLength(1);
    expect(text.match(/NETFILTER_DROP/g)).toHaveLength(1);
  });

  it('lists the commands behind the answer once each', () => {
    expect(commandsOf(replyLost)).toEqual(['ip -n pbw-whyx.r route get 10.0.2.2 from 10.0.1.2 iif eth0 ipproto icmp']);
  });
});

describe("a Service's endpoints", () => {
  it('one line per endpoint with its chance and its own verdict', () => {
    const r = {
      ...replyLost,
      reachable: true,
      endpoints: [
        { endpoint: '10.244.1.2:8080', node: 'web-a', probability: 0.5, reachable: true, forward: [], reverse: [] },
        {
          endpoint: '10.244.1.3:8080',
          node: 'web-b',
          probability: 0.5,
          reachable: false,
          forward: [],
          reverse: [],
          blocked: {
            direction: 'forward' as const,
            node: 'web-b',
            reason: 'no-listener' as const,
            detail: 'nothing listens',
          },
        },
      ],
    };
    const lines = endpointTexts(r);
    expect(lines.map((l) => l.reachable)).toEqual([true, false]);
    expect(lines[0]!.text).toBe('10.244.1.2:8080 (web-a), 50% of connections: reachable');
    expect(lines[1]!.text).toMatch(
      /^10\.244\.1\.3:8080 \(web-b\), 50% of connections: blocked: .*no-listener.*nothing listens$/,
    );
    expect(endpointTexts(replyLost)).toEqual([]);
  });
});
