import type { Lab } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import {
  appendCapped,
  captureInterfaces,
  captureNodes,
  chunkLines,
  defaultIface,
  filterLines,
  formatTime,
  pcapFilename,
  toViewLine,
} from './capture-format';
import {
  defaultTarget,
  formatEvent,
  formatReply,
  formatRtt,
  formatRttStats,
  formatSummary,
  isIPv4,
  isPingTarget,
  labAddresses,
  pingFormProblems,
  pingSeries,
  pingSources,
  stripPrefix,
} from './ping-format';

const lab: Lab = {
  name: 'demo',
  nodes: {
    h: { kind: 'host' },
    r1: { kind: 'router', forwarding: true },
    web: { kind: 'netns' },
    br0: { kind: 'bridge', host: 'h', addresses: ['192.168.100.1/24'] },
    'a-very-long-bridge': { kind: 'bridge', host: 'h' },
  },
  links: [
    {
      a: { node: 'web', interface: 'eth0', addresses: ['192.168.100.10/24'] },
      b: { node: 'br0', interface: 'veth-web' },
    },
    {
      a: { node: 'r1', interface: 'eth0', addresses: ['10.0.0.1/30', '10.0.1.1/30'] },
      b: { node: 'h', interface: 'uplink', addresses: ['10.0.0.2/30'] },
    },
    // a duplicate address: the first place wins
    {
      a: { node: 'r1', interface: 'eth1', addresses: ['10.0.0.2/30'] },
      b: { node: 'a-very-long-bridge', interface: 'p1' },
    },
  ],
  overlays: [{ name: 'ov1', vni: 42, members: [{ host: 'h', addresses: ['172.30.0.1/24'] }, { bridge: 'br0' }] }],
};

describe('ping-format', () => {
  it('strips prefixes and checks IPv4', () => {
    expect(stripPrefix('10.0.0.1/24')).toBe('10.0.0.1');
    expect(stripPrefix('10.0.0.1')).toBe('10.0.0.1');
    expect(isIPv4('10.0.0.1')).toBe(true);
    expect(isIPv4('10.0.0.256')).toBe(false);
    expect(isIPv4('10.0.0')).toBe(false);
    expect(isIPv4(' 10.0.0.1')).toBe(false);
  });

  it('pings IPv6 too, except link-local targets (they need an interface named), and lists them', () => {
    expect(isPingTarget('2001:db8::2')).toBe(true);
    expect(isPingTarget('10.0.0.1')).toBe(true);
    expect(isPingTarget('fe80::1')).toBe(false);
    expect(isPingTarget('2001:db8::2::1')).toBe(false);
    expect(pingFormProblems({ target: '2001:db8:1::2', count: 4, intervalMs: 1000, size: 56 })).toEqual({});
    const dual: Lab = {
      name: 'd',
      nodes: { a: { kind: 'netns' }, b: { kind: 'netns' } },
      links: [
        {
          a: { node: 'a', interface: 'eth0', addresses: ['10.0.0.1/24', '2001:db8::1/64', 'fe80::1/64'] },
          b: { node: 'b', interface: 'eth0', addresses: ['10.0.0.2/24', '2001:db8::2/64'] },
        },
      ],
    };
    expect(labAddresses(dual).map((a) => a.address)).toEqual(['10.0.0.1', '2001:db8::1', '10.0.0.2', '2001:db8::2']);
  });

  it('collects every address of the lab with where it lives', () => {
    expect(labAddresses(lab)).toEqual([
      { address: '192.168.100.10', label: 'web/eth0', node: 'web' },
      { address: '10.0.0.1', label: 'r1/eth0', node: 'r1' },
      { address: '10.0.1.1', label: 'r1/eth0', node: 'r1' },
      { address: '10.0.0.2', label: 'h/uplink', node: 'h' },
      { address: '192.168.100.1', label: 'br0 (bridge)', node: 'br0' },
      { address: '172.30.0.1', label: 'h/overlay ov1', node: 'h' },
    ]);
    expect(labAddresses({ name: 'x', nodes: {}, links: [] })).toEqual([]);
  });

  it('lists the nodes a ping can start from and proposes a target elsewhere', () => {
    expect(pingSources(lab)).toEqual(['h', 'r1', 'web']);
    expect(defaultTarget(lab, 'web')).toBe('10.0.0.1');
    expect(defaultTarget(lab, 'r1')).toBe('192.168.100.10');
    expect(defaultTarget({ name: 'x', nodes: {}, links: [] }, 'a')).toBeUndefined();
  });

  it('formats replies, events and the summary as ping does', () => {
    expect(formatRtt(0.05)).toBe('0.050');
    expect(formatRtt(1.234)).toBe('1.23');
    expect(formatRtt(12.34)).toBe('12.3');
    expect(formatRtt(123.4)).toBe('123');
    expect(formatRtt(undefined)).toBe('—');
    expect(formatReply({ seq: 1, ttl: 64, rttMs: 0.05 }, 56)).toBe('64 bytes: icmp_seq=1 ttl=64 time=0.050 ms');
    expect(formatReply({ seq: 2, ttl: 63 }, 8)).toBe('16 bytes: icmp_seq=2 ttl=63');
    expect(formatEvent({ type: 'timeout', seq: 3, message: 'no answer yet' })).toBe(
      'icmp_seq=3 timeout: no answer yet',
    );
    expect(formatEvent({ type: 'error', message: 'connect: Network is unreachable' })).toBe(
      'error: connect: Network is unreachable',
    );
    expect(formatSummary({ transmitted: 4, received: 3, lossPercent: 25 })).toBe(
      '4 packets transmitted, 3 received, 25% packet loss',
    );
    expect(formatSummary({ transmitted: 3, received: 2, lossPercent: 33.333 })).toBe(
      '3 packets transmitted, 2 received, 33.3% packet loss',
    );
    expect(formatRttStats({ rttMinMs: 0.041, rttAvgMs: 0.05, rttMaxMs: 0.062 })).toBe(
      'rtt min/avg/max = 0.041/0.050/0.062 ms',
    );
    expect(formatRttStats({})).toBeUndefined();
  });

  it('builds the per-seq series: replies, lost seqs, pending ones', () => {
    const replies = [
      { seq: 1, rttMs: 0.1 },
      { seq: 3, rttMs: 0.3 },
    ];
    expect(pingSeries(replies, [{ seq: 2 }])).toEqual([
      { seq: 1, state: 'ok', rttMs: 0.1 },
      { seq: 2, state: 'lost' },
      { seq: 3, state: 'ok', rttMs: 0.3 },
    ]);
    // Before the summary an unanswered seq is pending; after it, lost (up to transmitted).
    expect(pingSeries([{ seq: 2, rttMs: 1 }], []).map((p) => p.state)).toEqual(['pending', 'ok']);
    expect(pingSeries([{ seq: 2, rttMs: 1 }], [], { transmitted: 4 }).map((p) => p.state)).toEqual([
      'lost',
      'ok',
      'lost',
      'lost',
    ]);
    // A late reply wins over a "no answer yet" event; a reply without time is still ok.
    expect(pingSeries([{ seq: 1 }], [{ seq: 1 }])).toEqual([{ seq: 1, state: 'ok' }]);
  });

  it('checks the form against the protocol bounds', () => {
    expect(pingFormProblems({ target: '10.0.0.1', count: 4, intervalMs: 1000, size: 56 })).toEqual({});
    expect(Object.keys(pingFormProblems({ target: 'x', count: 0, intervalMs: 100, size: 1473 })).sort()).toEqual([
      'count',
      'intervalMs',
      'size',
      'target',
    ]);
    expect(pingFormProblems({ target: '10.0.0.1', count: 1.5, intervalMs: 200, size: 0 })).toEqual({
      count: '1 to 100',
    });
  });
});

describe('capture-format', () => {
  it('lists every node, bridges included', () => {
    expect(captureNodes(lab).map((n) => [n.value, n.bridge])).toEqual([
      ['h', false],
      ['r1', false],
      ['web', false],
      ['br0', true],
      ['a-very-long-bridge', true],
    ]);
  });

  it('lists the interfaces of a node, a bridge and a host', () => {
    expect(captureInterfaces(lab, 'web').map((o) => o.value)).toEqual(['any', 'eth0']);
    expect(captureInterfaces(lab, 'r1').map((o) => o.value)).toEqual(['any', 'eth0', 'eth1']);
    expect(captureInterfaces(lab, 'br0').map((o) => o.value)).toEqual(['any', 'br0', 'veth-web', 'ov1']);
    const long = captureInterfaces(lab, 'a-very-long-bridge').map((o) => o.value);
    expect(long[1]).toMatch(/^a-very-lon-[a-z0-9]{4}$/);
    expect(long.slice(2)).toEqual(['p1']);
    // A host holds its own ends, its VXLAN device, its bridges and their ports.
    expect(captureInterfaces(lab, 'h').map((o) => o.value)).toEqual([
      'any',
      'uplink',
      'ov1',
      'br0',
      'veth-web',
      long[1],
      'p1',
    ]);
    expect(captureInterfaces(lab, 'missing')).toEqual([{ value: 'any', label: 'any (all interfaces)' }]);
    expect(captureInterfaces(lab, 'web')[1]?.label).toBe('eth0 (to br0)');
  });

  it('proposes the bridge device for a bridge and any otherwise', () => {
    expect(defaultIface(lab, 'br0')).toBe('br0');
    expect(defaultIface(lab, 'web')).toBe('any');
  });

  it('formats the time column with microseconds', () => {
    const ts = Date.UTC(2024, 0, 2, 13, 4, 5) + 123.456;
    expect(formatTime(ts, true)).toBe('13:04:05.123456');
    expect(formatTime(Date.UTC(2024, 0, 2, 0, 0, 0) + 0.001, true)).toBe('00:00:00.000001');
    expect(formatTime(Date.UTC(2024, 0, 2, 23, 59, 59) + 999.9999, true)).toBe('00:00:00.000000');
    expect(formatTime(undefined)).toBe('');
    expect(formatTime(ts)).toMatch(/^\d\d:\d\d:\d\d\.\d{6}$/);
  });

  it('keeps at most max lines, dropping the oldest', () => {
    const buf = [1, 2, 3];
    expect(appendCapped(buf, [4, 5], 4)).toBe(1);
    expect(buf).toEqual([2, 3, 4, 5]);
    expect(appendCapped(buf, [6], 10)).toBe(0);
    expect(buf).toEqual([2, 3, 4, 5, 6]);
    expect(appendCapped(buf, [7, 8, 9, 10], 3)).toBe(6);
    expect(buf).toEqual([8, 9, 10]);
  });

  it('filters lines case-insensitively and groups them in stable chunks', () => {
    const lines = [
      'ARP, Request who-has 10.0.0.1',
      'IP 10.0.0.2 > 10.0.0.1: ICMP echo request',
      'IP 10.0.0.1 > 10.0.0.2: ICMP echo reply',
    ].map((text, i) => toViewLine(i, { ts: Date.UTC(2024, 0, 1) + i, text }));
    expect(filterLines(lines, '  ')).toBe(lines);
    expect(filterLines(lines, 'icmp').length).toBe(2);
    expect(filterLines(lines, 'arp')).toEqual([lines[0]]);
    expect(filterLines(lines, 'nothing')).toEqual([]);
    const many = Array.from({ length: 7 }, (_, i) => toViewLine(i + 3, { text: String(i) }));
    expect(chunkLines(many, 4).map((c) => c.map((l) => l.n))).toEqual([[3], [4, 5, 6, 7], [8, 9]]);
    expect(chunkLines([], 4)).toEqual([]);
  });

  it('names the pcap download', () => {
    expect(pcapFilename('demo', 'br0', 'veth-web')).toBe('demo-br0-veth-web.pcap');
    expect(pcapFilename('demo', 'h', 'a/b c')).toBe('demo-h-a_b_c.pcap');
  });
});
