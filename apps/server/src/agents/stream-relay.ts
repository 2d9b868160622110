// The live streams of labs held by remote agents, relayed: the browser talks only to the
// coordinator, which passes each lab-scoped event (pings, tables, captures, terminals) of a lab on a
// remote agent to that agent over a socket.io connection of its own — one per browser connection
// and agent, opened over the agent link (secret, certificates or both) at the first such event — and passes every event the agent
// sends back to the browser connection. The flow control goes through end to end: an event the
// agent sends with an ack (terminal output, capture lines, table deltas) is acknowledged to the
// agent only when the browser acknowledged it, so the agent's own bounded outboxes hold back what
// the browser has not taken, and the coordinator holds at most their credit per stream; volatile
// events (interface counters) stay volatile. Exercise and session events are the coordinator's own.
//
// Who may do what is checked here as on the local agent: a start event names its lab, which the
// connection's token must cover, and a student's start counts against their quotas here (pings,
// captures and terminals at a time, capture starts per minute: limits.ts), given back when the
// stream ends — the agent sees the coordinator, an instructor, and counts nothing, except that a
// student's connection tells it whose lab's capture read budget applies (`readBudgetOf`); an event
// naming only a stream id (stop, input, resize, …) is
// relayed only for a stream this connection started through the relay (a capture: also one another
// connection started, for a token that covers its lab — an instructor watching). Enter in a relayed
// terminal runs the lab's checks as on a local lab: on the agent, which sees the terminal too, when
// it feeds the lab's runs to the coordinator (exercise-feed.ts), from the coordinator otherwise.
import type { LiveAck, TerminalExit } from '@patchbay/protocol';
import type { FastifyInstance } from 'fastify';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import type { LiveSocket } from '../live/socket.js';
import { type AgentLink, agentSocketOptions } from './agent-client.js';

/** Client events that start a stream or subscription, and name the lab. */
const LAB_EVENTS = new Set(['ping:start', 'tables:subscribe', 'tables:unsubscribe', 'capture:start', 'terminal:open']);
/** Client events that name a stream by its id only. */
const STREAM_EVENTS = new Set([
  'ping:stop',
  'capture:subscribe',
  'capture:unsubscribe',
  'capture:stop',
  'terminal:input',
  'terminal:resize',
  'terminal:close',
]);
/** Server events that end a stream: its relay entry goes with them. */
const LAST_EVENTS = new Set(['ping:summary', 'terminal:exit']);

interface RelayedStream {
  agent: string;
  lab: string;
  kind: 'ping' | 'capture' | 'terminal';
  /** Gives back the student's quota the stream holds (the coordinator counts what the agent cannot: it sees an instructor). */
  release?: () => void;
}

/** Captures started through this coordinator on remote agents (an instructor may subscribe to any). */
const capturesByCoordinator = new Map<string, RelayedStream>();
/** At most this many remembered (oldest forgotten first): bounds memory over a long class. */
const MAX_CAPTURES = 10_000;

export function relayStreams(app: FastifyInstance, socket: LiveSocket, link: AgentLink): void {
  const upstreams = new Map<string, ClientSocket>();
  const caller = socket.data.scope;
  const student = caller.role === 'student' ? caller.lab : undefined;
  const streams = new Map<string, RelayedStream>();
  /** The stream is over (or never started): forgotten, its quota given back. */
  const end = (id: string): void => {
    streams.get(id)?.release?.();
    streams.delete(id);
  };

  const upstreamTo = (agent: { name: string; address: string }): ClientSocket => {
    let up = upstreams.get(agent.name);
    if (up) return up;
    // A student's connection: the agent applies their lab's capture read budget (it sees an instructor).
    up = connect(agent.address, agentSocketOptions(link, agent.name, student ? { readBudgetOf: student } : {}));
    upstreams.set(agent.name, up);
    up.onAny((event: string, ...args: unknown[]) => {
      const ack = typeof args.at(-1) === 'function' ? (args.pop() as (...a: unknown[]) => void) : undefined;
      const payload = args[0] as { id?: unknown } | undefined;
      const emit = socket.emit.bind(socket) as (e: string, ...a: unknown[]) => boolean;
      if (event === 'tables:counters') (socket.volatile.emit.bind(socket.volatile) as typeof emit)(event, payload);
      else if (ack) emit(event, payload, (...answer: unknown[]) => ack(...answer));
      else emit(event, payload);
      const ended =
        LAST_EVENTS.has(event) || (event === 'capture:status' && (payload as { state?: unknown })?.state === 'ended');
      if (ended && typeof payload?.id === 'string') end(payload.id);
    });
    up.on('disconnect', () => {
      upstreams.delete(agent.name);
      // The agent went away: the browser's terminals there end as they would at its shutdown.
      for (const [id, s] of streams) {
        if (s.agent !== agent.name) continue;
        end(id);
        const exit: TerminalExit = { id, reason: 'shutdown', message: `the lab host ${agent.name} went away` };
        if (s.kind === 'terminal') socket.emit('terminal:exit', exit);
      }
    });
    up.on('connect_error', (e) => app.log.warn({ agent: agent.name, err: e.message }, 'cannot relay to the agent'));
    return up;
  };

  const forward = (
    agent: { name: string; address: string },
    event: string,
    payload: unknown,
    ack?: (r: LiveAck) => void,
  ) => {
    const up = upstreamTo(agent);
    if (ack) up.emit(event, payload, ack);
    else up.emit(event, payload);
  };

  socket.use((packet, next) => {
    const [event, payload, ack] = packet as [string, Record<string, unknown> | undefined, ((r: LiveAck) => void)?];
    const refuse = (error: string) => (typeof ack === 'function' ? ack({ ok: false, error }) : undefined);
    if (STREAM_EVENTS.has(event)) {
      const id = payload?.['id'];
      if (typeof id !== 'string') return next();
      let stream = streams.get(id);
      if (!stream && event === 'capture:subscribe') {
        const capture = capturesByCoordinator.get(id);
        if (capture && app.auth.scopeCovers(socket.data.scope, capture.lab)) stream = capture;
      }
      if (!stream) return next(); // a stream of the local agent (or none: its handler says so)
      // Enter in a relayed terminal: the lab's checks run, as for a local terminal (exercises.ts).
      const data = payload?.['data'];
      if (event === 'terminal:input' && stream.kind === 'terminal' && typeof data === 'string' && data.includes('\r'))
        app.exercises.relayedEnter(stream.lab);
      // Keystrokes and the like go straight to the connection the stream started on (no lookup per
      // event); without it (the agent went, or a capture another connection started), the agent's address is looked up.
      const open = upstreams.get(stream.agent);
      if (open) return void (ack ? open.emit(event, payload, ack) : open.emit(event, payload));
      void app.store.agents.get(stream.agent).then(
        (agent) => (agent ? forward(agent, event, payload, ack) : refuse(`the lab host ${stream.agent} is gone`)),
        (e: Error) => refuse(e.message),
      );
      return;
    }
    if (!LAB_EVENTS.has(event)) return next();
    const lab = payload?.['lab'];
    if (typeof lab !== 'string' || !app.auth.scopeCovers(socket.data.scope, lab)) return next(); // refused by the handler
    void app.placement.holderOf(lab).then(
      (holder) => {
        if (!holder || holder.kind === 'local') return next();
        const id = payload?.['id'];
        if (typeof id !== 'string' || event === 'tables:subscribe' || event === 'tables:unsubscribe')
          return forward(holder.agent, event, payload, ack);
        if (streams.has(id)) return refuse(`the id ${id} names another stream of this connection`);
        const kind = event === 'ping:start' ? 'ping' : event === 'capture:start' ? 'capture' : 'terminal';
        const scope = socket.data.scope;
        const tooFast = kind === 'capture' ? app.quotas.startCapture(scope) : undefined;
        if (tooFast) return refuse(tooFast);
        const quota = app.quotas.acquire(scope, kind);
        if (typeof quota !== 'function') return refuse(quota.error);
        const stream: RelayedStream = { agent: holder.name, lab, kind, release: quota };
        streams.set(id, stream);
        if (kind === 'capture') {
          if (capturesByCoordinator.size >= MAX_CAPTURES)
            capturesByCoordinator.delete(capturesByCoordinator.keys().next().value!);
          capturesByCoordinator.set(id, stream);
        }
        // A refused start holds nothing.
        forward(holder.agent, event, payload, (answer: LiveAck) => {
          if (!answer.ok) end(id);
          if (typeof ack === 'function') ack(answer);
        });
      },
      (e: Error) => refuse(e.message),
    );
  });
  socket.on('disconnect', () => {
    // The agent ends what this connection ran there, as for any connection that goes.
    for (const up of upstreams.values()) up.disconnect();
    upstreams.clear();
    for (const id of [...streams.keys()]) end(id);
  });
}
