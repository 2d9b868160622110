// Layer 3 of the walk, hop by hop, from the kernel's own answers: at each node the route the kernel
// picks for this very packet (`ip route get` with its source, input interface, protocol and port,
// so policy rules, rp_filter and forwarding count), netfilter's hooks on the way (netfilter.ts),
// the egress interface's state and MTU, then layer 2 to the next hop (segment.ts). A packet
// delivered to a node is checked for a listener (tcp/udp). The reply is the same walk back, with
// the forward path's translations undone where conntrack undoes them (netfilter.ts).
import type { WhyHop } from '@patchbay/topology';
import type { LabFacts } from './facts.js';
import { netfilterHook, type Hook } from './netfilter.js';
import { Segment } from './segment.js';
import type { Blocked, Packet, PathResult, Translation } from './walk-types.js';
import { readListening } from '@patchbay/kernel';

/** A path longer than this is a routing loop (the kernel's TTL would end it at 64). */
const MAX_HOPS = 64;

export interface WalkContext {
  facts: LabFacts;
  /** Translations made so far (forward), undone on the way back (reverse). */
  translations: Translation[];
  direction: 'forward' | 'reverse';
}

const flagsOf = async (facts: LabFacts, ns: string, dev: string) => (await facts.pathFacts(ns)).links[dev];

/** Why the kernel refused to route: its errno, read against what the node's settings say. */
async function routeRefused(
  facts: LabFacts,
  ns: string,
  iif: string | undefined,
  p: Packet,
  error: string,
): Promise<Blocked> {
  const node = facts.nodeOfNs(ns);
  const pf = await facts.pathFacts(ns);
  if (iif && pf.netconf['all'] && !pf.netconf['all'].forwarding && facts.ownerOf(p.dst)?.ns !== ns)
    return {
      node,
      interface: iif,
      reason: 'forwarding-off',
      detail: `${node} does not forward packets (net.ipv4.ip_forward = 0): a packet for ${p.dst} that came in on ${iif} is dropped`,
      fix: `set forwarding: true on ${node} (sysctl -w net.ipv4.ip_forward=1 in ${ns})`,
    };
  const rp = [pf.netconf[iif ?? '']?.rpFilter, pf.netconf['all']?.rpFilter].filter((x) => x && x !== 'off');
  if (iif && rp.length > 0 && /invalid|cross-device/i.test(error)) {
    const back = await facts.route(ns, { dst: p.src });
    const via = back.ok ? back.dev : undefined;
    return {
      node,
      interface: iif,
      reason: 'rp-filter',
      detail: `reverse-path filter (${rp.join('/')}) on ${node}: a packet from ${p.src} came in on ${iif}, but the route back to ${p.src} ${via ? `leaves by ${via}` : 'does not exist'}`,
      fix: `route ${p.src} back through ${iif}, or set rp_filter to 0 or 2 (loose) in ${ns}`,
    };
  }
  return {
    node,
    interface: iif,
    reason: 'no-route',
    detail: `${node} has no route to ${p.dst}: the kernel answers "${error}"`,
    fix: `add a route for ${p.dst} (ip -n ${ns} route add ${p.dst} via NEXT-HOP), or a default route`,
  };
}

/** The listener check of a delivered tcp or udp packet. */
async function listening(facts: LabFacts, ns: string, p: Packet): Promise<Blocked | undefined> {
  if (p.proto === 'icmp' || p.port === undefined) return undefined;
  const sockets = await readListening(ns, p.proto);
  facts.commands.push(`ip netns exec ${ns} ss -Hln${p.proto === 'tcp' ? 't' : 'u'}`);
  const hit = sockets.some(
    (s) => s.port === p.port && (s.address === '*' || s.address === '0.0.0.0' || s.address === p.dst),
  );
  if (hit) return undefined;
  const node = facts.nodeOfNs(ns);
  return {
    node,
    reason: 'no-listener',
    detail: `nothing on ${node} listens on ${p.proto} port ${p.port} of ${p.dst}: the kernel answers ${p.proto === 'tcp' ? 'with a TCP reset' : 'with ICMP port unreachable'}`,
    fix: `start a server on ${node} (e.g. nc -l${p.proto === 'udp' ? 'u' : ''} ${p.port})`,
  };
}

async function hook(ctx: WalkContext, h: Hook, ns: string, p: Packet, iif?: string, oif?: string) {
  return netfilterHook(ctx, { hook: h, ns, packet: p, iif, oif });
}

/** Walks `packet` from namespace `origin` (sent there) until it is delivered or dies. */
export async function walk(ctx: WalkContext, origin: string, packet: Packet): Promise<PathResult> {
  const { facts } = ctx;
  const hops: WhyHop[] = [];
  let ns = origin;
  let iif: string | undefined;
  let p: Packet = { ...packet };
  const dies = (blocked: Blocked): PathResult => {
    hops.push({ node: blocked.node, in: iif, action: 'drop', detail: blocked.detail });
    return { hops, blocked };
  };
  for (let step = 0; step < MAX_HOPS; step++) {
    const node = facts.nodeOfNs(ns);
    if (iif) {
      const pre = await hook(ctx, 'prerouting', ns, p, iif);
      hops.push(...pre.hops);
      if (pre.blocked) return dies(pre.blocked);
      p = pre.packet;
    }
    const answer = await facts.route(ns, {
      dst: p.dst,
      from: iif || p.src ? p.src : undefined,
      iif,
      proto: p.proto,
      dport: p.port,
    });
    if (!answer.ok) return dies(await routeRefused(facts, ns, iif, p, answer.error));
    if (answer.type === 'local') {
      if (iif) {
        const input = await hook(ctx, 'input', ns, p, iif);
        hops.push(...input.hops);
        if (input.blocked) return dies(input.blocked);
      }
      const deaf = ctx.direction === 'forward' ? await listening(facts, ns, p) : undefined;
      if (deaf) return dies(deaf);
      hops.push({
        node,
        in: iif,
        action: 'deliver',
        detail: `${p.dst} is an address of ${node}: delivered to its ${p.proto === 'icmp' ? 'ICMP echo (the kernel answers)' : `${p.proto} port ${p.port}`}`,
        src: p.src,
        dst: p.dst,
        commands: [answer.command],
      });
      return { hops, delivered: { ns, dev: iif ?? 'lo', packet: p } };
    }
    if (answer.type !== 'unicast' || !answer.dev)
      return dies({
        node,
        interface: iif,
        reason: 'no-route',
        detail: `${node}'s route for ${p.dst} is of type ${answer.type}: the kernel drops the packet`,
        fix: `replace the ${answer.type} route for ${p.dst} in ${ns} with a unicast one`,
      });
    if (!iif && !p.src) p = { ...p, src: answer.prefsrc ?? '' };
    const out = answer.dev;
    const nf = await hook(ctx, iif ? 'forward' : 'output', ns, p, iif, out);
    hops.push(...nf.hops);
    if (nf.blocked) return dies(nf.blocked);
    const link = await flagsOf(facts, ns, out);
    if (!link?.flags.includes('UP'))
      return dies({
        node,
        interface: out,
        reason: 'link-down',
        detail: `${node}/${out} is administratively down: nothing leaves by it`,
        fix: `ip -n ${ns} link set ${out} up`,
      });
    const mtu = link.mtu ?? 1500;
    if (p.size > mtu && p.df)
      return dies({
        node,
        interface: out,
        reason: 'mtu',
        detail: `the packet is ${p.size} bytes with don't-fragment set, and ${node}/${out} has MTU ${mtu}: the kernel answers "fragmentation needed"`,
        fix: `send at most ${mtu} bytes (ping -s ${mtu - 28} -M do), or raise the MTU along the path`,
      });
    const post = await hook(ctx, 'postrouting', ns, p, iif, out);
    hops.push(...post.hops);
    if (post.blocked) return dies(post.blocked);
    const before = p;
    p = post.packet;
    const nextHop = answer.gateway ?? before.dst;
    hops.push({
      node,
      in: iif,
      out,
      action: iif ? 'route' : 'send',
      detail: `${answer.gateway ? `via ${answer.gateway}` : `${before.dst} is on the link`} dev ${out}${p.size > mtu ? ` (fragmented: ${p.size} bytes > MTU ${mtu})` : ''}`,
      src: p.src,
      dst: p.dst,
      commands: [answer.command],
    });
    const seg = await new Segment(facts, nextHop, p, (under, q) =>
      walk({ ...ctx, direction: ctx.direction }, under, q),
    ).cross({ ns, dev: out });
    hops.push(...seg.hops);
    if (seg.blocked) return dies(seg.blocked);
    ns = seg.arrival!.ns;
    iif = seg.arrival!.dev;
  }
  return dies({
    node: facts.nodeOfNs(ns),
    reason: 'unknown',
    detail: `more than ${MAX_HOPS} hops: a routing loop (the TTL ends it)`,
  });
}
