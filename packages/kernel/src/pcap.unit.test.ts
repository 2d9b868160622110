import { describe, expect, it } from 'vitest';
import { captureArgs, captureFilterProblem, decoderArgs, interfaceNameProblem } from './capture.js';
import { PcapError, PcapSplitter, parsePcapFileHeader, parseTcpdumpLine, parseTcpdumpStats } from './pcap.js';

function fileHeader(linktype = 1): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(262144, 16);
  b.writeUInt32LE(linktype, 20);
  return b;
}
function record(len: number, fill: number): Buffer {
  const b = Buffer.alloc(16 + len, fill);
  b.writeUInt32LE(1_700_000_000, 0);
  b.writeUInt32LE(123, 4);
  b.writeUInt32LE(len, 8);
  b.writeUInt32LE(len, 12);
  return b;
}

describe('PcapSplitter', () => {
  it('reads the file header and returns whole records, whatever the chunking', () => {
    const stream = Buffer.concat([fileHeader(276), record(60, 1), record(98, 2), record(0, 3), record(1500, 4)]);
    for (const size of [1, 7, 16, 24, 40, 100, 5000]) {
      const s = new PcapSplitter();
      const blocks: Buffer[] = [];
      let records = 0;
      for (let off = 0; off < stream.length; off += size) {
        const block = s.push(stream.subarray(off, off + size));
        if (block) {
          blocks.push(block.data);
          records += block.records;
        }
      }
      expect(s.header?.linktype).toBe(276);
      expect(s.header?.littleEndian).toBe(true);
      expect(records).toBe(4);
      expect(s.pendingBytes).toBe(0);
      expect(Buffer.concat([s.header!.bytes, ...blocks]).equals(stream)).toBe(true);
    }
  });

  it('holds back a partial record until the rest arrives', () => {
    const s = new PcapSplitter();
    const r = record(100, 9);
    expect(s.push(Buffer.concat([fileHeader(), r.subarray(0, 50)]))).toBeUndefined();
    expect(s.pendingBytes).toBe(50);
    expect(s.push(r.subarray(50))).toEqual({ data: r, records: 1 });
  });

  it('rejects a stream that is not pcap, or a record larger than any snaplen', () => {
    expect(() => new PcapSplitter().push(Buffer.alloc(24, 0x41))).toThrow(PcapError);
    const big = record(10, 0);
    big.writeUInt32LE(300_000, 8);
    expect(() => new PcapSplitter().push(Buffer.concat([fileHeader(), big]))).toThrow(/corrupt/);
  });

  it('reads big-endian and nanosecond headers', () => {
    const b = Buffer.alloc(24);
    b.writeUInt32BE(0xa1b23c4d, 0);
    b.writeUInt32BE(65535, 16);
    b.writeUInt32BE(1, 20);
    expect(parsePcapFileHeader(b)).toMatchObject({
      littleEndian: false,
      nanoseconds: true,
      snaplen: 65535,
      linktype: 1,
    });
  });
});

describe('tcpdump text', () => {
  it('parses -tt timestamps to epoch milliseconds', () => {
    const l = parseTcpdumpLine('1795440424.010326 IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 64');
    expect(l.text).toBe('IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 64');
    expect(l.ts).toBeCloseTo(1795440424010.326, 2);
    expect(parseTcpdumpLine('	0x0000:  4500')).toEqual({ text: '	0x0000:  4500' });
  });

  it('reads the closing statistics', () => {
    expect(parseTcpdumpStats('12 packets captured')).toEqual({ key: 'captured', value: 12 });
    expect(parseTcpdumpStats('1 packet dropped by kernel')).toEqual({ key: 'kernelDropped', value: 1 });
    expect(parseTcpdumpStats('tcpdump: listening on lo')).toBeUndefined();
  });
});

describe('capture arguments', () => {
  it('puts the filter after -- as one argument, and never lets it be an option', () => {
    const args = captureArgs({ interface: 'eth0', filter: 'icmp -z /bin/true', packets: 100 });
    expect(args.slice(-2)).toEqual(['--', 'icmp -z /bin/true']);
    expect(args).toEqual([
      '-U',
      '--immediate-mode',
      '-w',
      '-',
      '-i',
      'eth0',
      '-s',
      '262144',
      '-c',
      '100',
      '--',
      'icmp -z /bin/true',
    ]);
    expect(captureArgs({ interface: 'any', packets: 1 })).not.toContain('--');
  });

  it('asks for Linux cooked v2 on `any` (its records carry the interface index), nothing else on an interface', () => {
    const any = captureArgs({ interface: 'any', packets: 1, filter: 'icmp' });
    expect(any.slice(any.indexOf('-y'), any.indexOf('-y') + 2)).toEqual(['-y', 'LINUX_SLL2']);
    expect(any.indexOf('-y')).toBeLessThan(any.indexOf('--'));
    expect(captureArgs({ interface: 'eth0', packets: 1 })).not.toContain('-y');
  });

  it('refuses interface names that could be options or are not names', () => {
    for (const bad of ['-w', '--help', '', 'a'.repeat(16), 'eth0;rm', 'eth 0', 'é', 42])
      expect(interfaceNameProblem(bad)).toBeDefined();
    for (const good of ['eth0', 'any', 'veth-web-br', 'br0', 'vx.42', 'a@b'])
      expect(interfaceNameProblem(good)).toBeUndefined();
    expect(() => captureArgs({ interface: '-Vfoo', packets: 1 })).toThrow(/not an interface name/);
  });

  it('refuses filters with control characters or too long', () => {
    expect(captureFilterProblem('icmp\n-w /etc/passwd')).toMatch(/printable ASCII/);
    expect(captureFilterProblem('x'.repeat(1025))).toMatch(/longer/);
    expect(captureFilterProblem(3)).toMatch(/string/);
    expect(captureFilterProblem('tcp port 80 and host 10.0.0.1')).toBeUndefined();
    expect(() => captureArgs({ interface: 'eth0', packets: 0 })).toThrow(/packets/);
    expect(() => captureArgs({ interface: 'eth0', packets: 1, snaplen: 10 })).toThrow(/snaplen/);
  });

  it('decodes with timestamps, no name lookups, line-buffered', () => {
    expect(decoderArgs(false)).toEqual(['-r', '-', '-l', '-nn', '-tt']);
    expect(decoderArgs(true)).toContain('-e');
  });
});
