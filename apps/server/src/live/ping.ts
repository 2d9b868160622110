// `ping:start` / `ping:stop` for one socket: checks the payload and the token's scope, finds the
// node's namespace, and streams the parsed ping lines to this socket only, ending with `ping:summary`.
import { randomUUID } from 'node:crypto';
import { parsePingLine, startPing, type PingHandle } from '@patchbay/kernel';
import { PingStartSchema, type ClientToServerEvents, type LiveAck, type PingStart, type PingSummary, type Problem, type ServerToClientEvents, type SocketData } from '@patchbay/protocol';
import { compile } from '@patchbay/topology';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import type { Socket } from 'socket.io';

/** Per socket: each ping is a process, so a client cannot start an unbounded number. */
export const MAX_PINGS_PER_SOCKET = 4;

type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

function problemsOf(payload: unknown): Problem[] {
  return [...Value.Errors(PingStartSchema, payload)].map((e) => ({
    path: e.path.replace(/^\//, '').replace(/\//g, '.'),
    message: e.message,
    code: 'ping.invalid',
  }));
}

/** The node's namespace, or an error message for the ack. */
async function namespaceOf(app: FastifyInstance, lab: string, node: string): Promise<{ ns: string } | { error: string }> {
  const entry = await app.engine.entry(lab).catch(() => undefined);
  if (!entry?.lab) return { error: `no lab named ${lab}` };
  if (!Object.hasOwn(entry.lab.nodes, node)) return { error: `lab ${lab} has no node named ${node}` };
  const ns = compile(entry.lab, entry.prefix).names.nodeNamespace[node];
  return ns ? { ns } : { error: `node ${node} of lab ${lab} has no namespace` };
}

export function registerPing(app: FastifyInstance, socket: LiveSocket, running: Set<Promise<unknown>>): void {
  const pings = new Map<string, PingHandle>();
  let starting = 0; // counted before the awaits, so quick bursts cannot pass the limit

  socket.on('ping:start', async (payload, ack) => {
    const reply = (res: LiveAck) => (typeof ack === 'function' ? ack(res) : undefined);
    const input: unknown = payload !== null && typeof payload === 'object' ? Value.Default(PingStartSchema, Value.Clone(payload)) : payload;
    if (!Value.Check(PingStartSchema, input)) return reply({ ok: false, error: 'invalid ping:start payload', problems: problemsOf(input) });
    const opts: PingStart = input;
    if (!app.auth.scopeCovers(socket.data.scope, opts.lab)) return reply({ ok: false, error: `this token does not cover lab ${opts.lab}` });
    if (pings.size + starting >= MAX_PINGS_PER_SOCKET) return reply({ ok: false, error: `at most ${MAX_PINGS_PER_SOCKET} pings at a time` });
    starting++;
    const where = await namespaceOf(app, opts.lab, opts.node).finally(() => starting--);
    if ('error' in where) return reply({ ok: false, error: where.error });
    if (socket.disconnected) return;

    const id = randomUUID();
    const stats: Omit<PingSummary, 'id'> = { transmitted: 0, received: 0, lossPercent: 100 };
    let statsSeen = false;
    let highestSeq = 0;
    let handle: PingHandle;
    try {
      handle = startPing(where.ns, opts, (line, stream) => {
        const p = parsePingLine(line);
        if (p && 'seq' in p) highestSeq = Math.max(highestSeq, p.seq);
        if (!p) {
          if (stream === 'stderr' && line.trim()) socket.emit('ping:event', { id, type: 'error', message: line.trim() });
        } else if (p.kind === 'reply') {
          stats.received++;
          socket.emit('ping:reply', { id, seq: p.seq, ttl: p.ttl, ...(p.rttMs !== undefined ? { rttMs: p.rttMs } : {}) });
        } else if (p.kind === 'timeout') {
          socket.emit('ping:event', { id, type: 'timeout', seq: p.seq, message: `no answer yet for icmp_seq=${p.seq}` });
        } else if (p.kind === 'unreachable' || p.kind === 'error') {
          socket.emit('ping:event', { id, type: p.kind, seq: p.seq, message: p.message });
        } else if (p.kind === 'summary') {
          statsSeen = true;
          Object.assign(stats, { transmitted: p.transmitted, received: p.received, lossPercent: p.lossPercent });
        } else {
          Object.assign(stats, { rttMinMs: p.minMs, rttAvgMs: p.avgMs, rttMaxMs: p.maxMs });
        }
      });
    } catch (err) {
      return reply({ ok: false, error: (err as Error).message });
    }
    pings.set(id, handle);
    reply({ ok: true, id });
    const finished = handle.done.then(() => {
      pings.delete(id);
      running.delete(finished);
      // Killed before ping printed its statistics: count from what was seen.
      if (!statsSeen) {
        stats.transmitted = highestSeq;
        stats.lossPercent = highestSeq ? Math.round((100 * (highestSeq - stats.received)) / highestSeq) : 0;
      }
      socket.emit('ping:summary', { id, ...stats });
    });
    running.add(finished);
  });

  socket.on('ping:stop', (payload) => {
    const id = payload !== null && typeof payload === 'object' ? payload.id : undefined;
    if (typeof id === 'string') pings.get(id)?.stop();
  });

  socket.on('disconnect', () => {
    for (const p of pings.values()) p.stop();
  });
}
