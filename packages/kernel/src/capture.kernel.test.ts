// Captures on the real kernel: the pcap stream of `tcpdump -U -w -` in a namespace, decoded by a
// second tcpdump into text lines; tcpdump's own errors surface as a rejected `ready`. A capture on
// `any` names each packet's interface as the capture's namespace names it.
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import {
  PcapSplitter,
  parseTcpdumpLine,
  DEFAULT_SANDBOX_LIMITS,
  removeSandboxGroups,
  runInNamespace,
  sandboxGroupPids,
  startCapture,
  startDecoder,
  type CaptureHandle,
} from './index.js';
import { cleanup, isRoot } from '../test/helpers.js';

const P = 'pbk5-';
const NS = `${P}lab.a`;

/**
 * A real Linux cooked v2 record (captured with `tcpdump -i any -w -` on this kind of machine): the
 * reply to `who-has 10.9.0.2 tell 10.9.0.1`, received (`In`) on the interface of index 3. Bytes 4..7
 * of the SLL2 header (20..23 of the record) are that index, big-endian.
 */
const SLL2_FILE_HEADER = 'd4c3b2a10200040000000000000000000000040014010000';
const SLL2_ARP_REPLY =
  'ff51136bbc3e0b003000000030000000' +
  '080600000000000300010006da3d7eb19b170000' +
  '0001080006040002da3d7eb19b170a090002e68f638029ac0a090001';
const SLL2_IFINDEX_OFFSET = 16 + 4;

const ifindex = (ns: string, dev: string): number =>
  (
    JSON.parse(execFileSync('ip', ['-j', '-n', ns, 'link', 'show', 'dev', dev], { encoding: 'utf8' })) as {
      ifindex: number;
    }[]
  )[0]!.ifindex;

/** Runs a capture in `ns` with its decoder in the same way as the server (header, then whole records). */
function captureWithDecoder(ns: string, interfaceName: string, filter: string) {
  const splitter = new PcapSplitter();
  const lines: string[] = [];
  const decoder = startDecoder(ns, false, (l) => lines.push(l));
  let records = 0;
  const handle = startCapture(ns, { interface: interfaceName, filter, packets: 1000 }, (chunk) => {
    const hadHeader = splitter.header !== undefined;
    const block = splitter.push(chunk);
    if (!hadHeader && splitter.header) decoder.write(splitter.header.bytes);
    if (block) {
      records += block.records;
      decoder.write(block.data);
    }
  });
  return { handle, decoder, lines, splitter, records: () => records };
}

describe.skipIf(!isRoot)('captures', () => {
  let capture: CaptureHandle | undefined;
  afterEach(async () => {
    capture?.stop();
    await capture?.done;
    capture = undefined;
    await cleanup(P);
  });

  it('streams pcap records that a decoder turns into ICMP lines, and stops with its statistics', async () => {
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    const splitter = new PcapSplitter();
    const lines: string[] = [];
    const decoder = startDecoder(NS, false, (l) => lines.push(l));
    let headerSent = false;
    let records = 0;
    capture = startCapture(NS, { interface: 'lo', filter: 'icmp', packets: 1000 }, (chunk) => {
      const block = splitter.push(chunk);
      if (!headerSent && splitter.header) {
        decoder.write(splitter.header.bytes);
        headerSent = true;
      }
      if (block) {
        records += block.records;
        decoder.write(block.data);
      }
    });
    await capture.ready;
    await runInNamespace(NS, 'ping', ['-c', '2', '-i', '0.2', '127.0.0.1']);
    await expect.poll(() => records, { timeout: 5000 }).toBeGreaterThanOrEqual(4);
    capture.stop();
    const exit = await capture.done;
    decoder.end();
    await decoder.done;
    expect(splitter.header?.linktype).toBe(1);
    expect(exit.captured).toBe(records);
    expect(exit.kernelDropped).toBe(0);
    const parsed = lines.map(parseTcpdumpLine);
    expect(parsed.length).toBe(records);
    expect(parsed.filter((l) => /ICMP echo request/.test(l.text))).toHaveLength(2);
    expect(parsed.every((l) => typeof l.ts === 'number' && Math.abs(l.ts - Date.now()) < 60_000)).toBe(true);
  });

  it('decodes a real cooked v2 record with the name its interface index has in the namespace', async () => {
    execFileSync('ip', ['netns', 'add', NS]);
    // Names the server's own namespace does not have: a lookup there would print `?` or another name.
    execFileSync('ip', ['-n', NS, 'link', 'add', 'uplink7', 'type', 'veth', 'peer', 'name', 'downlink7']);
    const record = Buffer.from(SLL2_ARP_REPLY, 'hex');
    record.writeUInt32BE(ifindex(NS, 'uplink7'), SLL2_IFINDEX_OFFSET);
    const lines: string[] = [];
    const decoder = startDecoder(NS, false, (l) => lines.push(l));
    decoder.write(Buffer.concat([Buffer.from(SLL2_FILE_HEADER, 'hex'), record]));
    decoder.end();
    expect(await decoder.done).toBe(0);
    expect(lines).toHaveLength(1);
    expect(parseTcpdumpLine(lines[0]!).text).toMatch(/^uplink7\s+In\s+ARP, Reply 10\.9\.0\.2 is-at da:3d:7e:b1:9b:17/);
  });

  it('captures on `any` in a router namespace and names the interface each packet crossed', async () => {
    const [R, A, B] = [`${P}lab.r`, `${P}lab.ha`, `${P}lab.hb`];
    for (const ns of [R, A, B]) {
      execFileSync('ip', ['netns', 'add', ns]);
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    const sh = (ns: string, ...args: string[]) => execFileSync('ip', ['-n', ns, ...args]);
    sh(R, 'link', 'add', 'left7', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', A);
    sh(R, 'link', 'add', 'right7', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', B);
    sh(R, 'addr', 'add', '10.71.1.1/24', 'dev', 'left7');
    sh(R, 'addr', 'add', '10.71.2.1/24', 'dev', 'right7');
    sh(A, 'addr', 'add', '10.71.1.2/24', 'dev', 'eth0');
    sh(B, 'addr', 'add', '10.71.2.2/24', 'dev', 'eth0');
    for (const [ns, dev] of [
      [R, 'left7'],
      [R, 'right7'],
      [A, 'eth0'],
      [B, 'eth0'],
    ] as const)
      sh(ns, 'link', 'set', dev, 'up');
    sh(A, 'route', 'add', 'default', 'via', '10.71.1.1');
    sh(B, 'route', 'add', 'default', 'via', '10.71.2.1');
    await runInNamespace(R, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);

    const c = captureWithDecoder(R, 'any', 'icmp');
    capture = c.handle;
    await capture.ready;
    await runInNamespace(A, 'ping', ['-c', '2', '-i', '0.2', '-W', '2', '10.71.2.2']);
    await expect.poll(() => c.records(), { timeout: 5000 }).toBeGreaterThanOrEqual(8);
    capture.stop();
    await capture.done;
    c.decoder.end();
    await c.decoder.done;
    expect(c.splitter.header?.linktype).toBe(276);
    const texts = c.lines.map((l) => parseTcpdumpLine(l).text);
    const request = /IP 10\.71\.1\.2 > 10\.71\.2\.2: ICMP echo request/;
    const reply = /IP 10\.71\.2\.2 > 10\.71\.1\.2: ICMP echo reply/;
    expect(texts.filter((t) => /^left7\s+In\s/.test(t) && request.test(t))).toHaveLength(2);
    expect(texts.filter((t) => /^right7\s+Out\s/.test(t) && request.test(t))).toHaveLength(2);
    expect(texts.filter((t) => /^right7\s+In\s/.test(t) && reply.test(t))).toHaveLength(2);
    expect(texts.filter((t) => /^left7\s+Out\s/.test(t) && reply.test(t))).toHaveLength(2);
    expect(texts.some((t) => t.startsWith('?'))).toBe(false);
  });

  it("rejects ready with tcpdump's message for a down interface, a bad filter or a missing interface, running nothing after", async () => {
    execFileSync('ip', ['netns', 'add', NS]);
    const down = startCapture(NS, { interface: 'lo', packets: 1 }, () => undefined);
    await expect(down.ready).rejects.toThrow(/lo: That device is not up/);
    await down.done;
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    const bad = startCapture(NS, { interface: 'lo', filter: 'icmp and and', packets: 1 }, () => undefined);
    await expect(bad.ready).rejects.toThrow(/syntax error/);
    expect((await bad.done).code).not.toBe(0);
    const missing = startCapture(NS, { interface: 'eth9', packets: 1 }, () => undefined);
    await expect(missing.ready).rejects.toThrow(/eth9/);
    await missing.done;
  });

  it("runs tcpdump and its decoder in the lab's sandbox group when given one (a capture costs the student's budget)", async () => {
    const limits = { group: `lab.${P}.capture`, ...DEFAULT_SANDBOX_LIMITS };
    try {
      execFileSync('ip', ['netns', 'add', NS]);
      execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
      const decoder = startDecoder(NS, false, () => undefined, limits);
      capture = startCapture(NS, { interface: 'lo', packets: 1000 }, () => undefined, limits);
      await capture.ready;
      const inGroup = sandboxGroupPids(limits.group);
      expect(inGroup).toContain(capture.pid);
      expect(inGroup).toContain(decoder.pid);
      decoder.kill();
      await decoder.done;
    } finally {
      capture?.stop();
      await capture?.done;
      capture = undefined;
      expect((await removeSandboxGroups([limits.group]))[0]!.ok).toBe(true);
    }
  });
});
