// parsePingLine against lines captured from iputils 20221126 (`ping -n -O`), and pingArgs' guards.
import { describe, expect, it } from 'vitest';
import { parsePingLine, pingArgs } from './ping.js';

describe('parsePingLine', () => {
  it('reads replies, with and without a time', () => {
    expect(parsePingLine('64 bytes from 10.9.0.2: icmp_seq=1 ttl=64 time=0.051 ms')).toEqual({
      kind: 'reply',
      seq: 1,
      ttl: 64,
      rttMs: 0.051,
    });
    expect(parsePingLine('64 bytes from 10.9.0.2: icmp_seq=7 ttl=63 time=12.5 ms (DUP!)')).toEqual({
      kind: 'reply',
      seq: 7,
      ttl: 63,
      rttMs: 12.5,
    });
    expect(parsePingLine('12 bytes from 10.9.0.2: icmp_seq=1 ttl=64')).toEqual({ kind: 'reply', seq: 1, ttl: 64 });
  });
  it('reads unreachable, other ICMP errors and -O timeouts', () => {
    expect(parsePingLine('From 192.168.100.10 icmp_seq=2 Destination Host Unreachable')).toEqual({
      kind: 'unreachable',
      seq: 2,
      message: 'Destination Host Unreachable',
    });
    expect(parsePingLine('From 10.0.0.1 icmp_seq=1 Frag needed and DF set (mtu = 1400)')).toEqual({
      kind: 'error',
      seq: 1,
      message: 'Frag needed and DF set (mtu = 1400)',
    });
    expect(parsePingLine('no answer yet for icmp_seq=3')).toEqual({ kind: 'timeout', seq: 3 });
  });
  it('reads the statistics', () => {
    expect(parsePingLine('2 packets transmitted, 2 received, 0% packet loss, time 201ms')).toEqual({
      kind: 'summary',
      transmitted: 2,
      received: 2,
      lossPercent: 0,
    });
    expect(parsePingLine('1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms')).toEqual({
      kind: 'summary',
      transmitted: 1,
      received: 0,
      lossPercent: 100,
    });
    expect(parsePingLine('4 packets transmitted, 3 received, 25% packet loss, time 3004ms')).toMatchObject({
      lossPercent: 25,
    });
    expect(parsePingLine('rtt min/avg/max/mdev = 0.042/0.046/0.051/0.004 ms')).toEqual({
      kind: 'rtt',
      minMs: 0.042,
      avgMs: 0.046,
      maxMs: 0.051,
      mdevMs: 0.004,
    });
  });
  it('ignores headers and blank lines', () => {
    expect(parsePingLine('PING 10.9.0.2 (10.9.0.2) 56(84) bytes of data.')).toBeUndefined();
    expect(parsePingLine('--- 10.9.0.2 ping statistics ---')).toBeUndefined();
    expect(parsePingLine('')).toBeUndefined();
  });
});

describe('pingArgs', () => {
  const base = { target: '10.0.0.1', count: 3, intervalMs: 200, size: 56, dontFragment: false };
  it('builds the argument array', () => {
    expect(pingArgs(base)).toEqual(['-n', '-O', '-c', '3', '-i', '0.2', '-W', '2', '-s', '56', '10.0.0.1']);
    expect(pingArgs({ ...base, dontFragment: true, size: 1472 }).slice(-3)).toEqual(['-M', 'do', '10.0.0.1']);
  });
  it('pings IPv6 targets with -6', () => {
    expect(pingArgs({ ...base, target: '2001:db8:2::10' })).toEqual([
      '-6',
      '-n',
      '-O',
      '-c',
      '3',
      '-i',
      '0.2',
      '-W',
      '2',
      '-s',
      '56',
      '2001:db8:2::10',
    ]);
    expect(parsePingLine('64 bytes from 2001:db8:2::10: icmp_seq=4 ttl=63 time=0.061 ms')).toEqual({
      kind: 'reply',
      seq: 4,
      ttl: 63,
      rttMs: 0.061,
    });
  });
  it('refuses targets that are not IPv4 or IPv6 and values out of range', () => {
    for (const target of ['1.2.3.999', '-f', '10.0.0.1 ', '2001:db8::1::2', 'fe80::1%eth0', ''])
      expect(() => pingArgs({ ...base, target })).toThrow(/IPv4/);
    expect(() => pingArgs({ ...base, count: 0 })).toThrow(/count/);
    expect(() => pingArgs({ ...base, intervalMs: 100 })).toThrow(/intervalMs/);
    expect(() => pingArgs({ ...base, size: 1473 })).toThrow(/size/);
  });
});
