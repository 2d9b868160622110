// The human answer of `patchbay why`, line by line: the parts the real-kernel tests (why.test.ts)
// do not reach on every machine — a reply that dies, a filtered verdict's rule, the probe's line
// when it disagrees with the walk — and the flags turned into the question.
import type { WhyResult } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import { endpointLines, formatWhy, hopLines, probeLines, questionLine, verdictLines, whyQueryOf } from './why.js';

const base: WhyResult = {
  lab: 'l',
  query: {
    from: 'client',
    to: '10.0.2.20',
    src: '10.0.1.10',
    dst: '10.0.2.20',
    proto: 'tcp',
    port: 80,
    size: 1500,
    df: true,
  },
  reachable: false,
  forward: [],
  reverse: [],
};

describe('the question from the flags', () => {
  it('keeps what was given and leaves the rest to the engine', () => {
    const p = parseArgs(['why', 'lab', 'a', 'b', '--proto', 'udp', '--port=53', '--size', '100', '--df', '--no-probe']);
    expect(whyQueryOf(p)).toEqual({
      lab: 'lab',
      query: { from: 'a', to: 'b', proto: 'udp', port: 53, size: 100, df: true, probe: false },
    });
    expect(whyQueryOf(parseArgs(['why', 'lab', 'a', '10.0.0.1']))).toEqual({
      lab: 'lab',
      query: { from: 'a', to: '10.0.0.1' },
    });
  });
  it('refuses what is not a number, a protocol or a lab name (EngineError invalid: exit 2)', () => {
    const refused = (argv: string[]) => {
      try {
        whyQueryOf(parseArgs(argv));
      } catch (e) {
        expect((e as { code: string }).code).toBe('invalid');
        return (e as Error).message;
      }
      throw new Error(`accepted: ${argv.join(' ')}`);
    };
    expect(refused(['why', 'lab', 'a', 'b', '--port', '8O'])).toMatch(/--port "8O" is not a port number/);
    expect(refused(['why', 'lab', 'a', 'b', '--size', '-'])).toMatch(/--size "-" is not a size/);
    expect(refused(['why', 'lab', 'a', 'b', '--proto', 'ICMP'])).toMatch(/--proto "ICMP" is not a protocol/);
    expect(refused(['why', 'Lab', 'a', 'b'])).toMatch(/"Lab" is not a lab name/);
  });
});

describe('the answer', () => {
  it('the question line: names with addresses, an address alone, port, size and DF', () => {
    expect(questionLine(base)).toBe("client (10.0.1.10) → 10.0.2.20, tcp port 80, 1500 bytes, don't fragment");
  });

  it('hop lines in aligned columns, addresses shown only where they change', () => {
    const lines = hopLines(
      [
        { node: 'client', out: 'eth0', action: 'send', detail: 'via 10.0.1.1', src: '10.0.1.10', dst: '10.0.2.20' },
        { node: 'fw', in: 'eth0', out: 'eth1', action: 'translate', detail: 'SNAT', src: '10.0.2.1', dst: '10.0.2.20' },
        {
          node: 'fw',
          in: 'eth0',
          out: 'eth1',
          action: 'route',
          detail: 'on the link',
          src: '10.0.2.1',
          dst: '10.0.2.20',
        },
      ],
      { src: '10.0.1.10', dst: '10.0.2.20' },
    );
    expect(lines).toEqual([
      '  client  · → eth0     send       via 10.0.1.1',
      '  fw      eth0 → eth1  translate  SNAT  [10.0.2.1 → 10.0.2.20]',
      '  fw      eth0 → eth1  route      on the link',
    ]);
  });

  it('a filtered reply: where, the rule (or its policy) and the fix', () => {
    const r: WhyResult = {
      ...base,
      blocked: {
        direction: 'reverse',
        node: 'fw',
        interface: 'eth1',
        reason: 'filtered',
        detail: 'dropped',
        fix: 'accept it',
        rule: { table: 'filter', chain: 'FORWARD', rule: '-A FORWARD -i eth1 -j DROP' },
      },
    };
    expect(verdictLines(r)).toEqual([
      'blocked at fw (eth1), on the reply: filtered — dropped',
      'rule: filter/FORWARD -A FORWARD -i eth1 -j DROP',
      'fix: accept it',
    ]);
    expect(verdictLines({ ...r, blocked: { ...r.blocked!, rule: { table: 'filter', chain: 'FORWARD' } } })[1]).toBe(
      'rule: filter/FORWARD (its policy)',
    );
    expect(verdictLines({ ...base, reachable: true })).toEqual(['reachable']);
  });

  it("the probe's line: its answer and detail (which says where it was last seen and why), a disagreement, the trace", () => {
    const r: WhyResult = {
      ...base,
      reachable: true,
      probe: {
        reachable: false,
        agrees: false,
        detail:
          "the walk and the probe disagree: the walk says b is reachable; the probe: no reply in 1 s; last seen on fw/eth0; the kernel's drop reason: NETFILTER_DROP",
        lastSeen: { node: 'fw', interface: 'eth0' },
        dropReason: 'NETFILTER_DROP',
        trace: ['fw filter FORWARD policy drop'],
      },
    };
    expect(probeLines(r)).toEqual([
      "probe: no answer — the walk and the probe disagree: the walk says b is reachable; the probe: no reply in 1 s; last seen on fw/eth0; the kernel's drop reason: NETFILTER_DROP",
      '  the walk and the probe disagree: the probe has the last word',
      '  trace: fw filter FORWARD policy drop',
    ]);
    expect(probeLines(base)).toEqual([]);
    const text = formatWhy(r);
    expect(text.split('\n').slice(0, 3)).toEqual([questionLine(r), '', 'forward:']);
    expect(text).toMatch(/\nreachable\nprobe: no answer/);
  });

  it("a Service's endpoints: one line each, with its chance and that path's verdict", () => {
    const r: WhyResult = {
      ...base,
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
            direction: 'forward',
            node: 'web-b',
            reason: 'no-listener',
            detail: 'nothing listens',
            fix: 'start one',
          },
        },
      ],
    };
    expect(endpointLines(r)).toEqual([
      '',
      'endpoints (a random pick per connection; each path walked, the first is shown above):',
      '  10.244.1.2:8080 (web-a), 50%: reachable',
      '  10.244.1.3:8080 (web-b), 50%: blocked at web-b: no-listener — nothing listens',
      '    fix: start one',
    ]);
    expect(endpointLines(base)).toEqual([]);
    expect(formatWhy(r)).toContain('\nreachable\n\nendpoints (');
  });
});
