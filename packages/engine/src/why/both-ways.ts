// One question walked both ways: the request from FROM until it is delivered or dies, then the
// reply from where it landed back to the source the destination saw (NAT included). A random pick
// on the way (a Service's endpoints) splits the path: `pick` says which outcome this walk follows,
// and `walkEveryEndpoint` walks each, saying which endpoint each path reached.
import type { WhyBlocked, WhyEndpointPath, WhyHop } from '@patchbay/topology';
import type { LabFacts } from './facts.js';
import { danglingDnat, missingMasquerade } from './nat-reason.js';
import { walk } from './walk.js';
import type { Blocked, Packet, WalkContext } from './walk-types.js';

/** The contract's blocked: the walk's own hints (side, commands) left out. */
const strip = ({ side: _side, commands: _commands, ...b }: Blocked): Omit<Blocked, 'side' | 'commands'> => b;

export interface BothWays {
  src: string;
  reachable: boolean;
  forward: WhyHop[];
  reverse: WhyHop[];
  blocked?: WhyBlocked;
  /** The walk's context: its translations, and the random pick it met (`split`). */
  ctx: WalkContext;
}

export async function walkBothWays(
  facts: LabFacts,
  from: string,
  origin: string,
  packet: Packet,
  pick = 0,
): Promise<BothWays> {
  const ctx: WalkContext = { facts, translations: [], direction: 'forward', pick };
  const forward = await walk(ctx, origin, packet);
  const src = forward.hops.find((h) => h.src)?.src ?? '';
  const out: BothWays = { src, reachable: false, forward: forward.hops, reverse: [], ctx };
  if (forward.blocked) {
    out.blocked = {
      direction: 'forward',
      ...strip(danglingDnat(facts, ctx.translations, forward.blocked) ?? forward.blocked),
    };
    return out;
  }
  // The reply: from the address the request reached, to the source it saw (NAT'd or not).
  const seen = forward.delivered!.packet;
  // Its destination port is the request's ephemeral source port, which no rule here names.
  // The kernel sends its echo replies without don't-fragment (its ICMP socket: IP_PMTUDISC_DONT).
  const reply: Packet = {
    src: seen.dst,
    dst: seen.src,
    proto: packet.proto,
    size: packet.size,
    df: packet.proto === 'icmp' ? false : packet.df,
  };
  const reverse = await walk({ ...ctx, direction: 'reverse' }, forward.delivered!.ns, reply);
  out.reverse = reverse.hops;
  if (reverse.blocked) {
    const request = { ...packet, src };
    const nat = missingMasquerade(facts, forward.hops, ctx.translations, request, reverse.blocked);
    out.blocked = { direction: 'reverse', ...strip(nat ?? reverse.blocked) };
    return out;
  }
  out.reachable = reverse.delivered?.ns === origin;
  if (!out.reachable)
    out.blocked = {
      direction: 'reverse',
      node: facts.nodeOfNs(reverse.delivered!.ns),
      reason: 'unknown',
      detail: `the reply is delivered to ${facts.nodeOfNs(reverse.delivered!.ns)}, not back to ${from}: ${src} is an address there too`,
      fix: `give ${from}'s address ${src} to ${from} alone (ip -n ${facts.nsOfNode(from)} addr; the same on ${facts.nodeOfNs(reverse.delivered!.ns)})`,
    };
  return out;
}

/**
 * When the first walk met a random pick (kube-proxy's `-m statistic --mode random`), every outcome
 * walked on its own (the first is `first` itself), each naming the endpoint it reached; undefined
 * when the path does not split.
 */
export async function walkEveryEndpoint(
  facts: LabFacts,
  from: string,
  origin: string,
  packet: Packet,
  first: BothWays,
): Promise<WhyEndpointPath[] | undefined> {
  const choices = first.ctx.split?.choices;
  if (!choices || choices.length < 2) return undefined;
  const paths: WhyEndpointPath[] = [];
  for (const [i, choice] of choices.entries()) {
    const w = i === 0 ? first : await walkBothWays(facts, from, origin, packet, i);
    const p = choice.packet;
    const owner = facts.ownersOf(p.dst)[0];
    paths.push({
      endpoint: p.port !== undefined && p.proto !== 'icmp' ? `${p.dst}:${p.port}` : p.dst,
      ...(owner ? { node: facts.nodeOfNs(owner.ns) } : {}),
      probability: choice.probability,
      reachable: w.reachable,
      forward: w.forward,
      reverse: w.reverse,
      ...(w.blocked ? { blocked: w.blocked } : {}),
    });
  }
  return paths;
}
