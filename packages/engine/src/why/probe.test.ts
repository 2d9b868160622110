// The probe of `why` against the real kernel: one packet sent and watched with netfilter's trace and
// captures. An iptables DROP in a router's FORWARD chain is named by the trace (rule and verdict);
// a reachable path is confirmed; and after every probe, a failed one too, no table of ours is left
// in any namespace of the lab and no `nft monitor` or `tcpdump` of ours still runs. Prefix pbwp-.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  listDropReasonInstances,
  listNftTables,
  pidsInNamespaces,
  processStat,
  runInNamespace,
} from '@patchbay/kernel';
import { parseLabText, type Lab } from '@patchbay/topology';
import { testEngine, type TestEngine } from '../test-support.js';
import type { EngineError } from '../errors.js';
import { explainPath } from './explain.js';
import { LabFacts } from './facts.js';
import { probePath } from './probe.js';

const PREFIX = 'pbwp-';
const NAMESPACES = ['a', 'r', 'b'].map((n) => `${PREFIX}probe.${n}`);
const NS = (node: string) => `${PREFIX}probe.${node}`;

function lab(): Lab {
  const text = `name: probe
nodes:
  a: { kind: netns, routes: [{ to: default, via: 10.61.1.1 }] }
  r: { kind: router }
  b: { kind: netns, routes: [{ to: default, via: 10.61.2.1 }] }
links:
  - a: { node: a, interface: eth0, addresses: [10.61.1.2/24] }
    b: { node: r, interface: e1, addresses: [10.61.1.1/24] }
  - a: { node: b, interface: eth0, addresses: [10.61.2.2/24] }
    b: { node: r, interface: e2, addresses: [10.61.2.1/24] }
`;
  const { lab: parsed, problems } = parseLabText(text);
  if (!parsed || problems.length) throw new Error(JSON.stringify(problems));
  return parsed;
}

/** Nothing of a probe is left: no table of ours in any namespace, no monitor or capture process inside. */
async function expectNothingLeft(): Promise<void> {
  for (const ns of NAMESPACES) expect((await listNftTables(ns)).filter((t) => t.includes('patchbay_why'))).toEqual([]);
  const pids = await pidsInNamespaces(NAMESPACES);
  const commands = [...pids.keys()].map((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 2).join(' ');
    } catch {
      return '';
    }
  });
  expect(commands.filter((c) => /^(nft monitor|tcpdump|ping|python3)\b/.test(c))).toEqual([]);
  // The drop-reason tracer's instance (named after its pid) is gone with it: no instance of a
  // process that has ended, none of a tracer of ours (our child) still running.
  const instances = await listDropReasonInstances();
  const ours = instances.filter((name) => {
    const stat = processStat(Number(/^patchbay_why_(\d+)_/.exec(name)?.[1]));
    return stat === undefined || stat.ppid === process.pid;
  });
  expect(ours).toEqual([]);
}

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  await t?.cleanup();
  t = undefined;
});

describe('why: the probe', () => {
  it('a reachable path: the probe gets its answer, agrees with the walk, and leaves nothing behind', async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(lab());
    const r = await explainPath(t.engine, 'probe', { from: 'a', to: 'b' });
    expect(r.reachable).toBe(true);
    expect(r.probe).toBeDefined();
    expect(r.probe!.reachable).toBe(true);
    expect(r.probe!.agrees).toBe(true);
    expect(r.probe!.detail).toMatch(/^the probe agrees: answered \(64 bytes from 10\.61\.2\.2/);
    // The echo reply came back into a last.
    expect(r.probe!.lastSeen).toEqual({ node: 'a', interface: 'eth0' });
    // The trace saw the packet enter the router and b (our own table's packet lines).
    expect(r.probe!.trace!.some((l) => l.startsWith('r: trace id') && l.includes('iif "e1"'))).toBe(true);
    await expectNothingLeft();
    // probe: false is the walk alone.
    const walkOnly = await explainPath(t.engine, 'probe', { from: 'a', to: 'b', probe: false });
    expect(walkOnly.probe).toBeUndefined();
  });

  it("an iptables DROP in the router's FORWARD chain: the trace names the rule and the verdict", async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(lab());
    const add = await runInNamespace(NS('r'), 'iptables', ['-A', 'FORWARD', '-p', 'icmp', '-j', 'DROP']);
    expect(add.code).toBe(0);
    const started = Date.now();
    const r = await explainPath(t.engine, 'probe', { from: 'a', to: 'b' });
    const tookMs = Date.now() - started;
    expect(r.reachable).toBe(false);
    expect(r.blocked).toMatchObject({ direction: 'forward', node: 'r', reason: 'filtered' });
    const p = r.probe!;
    expect(p.reachable).toBe(false);
    expect(p.agrees).toBe(true);
    // iptables-nft: the iptables rule is an nftables rule of table ip filter, chain FORWARD.
    const drop = p.trace!.find((l) => /\(verdict drop\)$/.test(l));
    expect(drop).toMatch(/^r: trace id \S+ ip filter FORWARD rule .*icmp.* drop \(verdict drop\)$/);
    expect(p.detail).toMatch(
      /^the probe agrees: dropped by rule ".*drop" of ip filter FORWARD in r \(netfilter's trace\); last seen on r\/e1 \(coming in: ICMP echo request\)/,
    );
    // Last captured coming into the router.
    expect(p.lastSeen).toEqual({ node: 'r', interface: 'e1' });
    // skb:kfree_skb, when the router's softirq ran in the sender's context (ksoftirqd may take it).
    if (p.dropReason !== undefined) expect(p.dropReason).toMatch(/^NETFILTER_DROP \(at nft_do_chain/);
    // The drop verdict ends the wait for an answer early (ping would wait a whole second).
    expect(tookMs).toBeLessThan(5000);
    await expectNothingLeft();
  });

  it('the walk and the probe disagree: a rule the walk cannot read (nft, not iptables) is said so', async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(lab());
    // A native nftables table: iptables-save does not show it, so the walk thinks the path is open.
    const script =
      'table inet lesson {\n  chain forward_filter {\n    type filter hook forward priority 0; policy accept;\n    icmp type echo-request drop\n  }\n}\n';
    const add = await runInNamespace(NS('r'), 'nft', ['-f', '-'], { input: script });
    expect(add.code).toBe(0);
    const r = await explainPath(t.engine, 'probe', { from: 'a', to: 'b' });
    const p = r.probe!;
    expect(p.reachable).toBe(false);
    if (r.reachable) {
      expect(p.agrees).toBe(false);
      expect(p.detail).toMatch(
        /^the walk and the probe disagree: the walk says b is reachable; the probe: dropped by rule "icmp type echo-request drop" of inet lesson forward_filter in r/,
      );
    } else {
      // A walk that reads nftables too finds the same rule: then they agree.
      expect(p.agrees).toBe(true);
    }
    await expectNothingLeft();
  });

  it("a DROP in the source's own OUTPUT chain: the kernel's drop reason is NETFILTER_DROP", async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(lab());
    const add = await runInNamespace(NS('a'), 'iptables', ['-A', 'OUTPUT', '-p', 'icmp', '-j', 'DROP']);
    expect(add.code).toBe(0);
    const r = await explainPath(t.engine, 'probe', { from: 'a', to: 'b' });
    const p = r.probe!;
    expect(p.reachable).toBe(false);
    // Dropped inside ping's own sendmsg: the tracepoint fires in the sender's context, always.
    expect(p.dropReason).toMatch(/^NETFILTER_DROP \(at nft_do_chain/);
    expect(p.detail).toMatch(
      /dropped by rule ".*drop" of ip filter OUTPUT in a .*the kernel's drop reason: NETFILTER_DROP/,
    );
    expect(p.lastSeen).toBeUndefined();
    await expectNothingLeft();
  });

  it('a probe whose sending fails (an oversized DF packet) still leaves nothing behind', async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(lab());
    const r = await explainPath(t.engine, 'probe', { from: 'a', to: 'b', size: 3000, df: true });
    expect(r.reachable).toBe(false);
    expect(r.blocked).toMatchObject({ node: 'a', reason: 'mtu' });
    const p = r.probe!;
    expect(p.reachable).toBe(false);
    expect(p.agrees).toBe(true);
    expect(p.detail).toMatch(/^the probe agrees: died at a: .*message too long/i);
    await expectNothingLeft();
  });

  it('probes of one lab run one at a time: a second waits for the first, a third at once is refused', async () => {
    t = testEngine(PREFIX);
    const engine = t.engine;
    await engine.apply(lab());
    const walked = await explainPath(engine, 'probe', { from: 'a', to: 'b', probe: false });
    const facts = await LabFacts.read(engine, 'probe', (await engine.entry('probe')).lab!);
    const all = await Promise.allSettled([
      probePath(engine, 'probe', facts, walked),
      probePath(engine, 'probe', facts, walked),
      probePath(engine, 'probe', facts, walked),
    ]);
    expect(all.map((x) => x.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    for (const x of all) if (x.status === 'fulfilled') expect(x.value.reachable).toBe(true);
    const refused = (all[2] as PromiseRejectedResult).reason as EngineError;
    expect(refused.code).toBe('busy');
    expect(refused.message).toBe('a probe is running in lab probe and another is waiting: ask again in a moment');
    await expectNothingLeft();
  });
});
