// `ping:start` / `ping:stop` for one socket: checks the payload and the token's scope, finds the
// node's namespace, and streams the parsed ping lines to this socket only, ending with `ping:summary`.
// Every event carries the id the client chose in `ping:start`.
import { parsePingLine, startPing, type PingHandle } from '@patchbay/kernel';
import { PingStartSchema, type LiveAck, type PingStart, type PingSummary } from '@patchbay/protocol';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import type { LabProcesses } from './lab-processes.js';
import { placeOf } from './lab-node.js';
import { payloadProblems } from './payload-problems.js';
import type { LiveSocket } from './socket.js';
import { streamIdsOf } from './stream-ids.js';

/** Per socket: each ping is a process, so a client cannot start an unbounded number. */
export const MAX_PINGS_PER_SOCKET = 4;

export function registerPing(app: FastifyInstance, socket: LiveSocket, processes: LabProcesses): void {
  const pings = new Map<string, PingHandle>();
  let starting = 0; // counted before the awaits, so quick bursts cannot pass the limit

  socket.on('ping:start', async (payload, ack) => {
    const reply = (res: LiveAck) => (typeof ack === 'function' ? ack(res) : undefined);
    const input: unknown =
      payload !== null && typeof payload === 'object' ? Value.Default(PingStartSchema, Value.Clone(payload)) : payload;
    if (!Value.Check(PingStartSchema, input))
      return reply({
        ok: false,
        error: 'invalid ping:start payload',
        problems: payloadProblems(PingStartSchema, input, 'ping.invalid'),
      });
    const opts: PingStart = input;
    const reused = streamIdsOf(socket).claim(opts.id, 'ping');
    if (reused)
      return reply({ ok: false, error: reused, problems: [{ path: 'id', message: reused, code: 'stream.id-reused' }] });
    if (!app.auth.scopeCovers(socket.data.scope, opts.lab))
      return reply({ ok: false, error: `this token does not cover lab ${opts.lab}` });
    if (pings.size + starting >= MAX_PINGS_PER_SOCKET)
      return reply({ ok: false, error: `at most ${MAX_PINGS_PER_SOCKET} pings at a time` });
    const quota = app.quotas.acquire(socket.data.scope, 'ping');
    if ('error' in quota) return reply({ ok: false, error: quota.error });
    starting++;
    const where = await placeOf(app, opts.lab, opts.node).finally(() => starting--);
    if ('error' in where) return (quota(), reply({ ok: false, error: where.error }));
    if (socket.disconnected) return quota();

    const id = opts.id;
    const stats: Omit<PingSummary, 'id'> = { transmitted: 0, received: 0, lossPercent: 100 };
    let statsSeen = false;
    let highestSeq = 0;
    let handle: PingHandle;
    try {
      handle = startPing(where.ns, opts, (line, stream) => {
        const p = parsePingLine(line);
        if (p && 'seq' in p) highestSeq = Math.max(highestSeq, p.seq);
        if (!p) {
          if (stream === 'stderr' && line.trim())
            socket.emit('ping:event', { id, type: 'error', message: line.trim() });
        } else if (p.kind === 'reply') {
          stats.received++;
          socket.emit('ping:reply', {
            id,
            seq: p.seq,
            ttl: p.ttl,
            ...(p.rttMs !== undefined ? { rttMs: p.rttMs } : {}),
          });
        } else if (p.kind === 'timeout') {
          socket.emit('ping:event', {
            id,
            type: 'timeout',
            seq: p.seq,
            message: `no answer yet for icmp_seq=${p.seq}`,
          });
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
      quota();
      return reply({ ok: false, error: (err as Error).message });
    }
    pings.set(id, handle);
    reply({ ok: true, id });
    const unregister = processes.add({ lab: opts.lab, ns: where.ns, stop: () => handle.stop(), done: handle.done });
    void handle.done.then(() => {
      pings.delete(id);
      unregister();
      quota();
      // Killed before ping printed its statistics: count from what was seen.
      if (!statsSeen) {
        stats.transmitted = highestSeq;
        stats.lossPercent = highestSeq ? Math.round((100 * (highestSeq - stats.received)) / highestSeq) : 0;
      }
      socket.emit('ping:summary', { id, ...stats });
    });
  });

  socket.on('ping:stop', (payload) => {
    const id = payload !== null && typeof payload === 'object' ? payload.id : undefined;
    if (typeof id === 'string') pings.get(id)?.stop();
  });

  socket.on('disconnect', () => {
    for (const p of pings.values()) p.stop();
  });
}
