// What the probe saw, read against the walk: whether the packet got its answer, where it was last
// captured, which netfilter rule or policy dropped it (its trace), and whether that agrees with
// where the walk says it dies. Pure: the observations come from probe.ts.
import type { ProbeAnswer } from '@patchbay/kernel';
import type { WhyProbe, WhyResult } from '@patchbay/topology';
import type { LabFacts } from './facts.js';

/** A drop verdict in netfilter's trace. */
export interface TraceDrop {
  ns: string;
  family: string;
  table: string;
  chain: string;
  /** The rule (as nft prints it); none: the chain's policy. */
  rule?: string;
  line: string;
}

/** One captured probe packet. */
export interface Sighting {
  /** Seconds since the epoch (tcpdump -tt): one clock for every namespace. */
  ts: number;
  ns: string;
  dev: string;
  /** tcpdump's direction on `any`: In, Out (M, B, P: multicast, broadcast, another host's). */
  dir: string;
  src: string;
  dst: string;
  what: string;
  line: string;
}

export interface ProbeObservation {
  answer: ProbeAnswer;
  trace: string[];
  drops: TraceDrop[];
  sightings: Sighting[];
  /** Something of the probe's own machinery failed (a table not added, not deleted). */
  failure?: string;
  /** skb:kfree_skb's reasons for the probe's packets (those freed in the sender's context). */
  dropReasons: string[];
}

/** The lab's name for interface `dev` of `ns`: a bridge port is its bridge's. */
function placeOf(facts: LabFacts, ns: string, dev: string): string {
  const master = facts.link(ns, dev)?.master;
  return (master ? facts.bridgeNode(ns, master) : undefined) ?? facts.nodeAt(ns, dev);
}

function nsOfNode(facts: LabFacts, node: string): string | undefined {
  const ns = facts.nsOfNode(node);
  if (ns && facts.has(ns)) return ns;
  return Object.keys(facts.observed).find((n) => facts.nodeOfNs(n) === node);
}

/** A captured packet in a few words: tcpdump's own for ICMP, the addresses and TCP flags otherwise. */
function packetWords(proto: WhyResult['query']['proto'], s: Sighting): string {
  if (proto === 'icmp') return s.what.split(',')[0]!;
  const flags = proto === 'tcp' ? / Flags \[([^\]]+)\]/.exec(` ${s.what}`)?.[1] : undefined;
  return `${proto.toUpperCase()}${flags ? ` [${flags}]` : ''} ${s.src} > ${s.dst}`;
}

const PACKET_WORDS = { icmp: 'echo request', tcp: 'SYN', udp: 'datagram' } as const;

export function describeProbe(facts: LabFacts, result: WhyResult, o: ProbeObservation): WhyProbe {
  const q = result.query;
  const delivered = result.forward.find((h) => h.action === 'deliver');
  const destNs = (delivered ? nsOfNode(facts, delivered.node) : undefined) ?? facts.ownerOf(q.dst)?.ns;
  const arrivedAtDest = o.sightings.some((s) => s.ns === destNs && s.dir === 'In');
  const reachable = o.answer.kind === 'answered' || (q.proto === 'udp' && o.answer.kind === 'silent' && arrivedAtDest);

  const last = o.sightings.at(-1);
  const lastSeen = last ? { node: placeOf(facts, last.ns, last.dev), interface: last.dev } : undefined;
  const seenText = last
    ? `last seen on ${lastSeen!.node}/${last.dev} (${last.dir === 'In' ? 'coming in' : last.dir === 'Out' ? 'going out' : last.dir}: ${packetWords(q.proto, last)})`
    : 'not captured on any interface of the path';

  const drop = o.drops.at(-1);
  let deathNode: string | undefined;
  let story: string;
  if (reachable) {
    story = `answered (${o.answer.text}); ${seenText}`;
  } else if (drop) {
    deathNode = facts.nodeOfNs(drop.ns);
    const by = drop.rule
      ? `rule "${drop.rule}" of ${drop.family} ${drop.table} ${drop.chain}`
      : `the policy of ${drop.family} ${drop.table} ${drop.chain}`;
    story = `dropped by ${by} in ${deathNode} (netfilter's trace); ${seenText}`;
  } else if (o.answer.kind === 'refused') {
    deathNode = destNs ? facts.nodeOfNs(destNs) : lastSeen?.node;
    story = `the ${PACKET_WORDS[q.proto]} reached ${deathNode ?? q.dst}, which refused it (${o.answer.text}); ${seenText}`;
  } else {
    // ping's "From ADDR: …" names the node that gave up on the packet.
    const from = /^(\d+\.\d+\.\d+\.\d+): /.exec(o.answer.text)?.[1];
    const owner = from ? facts.ownerOf(from) : undefined;
    const notSent = o.answer.kind === 'error' && !owner && !last;
    deathNode = owner ? placeOf(facts, owner.ns, owner.dev) : notSent ? q.from : (lastSeen?.node ?? q.from);
    story =
      o.answer.kind === 'error'
        ? `died at ${deathNode}: ${o.answer.text}; ${seenText}`
        : `no answer (${o.answer.text}); ${seenText}`;
  }

  if (!reachable && o.dropReasons.length > 0) story += `; the kernel's drop reason: ${o.dropReasons.join('; ')}`;
  const blocked = result.blocked;
  const agrees =
    reachable === result.reachable &&
    (reachable || !blocked || deathNode === blocked.node || lastSeen?.node === blocked.node);
  const walkSays = result.reachable
    ? `${q.to} is reachable`
    : blocked
      ? `the ${blocked.direction === 'forward' ? 'packet' : 'reply'} dies at ${blocked.node} (${blocked.reason})`
      : 'it is not reachable';
  let detail = agrees
    ? `the probe agrees: ${story}`
    : `the walk and the probe disagree: the walk says ${walkSays}; the probe: ${story}`;
  if (o.failure) detail += ` (the probe could not watch everything: ${o.failure})`;
  return {
    reachable,
    agrees,
    detail,
    ...(lastSeen ? { lastSeen } : {}),
    trace: o.trace,
    ...(!reachable && o.dropReasons.length > 0 ? { dropReason: o.dropReasons.join('; ') } : {}),
  };
}

/** Puts the probe in the result; a walk that found no reason gets the probe's last-seen place. */
export function recordProbe(result: WhyResult, probe: WhyProbe): void {
  result.probe = probe;
  if (result.blocked?.reason === 'unknown' && probe.lastSeen)
    result.blocked.detail += `; the probe was last seen on ${probe.lastSeen.node}/${probe.lastSeen.interface}`;
}
