// Layer 3 of the walk, hop by hop, from the kernel's own answers: at each node the route the kernel
// picks for this very packet (`ip route get` with its source, input interface, protocol and port,
// so policy rules, rp_filter and forwarding count), netfilter's hooks on the way (netfilter.ts),
// the egress interface's state and MTU, then layer 2 to the next hop (segment.ts). A packet
// delivered to a node is checked for a listener (tcp/udp). The reply is the same walk back, with
// the forward path's translations undone where conntrack undoes them (netfilter.ts).
import { readListening } from '@patchbay/kernel';
import type { WhyHop } from '@patchbay/topology';
import type { LabFacts } from './facts.js';
import { netfilterHook, type Hook } from './netfilter.js';
import { routeRefused, unicastRefused } from './refusals.js';
import { Segment } from './segment.js';
import type { Blocked, Packet, PathResult, WalkContext } from './walk-types.js';

export type { WalkContext } from './walk-types.js';

/** A path longer than this is a routing loop (the kernel's TTL would end it at 64). */
const MAX_HOPS = 64;

const LISTENS_ANYWHERE = new Set(['*', '0.0.0.0', '[::]', '::']);

/** The listener check of a delivered tcp or udp packet. */
async function listening(
  facts: LabFacts,
  ns: string,
  p: Packet,
  iif: string | undefined,
): Promise<Blocked | undefined> {
  if (p.proto === 'icmp' || p.port === undefined) return undefined;
  const sockets = await readListening(ns, p.proto);
  const command = `ip netns exec ${ns} ss -Hln${p.proto === 'tcp' ? 't' : 'u'}`;
  facts.commands.push(command);
  const hit = sockets.some(
    (s) => s.port === p.port && (LISTENS_ANYWHERE.has(s.address) || s.address.replace(/^\[::ffff:|\]$/g, '') === p.dst),
  );
  if (hit) return undefined;
  const node = facts.nodeOfNs(ns);
  const holder = facts.ownersOf(p.dst).find((o) => o.ns === ns)?.dev;
  const reached = iif
    ? `the packet reaches ${node}`
    : `${p.dst} is ${node}'s own address${holder ? ` (on ${holder})` : ''}, so the packet never leaves ${node}`;
  return {
    node,
    reason: 'no-listener',
    detail: `${reached}, but nothing on ${node} listens on ${p.proto} port ${p.port} of ${p.dst} (ss lists no such socket): the kernel answers ${p.proto === 'tcp' ? 'with a TCP reset (connection refused)' : 'with ICMP port unreachable'}`,
    fix: `start a server on ${node} listening on ${p.proto} port ${p.port} (e.g. ip netns exec ${ns} nc -l${p.proto === 'udp' ? 'u' : ''} -p ${p.port})`,
    commands: [command],
  };
}

function hook(ctx: WalkContext, h: Hook, ns: string, p: Packet, iif?: string, oif?: string) {
  return netfilterHook(ctx, { hook: h, ns, packet: p, iif, oif });
}

const holderOf = (facts: LabFacts, ns: string, addr: string) => {
  const dev = facts.ownersOf(addr).find((o) => o.ns === ns)?.dev;
  return dev ? ` (on ${dev})` : '';
};

const withNotes = (detail: string, notes: string[]) => (notes.length ? `${detail}; ${notes.join('; ')}` : detail);

/** Walks `packet` from namespace `origin` (sent there) until it is delivered or dies. */
export async function walk(ctx: WalkContext, origin: string, packet: Packet): Promise<PathResult> {
  const { facts } = ctx;
  const reply = ctx.direction === 'reverse' && !ctx.underlay;
  const hops: WhyHop[] = [];
  let ns = origin;
  let iif: string | undefined;
  /** When the packet came up a bridge's own device: the bridge port it came in by. */
  let arrivedBy: string | undefined;
  let p: Packet = { ...packet };
  const visited: string[] = [];
  const dies = (blocked: Blocked): PathResult => {
    const { side, commands, ...rest } = blocked;
    // A drop with no interface of its own at the node the packet is in: where it came in.
    const at = blocked.interface ?? (blocked.node === facts.l3Node(ns, iif) ? iif : undefined);
    hops.push({
      node: blocked.node,
      ...(at && (side ?? 'in') === 'in' ? { in: at } : {}),
      ...(at && side === 'out' ? { out: at } : {}),
      action: 'drop',
      detail: `${reply ? 'the reply dies here: ' : ''}${blocked.detail}`,
      ...(commands?.length ? { commands } : {}),
    });
    return { hops, blocked: rest };
  };
  for (let step = 0; step < MAX_HOPS; step++) {
    const atNode = facts.l3Node(ns, iif);
    // The same packet at the same node twice: a routing loop (the kernel's TTL ends it).
    const here = `${ns}|${p.src}|${p.dst}`;
    if (visited.includes(here)) {
      const loop = visited.slice(visited.indexOf(here)).map((v) => facts.nodeOfNs(v.split('|')[0]!));
      return dies({
        node: atNode,
        interface: iif,
        reason: 'unknown',
        detail: `a routing loop: ${[...loop, atNode].join(' → ')} — the packet for ${p.dst} goes round until its TTL runs out (the kernel then answers "time to live exceeded")`,
        fix: `correct the routes for ${p.dst} on ${[...new Set(loop)].join(' and ')} so that one of them delivers it or sends it on towards it`,
      });
    }
    visited.push(here);
    const dstBefore = p.dst;
    if (iif) {
      const pre = hook(ctx, 'prerouting', ns, p, iif);
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
    if (!answer.ok) return dies(await routeRefused(facts, ns, iif, p, answer.error, answer.command));
    if (answer.type === 'local') {
      if (!p.src) p = { ...p, src: answer.prefsrc ?? p.dst };
      const notes: string[] = [];
      if (iif) {
        const input = hook(ctx, 'input', ns, p, iif);
        hops.push(...input.hops);
        if (input.blocked) return dies(input.blocked);
        notes.push(...input.notes);
      }
      const deaf = ctx.direction === 'forward' && !ctx.underlay ? await listening(facts, ns, p, iif) : undefined;
      if (deaf) return dies(deaf);
      const to =
        p.proto === 'icmp'
          ? 'its ICMP echo (the kernel answers it)'
          : ctx.underlay
            ? `its VXLAN socket on udp port ${p.port}`
            : `${p.proto} port ${p.port}${ctx.direction === 'forward' ? ', where a server listens' : ''}`;
      hops.push({
        node: atNode,
        in: iif,
        action: 'deliver',
        detail: withNotes(
          reply || (ctx.underlay && ctx.direction === 'reverse')
            ? `the ${ctx.underlay ? 'VXLAN packet with the reply' : 'reply'} reaches ${atNode}: ${p.dst} is its own address${ctx.underlay ? ` (its VXLAN socket, udp port ${p.port})` : ''}`
            : `${p.dst} is an address of ${atNode}${holderOf(facts, ns, p.dst)} (a local route): delivered to ${to}`,
          notes,
        ),
        src: p.src,
        dst: p.dst,
        commands: [answer.command],
      });
      return { hops, delivered: { ns, dev: iif ?? 'lo', packet: p } };
    }
    if (answer.type !== 'unicast' || !answer.dev) return dies(unicastRefused(facts, ns, iif, p, answer));
    if (!iif && !p.src) p = { ...p, src: answer.prefsrc ?? '' };
    const out = answer.dev;
    // Up from a bridge port, DNATed, and back out of the same bridge: br_netfilter bridges the frame
    // on from the port it came in by (shared research, kernel-and-sandbox-facts: bridge-nf-call-iptables is 1).
    const bridgedFrom =
      iif === out && arrivedBy && p.dst !== dstBefore && facts.link(ns, out)?.kind === 'bridge' ? arrivedBy : undefined;
    // Sent from a lab's implicit bridge host: the bridge it leaves by speaks for it.
    const node = iif ? atNode : facts.l3Node(ns, out);
    const nf = hook(ctx, iif ? 'forward' : 'output', ns, p, iif, out);
    hops.push(...nf.hops);
    if (nf.blocked) return dies(nf.blocked);
    // The lab's observation has each link's admin state and MTU: no extra read on a routed hop.
    const link = facts.link(ns, out);
    if (!link?.up)
      return dies({
        node,
        interface: out,
        side: 'out',
        reason: 'link-down',
        detail: `${node}'s route for ${p.dst} leaves by ${out}, and ${out} is administratively down: nothing leaves by it`,
        fix: `bring ${out} up: ip -n ${ns} link set ${out} up (in the lab file: leave out up: false on ${node}'s ${out})`,
        commands: [answer.command, `ip -n ${ns} link show ${out}`],
      });
    const mtu = link.mtu ?? 1500;
    if (p.size > mtu && p.df)
      return dies({
        node,
        interface: out,
        side: 'out',
        reason: 'mtu',
        detail: `the packet is ${p.size} bytes with don't-fragment set, and ${node}'s ${out} has MTU ${mtu}: the kernel drops it and answers "fragmentation needed" (ICMP type 3 code 4, MTU ${mtu})`,
        fix: `send at most ${mtu} bytes (ping -s ${mtu - 28} -M do), or give every link on the path the same MTU (mtu: on the link in the lab file; ip -n ${ns} link set ${out} mtu ${p.size})`,
        commands: [answer.command, `ip -n ${ns} link show ${out}`],
      });
    const post = hook(ctx, 'postrouting', ns, p, iif, out);
    hops.push(...post.hops);
    if (post.blocked) return dies(post.blocked);
    const before = p;
    p = post.packet;
    const fragmented = p.size > mtu;
    const nextHop = answer.gateway ?? before.dst;
    const how = `${answer.gateway ? `via ${answer.gateway}` : 'directly (on the link)'}, out of ${out}${answer.table && answer.table !== 'main' ? ` (table ${answer.table})` : ''}`;
    const carried = ctx.underlay
      ? `the VXLAN packet${ctx.direction === 'reverse' ? ' (the reply inside)' : ''}`
      : reply
        ? 'the reply'
        : 'it';
    const what = iif
      ? `${node} ${reply ? 'routes' : 'forwards'} ${carried} to ${p.dst} ${how}`
      : reply
        ? `${node} answers: the reply to ${p.dst} goes ${how}`
        : `${node} sends ${carried} to ${p.dst} ${how}`;
    hops.push({
      node,
      in: iif,
      out,
      action: iif ? 'route' : 'send',
      detail: withNotes(
        `${what}${fragmented ? ` — fragmented: ${p.size} bytes is more than ${out}'s MTU ${mtu}, so it leaves in pieces of at most ${mtu}` : ''}`,
        [...nf.notes, ...post.notes],
      ),
      src: p.src,
      dst: p.dst,
      commands: [answer.command, `ip -n ${ns} neigh show ${nextHop} dev ${out}`],
    });
    if (fragmented) p = { ...p, size: mtu };
    const seg = await new Segment(
      facts,
      nextHop,
      p,
      reply,
      (under, q) => walk({ ...ctx, underlay: true }, under, q),
      (brNs, br, physIn, physOut, q) =>
        netfilterHook(ctx, { hook: 'forward', ns: brNs, packet: q, iif: br, oif: br, physIn, physOut }).blocked,
    ).cross({ ns, dev: out }, bridgedFrom);
    if (seg.note) hops[hops.length - 1]!.detail += `; ${seg.note}`;
    hops.push(...seg.hops);
    if (seg.blocked) return seg.dropListed ? { hops, blocked: seg.blocked } : dies(seg.blocked);
    ns = seg.arrival!.ns;
    iif = seg.arrival!.dev;
    arrivedBy = seg.arrivedBy;
  }
  return dies({
    node: facts.nodeOfNs(ns),
    reason: 'unknown',
    detail: `more than ${MAX_HOPS} hops: a routing loop (the TTL ends it)`,
  });
}
