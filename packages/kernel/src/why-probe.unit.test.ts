// The probe's pure parts: the nft script and the sender's argv take only checked values, and the
// answers of ping, the python3 sender and trace_pipe are read as they are printed on this machine.
import { describe, expect, it } from 'vitest';
import { parseDropEvent } from './why-drop-reason.js';
import {
  parseProbeAnswer,
  probeCaptureFilter,
  probeSendCommand,
  probeTableName,
  traceTableScript,
} from './why-probe.js';

describe('why probe: what reaches nft and argv', () => {
  it('the trace tables mark only the probe packets, in the inet and bridge families, before everything', () => {
    const script = traceTableScript(probeTableName(123, 4), { proto: 'icmp', id: 4242 });
    expect(script).toContain('table inet patchbay_why_123_4 {');
    expect(script).toContain('table bridge patchbay_why_123_4 {');
    expect(script.match(/type filter hook prerouting priority -350; policy accept;/g)).toHaveLength(2);
    expect(script.match(/type filter hook output priority -350; policy accept;/g)).toHaveLength(2);
    expect(script).toContain('icmp type { echo-request, echo-reply } icmp id 4242 meta nftrace set 1');
    const tcp = traceTableScript('patchbay_why_1_1', { proto: 'tcp', id: 40001 });
    expect(tcp).toContain('tcp sport 40001 meta nftrace set 1');
    expect(tcp).toContain('tcp dport 40001 meta nftrace set 1');
  });

  it('refuses anything unchecked', () => {
    expect(() => traceTableScript('x; flush ruleset', { proto: 'icmp', id: 1 })).toThrow(/not a probe table name/);
    expect(() => traceTableScript('patchbay_why_1_1', { proto: 'icmp', id: 70000 })).toThrow(/1\.\.65535/);
    expect(() => traceTableScript('patchbay_why_1_1', { proto: 'udp', id: 80 })).toThrow(/1024\.\.65535/);
    const base = { mark: { proto: 'icmp', id: 7 }, size: 84, df: false, waitMs: 1000 } as const;
    expect(() => probeSendCommand({ ...base, dst: '10.0.0.1 -f' })).toThrow(/not an IPv4 address/);
    expect(() => probeSendCommand({ ...base, dst: '10.0.0.1', size: 27 })).toThrow(/size/);
  });

  it('ping: one echo request of the asked size, with its id and DF; tcp/udp: the script with its source port', () => {
    const ping = probeSendCommand({
      mark: { proto: 'icmp', id: 7 },
      dst: '10.0.0.1',
      size: 1500,
      df: true,
      waitMs: 1000,
    });
    expect(ping).toEqual({
      cmd: 'ping',
      args: ['-n', '-c', '1', '-W', '1', '-e', '7', '-s', '1472', '-M', 'do', '10.0.0.1'],
    });
    const tcp = probeSendCommand({
      mark: { proto: 'tcp', id: 40001 },
      dst: '10.0.0.1',
      port: 80,
      size: 84,
      df: false,
      waitMs: 1000,
    });
    expect(tcp.cmd).toBe('python3');
    expect(tcp.args.slice(2)).toEqual(['tcp', '10.0.0.1', '80', '40001', '84', '0', '1']);
    expect(probeCaptureFilter({ proto: 'icmp', id: 7 })).toBe(
      'icmp and (icmp[0] = 8 or icmp[0] = 0) and icmp[4:2] = 7',
    );
    expect(probeCaptureFilter({ proto: 'udp', id: 40001 })).toBe('udp port 40001');
  });
});

describe('why probe: reading the answers', () => {
  it("ping's reply, its ICMP error from a router, its local error, its silence", () => {
    expect(parseProbeAnswer('icmp', ['64 bytes from 10.0.0.2: icmp_seq=1 ttl=63 time=0.2 ms'], 0).kind).toBe(
      'answered',
    );
    expect(parseProbeAnswer('icmp', ['From 10.0.0.1 icmp_seq=1 Destination Host Unreachable'], 1)).toEqual({
      kind: 'error',
      text: '10.0.0.1: Destination Host Unreachable',
    });
    expect(parseProbeAnswer('icmp', ['ping: local error: message too long, mtu=1500'], 1)).toEqual({
      kind: 'error',
      text: 'local error: message too long, mtu=1500',
    });
    expect(parseProbeAnswer('icmp', ['1 packets transmitted, 0 received, 100% packet loss, time 0ms'], 1).kind).toBe(
      'silent',
    );
  });

  it("the sender script's one line", () => {
    expect(parseProbeAnswer('tcp', ['refused Connection refused'], 0)).toEqual({
      kind: 'refused',
      text: 'Connection refused',
    });
    expect(parseProbeAnswer('udp', ['silent no answer in time'], 0).kind).toBe('silent');
  });

  it('a kfree_skb line of trace_pipe', () => {
    const line =
      '            ping-17850   [000] ..... 28197.774292: kfree_skb: skbaddr=00000000d46840db rx_sk=0000000000000000 protocol=2048 location=nft_do_chain+0x46f/0x690 reason: NETFILTER_DROP';
    expect(parseDropEvent(line)).toEqual({
      comm: 'ping',
      pid: 17850,
      location: 'nft_do_chain+0x46f/0x690',
      reason: 'NETFILTER_DROP',
    });
    expect(parseDropEvent('ready')).toBeUndefined();
  });
});
