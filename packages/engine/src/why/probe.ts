// The walk confirmed by one real packet. In every namespace of the walk's path a trace table of our
// own marks the probe's packets (`meta nftrace`), `nft monitor` reads netfilter's own trace there and
// `tcpdump` captures them; then one packet of the question is sent from the source node (ping -c1,
// a TCP connect, or one UDP datagram) and the answer, the trace's verdicts and the last capture tell
// what happened to it (the monitors and captures are started by one helper, probe-watch.py in the
// kernel package); the kernel's drop reason comes from the `skb:kfree_skb` tracepoint
// (why-drop-reason.ts in the kernel package). Everything the probe adds is removed in `finally`
// (tables, monitors, captures, the tracer and its tracing instance, the sender), and at most one
// probe runs per lab at a time. The probe takes about 1.5 s at most:
// ~0.3 s to start watching, up to 1 s for the answer (less once the trace shows a drop), ~0.2 s to tidy.
import {
  type LineProcess,
  type ProbeAnswer,
  type ProbeMark,
  addTraceTables,
  deleteTraceTables,
  parseDropEvent,
  parseProbeAnswer,
  probeTableName,
  startDropReasonTracer,
  startProbeSender,
  startProbeWatch,
  type ProbeWatch,
} from '@patchbay/kernel';
import type { WhyProbe, WhyResult } from '@patchbay/topology';
import type { Engine } from '../engine.js';
import { EngineError } from '../errors.js';
import type { LabFacts } from './facts.js';
import { describeProbe, type Sighting, type TraceDrop } from './probe-verdict.js';

/** How long the monitors and captures may take to start listening. */
const READY_MS = 500;
/** How long the sender waits for the answer. */
const ANSWER_MS = 1000;
/** After a drop verdict in the trace: a moment for the last lines, then the sender is stopped. */
const AFTER_DROP_MS = 60;
/** After the answer: a moment for the captures' last lines. */
const SETTLE_MS = 40;
/** The monitors' `delete table` line: every trace line before it has been read. */
const DRAIN_MS = 300;
/** A path through more namespaces than this is watched in its first ones only. */
const MAX_NAMESPACES = 24;

let probeCount = 0;
const running = new Map<string, Promise<unknown>>();
const waiting = new Set<string>();

/** One probe per lab at a time: a second one waits for the first, a third is refused. */
async function oneAtATime<T>(key: string, lab: string, fn: () => Promise<T>): Promise<T> {
  if (running.has(key)) {
    if (waiting.has(key))
      throw new EngineError('busy', `a probe is running in lab ${lab} and another is waiting: ask again in a moment`);
    waiting.add(key);
    try {
      while (running.has(key)) await running.get(key)!.catch(() => undefined);
    } finally {
      waiting.delete(key);
    }
  }
  const p = fn();
  running.set(key, p);
  try {
    return await p;
  } finally {
    running.delete(key);
  }
}

/** The namespaces the walk went through, in path order: the source, each hop's node, the destination. */
export function pathNamespaces(facts: LabFacts, result: WhyResult): string[] {
  const nsOf = (node: string): string | undefined => {
    const ns = facts.nsOfNode(node);
    if (ns && facts.has(ns)) return ns;
    return Object.keys(facts.observed).find((n) => facts.nodeOfNs(n) === node);
  };
  const out: string[] = [];
  const add = (ns: string | undefined) => {
    if (ns && !out.includes(ns) && out.length < MAX_NAMESPACES) out.push(ns);
  };
  add(nsOf(result.query.from));
  for (const hop of [...result.forward, ...result.reverse]) add(nsOf(hop.node));
  // Where the packet is addressed to, even when the walk stops short of it (a disagreement shows there).
  add(facts.ownerOf(result.query.dst)?.ns);
  return out;
}

function newMark(proto: WhyResult['query']['proto']): ProbeMark {
  probeCount++;
  const spread = (process.pid * 7919 + probeCount * 104729) >>> 0;
  // An ICMP echo id, or a TCP/UDP source port above the usual ephemeral range's start.
  return proto === 'icmp' ? { proto, id: (spread % 65534) + 1 } : { proto, id: 40000 + (spread % 20000) };
}

const TRACE_RE = /^trace id (\S+) (\S+) (\S+) (\S+) (.*)$/;

/** Sends one packet of `result`'s question and watches it; fills `result.probe`. */
export async function probePath(engine: Engine, lab: string, facts: LabFacts, result: WhyResult): Promise<WhyProbe> {
  return oneAtATime(`${engine.prefix}\0${lab}`, lab, () => runProbe(facts, result));
}

async function runProbe(facts: LabFacts, result: WhyResult): Promise<WhyProbe> {
  const q = result.query;
  const origin = facts.nsOfNode(q.from)!;
  const namespaces = pathNamespaces(facts, result);
  const mark = newMark(q.proto);
  const table = probeTableName(process.pid, probeCount);
  const hard = READY_MS + ANSWER_MS + 3000;
  let watch: ProbeWatch | undefined;
  /** Namespaces where the tables may exist, and whether adding them is known to have succeeded. */
  const added = new Map<string, boolean>();
  let sender: LineProcess | undefined;
  let tracer: LineProcess | undefined;
  let answer: ProbeAnswer;
  let failure: string | undefined;
  try {
    tracer = startDropReasonTracer(hard / 1000);
    const w = startProbeWatch(namespaces, mark, hard);
    watch = w;
    // tcpdump starts after nft monitor in each namespace and takes longer to: once it listens, the
    // monitor does too, and sees our table being added (its `add table` line).
    await Promise.all(namespaces.map((ns) => w.waitFor(ns, 'capture', (l) => l.startsWith('listening on'), READY_MS)));
    await Promise.all(
      namespaces.map(async (ns) => {
        added.set(ns, false);
        await addTraceTables(ns, table, mark);
        added.set(ns, true);
      }),
    );
    await Promise.all([
      ...namespaces.map((ns) => w.waitFor(ns, 'trace', (l) => l.startsWith(`add table inet ${table}`), READY_MS)),
      tracer.waitFor((l) => l === 'ready' || l.startsWith('error'), READY_MS),
    ]);
    const s = startProbeSender(origin, {
      mark,
      dst: q.dst,
      ...(q.port !== undefined ? { port: q.port } : {}),
      size: q.size,
      df: q.df,
      waitMs: ANSWER_MS,
    });
    sender = s;
    const dropped = w.waitForAny('trace', (l) => /\(verdict drop\)|policy drop/.test(l), ANSWER_MS + 500);
    // ping reports a local error or an ICMP error at once but then waits out -W: no need to.
    const failed = s.waitFor((l) => /^From \S+ icmp_seq=|^ping: /.test(l), ANSWER_MS + 500);
    const never = new Promise<void>(() => undefined);
    await Promise.race([
      s.done,
      dropped.then((l) => (l ? delay(AFTER_DROP_MS) : never)),
      failed.then((l) => (l ? delay(AFTER_DROP_MS) : never)),
    ]);
    await s.stop(100);
    await delay(SETTLE_MS);
    answer = parseProbeAnswer(
      q.proto,
      s.lines.map((l) => l.text),
      await s.done,
    );
  } catch (err) {
    failure = (err as Error).message;
    answer = { kind: 'error', text: failure };
  } finally {
    await sender?.stop(100);
    await Promise.all(
      [...added].map(async ([ns, known]) => {
        try {
          await deleteTraceTables(ns, table, known);
        } catch (err) {
          failure ??= (err as Error).message;
        }
      }),
    );
    const w = watch;
    if (w)
      await Promise.all(
        [...added.keys()].map((ns) =>
          w.waitFor(ns, 'trace', (l) => l.startsWith(`delete table inet ${table}`), DRAIN_MS),
        ),
      );
    await w?.stop(500);
    // The tracer removes its tracing instance on SIGTERM: give it time to.
    await tracer?.stop(1000);
  }
  return describeProbe(facts, result, {
    answer,
    trace: watch ? collectTrace(facts, watch, namespaces, table) : [],
    drops: watch ? collectDrops(watch, namespaces) : [],
    sightings: watch ? collectSightings(watch, namespaces, mark) : [],
    failure,
    dropReasons: dropReasons(tracer, sender),
  });
}

/** The kernel's drop reasons for packets freed in the sender's own context (its softirq). */
function dropReasons(tracer: LineProcess | undefined, sender: LineProcess | undefined): string[] {
  if (!tracer || sender?.pid === undefined) return [];
  return tracer.lines
    .map((l) => parseDropEvent(l.text))
    .filter((e) => e !== undefined && e.pid === sender.pid)
    .map((e) => `${e!.reason} (at ${e!.location.replace(/\/0x[0-9a-f]+$/, '')})`);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The trace lines, each after its node's name; our own table's rule and policy lines are left out. */
function collectTrace(facts: LabFacts, watch: ProbeWatch, namespaces: string[], table: string): string[] {
  const out: string[] = [];
  for (const ns of namespaces)
    for (const { text } of watch.lines(ns, 'trace')) {
      const t = TRACE_RE.exec(text);
      if (!t) continue;
      if (t[3] === table && !t[5]!.startsWith('packet:')) continue;
      out.push(`${facts.nodeOfNs(ns)}: ${text.trim()}`);
    }
  return out;
}

/** Every drop verdict the trace reported, in arrival order per namespace. */
function collectDrops(watch: ProbeWatch, namespaces: string[]): TraceDrop[] {
  const drops: TraceDrop[] = [];
  for (const ns of namespaces)
    for (const { text } of watch.lines(ns, 'trace')) {
      const t = TRACE_RE.exec(text.trim());
      if (!t) continue;
      const rest = t[5]!;
      const rule = /^rule (.*) \(verdict drop\)$/.exec(rest);
      if (rule) drops.push({ ns, family: t[2]!, table: t[3]!, chain: t[4]!, rule: rule[1]!, line: text.trim() });
      else if (/^policy drop\b/.test(rest) || /^verdict drop\b/.test(rest))
        drops.push({ ns, family: t[2]!, table: t[3]!, chain: t[4]!, line: text.trim() });
    }
  return drops;
}

const CAPTURE_RE = /^(\d+\.\d+) (\S+)\s+(In|Out|M|B|P)\s+IP (\S+) > (\S+): (.*)$/;

/**
 * Each captured probe packet, in the order it was seen. tcpdump's clock (ns) is one for every
 * namespace, but a veth hands a packet over within the same tick: at equal times a request comes
 * before a reply, a request is seen in path order and a reply in reverse path order.
 */
function collectSightings(watch: ProbeWatch, path: string[], mark: ProbeMark): Sighting[] {
  const seen: (Sighting & { order: number; at: string })[] = [];
  for (const ns of path)
    for (const { stream, text } of watch.lines(ns, 'capture')) {
      const m = stream === 'stdout' ? CAPTURE_RE.exec(text) : null;
      if (!m) continue;
      const what = m[6]!;
      const request = mark.proto === 'icmp' ? what.startsWith('ICMP echo request') : m[4]!.endsWith(`.${mark.id}`);
      const index = path.indexOf(ns);
      seen.push({
        ts: Number(m[1]),
        at: m[1]!.padStart(24, '0'),
        ns,
        dev: m[2]!,
        dir: m[3]!,
        src: m[4]!,
        dst: m[5]!,
        what,
        line: text,
        order: request ? index : 2 * path.length - index,
      });
    }
  // Compared as text: a double cannot hold nanoseconds since the epoch.
  const byTime = (a: { at: string }, b: { at: string }) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0);
  return seen.sort((a, b) => byTime(a, b) || a.order - b.order).map(({ order: _, at: __, ...s }) => s);
}
