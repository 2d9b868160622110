// Captures on the real kernel: the pcap stream of `tcpdump -U -w -` in a namespace, decoded by a
// second tcpdump into text lines; tcpdump's own errors surface as a rejected `ready`.
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
    const decoder = startDecoder(false, (l) => lines.push(l));
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
      const decoder = startDecoder(false, () => undefined, limits);
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
