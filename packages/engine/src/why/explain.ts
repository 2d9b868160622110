// `why`: "why can't FROM reach TO?" answered from the live kernel. The query is checked (bad input:
// `invalid`, nothing read), the lab must be applied (`not-found` otherwise), then the request is
// walked forward from FROM and, when it is delivered, the reply is walked back from where it landed
// to the request's source as the destination saw it (NAT included). Reads only: nothing in the lab
// changes (the probe, probe.ts, sends one packet and watches it).
import {
  type Problem,
  type WhyQuery,
  type WhyResult,
  WHY_DEFAULT_SIZE,
  WHY_MAX_SIZE,
  WHY_MIN_SIZE,
  isBridge,
  parseIPv4,
} from '@patchbay/topology';
import type { Engine } from '../engine.js';
import { EngineError } from '../errors.js';
import { LabFacts } from './facts.js';
import { danglingDnat, missingMasquerade } from './nat-reason.js';
import { probePath } from './probe.js';
import { recordProbe } from './probe-verdict.js';
import { walk, type WalkContext } from './walk.js';
import type { Blocked, Packet } from './walk-types.js';

/** The contract's blocked: the walk's own hints (side, commands) left out. */
const strip = ({ side: _side, commands: _commands, ...b }: Blocked): Omit<Blocked, 'side' | 'commands'> => b;

function invalid(path: string, message: string): never {
  const problem: Problem = { path, code: `why.${path}`, message };
  throw new EngineError('invalid', `the question has a problem: ${message}`, [problem]);
}

/** Checks a query from outside (the CLI's flags, a request body) before anything is read. */
export function checkWhyQuery(q: WhyQuery): Required<Pick<WhyQuery, 'proto' | 'size' | 'df'>> & WhyQuery {
  const proto = q.proto ?? 'icmp';
  if (!['icmp', 'tcp', 'udp'].includes(proto))
    invalid('proto', `proto must be icmp, tcp or udp, not ${JSON.stringify(proto)}`);
  if (proto !== 'icmp' && q.port === undefined) invalid('port', `${proto} needs a port (--port N)`);
  if (proto === 'icmp' && q.port !== undefined)
    invalid('port', 'icmp has no port: leave --port out, or use --proto tcp|udp');
  if (q.port !== undefined && (!Number.isInteger(q.port) || q.port < 1 || q.port > 65535))
    invalid('port', `port must be a whole number from 1 to 65535, not ${q.port}`);
  const size = q.size ?? WHY_DEFAULT_SIZE;
  if (!Number.isInteger(size) || size < WHY_MIN_SIZE || size > WHY_MAX_SIZE)
    invalid('size', `size must be a whole number of bytes from ${WHY_MIN_SIZE} to ${WHY_MAX_SIZE}, not ${size}`);
  if (typeof q.from !== 'string' || !/^[a-z][a-z0-9-]{0,23}$/.test(q.from))
    invalid('from', `from must be a node name, not ${JSON.stringify(q.from)}`);
  if (typeof q.to === 'string' && q.to.includes(':'))
    invalid(
      'to',
      `${q.to} is IPv6: the why walk follows IPv4 only (ip route get, ARP, iptables); ask for the node's IPv4 address, or ping -6 ${q.to} from ${String(q.from)} and read its routes and neighbours in the tables`,
    );
  if (typeof q.to !== 'string' || (!/^[a-z][a-z0-9-]{0,23}$/.test(q.to) && parseIPv4(q.to) === undefined))
    invalid('to', `to must be a node name or an IPv4 address, not ${JSON.stringify(q.to)}`);
  return { ...q, proto, size, df: q.df ?? false };
}

export async function explainPath(engine: Engine, name: string, query: WhyQuery): Promise<WhyResult> {
  const { result, facts } = await walkPath(engine, name, query);
  if (query.probe !== false) recordProbe(result, await probePath(engine, name, facts, result));
  return result;
}

async function walkPath(
  engine: Engine,
  name: string,
  query: WhyQuery,
): Promise<{ result: WhyResult; facts: LabFacts }> {
  const q = checkWhyQuery(query);
  const entry = await engine.entry(name);
  const lab = entry.lab;
  if (!lab) throw new EngineError('not-found', `lab ${name} is not applied: apply it first`);
  const from = lab.nodes[q.from];
  if (!from) throw new EngineError('not-found', `lab ${name} has no node ${q.from}`);
  if (isBridge(from))
    throw new EngineError(
      'not-found',
      `${q.from} is a bridge: ask from a node that sends packets (a host, netns or router)`,
    );
  const facts = await LabFacts.read(engine, name, lab);
  let dst = q.to;
  if (parseIPv4(q.to) === undefined) {
    if (!lab.nodes[q.to]) throw new EngineError('not-found', `lab ${name} has no node ${q.to}`);
    const addr = facts.firstAddressOf(q.to);
    if (!addr)
      throw new EngineError(
        'not-found',
        `node ${q.to} has no IPv4 address to send to (the why walk follows IPv4 only)`,
      );
    dst = addr;
  }
  const origin = facts.nsOfNode(q.from)!;
  if (!facts.has(origin))
    throw new EngineError('not-found', `node ${q.from} is not in the kernel: apply the lab again`);
  const packet: Packet = { src: '', dst, proto: q.proto, port: q.port, size: q.size, df: q.df };
  const ctx: WalkContext = { facts, translations: [], direction: 'forward' };
  const forward = await walk(ctx, origin, packet);
  const src = forward.hops.find((h) => h.src)?.src ?? '';
  const result: WhyResult = {
    lab: name,
    query: { from: q.from, to: q.to, src, dst, proto: q.proto, port: q.port, size: q.size, df: q.df },
    reachable: false,
    forward: forward.hops,
    reverse: [],
  };
  if (forward.blocked) {
    result.blocked = {
      direction: 'forward',
      ...strip(danglingDnat(facts, ctx.translations, forward.blocked) ?? forward.blocked),
    };
    return { result, facts };
  }
  // The reply: from the address the request reached, to the source it saw (NAT'd or not).
  const seen = forward.delivered!.packet;
  // Its destination port is the request's ephemeral source port, which no rule here names.
  // The kernel sends its echo replies without don't-fragment (its ICMP socket: IP_PMTUDISC_DONT).
  const reply: Packet = {
    src: seen.dst,
    dst: seen.src,
    proto: q.proto,
    size: q.size,
    df: q.proto === 'icmp' ? false : q.df,
  };
  const reverse = await walk({ ...ctx, direction: 'reverse' }, forward.delivered!.ns, reply);
  result.reverse = reverse.hops;
  if (reverse.blocked) {
    const request = { ...packet, src };
    const nat = missingMasquerade(facts, forward.hops, ctx.translations, request, reverse.blocked);
    result.blocked = { direction: 'reverse', ...strip(nat ?? reverse.blocked) };
    return { result, facts };
  }
  result.reachable = reverse.delivered?.ns === origin;
  if (!result.reachable)
    result.blocked = {
      direction: 'reverse',
      node: facts.nodeOfNs(reverse.delivered!.ns),
      reason: 'unknown',
      detail: `the reply is delivered to ${facts.nodeOfNs(reverse.delivered!.ns)}, not back to ${q.from}: ${src} is an address there too`,
      fix: `give ${q.from}'s address ${src} to ${q.from} alone (ip -n ${facts.nsOfNode(q.from)} addr; the same on ${facts.nodeOfNs(reverse.delivered!.ns)})`,
    };
  return { result, facts };
}
