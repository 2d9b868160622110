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
import { probePath } from './probe.js';
import { recordProbe } from './probe-verdict.js';
import { walkBothWays, walkEveryEndpoint } from './both-ways.js';
import type { Packet } from './walk-types.js';

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
  const first = await walkBothWays(facts, q.from, origin, packet);
  const result: WhyResult = {
    lab: name,
    query: { from: q.from, to: q.to, src: first.src, dst, proto: q.proto, port: q.port, size: q.size, df: q.df },
    reachable: first.reachable,
    forward: first.forward,
    reverse: first.reverse,
    ...(first.blocked ? { blocked: first.blocked } : {}),
  };
  // A Service's random pick: every endpoint walked, each path saying which one it reached.
  const endpoints = await walkEveryEndpoint(facts, q.from, origin, packet, first);
  if (endpoints) result.endpoints = endpoints;
  return { result, facts };
}
